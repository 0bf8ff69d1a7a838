"""Population benchmark: the fused kernel against the reference path, in one process, on the same
virtual patients.

(a) the fused kernel, :func:`painsim.kernels.run_population` (exact PK, quasi-steady-state
    synapse, weekly mean inhibition per patient), on ``--patients`` patients;
(b) the reference path, :func:`painsim.reference.run_reference` (``scipy.integrate.solve_ivp``,
    LSODA, rtol 1e-8, on the full stiff model) patient by patient, as a user would write it, on the
    first ``--reference-patients`` of the same patients; its patients/s is extrapolated.

Responder rates (≥ 50 % and ≥ 30 % pain reduction: the observation model of
:mod:`painsim.response`, as every trial applies it) of that subset are computed from both, at week 1
and at the last week.

Usage::

    python benchmarks/population.py --json                 # one JSON object
    python benchmarks/population.py --scaling --json       # plus N = 1e3 ... 1e6 (time, peak RSS)
    python benchmarks/population.py --cold                 # compile without numba's disk cache

No assertions: the numbers are reported, the targets are in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
if str(SRC) not in sys.path:
    sys.path.insert(0, str(SRC))
if "--cold" in sys.argv:  # must precede the first numba import
    os.environ["NUMBA_CACHE_DIR"] = tempfile.mkdtemp(prefix="painsim-cold-cache-")

import numba  # noqa: E402
import numpy as np  # noqa: E402

from painsim import kernels  # noqa: E402
from painsim.calibration import load_calibration  # noqa: E402
from painsim.chain import chain  # noqa: E402
from painsim.kernels.run import compiled_from_cache  # noqa: E402
from painsim.library import load_drug  # noqa: E402
from painsim.physiology import load_physiology  # noqa: E402
from painsim.population import ARM_DRUG, draw_population  # noqa: E402
from painsim.reference import run_reference  # noqa: E402
from painsim.regimen import Regimen  # noqa: E402
from painsim.response import OUTCOMES, pain, placebo_mu, placebo_response, responders  # noqa: E402

SEED = 2024


def _setup(drug_name: str, dose: float, weeks: int):
    phys, cal = load_physiology(), load_calibration()
    drug = load_drug(drug_name)
    reg = Regimen.daily(dose, days=7 * weeks, interval=drug.dosing.interval.value)
    # the placebo arm of a painful-diabetic-neuropathy trial, as painsim.trial sets it
    mu = placebo_mu(phys["placebo.dpn"], OUTCOMES["50pct"], weeks, cal)
    return phys, cal, drug, reg, chain(drug, phys, cal), mu


def _kernel(ch, pop, reg, weeks, grid="fine"):
    """Weekly mean inhibition of every patient (n, weeks): what a trial needs from the chain."""
    return kernels.run_population(ch, pop.theta, reg, weeks, outputs=("inhibition",), index=pop.index, seed=SEED,
                                  stream=ARM_DRUG, grid=grid)["weekly"][:, :, 0]


def _responders(inh, pop, mu, cal, weeks):
    """Responder flags {outcome: (n, weeks)} from weekly inhibition, by painsim.response."""
    p = placebo_response(pop.placebo_z[:len(inh)], mu, np.arange(1, weeks + 1, dtype=float), cal)
    scores = pain(pop.baseline[:len(inh)], p, pop.sensitivity[:len(inh)], inh)
    return {o: responders(scores, pop.baseline[:len(inh)], OUTCOMES[o]) for o in ("50pct", "30pct")}


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def scaling_point(n: int, drug_name: str, dose: float, weeks: int) -> dict:
    """One scaling measurement (run in a fresh process so that its peak RSS is its own)."""
    phys, cal, drug, reg, ch, mu = _setup(drug_name, dose, weeks)
    small = draw_population(drug, phys, 64, seed=SEED, stream=ARM_DRUG)
    _kernel(ch, small, reg, weeks)  # compile / load from cache
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    pop = draw_population(drug, phys, n, seed=SEED, stream=ARM_DRUG)
    t_draw = time.perf_counter() - t0
    t0 = time.perf_counter()
    inh = _kernel(ch, pop, reg, weeks)
    t_kernel = time.perf_counter() - t0
    t0 = time.perf_counter()
    resp = _responders(inh, pop, mu, cal, weeks)
    t_resp = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    return {"patients": n, "kernel_s": round(t_kernel, 4), "patients_per_s": round(n / t_kernel, 1),
            "draw_population_s": round(t_draw, 3), "responders_s": round(t_resp, 3),
            "weekly_array_mb": round(inh.nbytes / 2**20, 2), "rss_before_mb": round(rss0, 1),
            "peak_rss_mb": round(peak, 1), "responder_rate_last_week_50pct": float(resp["50pct"][:, -1].mean())}


def run(args: argparse.Namespace) -> dict:
    phys, cal, drug, reg, ch, mu = _setup(args.drug, args.dose, args.weeks)
    weeks = args.weeks
    # --- compile (or load the compiled kernel from numba's cache), measured separately
    small = draw_population(drug, phys, 64, seed=SEED, stream=ARM_DRUG)
    t0 = time.perf_counter()
    _kernel(ch, small, reg, weeks)
    compile_s = time.perf_counter() - t0
    from_cache = compiled_from_cache()

    # --- (a) the fused kernel
    pop = draw_population(drug, phys, args.patients, seed=SEED, stream=ARM_DRUG)
    times = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        inh = _kernel(ch, pop, reg, weeks)
        times.append(time.perf_counter() - t0)
    t_kernel = min(times)
    # one thread on a slice: the per-core rate, which other load on the machine affects less
    n1 = min(args.patients, 20_000)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    sub = draw_population(drug, phys, n1, seed=SEED, stream=ARM_DRUG)
    t0 = time.perf_counter()
    _kernel(ch, sub, reg, weeks)
    t_one = time.perf_counter() - t0
    numba.set_num_threads(threads)

    # --- (b) the reference path on the first patients, one solve_ivp per patient
    m = min(args.reference_patients, args.patients)
    run_reference(ch, pop.theta[0], Regimen.daily(args.dose, days=1), 1)  # JIT of the RHS
    t0 = time.perf_counter()
    ref = np.array([run_reference(ch, pop.theta[i], reg, weeks) for i in range(m)])
    t_ref = time.perf_counter() - t0

    # responder rates of the same patients from both paths (the one observation model)
    resp = _responders(inh[:m], pop, mu, cal, weeks)
    resp_ref = _responders(ref[:, :, 0], pop, mu, cal, weeks)
    rates, diffs, flips = {}, [], 0
    for name in ("50pct", "30pct"):
        for wk in (1, weeks):
            r_kernel = float(resp[name][:, wk - 1].mean())
            r_ref = float(resp_ref[name][:, wk - 1].mean())
            rates[f"week{wk}_{name}"] = {"kernel": r_kernel, "reference": r_ref}
            diffs.append(abs(r_kernel - r_ref))
            flips += int(np.sum(resp[name][:, wk - 1] != resp_ref[name][:, wk - 1]))
    cols = [0, weeks - 1]
    inh_rel = np.abs(inh[:m][:, cols] - ref[:, cols, 0]) / np.maximum(np.abs(ref[:, cols, 0]), 1e-3)

    # --- (c) the same patients on the coarse grid: speed, and distance from the reference and the fine grid
    _kernel(ch, small, reg, weeks, "coarse")
    times_c = []
    for _ in range(args.repeat):
        t0 = time.perf_counter()
        inh_c = _kernel(ch, pop, reg, weeks, "coarse")
        times_c.append(time.perf_counter() - t0)
    resp_c = _responders(inh_c, pop, mu, cal, weeks)
    resp_f = _responders(inh, pop, mu, cal, weeks)
    diffs_c = [abs(float(resp_c[name][:m, wk - 1].mean()) - float(resp_ref[name][:, wk - 1].mean()))
               for name in ("50pct", "30pct") for wk in (1, weeks)]
    vs_fine = max(abs(float(resp_c[name][:, wk - 1].mean()) - float(resp_f[name][:, wk - 1].mean()))
                  for name in ("50pct", "30pct") for wk in (1, weeks))
    inh_rel_c = np.abs(inh_c[:m][:, cols] - ref[:, cols, 0]) / np.maximum(np.abs(ref[:, cols, 0]), 1e-3)
    coarse = {
        "kernel_patients_per_s": round(args.patients / min(times_c), 1),
        "ratio": round(args.patients / min(times_c) / (m / t_ref), 1),
        "max_abs_diff_responder_rate": round(max(diffs_c), 6),
        "max_rel_diff_weekly_inhibition": {"week1": float(inh_rel_c[:, 0].max()),
                                           f"week{weeks}": float(inh_rel_c[:, 1].max())},
        "max_abs_diff_responder_rate_vs_fine_all_patients": round(vs_fine, 6),
        "grid": {"after_dose_h": list(kernels.GRIDS["coarse"][0]), "base_h": kernels.GRIDS["coarse"][1]},
    }

    kps = args.patients / t_kernel
    rps = m / t_ref
    out = {
        "kernel_patients_per_s": round(kps, 1),
        "reference_patients_per_s": round(rps, 4),
        "ratio": round(kps / rps, 1),
        "max_abs_diff_responder_rate": round(max(diffs), 6),
        "threads": threads,
        "kernel_patients_per_s_1thread": round(n1 / t_one, 1),
        "compile_s": round(compile_s, 3),
        "compile_from_cache": from_cache,
        "kernel_s": round(t_kernel, 4),
        "kernel_patients": args.patients,
        "reference_patients": m,
        "reference_s": round(t_ref, 3),
        "responder_flags_differing": flips,
        "responder_rates": rates,
        "max_rel_diff_weekly_inhibition": {"week1": float(inh_rel[:, 0].max()),
                                           f"week{weeks}": float(inh_rel[:, 1].max())},
        "drug": args.drug, "dose_mg_per_day": args.dose, "weeks": weeks,
        "newton_steps": {"base": kernels.N_NEWTON, "after_dose": kernels.N_NEWTON_GRADED},
        "grid": {"after_dose_h": list(kernels.GRIDS["fine"][0]), "base_h": kernels.GRIDS["fine"][1]},
        "coarse_grid": coarse,
        "batch": kernels.BATCH,
        "machine": {"cpu": _cpu_name(), "cores": os.cpu_count(), "load_avg_1min": os.getloadavg()[0],
                    "python": platform.python_version(), "numba": numba.__version__, "numpy": np.__version__},
        "date": time.strftime("%Y-%m-%d"),
    }
    if args.scaling:
        out["scaling"] = []
        for n in args.scaling_sizes:
            cmd = [sys.executable, __file__, "--scaling-point", str(n), "--drug", args.drug,
                   "--dose", str(args.dose), "--weeks", str(weeks)]
            env = {**os.environ, "NUMBA_NUM_THREADS": str(numba.get_num_threads())}
            r = subprocess.run(cmd, capture_output=True, text=True, check=True, env=env)
            out["scaling"].append(json.loads(r.stdout.strip().splitlines()[-1]))
    return out


def _cpu_name() -> str:
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print one JSON object")
    ap.add_argument("--patients", type=int, default=200_000, help="patients for the kernel (default 200000)")
    ap.add_argument("--reference-patients", type=int, default=20,
                    help="patients for the reference path (default 20; ~1 s each)")
    ap.add_argument("--repeat", type=int, default=3, help="kernel timings, the best is kept (default 3)")
    ap.add_argument("--scaling", action="store_true", help="also N = 1e3 ... 1e6, each in a fresh process")
    ap.add_argument("--scaling-sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000])
    ap.add_argument("--drug", default="duloxetine")
    ap.add_argument("--dose", type=float, default=60.0, help="mg/day (default 60)")
    ap.add_argument("--weeks", type=int, default=12)
    ap.add_argument("--cold", action="store_true", help="use an empty numba cache (compile from scratch)")
    ap.add_argument("--scaling-point", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.scaling_point:
        print(json.dumps(scaling_point(args.scaling_point, args.drug, args.dose, args.weeks)))
        return 0
    out = run(args)
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"kernel     {out['kernel_patients_per_s']:>12,.0f} patients/s ({out['threads']} threads, "
          f"{out['kernel_patients']} patients in {out['kernel_s']:.2f} s)")
    print(f"           {out['kernel_patients_per_s_1thread']:>12,.0f} patients/s on 1 thread")
    print(f"reference  {out['reference_patients_per_s']:>12,.2f} patients/s ({out['reference_patients']} patients)")
    print(f"ratio      {out['ratio']:>12,.0f}")
    print(f"responder rates, max |kernel − reference|: {out['max_abs_diff_responder_rate']:.4f} "
          f"({out['responder_flags_differing']} flags differ)")
    print(f"compile    {out['compile_s']:.2f} s (from cache: {out['compile_from_cache']})")
    for row in out.get("scaling", []):
        print(f"N = {row['patients']:>9,}: {row['kernel_s']:8.3f} s, {row['patients_per_s']:>10,.0f} /s, "
              f"peak RSS {row['peak_rss_mb']:.0f} MB (weekly inhibition {row['weekly_array_mb']:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
