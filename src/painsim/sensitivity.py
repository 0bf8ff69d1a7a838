"""Global sensitivity of the virtual trial's outcome to uncertain model parameters (SALib).

For one drug at one dose (or an idealised inhibitor), the uncertain parameters named in the
experiment's ``[sensitivity.parameters]`` table (dotted names, as in sweeps, with bounds) are
sampled with SALib — Morris elementary effects (Morris 1991; μ* of Campolongo 2007) and/or
Sobol' indices (Saltelli 2010 estimators of S1 and ST) — and every sample point is evaluated
through the same trial simulation as :func:`painsim.sweep.run_sweep` (same populations: every
sample point sees the same patients, common random numbers; replicate trials are averaged).

Outputs analysed: ``p_drug`` (the drug arm's responder rate), ``difference`` (p_drug − p_placebo)
and ``nnt`` (1/difference; its indices are NaN when some sample points have no estimable NNT).
A parameter with ``scale = "log"`` is sampled uniformly in log10.

Example table::

    [sensitivity]
    methods = ["morris", "sobol"]
    morris_trajectories = 8      # Morris: (k + 1) × trajectories evaluations
    sobol_n = 32                 # Sobol': sobol_n × (k + 2) evaluations (a power of 2)

    [sensitivity.parameters]
    "calibration.w_ne" = { low = 5.5, high = 22.0 }
    "drug.duloxetine.pk.cl" = { low = 57.0, high = 228.0, scale = "log" }
"""

from __future__ import annotations

import dataclasses
import math
import os
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from painsim.sweep import (
    STATUS_OK,
    Experiment,
    ExperimentError,
    SensitivitySpec,
    SweepContext,
    check_parameter,
    load_experiment,
    map_tasks,
    prepare_point,
    provenance_attrs,
    simulate_point_trial,
    sweep_context,
    write_netcdf,
)

__all__ = ["OUTPUTS", "parse_parameter_flag", "run_sensitivity", "sensitivity_json", "write_sensitivity"]

#: output name -> (units, long_name)
OUTPUTS = {
    "p_drug": ("1", "responder fraction in the drug arm"),
    "difference": ("1", "p_drug - p_placebo (responder-rate difference)"),
    "nnt": ("1", "number needed to treat, 1/(p_drug - p_placebo)"),
}
ROWS_PER_TASK = 8


def parse_parameter_flag(text: str) -> tuple[str, float, float, str]:
    """``NAME=LOW:HIGH[:log]`` (the ``--param`` flag) → (name, low, high, scale)."""
    name, sep, rng = text.partition("=")
    parts = rng.split(":")
    if not sep or not name or len(parts) not in (2, 3) or (len(parts) == 3 and parts[2] not in ("log", "linear")):
        raise ExperimentError(f"--param must look like NAME=LOW:HIGH or NAME=LOW:HIGH:log, got {text!r}")
    try:
        lo, hi = float(parts[0]), float(parts[1])
    except ValueError:
        raise ExperimentError(f"--param {text!r}: LOW and HIGH must be numbers") from None
    scale = parts[2] if len(parts) == 3 else "linear"
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi) or (scale == "log" and lo <= 0):
        raise ExperimentError(f"--param {text!r}: need finite LOW < HIGH (and LOW > 0 for log)")
    return name.strip(), lo, hi, scale


def _evaluate(ctx: SweepContext, job: tuple[str | None, float, tuple[str, ...], np.ndarray, str, int]) -> np.ndarray:
    """Evaluate rows of natural-scale parameter values → (rows, 3): p_drug, difference, nnt."""
    drug, dose, names, rows, outcome, week = job
    exp = ctx.exp
    o = exp.outcomes.index(outcome)
    w = exp.report_weeks.index(week)
    out = np.full((len(rows), len(OUTPUTS)), np.nan)
    for i, row in enumerate(rows):
        params = dict(zip(names, (float(v) for v in row), strict=True))
        try:
            point = prepare_point(ctx, drug, dose, params)
        except (KeyError, ValueError):
            continue
        pd, pp = [], []
        for trial in range(exp.trials):
            try:
                values, status = simulate_point_trial(ctx, point, trial)
            except ValueError:
                status = -1
            if status != STATUS_OK:
                pd = []
                break
            pd.append(values["p_drug"][o, w])
            pp.append(values["p_placebo"][o, w])
        if not pd:
            continue
        p_drug, diff = float(np.mean(pd)), float(np.mean(pd) - np.mean(pp))
        out[i] = (p_drug, diff, 1.0 / diff if diff > 0 else np.nan)
    return out


