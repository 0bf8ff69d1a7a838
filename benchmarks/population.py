"""Population benchmark: the fused kernel against the reference path, in one process, on the same
virtual patients.

(a) the fused kernel, :func:`painsim.kernels.run_population` (exact PK, quasi-steady-state
    synapse, weekly mean inhibition per patient), on ``--patients`` patients, on each of its time
    grids (``fine``, ``coarse``, ``quad``; the repeats alternate between them), the default grid's
    figures at the top level;
(b) the reference path, :func:`painsim.reference.run_reference` (``scipy.integrate.solve_ivp``,
    LSODA, rtol 1e-8, on the full stiff model) patient by patient, as a user would write it, on the
    first ``--reference-patients`` of the same patients; its patients/s is extrapolated.

Responder rates (≥ 50 % and ≥ 30 % pain reduction: the observation model of
:mod:`painsim.response`, as every trial applies it) of that subset are computed from both, at week 1
and at the last week.

Usage::

    python benchmarks/population.py --json                 # one JSON object
    python benchmarks/population.py --scaling --json       # plus N = 1e3 ... 1e6 (time, peak RSS; default, quad)
    python benchmarks/population.py --cold                 # compile without numba's disk cache
    python benchmarks/population.py --json --grid quad     # top-level fields for grid="quad"

No assertions: the numbers are reported, the targets are in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import inspect
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
from painsim.chain import QUADRATURE_GRIDS, chain, dose_grid, quadrature_grid, schedule  # noqa: E402
from painsim.kernels.run import compiled_from_cache  # noqa: E402
from painsim.library import load_drug  # noqa: E402
from painsim.physiology import load_physiology  # noqa: E402
from painsim.pk import theta_index  # noqa: E402
from painsim.population import ARM_DRUG, draw_population  # noqa: E402
from painsim.reference import run_reference  # noqa: E402
from painsim.regimen import Regimen  # noqa: E402
from painsim.response import OUTCOMES, responders, trial_placebo_mu, within_patient_sd  # noqa: E402
from painsim.trial import arm_pain  # noqa: E402

SEED = 2024


def _setup(drug_name: str, dose: float, weeks: int):
    phys, cal = load_physiology(), load_calibration()
    drug = load_drug(drug_name)
    reg = Regimen.daily(dose, days=7 * weeks, interval=drug.dosing.interval.value)
    # the placebo arm of a painful-diabetic-neuropathy trial, as painsim.trial sets it
    mu = trial_placebo_mu(phys, cal, condition="dpn", outcome="50pct", weeks=weeks)
    return phys, cal, drug, reg, chain(drug, phys, cal), mu


def _kernel(ch, pop, reg, weeks, grid=None):
    """Weekly mean inhibition of every patient (n, weeks): what a trial needs from the chain
    (on ``grid``, or run_population's default grid)."""
    return kernels.run_population(ch, pop.theta, reg, weeks, outputs=("inhibition",), index=pop.index, seed=SEED,
                                  stream=ARM_DRUG, grid=grid or DEFAULT_GRID)["weekly"][:, :, 0]


def _responders(inh, pop, mu, cal, weeks):
    """Responder flags {outcome: (n, weeks)} from weekly inhibition, by the trial's observation
    model (painsim.trial.arm_pain: with the patients' week-to-week variability)."""
    n = len(inh)
    scores = arm_pain(pop.head(n), inh, mu, cal, noise_sd=within_patient_sd(load_physiology()), on_drug=True)
    return {o: responders(scores, pop.baseline[:n], OUTCOMES[o]) for o in ("50pct", "30pct")}


def _rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def scaling_point(n: int, drug_name: str, dose: float, weeks: int, grid: str | None = None) -> dict:
    """One scaling measurement (run in a fresh process so that its peak RSS is its own)."""
    phys, cal, drug, reg, ch, mu = _setup(drug_name, dose, weeks)
    small = draw_population(drug, phys, 64, seed=SEED, stream=ARM_DRUG)
    _kernel(ch, small, reg, weeks, grid)  # compile / load from cache
    rss0 = _rss_mb()
    t0 = time.perf_counter()
    pop = draw_population(drug, phys, n, seed=SEED, stream=ARM_DRUG)
    t_draw = time.perf_counter() - t0
    t0 = time.perf_counter()
    inh = _kernel(ch, pop, reg, weeks, grid)
    t_kernel = time.perf_counter() - t0
    t0 = time.perf_counter()
    resp = _responders(inh, pop, mu, cal, weeks)
    t_resp = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # KiB on Linux
    return {"patients": n, "grid": grid or DEFAULT_GRID, "kernel_s": round(t_kernel, 4),
            "patients_per_s": round(n / t_kernel, 1),
            "draw_population_s": round(t_draw, 3), "responders_s": round(t_resp, 3),
            "weekly_array_mb": round(inh.nbytes / 2**20, 2), "rss_before_mb": round(rss0, 1),
            "peak_rss_mb": round(peak, 1), "responder_rate_last_week_50pct": float(resp["50pct"][:, -1].mean())}


DEFAULT_GRID: str = inspect.signature(kernels.run_population).parameters["grid"].default


def _steps(reg, weeks: int, lag: float, grid: str) -> dict:
    """Steps per patient of a kernel grid: evaluations of the chain (synapse, dorsal horn) and
    PK steps (on a quadrature grid the event nodes step only the PK)."""
    dose_t, _, t_end = schedule(reg, weeks, lag)
    if grid in QUADRATURE_GRIDS:
        g = quadrature_grid(dose_t, t_end, panels=kernels.GRIDS[grid])
        return {"chain_evaluations": int((g["weight"] > 0).sum()), "pk_steps": len(g["t"]) - 1}
    graded, base = kernels.GRIDS[grid]
    t = dose_grid(dose_t, t_end, graded_steps=graded, base_step=base)[0]
    return {"chain_evaluations": len(t) - 1, "pk_steps": len(t) - 1}


def _clock_hz() -> tuple[float, str]:
    """The CPU's nominal clock and where it was read (the first of: a GHz figure in the model
    name, /proc/cpuinfo "cpu MHz", which on a KVM guest is the TSC frequency)."""
    import re

    name = _cpu_name()
    m = re.search(r"([0-9.]+)\s*GHz", name)
    if m:
        return float(m.group(1)) * 1e9, f"model name ({name})"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("cpu MHz"):
                    return float(line.split(":", 1)[1]) * 1e6, "/proc/cpuinfo cpu MHz (TSC frequency on a VM)"
    except OSError:
        pass
    return float("nan"), "unknown"


def run(args: argparse.Namespace) -> dict:
    phys, cal, drug, reg, ch, mu = _setup(args.drug, args.dose, args.weeks)
    weeks = args.weeks
    top = args.grid or DEFAULT_GRID  # the grid the top-level fields report
    # every production grid; the "dense" check grid (8x quad's evaluations) only when asked for
    grids = list(dict.fromkeys([DEFAULT_GRID, "fine", *(g for g in kernels.GRIDS if g != "dense"), top]))
    # --- compile (or load the compiled kernel from numba's cache), measured separately
    small = draw_population(drug, phys, 64, seed=SEED, stream=ARM_DRUG)
    t0 = time.perf_counter()
    _kernel(ch, small, reg, weeks)
    compile_s = time.perf_counter() - t0
    from_cache = compiled_from_cache()
    for g in grids:
        _kernel(ch, small, reg, weeks, g)

    # --- (a) the fused kernel on every grid; repeats alternate between grids (fairer under load)
    pop = draw_population(drug, phys, args.patients, seed=SEED, stream=ARM_DRUG)
    times: dict[str, list[float]] = {g: [] for g in grids}
    inh: dict[str, np.ndarray] = {}
    for _ in range(args.repeat):
        for g in grids:
            t0 = time.perf_counter()
            inh[g] = _kernel(ch, pop, reg, weeks, g)
            times[g].append(time.perf_counter() - t0)
    # one thread on a slice: the per-core rate, which other load on the machine affects less
    n1 = min(args.patients, 20_000)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    sub = draw_population(drug, phys, n1, seed=SEED, stream=ARM_DRUG)
    t_one: dict[str, float] = {}
    for g in grids:
        t0 = time.perf_counter()
        _kernel(ch, sub, reg, weeks, g)
        t_one[g] = time.perf_counter() - t0
    numba.set_num_threads(threads)

    # --- (b) the reference path on the first patients, one solve_ivp per patient
    m = min(args.reference_patients, args.patients)
    run_reference(ch, pop.theta[0], Regimen.daily(args.dose, days=1), 1)  # JIT of the RHS
    t0 = time.perf_counter()
    ref = np.array([run_reference(ch, pop.theta[i], reg, weeks) for i in range(m)])
    t_ref = time.perf_counter() - t0
    rps = m / t_ref

    # responder rates of the same patients from every grid and the reference (one observation model)
    resp_ref = _responders(ref[:, :, 0], pop, mu, cal, weeks)
    resp_fine_all = _responders(inh["fine"], pop, mu, cal, weeks)
    hz, clock_source = _clock_hz()
    lag = float(pop.theta[0, theta_index("lag")])
    cols = [0, weeks - 1]
    blocks: dict[str, dict] = {}
    for g in grids:
        resp = _responders(inh[g][:m], pop, mu, cal, weeks)
        rates, diffs, flips = {}, [], 0
        for name in ("50pct", "30pct"):
            for wk in (1, weeks):
                r_kernel = float(resp[name][:, wk - 1].mean())
                r_ref = float(resp_ref[name][:, wk - 1].mean())
                rates[f"week{wk}_{name}"] = {"kernel": r_kernel, "reference": r_ref}
                diffs.append(abs(r_kernel - r_ref))
                flips += int(np.sum(resp[name][:, wk - 1] != resp_ref[name][:, wk - 1]))
        inh_rel = np.abs(inh[g][:m][:, cols] - ref[:, cols, 0]) / np.maximum(np.abs(ref[:, cols, 0]), 1e-3)
        resp_all = _responders(inh[g], pop, mu, cal, weeks)
        vs_fine = max(abs(float(resp_all[name][:, wk - 1].mean()) - float(resp_fine_all[name][:, wk - 1].mean()))
                      for name in ("50pct", "30pct") for wk in (1, weeks))
        steps = _steps(reg, weeks, lag, g)
        per_s = args.patients / min(times[g])
        per_s_1 = n1 / t_one[g]
        blocks[g] = {
            "kernel_patients_per_s": round(per_s, 1),
            "kernel_patients_per_s_all_repeats": [round(args.patients / x, 1) for x in times[g]],
            "kernel_patients_per_s_1thread": round(per_s_1, 1),
            "ratio": round(per_s / rps, 1),
            "steps_per_patient": steps["chain_evaluations"],
            "pk_steps_per_patient": steps["pk_steps"],
            # one thread: cycles of the nominal clock per patient and chain evaluation
            "cycles_per_patient_step": round(hz / per_s_1 / steps["chain_evaluations"], 1),
            "max_abs_diff_responder_rate": round(max(diffs), 6),
            "responder_flags_differing": flips,
            "responder_rates": rates,
            "max_rel_diff_weekly_inhibition": {"week1": float(inh_rel[:, 0].max()),
                                               f"week{weeks}": float(inh_rel[:, 1].max())},
            "max_abs_diff_responder_rate_vs_fine_all_patients": round(vs_fine, 6),
            "grid": (kernels.GRIDS[g] if g in QUADRATURE_GRIDS else
                     {"after_dose_h": list(kernels.GRIDS[g][0]), "base_h": kernels.GRIDS[g][1]}),
        }
        if g in QUADRATURE_GRIDS:
            blocks[g]["grid"] = {"panels_by_interval_h": [[float(longest), [[float(x) for x in row] for row in pan]]
                                                          for longest, pan in kernels.GRIDS[g]],
                                 "newton_steps": kernels.N_NEWTON_QUAD,
                                 # at each node slot's first two occurrences (the cold warm start)
                                 "newton_steps_first_occurrences": kernels.N_NEWTON_QUAD_FIRST}
    d = blocks[top]
    out = {
        "default_grid": DEFAULT_GRID,
        "reported_grid": top,
        "kernel_patients_per_s": d["kernel_patients_per_s"],
        "reference_patients_per_s": round(rps, 4),
        "ratio": d["ratio"],
        "max_abs_diff_responder_rate": d["max_abs_diff_responder_rate"],
        "responder_flags_differing": d["responder_flags_differing"],
        "max_rel_diff_weekly_inhibition": d["max_rel_diff_weekly_inhibition"],
        "fine_grid_patients_per_s": blocks["fine"]["kernel_patients_per_s"],
        "speedup_vs_fine_grid": round(d["kernel_patients_per_s"] / blocks["fine"]["kernel_patients_per_s"], 3),
        "steps_per_patient": d["steps_per_patient"],
        "cycles_per_patient_step": d["cycles_per_patient_step"],
        "clock_ghz": round(hz / 1e9, 4),
        "clock_source": clock_source,
        "threads": threads,
        "kernel_patients_per_s_1thread": d["kernel_patients_per_s_1thread"],
        "compile_s": round(compile_s, 3),
        "compile_from_cache": from_cache,
        "kernel_s": round(min(times[top]), 4),
        "kernel_patients": args.patients,
        "reference_patients": m,
        "reference_s": round(t_ref, 3),
        "responder_rates": d["responder_rates"],
        "drug": args.drug, "dose_mg_per_day": args.dose, "weeks": weeks,
        "newton_steps": {"base": kernels.N_NEWTON, "after_dose": kernels.N_NEWTON_GRADED,
                         "quad": kernels.N_NEWTON_QUAD},
        "grids": blocks,
        "batch": kernels.BATCH,
        "machine": {"cpu": _cpu_name(), "cores": os.cpu_count(), "load_avg_1min": os.getloadavg()[0],
                    "python": platform.python_version(), "numba": numba.__version__, "numpy": np.__version__},
        "date": time.strftime("%Y-%m-%d"),
    }
    if args.scaling:
        out["scaling"] = []
        for g in dict.fromkeys([DEFAULT_GRID, top, "quad"]):
            for n in args.scaling_sizes:
                cmd = [sys.executable, __file__, "--scaling-point", str(n), "--drug", args.drug,
                       "--dose", str(args.dose), "--weeks", str(weeks), "--scaling-grid", g]
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
    ap.add_argument("--grid", choices=list(kernels.GRIDS), default=None,
                    help="the grid the top-level fields report (default: run_population's default); "
                         "every grid is measured either way")
    ap.add_argument("--scaling-point", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--scaling-grid", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.scaling_point:
        print(json.dumps(scaling_point(args.scaling_point, args.drug, args.dose, args.weeks, args.scaling_grid)))
        return 0
    out = run(args)
    if args.json:
        print(json.dumps(out))
        return 0
    print(f"kernel     {out['kernel_patients_per_s']:>12,.0f} patients/s ({out['threads']} threads, "
          f"{out['kernel_patients']} patients in {out['kernel_s']:.2f} s, grid {out['reported_grid']!r})")
    for g, b in out["grids"].items():
        print(f"  grid {g:7s}{b['kernel_patients_per_s']:>10,.0f} patients/s, {b['steps_per_patient']} steps, "
              f"{b['cycles_per_patient_step']:.0f} cycles/patient-step, inhibition vs reference "
              f"{100 * max(b['max_rel_diff_weekly_inhibition'].values()):.3f} %")
    print(f"           {out['kernel_patients_per_s_1thread']:>12,.0f} patients/s on 1 thread")
    print(f"reference  {out['reference_patients_per_s']:>12,.2f} patients/s ({out['reference_patients']} patients)")
    print(f"ratio      {out['ratio']:>12,.0f}")
    print(f"responder rates, max |kernel − reference|: {out['max_abs_diff_responder_rate']:.4f} "
          f"({out['responder_flags_differing']} flags differ)")
    print(f"compile    {out['compile_s']:.2f} s (from cache: {out['compile_from_cache']})")
    for row in out.get("scaling", []):
        print(f"N = {row['patients']:>9,} ({row['grid']}): {row['kernel_s']:8.3f} s, "
              f"{row['patients_per_s']:>10,.0f} /s, "
              f"peak RSS {row['peak_rss_mb']:.0f} MB (weekly inhibition {row['weekly_array_mb']:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
