"""Sweep scaling on Dask: the same sweep on a LocalCluster of one worker and of two workers.

A parameter sweep (duloxetine over a dose grid, replicate trials of ``--patients`` per arm) runs
through :func:`painsim.sweep.run_sweep` on a ``dask.distributed.LocalCluster`` whose workers have
one process and one thread each, and one numba thread each (``NUMBA_NUM_THREADS=1``), so that two
workers use two cores and one worker one. Both runs compute the same grid (the results are
compared, they must be identical) and each starts its cluster first, warms every worker's numba
cache with one small chunk, and then times the sweep alone.

Usage::

    python benchmarks/dask_scaling.py --json                       # >= 1e7 patient-simulations
    python benchmarks/dask_scaling.py --trials 4 --json            # a smaller run

"Patient-simulations" counts the patients whose chain the kernel integrates (the drug arms: the
placebo arms need no chain). No assertions: the numbers are reported, the target is in
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

EXPERIMENT = """
dialect = "painsim-experiment/1"

[experiment]
name = "dask_scaling"
description = "duloxetine dose grid, replicate trials: a workload for the Dask scaling benchmark"
seed = 11
trials = {trials}
patients = {patients}
weeks = 12
outcomes = ["50pct"]
condition = "dpn"
design = "parallel"

[drugs.duloxetine]
doses = [20, 40, 60, 90, 120]
"""


def _cluster(n_workers: int):
    from dask.distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None, env={"NUMBA_NUM_THREADS": "1"})
    return cluster, Client(cluster)


def _run(path: Path, warm: Path, n_workers: int, chunk_size: int) -> tuple[float, object]:
    """Seconds of the sweep ``path`` on a fresh cluster of ``n_workers``, after a small sweep
    ``warm`` on the same cluster (each worker process loads the numba kernel once)."""
    from painsim.sweep import load_experiment, run_sweep

    cluster, client = _cluster(n_workers)
    try:
        run_sweep(load_experiment(warm), chunk_size=1, scheduler=client)
        exp = load_experiment(path)
        t0 = time.perf_counter()
        ds = run_sweep(exp, chunk_size=chunk_size, scheduler=client)
        seconds = time.perf_counter() - t0
    finally:
        client.close()
        cluster.close()
    return seconds, ds


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--trials", type=int, default=100, help="replicate trials per dose (default 100)")
    ap.add_argument("--patients", type=int, default=20_000, help="patients per arm (default 20000)")
    ap.add_argument("--chunk-size", type=int, default=5, help="(dose, trial) pairs per task (default 5)")
    ap.add_argument("--json", action="store_true", help="one JSON object")
    args = ap.parse_args()
    import numpy as np

    n_points = 5 * args.trials
    sims = n_points * args.patients
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "dask_scaling.toml"
        path.write_text(EXPERIMENT.format(trials=args.trials, patients=args.patients), encoding="utf-8")
        # a small sweep warms each cluster's workers (one task per dose: every worker gets one)
        small = Path(tmp) / "small.toml"
        small.write_text(EXPERIMENT.format(trials=1, patients=200), encoding="utf-8")
        t1, ds1 = _run(path, small, 1, args.chunk_size)
        t2, ds2 = _run(path, small, 2, args.chunk_size)
    same = all(np.array_equal(ds1[v].values, ds2[v].values, equal_nan=True) for v in ds1.data_vars)
    out = {
        "patient_simulations": sims, "points": n_points, "patients_per_arm": args.patients,
        "chunk_size": args.chunk_size, "one_worker_s": round(t1, 2), "two_workers_s": round(t2, 2),
        "one_worker_patients_per_s": round(sims / t1), "two_workers_patients_per_s": round(sims / t2),
        "speedup_two_vs_one": round(t1 / t2, 3), "results_identical": bool(same),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "load_avg_1min": round(os.getloadavg()[0], 2)},
    }
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for k, v in out.items():
            print(f"{k}: {v}")


if __name__ == "__main__":
    main()
