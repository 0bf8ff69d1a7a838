"""Experiments named after what they reproduce, one per mechanism claim of the seed article.

Each module (``painsim.experiments.<source>_<what>``) has a docstring citing its source, a
``CLAIM`` (the claim in the article's words, shortened), ``SOURCES`` (keys of
``models/references.bib``) and ``run(*, n_per_arm, seed) -> Finding``. Run one from the command
line with ``python -m painsim.experiments.<name> [--patients N] [--seed S] [--out DIR]``; the
report (`painsim reproduce`) runs them all and prints their verdicts in its claims table.

The sweep experiments (TOML files in this folder: dose sweep, selectivity map, sensitivity) are
data for ``painsim sweep``; see :mod:`painsim.sweep`.

Claims of the article that the model cannot test are listed in :data:`OUTSIDE_THE_MODEL` with
the reason, so the claims table says so instead of leaving them out.
"""

from __future__ import annotations

import argparse
import importlib
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path

__all__ = ["CLAIM_EXPERIMENTS", "OUTSIDE_THE_MODEL", "Finding", "difference", "experiment_main", "run_claims",
           "save_finding", "shared_trial"]

#: the claim experiments, in the order of the seed article
CLAIM_EXPERIMENTS: tuple[str, ...] = (
    "takano2006_duloxetine_sert",
    "sindrup2005_noradrenergic_component",
    "bymaster2001_duloxetine_balance",
    "goldstein2005_duloxetine_onset",
    "saarto2007_venlafaxine_nnt",
    "hardy2007_functional_modulation",
    "sindrup2005_ssri_vs_snri",
)

SUPPORTED, NOT_SUPPORTED, UNTESTED = "supported", "not supported", "outside the model"


@dataclass(frozen=True)
class Finding:
    """What one experiment found about one claim.

    Attributes
    ----------
    experiment : str
        Module name (``painsim.experiments.<experiment>``).
    claim : str
        The claim tested.
    sources : tuple of str
        Bibliography keys of the data compared with.
    evidence : str
        One sentence with the simulated and reported numbers.
    verdict : str
        ``"supported"``, ``"not supported"`` or ``"outside the model"``.
    values : dict
        The numbers behind ``evidence`` (name → float), for tables and tests.
    """

    experiment: str
    claim: str
    sources: tuple[str, ...]
    evidence: str
    verdict: str
    values: dict[str, float] = field(default_factory=dict)

    @property
    def supported(self) -> bool:
        return self.verdict == SUPPORTED

    def text(self) -> str:
        """The finding as the command lines print it: claim, evidence, verdict, sources."""
        return (f"claim:    {self.claim}\nevidence: {self.evidence}\nverdict:  {self.verdict}\n"
                f"sources:  {', '.join(self.sources)}")


#: claims of the seed article that the model cannot test, with the reason
OUTSIDE_THE_MODEL: tuple[Finding, ...] = (
    Finding("—", "The benefit comes through the descending pathways, not a direct action on damaged "
            "peripheral nerves.", ("lee2010",),
            "Assumed by the model's structure (the drugs act only on spinal SERT/NET); nothing in the "
            "model could contradict it.", UNTESTED),
    Finding("—", "SNRIs also reduce the release of excitatory transmitters (glutamate, substance P), "
            "a secondary effect.", ("lee2010",),
            "Not represented: presynaptic and postsynaptic α2 / 5-HT actions in the dorsal horn are one "
            "lumped inhibition term (docs/model.md), so the two cannot be told apart.", UNTESTED),
)


@lru_cache(maxsize=32)
def shared_trial(drug: str, dose: float, weeks: int, n_per_arm: int, seed: int):
    """A parallel trial of a library drug (≥ 50 % outcome, painful diabetic
    neuropathy), cached so that experiments sharing one run it once; the weekly courses are kept
    (~1 MB for 2000 patients), so an experiment that needs them shares the run too.

    Returns
    -------
    painsim.trial.TrialResult
    """
    from painsim.library import load_drug
    from painsim.trial import run_trial

    return run_trial(load_drug(drug), dose, weeks, n_per_arm=n_per_arm, seed=seed, keep_courses=True)


def difference(trial) -> float:
    """Drug − placebo responder fraction of a :class:`painsim.trial.TrialResult`."""
    return trial.p_drug - trial.p_placebo


def verdict(ok: bool) -> str:
    """``"supported"`` or ``"not supported"``."""
    return SUPPORTED if ok else NOT_SUPPORTED


def load(name: str):
    """The experiment module ``painsim.experiments.<name>``."""
    return importlib.import_module(f"painsim.experiments.{name}")


def run_claims(*, n_per_arm: int = 2000, seed: int = 21,
               progress: Callable[[str], None] | None = None) -> list[Finding]:
    """Run every claim experiment (then list the claims outside the model).

    Parameters
    ----------
    n_per_arm : int
        Virtual patients per trial arm.
    seed : int
        Seed of every trial (experiments share trials through :func:`shared_trial`).
    progress : callable, optional
        Called with each experiment's name when it is done.
    """
    out = []
    for name in CLAIM_EXPERIMENTS:
        out.append(load(name).run(n_per_arm=n_per_arm, seed=seed))
        if progress is not None:
            progress(name)
    return out + list(OUTSIDE_THE_MODEL)


def experiment_main(name: str, run: Callable[..., Finding], argv: Sequence[str] | None = None,
                    figure: Callable[[Finding], object] | None = None) -> int:
    """Command line of one experiment: run it, print the finding, write JSON (and a figure).

    ``python -m painsim.experiments.<name> [--patients N] [--seed S] [--out DIR]``.
    """
    doc = (load(name).__doc__ or name).strip().splitlines()[0]
    ap = argparse.ArgumentParser(prog=f"python -m painsim.experiments.{name}", description=doc)
    ap.add_argument("--patients", type=int, default=2000, help="virtual patients per arm (default 2000)")
    ap.add_argument("--seed", type=int, default=21, help="seed of the virtual trials (default 21)")
    ap.add_argument("--out", type=Path, default=None, help="folder for <name>.json (and a figure)")
    args = ap.parse_args(argv)
    if args.patients < 10:
        ap.error("--patients must be at least 10")
    f = run(n_per_arm=args.patients, seed=args.seed)
    print(f.text())
    if args.out is not None:
        args.out.mkdir(parents=True, exist_ok=True)
        save_finding(name, f, args.out, figure)
    return 0


def save_finding(name: str, finding: Finding, out: Path, figure: Callable[[Finding], object] | None = None) -> None:
    """Write ``<out>/<name>.json`` (and the experiment's figure, if it has one) whole or not at all."""
    from painsim.atomic import atomic_write

    atomic_write(out / f"{name}.json", json.dumps(asdict(finding), indent=2) + "\n")
    if figure is not None:
        import matplotlib

        matplotlib.use("Agg")  # files only: runs on a headless machine
        from painsim.figures.style import save

        save(figure(finding), out / name)