def _natural(x: np.ndarray, scales: Sequence[str]) -> np.ndarray:
    y = np.array(x, dtype=float, copy=True)
    for j, s in enumerate(scales):
        if s == "log":
            y[:, j] = 10.0 ** y[:, j]
    return y


def run_sensitivity(experiment: Experiment | str | os.PathLike[str], *, methods: Sequence[str] | None = None,
                    parameters: Sequence[tuple[str, float, float, str]] | None = None,
                    morris_trajectories: int | None = None, sobol_n: int | None = None,
                    seed: int | None = None, quiet: bool = True, scheduler: Any = None,
                    workers: int | None = None):
    """Morris and/or Sobol' analysis of responder rate, difference and NNT (SALib).

    Parameters
    ----------
    experiment : Experiment or path
        One drug with one dose (or an idealised inhibitor), no ``[parameters]`` grid; the
        ``[sensitivity]`` table gives the defaults of the arguments below.
    methods : sequence of {"morris", "sobol"}
    parameters : sequence of (dotted name, low, high, scale)
        Uncertain parameters and their bounds (canonical units), overriding the file's.
    morris_trajectories, sobol_n : int
        Sample sizes: Morris runs ``(k + 1) × trajectories`` trials, Sobol' ``sobol_n × (k + 2)``
        (``sobol_n`` a power of 2).
    seed : int
        Seed of the samplers and of the bootstrap intervals (the patients use the experiment seed).

    Returns
    -------
    xarray.Dataset
        Dims ``parameter`` and ``output``: ``morris_mu_star``, ``morris_mu_star_conf``,
        ``morris_sigma``, ``morris_mu``, ``sobol_S1``, ``sobol_S1_conf``, ``sobol_ST``,
        ``sobol_ST_conf`` (those of the methods run), the samples and outputs
        (``<method>_X``, ``<method>_Y``), ``units``/``long_name`` everywhere, provenance in attrs.
    """
    import xarray as xr
    from SALib.analyze import morris as morris_analyze
    from SALib.analyze import sobol as sobol_analyze
    from SALib.sample import morris as morris_sample
    from SALib.sample import sobol as sobol_sample

    from painsim.progress import Progress

    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment)
    spec = exp.sensitivity or SensitivitySpec(parameters=())
    if exp.parameters:
        raise ExperimentError(f"{exp.path or 'experiment'}: a sensitivity analysis takes its parameters from "
                              "[sensitivity.parameters]; remove the [parameters] grid")
    if exp.idealised is None and (len(exp.drugs) != 1 or len(exp.drugs[0].doses) != 1):
        raise ExperimentError(f"{exp.path or 'experiment'}: a sensitivity analysis needs exactly one drug "
                              "with one dose")
    if parameters is not None:
        params = tuple(parameters)
        phys = exp.physiology()
        for name, lo, hi, _ in params:
            check_parameter(name, [lo, hi], specs=exp.specs, idealised=exp.idealised is not None, phys=phys,
                            path=exp.path)
    else:
        params = spec.parameters
    if not params:
        raise ExperimentError("no uncertain parameters: give a [sensitivity.parameters] table or --param")
    if len({p[0] for p in params}) != len(params):
        raise ExperimentError("an uncertain parameter is named twice")
    methods = tuple(dict.fromkeys(methods or spec.methods))
    if any(m not in ("morris", "sobol") for m in methods):
        raise ExperimentError(f"methods must be 'morris' and/or 'sobol', got {', '.join(methods)}")
    r = spec.morris_trajectories if morris_trajectories is None else int(morris_trajectories)
    n_sobol = spec.sobol_n if sobol_n is None else int(sobol_n)
    if r < 2:
        raise ExperimentError(f"Morris needs at least 2 trajectories, got {r}")
    if n_sobol < 2 or n_sobol & (n_sobol - 1):
        raise ExperimentError(f"the Sobol' base sample must be a power of 2, got {n_sobol}")
    seed = (spec.seed if spec.seed is not None else exp.seed) if seed is None else int(seed)
    week = spec.week or exp.weeks
    outcome = spec.outcome
    # the trial must report the analysed outcome and week: evaluate with exactly those
    exp = dataclasses.replace(exp, outcomes=(outcome,), report_weeks=(week,), keep_patients=False)
    ctx = sweep_context(exp)
    names = tuple(p[0] for p in params)
    scales = tuple(p[3] for p in params)
    bounds = [[math.log10(lo), math.log10(hi)] if s == "log" else [lo, hi] for _, lo, hi, s in params]
    problem = {"num_vars": len(params), "names": list(names), "bounds": bounds}
    drug = None if exp.idealised is not None else exp.drugs[0].name
    dose = math.nan if exp.idealised is not None else exp.drugs[0].doses[0]

    samples: dict[str, np.ndarray] = {}
    if "morris" in methods:
        samples["morris"] = morris_sample.sample(problem, r, num_levels=spec.morris_levels, seed=seed)
    if "sobol" in methods:
        samples["sobol"] = sobol_sample.sample(problem, n_sobol, calc_second_order=False, seed=seed)
    jobs: list[tuple[str, int, int]] = []
    for m, x in samples.items():
        jobs += [(m, a, min(a + ROWS_PER_TASK, len(x))) for a in range(0, len(x), ROWS_PER_TASK)]
    results = {m: np.full((len(x), len(OUTPUTS)), np.nan) for m, x in samples.items()}
    total_rows = sum(len(x) for x in samples.values())
    t0 = time.perf_counter()
    done_rows = 0
    bar = Progress(len(jobs), "sensitivity", enabled=not quiet, unit="chunks")

    def on_result(i: int, y: np.ndarray) -> None:
        nonlocal done_rows
        m, a, b = jobs[i]
        results[m][a:b] = y
        done_rows += b - a
        rate = done_rows * exp.trials * exp.patients * 2 / max(time.perf_counter() - t0, 1e-9)
        bar.update(note=f"{rate:,.0f} patients/s")

    payload = [(drug, dose, names, _natural(samples[m][a:b], scales), outcome, week) for m, a, b in jobs]
    with bar:
        map_tasks(_evaluate, ctx, payload, on_result, scheduler=scheduler, workers=workers)

    out_names = list(OUTPUTS)
    data: dict[str, Any] = {}
    notes = {}
    for m, x in samples.items():
        y = results[m]
        data[f"{m}_X"] = xr.Variable((f"{m}_run", "parameter"), _natural(x, scales), {
            "units": "canonical unit of each parameter (see parameter_units)",
            "long_name": f"{m} sample points (natural scale)"})
        data[f"{m}_Y"] = xr.Variable((f"{m}_run", "output"), y, {
            "units": "1", "long_name": f"outputs at the {m} sample points (mean over replicate trials)"})
        stats = {}
        for j, o in enumerate(out_names):
            col = y[:, j]
            if not np.isfinite(col).all():
                notes[f"{m}_{o}"] = f"{int((~np.isfinite(col)).sum())} of {len(col)} sample points not estimable"
                continue
            if m == "morris":
                a = morris_analyze.analyze(problem, x, col, num_levels=spec.morris_levels, seed=seed)
                stats[o] = {"mu_star": a["mu_star"], "mu_star_conf": a["mu_star_conf"],
                            "sigma": a["sigma"], "mu": a["mu"]}
            else:
                a = sobol_analyze.analyze(problem, col, calc_second_order=False, seed=seed)
                stats[o] = {"S1": a["S1"], "S1_conf": a["S1_conf"], "ST": a["ST"], "ST_conf": a["ST_conf"]}
        keys = (("mu_star", "mu*: mean absolute elementary effect"),
                ("mu_star_conf", "95 % bootstrap half-width of mu*"),
                ("sigma", "standard deviation of the elementary effects (non-linearity / interactions)"),
                ("mu", "mean elementary effect (signed)")) if m == "morris" else (
                ("S1", "first-order Sobol' index"), ("S1_conf", "95 % bootstrap half-width of S1"),
                ("ST", "total-order Sobol' index"), ("ST_conf", "95 % bootstrap half-width of ST"))
        for key, long_name in keys:
            arr = np.full((len(names), len(out_names)), np.nan)
            for j, o in enumerate(out_names):
                if o in stats:
                    arr[:, j] = np.asarray(stats[o][key], dtype=float)
            units = "1" if m == "sobol" else "output units (per parameter range)"
            data[f"{m}_{key}"] = xr.Variable(("parameter", "output"), arr, {"units": units, "long_name": long_name})
    coords = {
        "parameter": xr.Variable(("parameter",), np.array(names, dtype=object),
                                 {"units": "1", "long_name": "uncertain parameter (dotted name)"}),
        "parameter_low": xr.Variable(("parameter",), np.array([p[1] for p in params]),
                                     {"units": "canonical unit of each parameter", "long_name": "lower bound"}),
        "parameter_high": xr.Variable(("parameter",), np.array([p[2] for p in params]),
                                      {"units": "canonical unit of each parameter", "long_name": "upper bound"}),
        "parameter_scale": xr.Variable(("parameter",), np.array(scales, dtype=object),
                                       {"units": "1", "long_name": "sampling scale (linear or log10)"}),
        "output": xr.Variable(("output",), np.array(out_names, dtype=object),
                              {"units": "1", "long_name": "analysed trial output"}),
    }
    attrs = provenance_attrs(ctx)
    attrs.update({
        "title": f"painsim sensitivity: {exp.name}",
        "methods": ", ".join(methods), "salib_seed": seed, "outcome": outcome, "week": week,
        "drug": exp.idealised.label if exp.idealised is not None else drug, "dose_mg_per_day": dose,
        "morris_trajectories": r, "morris_levels": spec.morris_levels, "sobol_n": n_sobol,
        "evaluations": total_rows, "trials_per_evaluation": exp.trials,
        "output_long_names": "; ".join(f"{k}: {v[1]}" for k, v in OUTPUTS.items()),
    })
    for k, v in notes.items():
        attrs[f"not_analysed_{k}"] = v
    return xr.Dataset(data, coords=coords, attrs=attrs)


