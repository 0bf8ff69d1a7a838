"""``painsim trial``, ``validate`` and ``calibrate``: virtual placebo-controlled trials, one at a
time, against every reported outcome, and the fit of the global parameters to the training set."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from painsim.cli.common import (
    UserError,
    atomic_write,
    check_output_path,
    format_table,
    parse_dose,
    parse_fraction,
    parse_int,
)
from painsim.cli.options import (
    HelpFormatter,
    add_model_file_options,
    examples,
    few_patients,
    load_cli_drug,
    model_files,
    parse_probability,
    parse_seed,
    trial_warnings,
    warn,
)

__all__ = ["add_parsers", "cmd_calibrate", "cmd_trial", "cmd_validate"]


def _parse_draws(text: str) -> int:
    """``--model-draws``: 0 (no model-uncertainty interval) or a number of draws from 2 to 10,000."""
    draws = parse_int(text, "--model-draws", minimum=0, maximum=10_000)
    if draws == 1:
        raise UserError("--model-draws must be 0 (no model-uncertainty interval) or at least 2, got 1")
    return draws


def _model_interval(m) -> str:
    """An NNT interval with model uncertainty as text; where its risk difference includes 0, that."""
    if m is None:
        return ""
    if m.nnt_low is None:
        return f"not estimable (risk difference {m.rd_total[0]:+.1%} to {m.rd_total[1]:+.1%} includes 0)"
    return f"{m.nnt_low:.1f}-{m.nnt_high:.1f}"


_ANALYSIS_TEXT = {"locf": "last observation carried forward (LOCF)",
                  "bocf": "baseline observation carried forward (BOCF: withdrawal = non-response)",
                  "completers": "completers only"}


def cmd_trial(args: argparse.Namespace) -> int:
    """``painsim trial``: one virtual trial, drug against placebo; responder rates and the NNT."""
    from painsim.trial import arm_dropouts, run_trial

    drug = load_cli_drug(args.drug)
    dose = parse_dose(args.dose, drug)
    weeks = parse_int(args.weeks, "--weeks", maximum=104)
    n = parse_int(args.patients, "--patients", maximum=10_000_000)
    seed = parse_seed(args.seed)
    p_pl = None if args.placebo_response is None else parse_fraction(args.placebo_response, "--placebo-response")
    p_miss = parse_probability(args.missed_doses, "--missed-doses")
    draws = _parse_draws(args.model_draws)
    phys, cal = model_files(args)
    try:  # a drug or dose without a sourced discontinuation rate is refused before any simulation
        arm_dropouts(drug, dose, args.analysis, args.design)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    warnings = trial_warnings(drug, dose, n, condition=args.condition, design=args.design)
    for w in warnings:
        warn(w)
    from painsim.progress import Progress

    quiet = args.quiet or args.json
    try:
        # progress bar (stderr, terminals only): drug-arm patients done, patients/s, ETA
        # the trial itself, then one trial of n per arm for each model-uncertainty draw
        with Progress(n * (1 + draws), f"trial {drug.name} {dose:g} mg/day, {weeks} weeks", enabled=not quiet,
                      unit="patients") as bar:
            res = run_trial(drug, dose, weeks, n_per_arm=n, seed=seed, outcome=args.outcome,
                            condition=args.condition, placebo_response=p_pl, design=args.design, p_miss=p_miss,
                            phys=phys, cal=cal, progress=bar.update, model_draws=draws, analysis=args.analysis)
    except ValueError as exc:
        raise UserError(str(exc)) from None
    if args.json:
        print(json.dumps({**res.to_dict(), "warnings": warnings}, indent=2))
        return 0

    def nnt_text() -> str:
        if res.nnt is None:
            return "not estimable (drug not better than placebo)"
        ci = ("95 % CI not estimable (interval of the difference includes 0)" if res.nnt_ci_low is None
              else f"95 % CI {res.nnt_ci_low:.1f}-{res.nnt_ci_high:.1f}")
        return f"{res.nnt:.1f} ({ci}, sampling only)"

    label = {"50pct": ">= 50 %", "30pct": ">= 30 %"}[res.outcome]
    print(f"{drug.display_name} {dose:g} mg/day vs placebo, {weeks} weeks, {res.design}, "
          f"{res.condition}, {n} per arm, seed {seed}")
    print(f"responders ({label} pain reduction): drug {res.p_drug:.1%}, placebo {res.p_placebo:.1%}")
    if res.analysis != "none":
        print(f"discontinued for adverse events: drug {res.discontinued[0]:.1%}, placebo {res.discontinued[1]:.1%}; "
              f"responders counted by {_ANALYSIS_TEXT[res.analysis]}")
    print(f"NNT {nnt_text()}")
    if res.model is not None:
        print(f"NNT 95 % interval with model uncertainty ({res.model.n_draws} parameter draws: derived EC50s, "
              f"calibration): {_model_interval(res.model)}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """``painsim validate``: every reported outcome next to the simulated one, with a verdict."""
    from painsim.validate import counts_line, predictions, rows_csv, validate

    n = parse_int(args.patients, "--patients", maximum=1_000_000)
    seed = parse_seed(args.seed)
    draws = _parse_draws(args.model_draws)
    phys, cal = model_files(args)
    if args.csv:  # before the simulation, not after it
        check_output_path(args.csv, "--csv")
    if few_patients(n):  # every input checked: now the warnings
        warn(few_patients(n))
    rows = validate(n_per_arm=n, seed=seed, quiet=args.quiet or args.json, model_draws=draws, phys=phys, cal=cal)
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

    table = [[r.key, "train" if r.training else "", nnt_cell(r.reported_nnt, r.reported_ci),
              nnt_cell(r.sim_nnt, r.sim_ci) if r.simulated else "",
              "" if r.sim_p_drug is None else f"{r.sim_p_drug:.0%}",
              "" if r.sim_p_placebo is None else f"{r.sim_p_placebo:.0%}", r.verdict]
             + ([_model_interval(r.model), r.model_verdict] if draws else []) for r in rows]
    print(format_table(table, ["reported outcome", "set", "reported NNT (95% CI)", "simulated NNT (95% CI)",
                               "p drug", "p placebo", "verdict"]
                       + (["NNT with model unc.", "intervals"] if draws else [])))
    if draws:
        overlap = [r for r in rows if r.model_verdict and not r.training]
        print(f"\nsimulated NNT (95% CI): sampling only. NNT with model unc.: {draws} parameter draws (derived "
              f"EC50s, calibration) with sampling; 'intervals': does it overlap the reported interval "
              f"(validation rows: {sum(r.model_verdict == 'overlaps' for r in overlap)} of {len(overlap)})")
        preds = predictions(n_per_arm=n, seed=seed, model_draws=draws, phys=phys, cal=cal)
        print("\npredictions (no reported outcome in the model's conditions): 12-week DPN trial, >= 50 % responders")
        print(format_table([[p.drug, p.drug_class, f"{p.dose_mg_per_day:g}", nnt_cell(p.nnt, p.nnt_ci),
                             _model_interval(p.model)] for p in preds],
                           ["drug", "class", "mg/day", "simulated NNT (95% CI)", "NNT with model unc."]))
    print(f"\n'train' rows were used for calibration. {counts_line(rows)}")
    return 0


def cmd_calibrate(args: argparse.Namespace) -> int:
    """``painsim calibrate``: refit the global parameters to the training set and write them; with
    ``--check``, the goodness of fit of a calibration file without refitting."""
    from painsim.calibrate import calibrate, write_calibration
    from painsim.progress import Progress

    if args.check:
        if args.out or args.in_place:
            raise UserError("--check does not write a file; drop --out/--in-place (or --check to refit)")
        return _check_calibration(args)
    if args.calibration or args.json:
        raise UserError("--calibration and --json go with --check")
    if args.out and args.in_place:
        raise UserError("give --out FILE or --in-place (overwrite the shipped calibration), not both")
    from painsim.library import models_dir

    # a user's refit goes to the current folder; replacing the shipped file is a developer's explicit act
    target = models_dir() / "calibration.toml" if args.in_place else Path(args.out or "calibration.toml")
    check_output_path(target, "--out")  # before the minute of fitting, not after it
    phys, _ = model_files(argparse.Namespace(physiology=args.physiology, calibration=None))
    with Progress(300, "calibrate (outer evaluations, at most)", enabled=not args.quiet) as bar:
        doc = calibrate(phys=phys, progress=lambda i, v: bar.update(note=f"objective {v:.3f}"))
    path = write_calibration(doc, target)
    p = doc["parameters"]
    print(f"wrote {path}: objective {doc['objective_value']:.4g}; "
          + ", ".join(f"{k} = {v['value']:.4g}" for k, v in p.items()))
    for t in doc["targets"]:
        print(f"  {t['key']:<40} observed {t['observed']:8.4f}  simulated {t['simulated']:8.4f}  z {t['z']:+.2f}")
    if not args.in_place:
        print(f"use it with --calibration {path} (painsim trial, validate, reproduce, sweep, sensitivity)")
    return 0


def _check_calibration(args: argparse.Namespace) -> int:
    from painsim.calibrate import check_calibration

    phys, _ = model_files(argparse.Namespace(physiology=args.physiology, calibration=None))
    out = check_calibration(args.calibration, phys=phys)
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
    t = sub.add_parser("trial", help="run a virtual placebo-controlled trial", formatter_class=HelpFormatter,
                       description="A virtual placebo-controlled trial: N patients per arm, responder rates, "
                                   "the NNT with its sampling-only interval and an interval with model uncertainty.",
                       epilog=examples("painsim trial --drug duloxetine --dose 60 --weeks 12",
                                       "painsim trial --drug Cymbalta --dose 120 --weeks 12 --patients 2000 "
                                       "--analysis bocf --json",
                                       "painsim trial --drug ./my_duloxetine.toml --dose 60 --weeks 8 "
                                       "--calibration calibration.toml"))
    t.add_argument("--drug", required=True, help="drug name, brand name or drug file (see `painsim drugs`)")
    t.add_argument("--dose", required=True, metavar="MG_PER_DAY", help="daily dose, mg/day")
    t.add_argument("--weeks", required=True, metavar="W", help="trial duration, weeks (1-104)")
    t.add_argument("--patients", default="500", metavar="N", help="patients per arm")
    t.add_argument("--seed", default="1", metavar="S", help="random seed (0 to 2^63-1)")
    t.add_argument("--outcome", default="50pct", choices=["50pct", "30pct"],
                   help="responder definition: >= 50 %% or >= 30 %% pain reduction")
    t.add_argument("--placebo-response", default=None, metavar="P",
                   help="expected placebo responder fraction for the outcome (overrides the condition's)")
    t.add_argument("--condition", default="dpn", choices=["dpn", "phn", "central", "mixed"],
                   help="neuropathic condition (sets the placebo response)")
    t.add_argument("--design", default="parallel", choices=["parallel", "crossover"], help="trial design")
    t.add_argument("--missed-doses", default=None, metavar="P", help="probability a dose is missed, in [0, 1)")
    t.add_argument("--analysis", default="none", choices=["none", "locf", "bocf", "completers"],
                   help="discontinuation for adverse events and how responders are counted: none (nobody "
                        "leaves), locf, bocf (withdrawal = non-response) or completers; sourced rates "
                        "(models/discontinuation.toml) exist for duloxetine 60-120 mg/day only")
    t.add_argument("--model-draws", default="50", metavar="N",
                   help="parameter draws for the NNT interval with model uncertainty (0: none)")
    add_model_file_options(t)
    t.add_argument("--json", action="store_true", help="machine-readable output (with \"warnings\")")
    t.add_argument("--quiet", action="store_true", help="no progress output")
    t.set_defaults(func=cmd_trial)

    v = sub.add_parser("validate", help="every reported outcome next to the simulated one",
                       formatter_class=HelpFormatter,
                       description="Every reported outcome of models/reported_outcomes.toml next to its "
                                   "simulation; the last line counts the rows inside their reported interval.",
                       epilog=examples("painsim validate", "painsim validate --patients 500 --model-draws 0",
                                       "painsim validate --csv validation.csv --calibration calibration.toml"))
    v.add_argument("--patients", default="2000", metavar="N", help="patients per arm")
    v.add_argument("--seed", default="7", metavar="S", help="random seed")
    v.add_argument("--csv", default=None, metavar="FILE", help="also write the table as CSV")
    v.add_argument("--model-draws", default="20", metavar="N",
                   help="parameter draws for the intervals with model uncertainty (0: none)")
    add_model_file_options(v)
    v.add_argument("--json", action="store_true", help="machine-readable output")
    v.add_argument("--quiet", action="store_true", help="no progress bar")
    v.set_defaults(func=cmd_validate)

    cb = sub.add_parser("calibrate", help="refit the global parameters to the training set",
                        formatter_class=HelpFormatter,
                        description="Refit w_NE, w_5HT, sigma_p and tau_p to the training rows (about a "
                                    "minute), or with --check report the goodness of fit of a calibration file.",
                        epilog=examples("painsim calibrate --check", "painsim calibrate --out my_calibration.toml",
                                        "painsim calibrate --check --calibration my_calibration.toml --json"))
    cb.add_argument("--out", default=None, metavar="FILE",
                    help="output file (default: calibration.toml in the current folder)")
    cb.add_argument("--in-place", action="store_true",
                    help="overwrite the shipped models/calibration.toml (for developers)")
    cb.add_argument("--check", action="store_true",
                    help="goodness of fit of the shipped (or --calibration) file, without refitting")
    cb.add_argument("--calibration", default=None, metavar="FILE", help="with --check: the calibration file")
    cb.add_argument("--physiology", default=None, metavar="FILE",
                    help="physiology file (default: the shipped models/physiology.toml)")
    cb.add_argument("--json", action="store_true", help="with --check: machine-readable output")
    cb.add_argument("--quiet", action="store_true", help="no progress bar")
    cb.set_defaults(func=cmd_calibrate)
