"""``painsim sweep`` and ``sensitivity``: an experiment file's grid of virtual trials into a zarr
store, and Morris / Sobol' sensitivity analysis of one drug and dose; both can run on Dask."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from painsim.cli.common import UserError, check_output_path, fmt, format_table, parse_int, sweep_options
from painsim.cli.options import HelpFormatter, add_model_file_options, examples, is_file, model_files

__all__ = ["add_parsers", "cmd_sensitivity", "cmd_sweep", "experiment_path", "shipped_experiments"]


def shipped_experiments() -> dict[str, Path]:
    """The sweep experiment files shipped with painsim (``painsim/experiments/*.toml``), by name."""
    import painsim.experiments as pkg

    return {p.stem: p for p in sorted(Path(pkg.__file__).parent.glob("*.toml"))}


def experiment_path(text: str) -> Path:
    """An experiment argument: a file path, or the name of a shipped experiment."""
    p = Path(text)
    if is_file(text):
        return p
    shipped = shipped_experiments()
    if text in shipped:
        return shipped[text]
    if p.suffix == ".toml" or "/" in text:
        raise UserError(f"experiment file {text[:60]} not found")
    raise UserError(f"no experiment file or shipped experiment named {text!r}; shipped: {', '.join(shipped)} "
                    "(`painsim experiments` describes them)")


def _experiment(args: argparse.Namespace):
    """The experiment of the command line, with ``--physiology``/``--calibration`` taking precedence
    over the files the experiment names."""
    import dataclasses

    from painsim.sweep import load_experiment

    path = experiment_path(args.experiment)
    model_files(args)
    exp = load_experiment(path)
    changes = {f"{k}_path": str(Path(v).resolve()) for k, v in (("physiology", args.physiology),
                                                                  ("calibration", args.calibration)) if v}
    return path, dataclasses.replace(exp, **changes) if changes else exp


def cmd_sweep(args: argparse.Namespace) -> int:
    """``painsim sweep``: run an experiment file's grid of virtual trials into a zarr store (resumable)."""
    import numpy as np

    from painsim.sweep import ExperimentError, SweepStats, run_sweep

    opts = sweep_options(args)
    chunk = None if args.chunk_size is None else parse_int(args.chunk_size, "--chunk-size", maximum=10_000_000)
    try:
        path, exp = _experiment(args)
        out = Path(args.out) if args.out else Path("results") / f"{path.stem}.zarr"
        if args.netcdf and Path(args.netcdf).suffix not in (".nc", ".nc4"):
            raise UserError(f"--netcdf must name a .nc file, got {args.netcdf!r}")
        if args.out:  # before the sweep runs (the default results/ folder is created)
            check_output_path(out, "--out", folder=True)
        if args.netcdf:
            check_output_path(args.netcdf, "--netcdf")
        stats = SweepStats()
        ds = run_sweep(exp, out=out, chunk_size=chunk, quiet=args.quiet, netcdf=args.netcdf,
                       overwrite=args.overwrite, stats=stats, **opts)
    except ExperimentError as exc:
        raise UserError(str(exc)) from None
    except KeyboardInterrupt:
        print(f"painsim: interrupted; completed chunks are kept in {out} - rerun the same command to "
              "resume", file=sys.stderr)
        return 130
    units = int(np.prod([ds.sizes[d] for d in ds["status"].dims]))
    resumed = f", {stats.complete_before} already complete" if stats.complete_before else ""
    rate = f", {stats.patients / stats.seconds:,.0f} patients/s" if stats.computed and stats.seconds > 0 else ""
    print(f"wrote {out}: {units} trials ({' x '.join(f'{d} {ds.sizes[d]}' for d in ds['status'].dims)}) in "
          f"{stats.chunks} chunks; computed {stats.computed}{resumed} in {stats.seconds:.1f} s{rate}")
    if args.netcdf:
        print(f"wrote {args.netcdf}")
    bad = {k: v for k, v in stats.status_counts.items() if k not in ("ok", "not_applicable")}
    if bad:
        print("painsim: warning: " + ", ".join(f"{v} trials {k}" for k, v in bad.items())
              + " (see the status variable)", file=sys.stderr)
    _print_sweep_summary(ds)
    return 0


def _print_sweep_summary(ds) -> None:
    """Print the last reported week's first outcome, averaged over replicate trials.

    Only for small grids (at most 40 points): a larger table would bury the summary line above it.

    Parameters
    ----------
    ds : xarray.Dataset
        The sweep's results (:func:`painsim.sweep.run_sweep`).
    """
    import numpy as np

    point_dims = [d for d in ds["status"].dims if d != "trial"]
    n_points = int(np.prod([ds.sizes[d] for d in point_dims]))
    if n_points > 40:
        return
    small = ds[["p_drug", "p_placebo", "nnt", "status"]].isel(outcome=0, week=-1).load()
    o, w = small.outcome.item(), small.week.item()
    mean = small[["p_drug", "p_placebo", "nnt"]].where(small["status"] == 0).mean("trial")
    rows = []
    stacked = mean.stack(point=point_dims)
    for i in range(stacked.sizes["point"]):
        pt = stacked.isel(point=i)
        if not np.isfinite(float(pt.p_drug)):
            continue
        label = []
        for d in point_dims:
            v = pt[d].item()
            if d == "dose" and "dose_mg_per_day" in ds.coords:
                v = ds.dose_mg_per_day.sel(drug=pt["drug"].item(), dose=v).item()
            label.append(f"{v:g}" if isinstance(v, float) else str(v))
        nnt = float(pt.nnt)
        rows.append([*label, f"{float(pt.p_drug):.1%}", f"{float(pt.p_placebo):.1%}",
                     "-" if not np.isfinite(nnt) else f"{nnt:.1f}"])
    header = [("dose mg/day" if d == "dose" else d) for d in point_dims] + ["p drug", "p placebo", "NNT"]
    print(f"\n{o} responders at week {w}, mean of {ds.sizes['trial']} replicate trial(s):")
    print(format_table(rows, header))


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """``painsim sensitivity``: Morris / Sobol' sensitivity of responder rate and NNT (SALib)."""
    from painsim.sensitivity import parse_parameter_flag, run_sensitivity, sensitivity_json, write_sensitivity
    from painsim.sweep import ExperimentError

    opts = sweep_options(args)
    methods = None if args.method is None else (["morris", "sobol"] if args.method == "both" else [args.method])
    try:
        _, exp = _experiment(args)
        params = None if not args.param else [parse_parameter_flag(t) for t in args.param]
        if args.out and Path(args.out).suffix not in (".json", ".nc", ".nc4"):
            raise UserError(f"--out must end in .json or .nc, got {args.out!r}")
        if args.out:  # before the analysis, not after it
            check_output_path(args.out, "--out")
        ds = run_sensitivity(
            exp, methods=methods, parameters=params,
            morris_trajectories=None if args.trajectories is None else parse_int(args.trajectories, "--trajectories",
                                                                                 minimum=2, maximum=10_000),
            sobol_n=None if args.sobol_n is None else parse_int(args.sobol_n, "--sobol-n",
                                                                minimum=2, maximum=1 << 16),
            seed=None if args.seed is None else parse_int(args.seed, "--seed", minimum=0),
            quiet=args.quiet or args.json, **opts)
    except ExperimentError as exc:
        raise UserError(str(exc)) from None
    if args.out:
        write_sensitivity(ds, args.out)
    summary = sensitivity_json(ds)
    if args.json:
        print(json.dumps(summary, indent=2))
        return 0
    print(f"{ds.attrs['drug']} {ds.attrs['dose_mg_per_day']:g} mg/day: sensitivity of the week-{ds.attrs['week']} "
          f"{ds.attrs['outcome']} outcome, {ds.attrs['evaluations']} virtual trials "
          f"({ds.attrs['trials_per_evaluation']} replicate(s) of {ds.attrs['n_per_arm']} per arm each)")
    for out_name in ("difference", "nnt"):
        rows = []
        for p, entry in summary["outputs"][out_name].items():
            m, s = entry.get("morris", {}), entry.get("sobol", {})
            rows.append([p, fmt(m.get("mu_star")), fmt(m.get("sigma")), fmt(s.get("S1")), fmt(s.get("ST"))])
        print(f"\n{out_name}:")
        print(format_table(rows, ["parameter", "Morris mu*", "Morris sigma", "Sobol S1", "Sobol ST"]))
    for k, v in ds.attrs.items():
        if k.startswith("not_analysed_"):
            print(f"note: {k[len('not_analysed_'):]}: {v}")
    if args.out:
        print(f"wrote {args.out}")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``sweep`` and ``sensitivity`` to the ``painsim`` sub-commands."""
    sw = sub.add_parser("sweep", help="run an experiment file's grid of virtual trials (zarr, resumable)",
                        formatter_class=HelpFormatter,
                        description="Run an experiment's grid of virtual trials (drugs x doses x parameters x "
                                    "replicate trials) into a zarr store; an interrupted run resumes.",
                        epilog=examples("painsim sweep dose_sweep_snri", "painsim sweep my_experiment.toml --workers 4",
                                        "painsim sweep selectivity_map --out map.zarr --netcdf map.nc"))
    sw.add_argument("experiment", help="experiment file (TOML) or a shipped experiment's name (`painsim experiments`)")
    sw.add_argument("--out", default=None, metavar="STORE",
                    help="zarr store (default results/<experiment>.zarr); an interrupted run resumes it")
    sw.add_argument("--chunk-size", default=None, metavar="N",
                    help="(point, trial) pairs per chunk (default: ~10000 simulated patients per chunk)")
    sw.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT", help="run the chunks on a Dask scheduler")
    sw.add_argument("--workers", default=None, metavar="N", help="start a local Dask cluster of N worker processes")
    sw.add_argument("--netcdf", default=None, metavar="FILE", help="also write the results to a netCDF-4 file")
    sw.add_argument("--overwrite", action="store_true", help="replace an existing store instead of resuming it")
    add_model_file_options(sw)
    sw.add_argument("--quiet", action="store_true", help="no progress bar")
    sw.set_defaults(func=cmd_sweep)

    se = sub.add_parser("sensitivity", help="Morris / Sobol' sensitivity of responder rate and NNT (SALib)",
                        formatter_class=HelpFormatter,
                        description="Morris and/or Sobol' sensitivity of the responder rate, the drug-placebo "
                                    "difference and the NNT of one drug and dose (SALib).",
                        epilog=examples("painsim sensitivity sensitivity_duloxetine",
                                        "painsim sensitivity sensitivity_duloxetine --method morris --json",
                                        "painsim sensitivity my.toml --param calibration.w_ne=5:20:log --out s.json"))
    se.add_argument("experiment", help="experiment file with a [sensitivity] table, or a shipped experiment's name")
    se.add_argument("--method", default=None, choices=["morris", "sobol", "both"],
                    help="default: the file's sensitivity.methods")
    se.add_argument("--param", action="append", default=None, metavar="NAME=LOW:HIGH[:log]",
                    help="an uncertain parameter and its bounds (repeat; replaces the file's list)")
    se.add_argument("--trajectories", default=None, metavar="N", help="Morris trajectories")
    se.add_argument("--sobol-n", default=None, metavar="N", help="Sobol' base sample (a power of 2)")
    se.add_argument("--seed", default=None, metavar="S", help="seed of the samplers (default: the file's)")
    se.add_argument("--out", default=None, metavar="FILE", help="write the indices to FILE (.json or .nc)")
    se.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT", help="evaluate on a Dask scheduler")
    se.add_argument("--workers", default=None, metavar="N", help="start a local Dask cluster of N workers")
    add_model_file_options(se)
    se.add_argument("--json", action="store_true", help="machine-readable output")
    se.add_argument("--quiet", action="store_true", help="no progress bar")
    se.set_defaults(func=cmd_sensitivity)