def sensitivity_json(ds) -> dict:
    """A JSON-ready summary: per output, per parameter, the indices of each method."""
    dose = float(ds.attrs.get("dose_mg_per_day", math.nan))
    out: dict[str, Any] = {"experiment": ds.attrs.get("experiment_name"), "drug": ds.attrs.get("drug"),
                           "dose_mg_per_day": dose if math.isfinite(dose) else None, "outcome": ds.attrs.get("outcome"),
                           "week": ds.attrs.get("week"), "evaluations": ds.attrs.get("evaluations"),
                           "outputs": {}}
    for o in ds.output.values.tolist():
        per = {}
        for p in ds.parameter.values.tolist():
            entry: dict[str, Any] = {}
            for m, keys in (("morris", ("mu_star", "mu_star_conf", "sigma", "mu")),
                            ("sobol", ("S1", "S1_conf", "ST", "ST_conf"))):
                if f"{m}_{keys[0]}" in ds:
                    vals = {k: float(ds[f"{m}_{k}"].sel(parameter=p, output=o)) for k in keys}
                    entry[m] = {k: (None if not math.isfinite(v) else v) for k, v in vals.items()}
            per[str(p)] = entry
        out["outputs"][str(o)] = per
    return out


def write_sensitivity(ds, path: str | os.PathLike[str]) -> None:
    """Write to ``.nc`` (netCDF-4) or ``.json`` (summary), atomically (:mod:`painsim.atomic`)."""
    import json
    from pathlib import Path

    from painsim.atomic import atomic_write

    p = Path(path)
    if p.suffix == ".json":
        p.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(p, json.dumps(sensitivity_json(ds), indent=2) + "\n")
    elif p.suffix in (".nc", ".nc4"):
        write_netcdf(ds, p)
    else:
        raise ExperimentError(f"--out must end in .json or .nc, got {str(p)!r}")
