"""The ``painsim`` command line (interfaces: DESIGN §3; they are stable — tested, documented).

User mistakes (unknown drug, bad dose, malformed model file) print one line on stderr and exit
with status 2, without a traceback.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn

__all__ = ["main"]

EXIT_USAGE = 2


class UserError(Exception):
    """A mistake in the user's input: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not usage + message
        raise UserError(f"{message} (see `{self.prog} --help`)")


def _dose(text: str, drug_name: str) -> float:
    """Validate a daily dose given on the command line against the drug's label maximum."""
    from painsim.library import load_drug

    try:
        dose = float(text)
    except ValueError:
        raise UserError(f"--dose must be a number of mg/day, got {text!r}") from None
    if not math.isfinite(dose) or dose <= 0:
        raise UserError(f"--dose must be a positive number of mg/day, got {text!r}")
    drug = load_drug(drug_name)
    limit = 10.0 * drug.dosing.dose_max.value
    if dose > limit:
        raise UserError(f"--dose {dose:g} mg/day is absurd for {drug.name} (label maximum "
                        f"{drug.dosing.dose_max.value:g} mg/day; painsim accepts up to 10x, {limit:g})")
    return dose


def _fmt(x: float | None, digits: int = 3) -> str:
    if x is None:
        return "-"
    return f"{x:.{digits}g}"


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


# --------------------------------------------------------------------------------------------
# commands


def _drug_rows() -> list[dict]:
    from painsim.library import TARGETS, load_library
    from painsim.occupancy import occupancy_params

    rows = []
    for name, drug in load_library().items():
        moieties = []
        for m in drug.moieties:
            entry = {"name": m.name, "role": m.role}
            for t in ("sert", "net", "dat"):
                ki = m.affinity.get(f"ki_{t}")
                entry[f"ki_{t}_nM"] = None if ki is None else ki.value
            moieties.append(entry)
        occ = {}
        for t in TARGETS:
            p = occupancy_params(drug, t, strict=False)
            occ[t] = [{"moiety": m.name, "method": meth,
                       "ec50_ng_ml": None if not math.isfinite(e) else float(f"{e:.4g}")}
                      for m, meth, e in zip(drug.moieties, p.method, p.ec50, strict=True)]
        rows.append({
            "name": name, "display_name": drug.display_name, "class": drug.drug_class,
            "subclass": drug.subclass,
            "dose_range_mg_per_day": [drug.dosing.dose_min.value, drug.dosing.dose_max.value],
            "interval_h": drug.dosing.interval.value,
            "moieties": moieties, "occupancy": occ, "sources": list(drug.sources()),
        })
    return rows


def cmd_drugs(args: argparse.Namespace) -> int:
    rows = _drug_rows()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0

    def occ_cell(entries: list[dict]) -> str:
        parent = entries[0]
        tags = {"pet": "PET", "pet_dose_anchor": "PET-dose", "derived_ki": "derived", "none": "-"}
        if parent["method"] == "none":
            return "-"
        return f"{_fmt(parent['ec50_ng_ml'])} ({tags[parent['method']]})"

    table = [[r["name"], r["class"], "+".join(m["name"] for m in r["moieties"][1:]) or "-",
              _fmt(r["moieties"][0]["ki_sert_nM"]), _fmt(r["moieties"][0]["ki_net_nM"]),
              occ_cell(r["occupancy"]["sert"]), occ_cell(r["occupancy"]["net"]),
              f"{r['dose_range_mg_per_day'][0]:g}-{r['dose_range_mg_per_day'][1]:g}"]
             for r in rows]
    print(_table(table, ["drug", "class", "active metabolites", "Ki SERT nM", "Ki NET nM",
                         "EC50 SERT ng/mL", "EC50 NET ng/mL", "dose mg/day"]))
    print("\nEC50 origin: PET = human PET plasma EC50; PET-dose = solved from PET occupancy at a dose "
          "through the PK model; derived = in-vitro Ki / fu x fitted in-vivo scaling "
          "(models/occupancy_fit.toml). Parent shown; `--json` lists every moiety and its sources.")
    return 0


