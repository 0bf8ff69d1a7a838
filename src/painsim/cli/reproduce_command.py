"""``painsim reproduce``: the main job — the drug table, steady-state PK and occupancy of every
drug, the validation and mechanism-claims tables, the flagship figures and ``report.html``."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from painsim.cli.common import UserError, atomic_write, check_output_path, fmt, format_table, parse_int
from painsim.cli.library_commands import drug_rows
from painsim.cli.options import HelpFormatter, add_model_file_options, examples, model_files

__all__ = ["add_parsers", "cmd_reproduce"]


def cmd_reproduce(args: argparse.Namespace) -> int:
    """The main job: drug table, steady-state PK/occupancy of every drug, the validation table of
    every reported outcome, the mechanism-claims table, the flagship figures and report.html.
    """
    import csv
    import io

    from painsim.calibration import load_calibration
    from painsim.library import load_library
    from painsim.occupancy import steady_state_occupancy
    from painsim.progress import Progress
    from painsim.steady_state import steady_state
    from painsim.validate import counts_line, rows_csv, validate

    n = parse_int(args.patients, "--patients", maximum=1_000_000)
    model_files(args)  # checked before anything is written; then the default of every part of the run
    out = Path(args.out)
    check_output_path(out, "--out", folder=True, create_parents=True)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create output directory {out} ({exc.strerror})") from None
    lines = ["drug,class,dose_mg_per_day,moiety,cmax_ng_ml,cmin_ng_ml,cavg_ng_ml,t_half_h,"
             "sert_mean,net_mean"]
    table = []
    library = load_library()
    with Progress(len(library), "steady state", enabled=not args.quiet, unit="drugs") as bar:
        for name, drug in library.items():
            dose = drug.dosing.reference_dose
            ss = steady_state(drug, dose)
            occ = steady_state_occupancy(drug, dose)
            for s in ss:
                lines.append(f"{name},{drug.drug_class},{dose:g},{s.name},{s.cmax:.6g},{s.cmin:.6g},"
                             f"{s.cavg:.6g},{s.t_half:.6g},{occ['sert'].mean:.6g},{occ['net'].mean:.6g}")
            table.append([name, drug.drug_class, f"{dose:g}", fmt(ss[0].cavg), f"{occ['sert'].mean:.0%}",
                          f"{occ['net'].mean:.0%}"])
            bar.update()
    atomic_write(out / "steady_state.csv", "\n".join(lines) + "\n")
    atomic_write(out / "drugs.json", json.dumps(drug_rows(), indent=2) + "\n")
    print(format_table(table, ["drug", "class", "dose mg/day", "parent Cavg ng/mL", "SERT occ", "NET occ"]))

    rows = validate(n_per_arm=n, quiet=args.quiet)
    atomic_write(out / "validation.csv", rows_csv(rows))
    cal = load_calibration()
    summary = (f"{counts_line(rows)}; calibration w_NE {cal.w_ne:.3g}, w_5HT {cal.w_5ht:.3g}, "
               f"sigma_p {cal.sigma_p:.3g}, tau_p {cal.tau_p:.3g} weeks")
    print(f"\nvalidation: {summary}")

    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed, so it runs on a headless machine
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
    atomic_write(out / "claims.csv", buf.getvalue())
    print(f"wrote {len(specs)} figures to {fig_dir}, {out / 'validation.csv'}, {out / 'claims.csv'} and {report}")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``reproduce`` to the ``painsim`` sub-commands."""
    r = sub.add_parser("reproduce", help="run the main job and write its outputs", formatter_class=HelpFormatter,
                       description="The main job: drug table, steady-state PK and occupancy of every drug, the "
                                   "validation and mechanism-claims tables, the figures and report.html.",
                       epilog=examples("painsim reproduce", "painsim reproduce --out results --patients 500",
                                       "painsim reproduce --calibration my_calibration.toml --out mine"))
    r.add_argument("--out", default="painsim-results", metavar="DIR", help="output directory")
    r.add_argument("--patients", default="2000", metavar="N", help="patients per arm in the trials")
    add_model_file_options(r)
    r.add_argument("--quiet", action="store_true", help="no progress bars")
    r.set_defaults(func=cmd_reproduce)
