"""``painsim drugs``, ``pk``, ``occupancy`` and ``fit-occupancy``: the drug library and its
steady-state pharmacology, typical patient, no trial simulation."""

from __future__ import annotations

import argparse
import json
import math
from pathlib import Path

from painsim.cli.common import UserError, check_output_path, fmt, format_table, parse_dose
from painsim.cli.options import MIN_PATIENTS, HelpFormatter, examples, load_cli_drug, trial_warnings, warn

__all__ = ["add_parsers", "cmd_drugs", "cmd_fit_occupancy", "cmd_occupancy", "cmd_pk", "drug_rows"]


def drug_rows() -> list[dict]:
    """Every drug of the library as a JSON-ready record (``painsim drugs --json``, ``drugs.json``).

    Returns
    -------
    list of dict
        Name, class, dose range, dosing interval, moieties with their transporter Ki, the EC50 of
        each moiety at each target with how it was obtained, and the sources.
    """
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
    """``painsim drugs``: the library as a table (parent moiety) or, with ``--json``, in full."""
    rows = drug_rows()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0

    def occ_cell(entries: list[dict]) -> str:
        parent = entries[0]
        tags = {"pet": "PET", "pet_dose_anchor": "PET-dose", "derived_ki": "derived", "none": "-"}
        if parent["method"] == "none":
            return "-"
        return f"{fmt(parent['ec50_ng_ml'])} ({tags[parent['method']]})"

    table = [[r["name"], r["class"], "+".join(m["name"] for m in r["moieties"][1:]) or "-",
              fmt(r["moieties"][0]["ki_sert_nM"]), fmt(r["moieties"][0]["ki_net_nM"]),
              occ_cell(r["occupancy"]["sert"]), occ_cell(r["occupancy"]["net"]),
              f"{r['dose_range_mg_per_day'][0]:g}-{r['dose_range_mg_per_day'][1]:g}"]
             for r in rows]
    print(format_table(table, ["drug", "class", "active metabolites", "Ki SERT nM", "Ki NET nM",
                               "EC50 SERT ng/mL", "EC50 NET ng/mL", "dose mg/day"]))
    print("\nEC50 origin: PET = human PET plasma EC50; PET-dose = solved from PET occupancy at a dose "
          "through the PK model; derived = in-vitro Ki / fu x fitted in-vivo scaling "
          "(models/occupancy_fit.toml). Parent shown; `--json` lists every moiety and its sources.")
    return 0


def cmd_pk(args: argparse.Namespace) -> int:
    """``painsim pk``: steady-state concentrations of every moiety, typical patient."""
    from painsim.steady_state import steady_state

    drug = load_cli_drug(args.drug)
    dose = parse_dose(args.dose, drug)
    for w in trial_warnings(drug, dose, MIN_PATIENTS):
        warn(w)
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
    print(format_table([[s.name, fmt(s.cmax), fmt(s.cmin), fmt(s.cavg), fmt(s.auc_tau, 4),
                         fmt(s.t_half), fmt(s.tmax)] for s in ss],
                       ["moiety", "Cmax ng/mL", "Cmin ng/mL", "Cavg ng/mL", "AUC_tau ng.h/mL",
                        "t1/2 h", "tmax h"]))
    return 0


def cmd_occupancy(args: argparse.Namespace) -> int:
    """``painsim occupancy``: steady-state SERT/NET occupancy (trough, mean, peak), typical patient."""
    from painsim.occupancy import steady_state_occupancy

    drug = load_cli_drug(args.drug)
    dose = parse_dose(args.dose, drug)
    for w in trial_warnings(drug, dose, MIN_PATIENTS):
        warn(w)
    occ = steady_state_occupancy(drug, dose)
    out = {"drug": drug.name, "dose_mg_per_day": dose,
           **{t: {"trough": o.trough, "mean": o.mean, "peak": o.peak} for t, o in occ.items()}}
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    print(f"{drug.display_name} {dose:g} mg/day: steady-state transporter occupancy, typical patient")
    print(format_table([[t.upper(), f"{o.trough:.1%}", f"{o.mean:.1%}", f"{o.peak:.1%}"] for t, o in occ.items()],
                       ["target", "trough", "mean", "peak"]))
    return 0


def cmd_fit_occupancy(args: argparse.Namespace) -> int:
    """``painsim fit-occupancy``: refit the derived EC50s and the Ki scaling rule, write the file."""
    from painsim.library import models_dir
    from painsim.occupancy import load_occupancy_fit
    from painsim.occupancy_fit import write_occupancy_fit

    if args.out and args.in_place:
        raise UserError("give --out FILE or --in-place (overwrite the shipped fit), not both")
    target = models_dir() / "occupancy_fit.toml" if args.in_place else Path(args.out or "occupancy_fit.toml")
    check_output_path(target, "--out")  # before fitting, not after it
    path = write_occupancy_fit(target)
    if args.in_place:
        load_occupancy_fit.cache_clear()  # the shipped file was just rewritten: read the new one
    doc = load_occupancy_fit(str(path))
    sc = doc["scaling"]
    print(f"wrote {path}: scaling s = {sc['s']:.3g} (log10 SD {sc['log10_sd']}, "
          f"n = {sc['n_training']}), {len(doc['ec50'])} fitted/derived EC50s")
    if not args.in_place:
        print("the simulations read the shipped fit; to make this one the shipped fit, a developer runs "
              "`painsim fit-occupancy --in-place`")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``drugs``, ``pk``, ``occupancy`` and ``fit-occupancy`` to the ``painsim`` sub-commands."""
    d = sub.add_parser("drugs", help="list the drug library", formatter_class=HelpFormatter,
                       description="Every drug of the library: class, moieties, dosing, and how each "
                                   "transporter occupancy is known (PET, PET dose anchor, derived from Ki).",
                       epilog=examples("painsim drugs", "painsim drugs --json"))
    d.add_argument("--json", action="store_true", help="machine-readable output")
    d.set_defaults(func=cmd_drugs)

    for name, func, helptext in (("pk", cmd_pk, "steady-state PK of the typical patient"),
                                 ("occupancy", cmd_occupancy, "steady-state SERT/NET occupancy")):
        c = sub.add_parser(name, help=helptext, formatter_class=HelpFormatter, description=helptext + ".",
                           epilog=examples(f"painsim {name} --drug duloxetine --dose 60",
                                           f"painsim {name} --drug Effexor --dose 150 --json",
                                           f"painsim {name} --drug ./my_duloxetine.toml --dose 60"))
        c.add_argument("--drug", required=True, help="drug name, brand name or drug file (see `painsim drugs`)")
        c.add_argument("--dose", required=True, metavar="MG_PER_DAY", help="daily dose, mg/day")
        c.add_argument("--json", action="store_true", help="machine-readable output")
        c.set_defaults(func=func)

    f = sub.add_parser("fit-occupancy", help="refit derived EC50s and the Ki scaling rule",
                       formatter_class=HelpFormatter,
                       description="Refit the EC50s the literature gives only indirectly (PET dose anchors, "
                                   "the in-vivo/in-vitro Ki rule) from the shipped drug files.",
                       epilog=examples("painsim fit-occupancy", "painsim fit-occupancy --out fit.toml"))
    f.add_argument("--out", default=None, metavar="FILE",
                   help="output file (default: occupancy_fit.toml in the current folder)")
    f.add_argument("--in-place", action="store_true",
                   help="overwrite the shipped models/occupancy_fit.toml (for developers)")
    f.set_defaults(func=cmd_fit_occupancy)