def cmd_pk(args: argparse.Namespace) -> int:
    from painsim.library import load_drug
    from painsim.pk import steady_state

    drug = load_drug(args.drug)
    dose = _dose(args.dose, drug.name)
    ss = steady_state(drug, dose)
    out = {"drug": drug.name, "dose_mg_per_day": dose, "interval_h": drug.dosing.interval.value,
           "moieties": [{"name": s.name, "cmax_ng_ml": s.cmax, "cmin_ng_ml": s.cmin,
                         "cavg_ng_ml": s.cavg, "auc_tau_ng_h_ml": s.auc_tau, "t_half_h": s.t_half,
                         "tmax_h": s.tmax} for s in ss]}
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"{drug.display_name} {dose:g} mg/day, every {out['interval_h']:g} h: steady state, "
          "typical patient")
    print(_table([[s.name, _fmt(s.cmax), _fmt(s.cmin), _fmt(s.cavg), _fmt(s.auc_tau, 4),
                   _fmt(s.t_half), _fmt(s.tmax)] for s in ss],
                 ["moiety", "Cmax ng/mL", "Cmin ng/mL", "Cavg ng/mL", "AUC_tau ng.h/mL",
                  "t1/2 h", "tmax h"]))
    return 0


def cmd_occupancy(args: argparse.Namespace) -> int:
    from painsim.library import load_drug
    from painsim.occupancy import steady_state_occupancy

    drug = load_drug(args.drug)
    dose = _dose(args.dose, drug.name)
    occ = steady_state_occupancy(drug, dose)
    out = {"drug": drug.name, "dose_mg_per_day": dose,
           **{t: {"trough": o.trough, "mean": o.mean, "peak": o.peak} for t, o in occ.items()}}
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"{drug.display_name} {dose:g} mg/day: steady-state transporter occupancy, typical patient")
    print(_table([[t.upper(), f"{o.trough:.1%}", f"{o.mean:.1%}", f"{o.peak:.1%}"] for t, o in occ.items()],
                 ["target", "trough", "mean", "peak"]))
    return 0


def cmd_fit_occupancy(args: argparse.Namespace) -> int:
    from painsim.occupancy import load_occupancy_fit
    from painsim.occupancy_fit import write_occupancy_fit

    path = write_occupancy_fit(args.out)
    load_occupancy_fit.cache_clear()
    doc = load_occupancy_fit(str(path))
    sc = doc["scaling"]
    print(f"wrote {path}: scaling s = {sc['s']:.3g} (log10 SD {sc['log10_sd']}, "
          f"n = {sc['n_training']}), {len(doc['ec50'])} fitted/derived EC50s")
    return 0


