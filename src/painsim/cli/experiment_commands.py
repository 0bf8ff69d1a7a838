"""``painsim experiments`` and ``painsim experiment``: the shipped experiments, reachable from any
folder — claim experiments (one per mechanism claim of the seed article) and sweep experiments
(TOML files for ``painsim sweep`` / ``painsim sensitivity``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from painsim.cli.common import UserError, check_output_path, format_table, parse_int
from painsim.cli.options import HelpFormatter, add_model_file_options, examples, model_files, parse_seed
from painsim.cli.sweep_commands import shipped_experiments

__all__ = ["add_parsers", "cmd_experiment", "cmd_experiments", "experiment_rows"]


def _first_line(text: str | None, width: int = 100) -> str:
    """The first sentence of a docstring's first paragraph, shortened to ``width`` characters."""
    para = " ".join((text or "").strip().split("\n\n")[0].split())
    sentence = para.split(". ")[0].rstrip(".")
    return sentence if len(sentence) <= width else sentence[:width - 1].rstrip() + "…"


def experiment_rows() -> list[dict]:
    """One row per shipped experiment: name, kind, how to run it, and what it is (one line).

    Claim experiments are described by their module docstring, sweep experiments by their
    ``[experiment] description`` (read as TOML, without running anything).
    """
    import tomllib

    from painsim.experiments import CLAIM_EXPERIMENTS, load

    rows = []
    for name in CLAIM_EXPERIMENTS:
        rows.append({"name": name, "kind": "claim", "run": f"painsim experiment {name}",
                     "description": _first_line(load(name).__doc__)})
    for name, path in shipped_experiments().items():
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
        exp = doc.get("experiment", {})
        command = "sensitivity" if "sensitivity" in doc else "sweep"
        rows.append({"name": name, "kind": command, "run": f"painsim {command} {name}",
                     "description": _first_line(exp.get("description") or exp.get("name") or "")})
    return rows


def cmd_experiments(args: argparse.Namespace) -> int:
    """``painsim experiments``: list the shipped experiments, one line each."""
    rows = experiment_rows()
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(format_table([[r["name"], r["kind"], r["description"]] for r in rows],
                       ["experiment", "kind", "what it does"]))
    print("\nrun a claim experiment with `painsim experiment NAME`, a sweep with `painsim sweep NAME`, "
          "a sensitivity analysis with `painsim sensitivity NAME`")
    return 0


def cmd_experiment(args: argparse.Namespace) -> int:
    """``painsim experiment NAME``: run one claim experiment, print its finding, optionally write
    ``NAME.json`` (and its figure) into ``--out``."""
    from dataclasses import asdict

    from painsim.experiments import CLAIM_EXPERIMENTS, load, save_finding

    if args.name not in CLAIM_EXPERIMENTS:
        kind = next((r["kind"] for r in experiment_rows() if r["name"] == args.name), None)
        hint = f"; {args.name} is a {kind} experiment: run `painsim {kind} {args.name}`" if kind else ""
        raise UserError(f"no claim experiment named {args.name!r}{hint} (`painsim experiments` lists them)")
    n = parse_int(args.patients, "--patients", minimum=10, maximum=1_000_000)
    seed = parse_seed(args.seed)
    out = None if args.out is None else Path(args.out)
    if out is not None:  # before the run, not after it
        check_output_path(out, "--out", folder=True)
    model_files(args)
    module = load(args.name)
    f = module.run(n_per_arm=n, seed=seed)
    print(json.dumps(asdict(f), indent=2) if args.json else f.text())
    if out is not None:
        out.mkdir(exist_ok=True)
        figure = getattr(module, "figure", None)
        save_finding(args.name, f, out, figure)
        if not args.json:
            print(f"wrote {out / (args.name + '.json')}" + (" and its figure" if figure is not None else ""))
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``experiments`` and ``experiment`` to the ``painsim`` sub-commands."""
    ls = sub.add_parser("experiments", help="list the shipped experiments (claims, sweeps, sensitivity)",
                        formatter_class=HelpFormatter,
                        description="The experiments shipped with painsim, one line each, and the command that "
                                    "runs each.",
                        epilog=examples("painsim experiments", "painsim experiments --json"))
    ls.add_argument("--json", action="store_true", help="machine-readable output")
    ls.set_defaults(func=cmd_experiments)

    ex = sub.add_parser("experiment", help="run one claim experiment of the seed article",
                        formatter_class=HelpFormatter,
                        description="Run one claim experiment: the claim, the simulated and reported numbers, "
                                    "and the verdict.",
                        epilog=examples("painsim experiment hardy2007_functional_modulation",
                                        "painsim experiment takano2006_duloxetine_sert --patients 500 --out results",
                                        "painsim experiment sindrup2005_ssri_vs_snri --json"))
    ex.add_argument("name", help="claim experiment (`painsim experiments` lists them)")
    ex.add_argument("--patients", default="2000", metavar="N", help="virtual patients per arm")
    ex.add_argument("--seed", default="21", metavar="S", help="seed of the virtual trials")
    ex.add_argument("--out", default=None, metavar="DIR", help="folder for NAME.json (and its figure)")
    add_model_file_options(ex)
    ex.add_argument("--json", action="store_true", help="machine-readable output")
    ex.set_defaults(func=cmd_experiment)
