"""``painsim trial``, ``validate`` and ``calibrate``: virtual placebo-controlled trials, one at a
time, against every reported outcome, and the fit of the global parameters to the training set."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from painsim.cli.common import UserError, atomic_write, format_table, parse_dose, parse_fraction, parse_int

__all__ = ["add_parsers", "cmd_calibrate", "cmd_trial", "cmd_validate"]


def cmd_trial(args: argparse.Namespace) -> int:
    """``painsim trial``: one virtual trial, drug against placebo; responder rates and the NNT."""
    from painsim.library import load_drug
    from painsim.trial import run_trial

    drug = load_drug(args.drug)
    dose = parse_dose(args.dose, drug.name)
    weeks = parse_int(args.weeks, "--weeks", maximum=104)
    n = parse_int(args.patients, "--patients", maximum=10_000_000)
    seed = parse_int(args.seed, "--seed", minimum=0)
    p_pl = None if args.placebo_response is None else parse_fraction(args.placebo_response, "--placebo-response")
    p_miss = 0.0 if args.missed_doses is None else float(args.missed_doses)
    if not 0.0 <= p_miss < 1.0:
        raise UserError(f"--missed-doses must lie in [0, 1), got {args.missed_doses!r}")
    draws = parse_int(args.model_draws, "--model-draws", minimum=0, maximum=10_000)
    if draws == 1:
        raise UserError("--model-draws must be 0 (no model-uncertainty interval) or at least 2, got 1")
    from painsim.progress import Progress

    quiet = args.quiet or args.json
    try:
        # progress bar (stderr, terminals only): drug-arm patients done, patients/s, ETA
        # the trial itself, then one trial of n per arm for each model-uncertainty draw
        with Progress(n * (1 + draws), f"trial {drug.name} {dose:g} mg/day, {weeks} weeks", enabled=not quiet,
                      unit="patients") as bar:
            res = run_trial(drug, dose, weeks, n_per_arm=n, seed=seed, outcome=args.outcome,
                            condition=args.condition, placebo_response=p_pl, design=args.design, p_miss=p_miss,
                            progress=bar.update, model_draws=draws)
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
        return f"{res.nnt:.1f} ({ci}, sampling only)"

    def model_text() -> str:
        m = res.model
        if m.nnt_low is None:
            return (f"not estimable (risk difference {m.rd_total[0]:+.1%} to {m.rd_total[1]:+.1%} includes 0)")
        return f"{m.nnt_low:.1f}-{m.nnt_high:.1f}"

    label = {"50pct": ">= 50 %", "30pct": ">= 30 %"}[res.outcome]
    print(f"{drug.display_name} {dose:g} mg/day vs placebo, {weeks} weeks, {res.design}, "
          f"{res.condition}, {n} per arm, seed {seed}")
    print(f"responders ({label} pain reduction): drug {res.p_drug:.1%}, placebo {res.p_placebo:.1%}")
    print(f"NNT {nnt_text()}")
    if res.model is not None:
        print(f"NNT 95 % interval with model uncertainty ({res.model.n_draws} parameter draws: derived EC50s, "
              f"calibration): {model_text()}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``painsim validate``: every reported outcome next to the simulated one, with a verdict."""
    from painsim.validate import counts_line, predictions, rows_csv, validate

    n = parse_int(args.patients, "--patients", maximum=1_000_000)
    seed = parse_int(args.seed, "--seed", minimum=0)
    draws = parse_int(args.model_draws, "--model-draws", minimum=0, maximum=10_000)
    if draws == 1:
        raise UserError("--model-draws must be 0 (no model-uncertainty intervals) or at least 2, got 1")
    if args.csv and not Path(args.csv).resolve().parent.is_dir():  # before the simulation, not after it
        raise UserError(f"--csv {args.csv}: the folder {Path(args.csv).resolve().parent} does not exist; "
                        "create it or choose another")
    rows = validate(n_per_arm=n, seed=seed, quiet=args.quiet or args.json, model_draws=draws)
    if args.csv:
        atomic_write(Path(args.csv), rows_csv(rows))
    if args.json:
        print(json.dumps([r.as_dict() for r in rows], indent=2))
        return 0

    def nnt_cell(nnt, ci) -> str:
        if nnt is None:
            return "-"
        if ci is None or ci[0] is None:
            return f"{nnt:.1f}"
        return f"{nnt:.1f} ({ci[0]:.1f}-{ci[1]:.1f})"

    def model_cell(m) -> str:
        if m is None:
            return ""
        if m.nnt_low is None:
            return f"RD {m.rd_total[0]:+.2f} to {m.rd_total[1]:+.2f}"
        return f"{m.nnt_low:.1f}-{m.nnt_high:.1f}"

    table = [[r.key, "train" if r.training else "", nnt_cell(r.reported_nnt, r.reported_ci),
              nnt_cell(r.sim_nnt, r.sim_ci) if r.simulated else "",
              "" if r.sim_p_drug is None else f"{r.sim_p_drug:.0%}",
              "" if r.sim_p_placebo is None else f"{r.sim_p_placebo:.0%}", r.verdict]
             + ([model_cell(r.model), r.model_verdict] if draws else []) for r in rows]
    print(format_table(table, ["reported outcome", "set", "reported NNT (95% CI)", "simulated NNT (95% CI)",
                               "p drug", "p placebo", "verdict"]
                       + (["NNT with model unc.", "intervals"] if draws else [])))
    if draws:
        overlap = [r for r in rows if r.model_verdict and not r.training]
        print(f"\nsimulated NNT (95% CI): sampling only. NNT with model unc.: {draws} parameter draws (derived "
              f"EC50s, calibration) with sampling; 'intervals': does it overlap the reported interval "
              f"(validation rows: {sum(r.model_verdict == 'overlaps' for r in overlap)} of {len(overlap)})")
        preds = predictions(n_per_arm=n, seed=seed, model_draws=draws)
        print("\npredictions (no reported outcome in the model's conditions): 12-week DPN trial, >= 50 % responders")
        print(format_table([[p.drug, p.drug_class, f"{p.dose_mg_per_day:g}", nnt_cell(p.nnt, p.nnt_ci),
                             model_cell(p.model)] for p in preds],
                           ["drug", "class", "mg/day", "simulated NNT (95% CI)", "NNT with model unc."]))
    print(f"\n'train' rows were used for calibration. {counts_line(rows)}")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``painsim calibrate``: refit the global parameters to the training set and write them; with
    ``--check``, the goodness of fit of a calibration file without refitting."""
    from painsim.calibrate import calibrate, write_calibration
    from painsim.progress import Progress

    if args.check:
        if args.out:
            raise UserError("--check does not write a file; drop --out (or --check to refit)")
        return _check_calibration(args)
    if args.calibration or args.json:
        raise UserError("--calibration and --json go with --check")
    if args.out:  # before the minute of fitting, not after it
        parent = Path(args.out).resolve().parent
        if not parent.is_dir():
            raise UserError(f"--out {args.out}: the folder {parent} does not exist; create it or choose another")
    with Progress(300, "calibrate (outer evaluations, at most)", enabled=not args.quiet) as bar:
        doc = calibrate(progress=lambda i, v: bar.update(note=f"objective {v:.3f}"))
    path = write_calibration(doc, args.out)
    p = doc["parameters"]
    print(f"wrote {path}: objective {doc['objective_value']:.4g}; "
          + ", ".join(f"{k} = {v['value']:.4g}" for k, v in p.items()))
    for t in doc["targets"]:
        print(f"  {t['key']:<40} observed {t['observed']:8.4f}  simulated {t['simulated']:8.4f}  z {t['z']:+.2f}")
    return 0


def _check_calibration(args: argparse.Namespace) -> int:
    from painsim.calibrate import check_calibration

    out = check_calibration(args.calibration)
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    p = f"{out['p_value']:.3g}" if out["p_value"] is not None else "-"
    print(f"{out['calibration_file']}: objective {out['objective']:.4g} over {out['n_targets']} targets with "
          f"{out['n_parameters']} fitted parameters: chi-square {out['objective']:.3g} on {out['df']} df, p = {p}")
    rows = [[k, f"{v['value']:.4g}", "-" if v["ci_low"] is None else f"{v['ci_low']:.4g}-{v['ci_high']:.4g}"]
            for k, v in out["parameters"].items()]
    print(format_table(rows, ["parameter", "value", "approx. 95 % interval"]))
    print(format_table([[t["key"], f"{t['observed']:.4f}", f"{t['simulated']:.4f}", f"{t['se']:.4f}", f"{t['z']:+.2f}"]
                        for t in out["targets"]], ["target", "observed", "simulated", "SE", "z"]))
    print(f"intervals: {out['ci_method']}; they assume the model and do not widen for lack of fit")
    if out["assumed_se"]:
        print("targets whose observed value or SE is not reported by their source: " + ", ".join(out["assumed_se"]))
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``trial``, ``validate`` and ``calibrate`` to the ``painsim`` sub-commands."""
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
    t.add_argument("--model-draws", default="50", metavar="N",
                   help="parameter draws for the NNT interval with model uncertainty (default 50; 0: none)")
    t.add_argument("--json", action="store_true", help="machine-readable output")
    t.add_argument("--quiet", action="store_true", help="no progress output")
    t.set_defaults(func=cmd_trial)

    v = sub.add_parser("validate", help="every reported outcome next to the simulated one")
    v.add_argument("--patients", default="2000", metavar="N", help="patients per arm (default 2000)")
    v.add_argument("--seed", default="7", metavar="S")
    v.add_argument("--csv", default=None, metavar="FILE", help="also write the table as CSV")
    v.add_argument("--model-draws", default="20", metavar="N",
                   help="parameter draws for the intervals with model uncertainty (default 20; 0: none)")
    v.add_argument("--json", action="store_true", help="machine-readable output")
    v.add_argument("--quiet", action="store_true", help="no progress bar")
    v.set_defaults(func=cmd_validate)

    cb = sub.add_parser("calibrate", help="refit the global parameters to the training set")
    cb.add_argument("--out", default=None, help="output file (default: the shipped models/calibration.toml)")
    cb.add_argument("--check", action="store_true",
                    help="goodness of fit of the shipped (or --calibration) file, without refitting")
    cb.add_argument("--calibration", default=None, metavar="FILE", help="with --check: the calibration file")
    cb.add_argument("--json", action="store_true", help="with --check: machine-readable output")
    cb.add_argument("--quiet", action="store_true", help="no progress bar")
    cb.set_defaults(func=cmd_calibrate)