def _int(text: str, name: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    try:
        value = int(text)
    except ValueError:
        raise UserError(f"{name} must be a whole number, got {text!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        hi = f" and at most {maximum}" if maximum is not None else ""
        raise UserError(f"{name} must be at least {minimum}{hi}, got {value}")
    return value


def _fraction(text: str, name: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"{name} must be a fraction between 0 and 1, got {text!r}") from None
    if not 0.0 < value < 1.0:
        raise UserError(f"{name} must lie strictly between 0 and 1, got {text!r}")
    return value


def cmd_trial(args: argparse.Namespace) -> int:
    from painsim.library import load_drug
    from painsim.trial import run_trial

    drug = load_drug(args.drug)
    dose = _dose(args.dose, drug.name)
    weeks = _int(args.weeks, "--weeks", maximum=104)
    n = _int(args.patients, "--patients", maximum=10_000_000)
    seed = _int(args.seed, "--seed", minimum=0)
    p_pl = None if args.placebo_response is None else _fraction(args.placebo_response, "--placebo-response")
    p_miss = 0.0 if args.missed_doses is None else float(args.missed_doses)
    if not 0.0 <= p_miss < 1.0:
        raise UserError(f"--missed-doses must lie in [0, 1), got {args.missed_doses!r}")
    from painsim.progress import Progress

    quiet = args.quiet or args.json
    try:
        # progress bar (stderr, terminals only): drug-arm patients done, patients/s, ETA
        with Progress(n, f"trial {drug.name} {dose:g} mg/day, {weeks} weeks", enabled=not quiet,
                      unit="patients") as bar:
            res = run_trial(drug, dose, weeks, n_per_arm=n, seed=seed, outcome=args.outcome,
                            condition=args.condition, placebo_response=p_pl, design=args.design, p_miss=p_miss,
                            progress=bar.update)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if args.json:
        print(json.dumps(res.to_dict(), indent=2))
        return 0

    def nnt_text() -> str:
        if res.nnt is None:
            return "not estimable (drug not better than placebo)"
        ci = ("95 % CI not estimable (interval of the difference includes 0)" if res.nnt_ci_low is None
              else f"95 % CI {res.nnt_ci_low:.1f}-{res.nnt_ci_high:.1f}")
        return f"{res.nnt:.1f} ({ci})"

    label = {"50pct": ">= 50 %", "30pct": ">= 30 %"}[res.outcome]
    print(f"{drug.display_name} {dose:g} mg/day vs placebo, {weeks} weeks, {res.design}, "
          f"{res.condition}, {n} per arm, seed {seed}")
    print(f"responders ({label} pain reduction): drug {res.p_drug:.1%}, placebo {res.p_placebo:.1%}")
    print(f"NNT {nnt_text()}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from painsim.validate import validate

    n = _int(args.patients, "--patients", maximum=1_000_000)
    rows = validate(n_per_arm=n, seed=_int(args.seed, "--seed", minimum=0), quiet=args.quiet)
    if args.csv:
        import csv
        import io

        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=list(rows[0].as_dict()))
        w.writeheader()
        for r in rows:
            w.writerow(r.as_dict())
        path = Path(args.csv)
        _atomic_write(path, buf.getvalue())
    if args.json:
        print(json.dumps([r.as_dict() for r in rows], indent=2))
        return 0

    def nnt_cell(nnt, ci) -> str:
        if nnt is None:
            return "-"
        if ci is None or ci[0] is None:
            return f"{nnt:.1f}"
        return f"{nnt:.1f} ({ci[0]:.1f}-{ci[1]:.1f})"

    table = [[r.key, "train" if r.training else "", nnt_cell(r.reported_nnt, r.reported_ci),
              nnt_cell(r.sim_nnt, r.sim_ci) if r.simulated else "",
              "" if r.sim_p_drug is None else f"{r.sim_p_drug:.0%}",
              "" if r.sim_p_placebo is None else f"{r.sim_p_placebo:.0%}", r.verdict] for r in rows]
    print(_table(table, ["reported outcome", "set", "reported NNT (95% CI)", "simulated NNT (95% CI)",
                         "p drug", "p placebo", "verdict"]))
    sim = [r for r in rows if r.simulated and r.reported_ci is not None]
    inside = sum(r.verdict == "inside" for r in sim)
    print(f"\n{inside} of {len(sim)} simulated outcomes with a reported interval lie inside it "
          f"({sum(r.verdict == 'inside' for r in sim if not r.training)} of "
          f"{sum(not r.training for r in sim)} validation rows). 'train' rows were used for calibration.")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    from painsim.calibrate import calibrate, write_calibration
    from painsim.progress import Progress

    with Progress(300, "calibrate (outer evaluations, at most)", enabled=not args.quiet) as bar:
        doc = calibrate(progress=lambda i, v: bar.update(note=f"objective {v:.3f}"))
    path = write_calibration(doc, args.out)
    p = doc["parameters"]
    print(f"wrote {path}: objective {doc['objective_value']:.4g}; "
          + ", ".join(f"{k} = {v['value']:.4g}" for k, v in p.items()))
    for t in doc["targets"]:
        print(f"  {t['key']:<40} observed {t['observed']:8.4f}  simulated {t['simulated']:8.4f}  z {t['z']:+.2f}")
    return 0


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    os.replace(tmp, path)


def cmd_reproduce(args: argparse.Namespace) -> int:
    """The main job: drug table, steady-state PK/occupancy of every drug, the validation table of
    every reported outcome, the mechanism-claims table, the flagship figures and report.html."""
    import csv
    import io

    from painsim.calibration import load_calibration
    from painsim.library import load_library
    from painsim.occupancy import steady_state_occupancy
    from painsim.pk import steady_state
    from painsim.progress import Progress
    from painsim.validate import validate

    out = Path(args.out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create output directory {out} ({exc.strerror})") from None
    n = _int(args.patients, "--patients", maximum=1_000_000)
    lines = ["drug,class,dose_mg_per_day,moiety,cmax_ng_ml,cmin_ng_ml,cavg_ng_ml,t_half_h,"
             "sert_mean,net_mean"]
    table = []
    library = load_library()
    with Progress(len(library), "steady state", enabled=not args.quiet, unit="drugs") as bar:
        for name, drug in library.items():
            dose = (drug.dosing.dose_min_therapeutic or drug.dosing.dose_min).value
            ss = steady_state(drug, dose)
            occ = steady_state_occupancy(drug, dose)
            for s in ss:
                lines.append(f"{name},{drug.drug_class},{dose:g},{s.name},{s.cmax:.6g},{s.cmin:.6g},"
                             f"{s.cavg:.6g},{s.t_half:.6g},{occ['sert'].mean:.6g},{occ['net'].mean:.6g}")
            table.append([name, drug.drug_class, f"{dose:g}", _fmt(ss[0].cavg), f"{occ['sert'].mean:.0%}",
                          f"{occ['net'].mean:.0%}"])
            bar.update()
    _atomic_write(out / "steady_state.csv", "\n".join(lines) + "\n")
    _atomic_write(out / "drugs.json", json.dumps(_drug_rows(), indent=2) + "\n")
    print(_table(table, ["drug", "class", "dose mg/day", "parent Cavg ng/mL", "SERT occ", "NET occ"]))

    rows = validate(n_per_arm=n, quiet=args.quiet)
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0].as_dict()))
    w.writeheader()
    for r in rows:
        w.writerow(r.as_dict())
    _atomic_write(out / "validation.csv", buf.getvalue())
    sim = [r for r in rows if r.simulated and r.reported_ci is not None]
    val = [r for r in sim if not r.training]
    cal = load_calibration()
    summary = (f"{sum(r.verdict == 'inside' for r in sim)} of {len(sim)} simulated outcomes lie inside the reported "
               f"interval ({sum(r.verdict == 'inside' for r in val)} of {len(val)} validation rows); calibration "
               f"w_NE {cal.w_ne:.3g}, w_5HT {cal.w_5ht:.3g}, sigma_p {cal.sigma_p:.3g}, tau_p {cal.tau_p:.3g} weeks")
    print(f"\nvalidation: {summary}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from painsim.figures.style import save
    from painsim.report import _svg, claims, flagship_figures, flagship_sensitivity, write_report

    sens = flagship_sensitivity(quiet=args.quiet)
    specs = flagship_figures(n_patients=n, validation_rows=rows, sensitivity=sens)
    fig_dir = out / "figures"
    rendered = []
    with Progress(len(specs), "figures", enabled=not args.quiet, unit="figures") as bar:
        for spec in specs:
            fig = spec.make()
            save(fig, fig_dir / spec.stem)
            rendered.append((spec, _svg(fig)))
            plt.close(fig)
            bar.update(note=spec.stem)
    claim_rows = claims(n_per_arm=n, quiet=args.quiet)
    report = write_report(out, figures_svg=rendered, claim_rows=claim_rows, validation_rows=rows, summary=summary)
    buf = io.StringIO()
    w = csv.writer(buf)
    w.writerow(["claim", "experiment", "evidence", "sources", "verdict"])
    for c in claim_rows:
        w.writerow([c.claim, c.experiment, c.evidence, " ".join(c.sources), c.verdict])
    _atomic_write(out / "claims.csv", buf.getvalue())
    print(f"wrote {len(specs)} figures to {fig_dir}, {out / 'validation.csv'}, {out / 'claims.csv'} and {report}")
    return 0


def _sweep_options(args: argparse.Namespace) -> dict:
    """--scheduler / --workers / --chunk-size of `sweep` and `sensitivity`."""
    if args.scheduler and args.workers:
        raise UserError("give either --scheduler or --workers, not both")
    opts: dict = {"scheduler": args.scheduler or None,
                  "workers": None if args.workers is None else _int(args.workers, "--workers", maximum=1024)}
    return opts


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run an experiment file's grid of virtual trials into a zarr store (resumable)."""
    import numpy as np

    from painsim.sweep import ExperimentError, SweepStats, load_experiment, run_sweep

    opts = _sweep_options(args)
    chunk = None if args.chunk_size is None else _int(args.chunk_size, "--chunk-size", maximum=10_000_000)
    try:
        exp = load_experiment(args.experiment)
        out = Path(args.out) if args.out else Path("results") / f"{Path(args.experiment).stem}.zarr"
        if args.netcdf and Path(args.netcdf).suffix not in (".nc", ".nc4"):
            raise UserError(f"--netcdf must name a .nc file, got {args.netcdf!r}")
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
    """The last reported week's first outcome, averaged over replicate trials (small grids only)."""
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
    print(_table(rows, header))


def cmd_sensitivity(args: argparse.Namespace) -> int:
    """Morris / Sobol' sensitivity of responder rate and NNT (SALib)."""
    from painsim.sensitivity import parse_parameter_flag, run_sensitivity, sensitivity_json, write_sensitivity
    from painsim.sweep import ExperimentError, load_experiment

    opts = _sweep_options(args)
    methods = None if args.method is None else (["morris", "sobol"] if args.method == "both" else [args.method])
    try:
        exp = load_experiment(args.experiment)
        params = None if not args.param else [parse_parameter_flag(t) for t in args.param]
        if args.out and Path(args.out).suffix not in (".json", ".nc", ".nc4"):
            raise UserError(f"--out must end in .json or .nc, got {args.out!r}")
        ds = run_sensitivity(
            exp, methods=methods, parameters=params,
            morris_trajectories=None if args.trajectories is None else _int(args.trajectories, "--trajectories",
                                                                            minimum=2, maximum=10_000),
            sobol_n=None if args.sobol_n is None else _int(args.sobol_n, "--sobol-n", minimum=2, maximum=1 << 16),
            seed=None if args.seed is None else _int(args.seed, "--seed", minimum=0),
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
            rows.append([p, _fmt(m.get("mu_star")), _fmt(m.get("sigma")), _fmt(s.get("S1")), _fmt(s.get("ST"))])
        print(f"\n{out_name}:")
        print(_table(rows, ["parameter", "Morris mu*", "Morris sigma", "Sobol S1", "Sobol ST"]))
    for k, v in ds.attrs.items():
        if k.startswith("not_analysed_"):
            print(f"note: {k[len('not_analysed_'):]}: {v}")
    if args.out:
        print(f"wrote {args.out}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="painsim", description="Monoamine reuptake inhibitors in neuropathic pain: "
                                            "dose -> PK -> SERT/NET occupancy -> ... -> NNT.")
    from painsim import __version__

    p.add_argument("--version", action="version", version=f"painsim {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    d = sub.add_parser("drugs", help="list the drug library")
    d.add_argument("--json", action="store_true", help="machine-readable output")
    d.set_defaults(func=cmd_drugs)

    for name, func, helptext in (("pk", cmd_pk, "steady-state PK of the typical patient"),
                                 ("occupancy", cmd_occupancy, "steady-state SERT/NET occupancy")):
        c = sub.add_parser(name, help=helptext)
        c.add_argument("--drug", required=True, help="drug name (see `painsim drugs`)")
        c.add_argument("--dose", required=True, metavar="MG_PER_DAY", help="daily dose, mg/day")
        c.add_argument("--json", action="store_true", help="machine-readable output")
        c.set_defaults(func=func)

    f = sub.add_parser("fit-occupancy", help="refit derived EC50s and the Ki scaling rule")
    f.add_argument("--out", default=None, help="output file (default: the shipped models/occupancy_fit.toml)")
    f.set_defaults(func=cmd_fit_occupancy)

    t = sub.add_parser("trial", help="run a virtual placebo-controlled trial")
    t.add_argument("--drug", required=True, help="drug name (see `painsim drugs`)")
    t.add_argument("--dose", required=True, metavar="MG_PER_DAY", help="daily dose, mg/day")
    t.add_argument("--weeks", required=True, metavar="W", help="trial duration, weeks")
    t.add_argument("--patients", default="500", metavar="N", help="patients per arm (default 500)")
    t.add_argument("--seed", default="1", metavar="S", help="random seed (default 1)")
    t.add_argument("--outcome", default="50pct", choices=["50pct", "30pct"], help="responder definition")
    t.add_argument("--placebo-response", default=None, metavar="P",
                   help="expected placebo responder fraction for the outcome (overrides the condition)")
    t.add_argument("--condition", default="dpn", choices=["dpn", "phn", "central", "mixed"],
                   help="neuropathic condition (sets the placebo response; default dpn)")
    t.add_argument("--design", default="parallel", choices=["parallel", "crossover"])
    t.add_argument("--missed-doses", default=None, metavar="P", help="probability a dose is missed")
    t.add_argument("--json", action="store_true", help="machine-readable output")
    t.add_argument("--quiet", action="store_true", help="no progress output")
    t.set_defaults(func=cmd_trial)

    v = sub.add_parser("validate", help="every reported outcome next to the simulated one")
    v.add_argument("--patients", default="2000", metavar="N", help="patients per arm (default 2000)")
    v.add_argument("--seed", default="7", metavar="S")
    v.add_argument("--csv", default=None, metavar="FILE", help="also write the table as CSV")
    v.add_argument("--json", action="store_true", help="machine-readable output")
    v.add_argument("--quiet", action="store_true", help="no progress bar")
    v.set_defaults(func=cmd_validate)

    cb = sub.add_parser("calibrate", help="refit the global parameters to the training set")
    cb.add_argument("--out", default=None, help="output file (default: the shipped models/calibration.toml)")
    cb.add_argument("--quiet", action="store_true", help="no progress bar")
    cb.set_defaults(func=cmd_calibrate)

    r = sub.add_parser("reproduce", help="run the main job and write its outputs")
    r.add_argument("--out", default="painsim-results", help="output directory (default: painsim-results)")
    r.add_argument("--patients", default="2000", metavar="N",
                   help="patients per arm in the trials (default 2000, as painsim validate)")
    r.add_argument("--quiet", action="store_true", help="no progress bars")
    r.set_defaults(func=cmd_reproduce)

    sw = sub.add_parser("sweep", help="run an experiment file's grid of virtual trials (zarr, resumable)")
    sw.add_argument("experiment", help="experiment file (TOML; see experiments/)")
    sw.add_argument("--out", default=None, metavar="STORE",
                    help="zarr store (default results/<experiment>.zarr); an interrupted run resumes it")
    sw.add_argument("--chunk-size", default=None, metavar="N",
                    help="(point, trial) pairs per chunk (default: ~10000 simulated patients per chunk)")
    sw.add_argument("--scheduler", default=None, metavar="tcp://HOST:PORT", help="run the chunks on a Dask scheduler")
    sw.add_argument("--workers", default=None, metavar="N", help="start a local Dask cluster of N worker processes")
    sw.add_argument("--netcdf", default=None, metavar="FILE", help="also write the results to a netCDF-4 file")
    sw.add_argument("--overwrite", action="store_true", help="replace an existing store instead of resuming it")
    sw.add_argument("--quiet", action="store_true", help="no progress bar")
    sw.set_defaults(func=cmd_sweep)

    se = sub.add_parser("sensitivity", help="Morris / Sobol' sensitivity of responder rate and NNT (SALib)")
    se.add_argument("experiment", help="experiment file with a [sensitivity] table (one drug, one dose)")
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
    se.add_argument("--json", action="store_true", help="machine-readable output")
    se.add_argument("--quiet", action="store_true", help="no progress bar")
    se.set_defaults(func=cmd_sensitivity)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``painsim`` console script."""
    from painsim.library import ModelFileError, UnknownDrugError
    from painsim.regimen import InvalidRegimenError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return EXIT_USAGE
        return int(args.func(args) or 0)
    except (UserError, UnknownDrugError, ModelFileError, InvalidRegimenError) as exc:
        print(f"painsim: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return 0


if __name__ == "__main__":
    sys.exit(main())
