"""Discontinuation for adverse events, and the responder analysis that handles it.

A reported NNT counts responders the way its trial analysed them, and the trials of the
duloxetine era lost 5–15 % of each arm to adverse events. How those patients were counted
changes the NNT: carrying their last observation forward (LOCF) counts early responders,
counting them as non-responders (BOCF, "baseline observation carried forward": the IMMPACT
responder analysis in which withdrawal is non-response) lowers both arms in proportion to their
discontinuation, and a completers analysis ignores them (Moore 2014: LOCF gave lower NNTs than
BOCF; Kajdasz 2007 reports both for the same duloxetine trials).

Model (``models/discontinuation.toml``, :func:`load_discontinuation`):

- an arm discontinues for adverse events with fraction ``f``: the placebo rate (Frisaldi 2024)
  plus, in a drug arm, the drug's sourced excess at its dose (linear in dose between sourced
  doses, 0 at dose 0; refused above the highest sourced dose or for a drug without a row);
- discontinuation is independent of the patient's pain response (an assumption: no source read
  links them), and its week is spread evenly over weeks 1…K (``timing.onset``; an assumption
  with a proxy source). Patient *i* discontinues when its own uniform draw ``u_i`` (stream key
  :data:`painsim.population.K_DROPOUT`) is below ``f``, in week ``⌊u_i/f·K⌋ + 1``; a patient's
  fate depends on (seed, stream, index) only, and a higher ``f`` adds patients without moving any.

Analyses (:data:`ANALYSES`), at week ``w`` of a trial of W weeks, for a patient who leaves in
week D (observed through week D − 1):

- ``"none"``: nobody discontinues (the model without this layer);
- ``"locf"``: a patient who left counts with his week D − 1 status (D = 1: baseline, a
  non-responder);
- ``"bocf"``: a patient who left counts as a non-responder;
- ``"completers"``: only patients who finish the trial (D = 0 or D > W) are counted.

With ``E(t)`` the expected responder fraction of the arm's patients at week t (``E(0) = 0``),
the expected analysed fraction is (:meth:`Dropout.expected_rate`)::

    none, completers:  E(w)
    bocf:              (1 − f·min(w, K)/K)·E(w)
    locf:              (1 − f·min(w, K)/K)·E(w) + (f/K)·Σ_{d=2..min(w,K)} E(d − 1)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from painsim.library import drug_names
from painsim.modelfile import ModelFile, models_dir, read_model_file
from painsim.population import K_DROPOUT, Population, uniform

__all__ = ["ANALYSES", "DIALECT", "NO_DROPOUT", "Discontinuation", "Dropout", "load_discontinuation"]

DIALECT = "painsim-discontinuation/1"
#: the responder analyses a trial can be simulated with
ANALYSES = ("none", "locf", "bocf", "completers")
_HOURS_PER_WEEK = 168.0


@dataclass(frozen=True)
class Dropout:
    """Discontinuation of one trial arm and the analysis that handles it.

    Attributes
    ----------
    fraction : float
        Fraction of the arm that discontinues (by week ``onset_weeks``).
    onset_weeks : int
        Discontinuations are spread evenly over weeks 1…``onset_weeks``.
    analysis : str
        One of :data:`ANALYSES`.
    """

    fraction: float
    onset_weeks: int
    analysis: str

    def __post_init__(self) -> None:
        if self.analysis not in ANALYSES:
            raise ValueError(f"analysis must be one of {', '.join(ANALYSES)}, got {self.analysis!r}")
        if not 0.0 <= self.fraction < 1.0:
            raise ValueError(f"discontinued fraction must lie in [0, 1), got {self.fraction!r}")
        if self.onset_weeks < 1:
            raise ValueError(f"onset_weeks must be at least 1, got {self.onset_weeks!r}")

    @property
    def active(self) -> bool:
        """Whether anyone discontinues."""
        return self.analysis != "none" and self.fraction > 0.0

    def weeks_of(self, pop: Population) -> np.ndarray:
        """Each patient's week of discontinuation (0: completes), shape (n,), int."""
        if not self.active:
            return np.zeros(pop.size, dtype=np.int64)
        u = np.array([uniform(pop.seed, pop.stream, int(p), K_DROPOUT) for p in pop.index])
        week = np.floor(u / self.fraction * self.onset_weeks).astype(np.int64) + 1
        return np.where(u < self.fraction, np.minimum(week, self.onset_weeks), 0)

    def analyse(self, flags: np.ndarray, dropout_week: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Responders and patients counted at each week, as the analysis counts them.

        Parameters
        ----------
        flags : ndarray of bool, shape (n, W)
            Each patient's responder status at weeks 1…W, as if nobody had left.
        dropout_week : ndarray of int, shape (n,)
            :meth:`weeks_of` (0: completes).

        Returns
        -------
        (k, n) : ndarray of int, shape (W,) each
            Responders counted and patients counted at weeks 1…W (week w analysed as if the
            trial ended there).
        """
        flags = np.asarray(flags, dtype=bool)
        n_pat, n_weeks = flags.shape
        d = np.asarray(dropout_week)
        if not self.active or not np.any(d):
            return flags.sum(axis=0), np.full(n_weeks, n_pat)
        k = np.empty(n_weeks, dtype=np.int64)
        n = np.empty(n_weeks, dtype=np.int64)
        left_at_end = (d >= 1) & (d <= n_weeks)
        for w in range(1, n_weeks + 1):
            gone = (d >= 1) & (d <= w)
            stay = flags[:, w - 1] & ~gone
            if self.analysis == "completers":
                k[w - 1], n[w - 1] = int((flags[:, w - 1] & ~left_at_end).sum()), int((~left_at_end).sum())
                continue
            carried = 0
            if self.analysis == "locf":
                last = d[gone] - 2  # the column of week D - 1; -1 is baseline (not a responder)
                carried = int(np.sum(np.where(last >= 0, flags[np.flatnonzero(gone), np.maximum(last, 0)], False)))
            k[w - 1], n[w - 1] = int(stay.sum()) + carried, n_pat
        return k, n

    def expected_rate(self, rate_at: Callable[[int], float], week: int) -> float:
        """Expected analysed responder fraction at ``week`` from the expected fraction ``rate_at(t)``
        of the arm's patients at week t (as if nobody left); see the module docstring."""
        if not self.active or self.analysis == "completers":
            return rate_at(week)
        k, f = self.onset_weeks, self.fraction
        kept = (1.0 - f * min(week, k) / k) * rate_at(week)
        if self.analysis == "bocf":
            return kept
        return kept + (f / k) * sum(rate_at(d - 1) for d in range(2, min(week, k) + 1))


#: the arm of a trial simulated without discontinuation
NO_DROPOUT = Dropout(fraction=0.0, onset_weeks=1, analysis="none")


@dataclass(frozen=True)
class Discontinuation:
    """The sourced discontinuation rates (``models/discontinuation.toml``).

    Attributes
    ----------
    placebo : float
        Fraction of a placebo arm discontinuing for adverse events.
    onset_weeks : int
        Weeks over which discontinuations are spread.
    excess : dict
        drug name -> ((dose mg/day, excess fraction), ...) sorted by dose.
    """

    placebo: float
    onset_weeks: int
    excess: dict[str, tuple[tuple[float, float], ...]]

    def drug_fraction(self, drug: str, mg_per_day: float) -> float:
        """Fraction of a drug arm discontinuing at ``mg_per_day`` (placebo rate + the drug's excess).

        Raises
        ------
        ValueError
            For a drug without a sourced rate, or a dose above its highest sourced dose.
        """
        points = self.excess.get(drug)
        if not points:
            have = ", ".join(sorted(self.excess)) or "none"
            raise ValueError(f"no sourced discontinuation rate for {drug} (models/discontinuation.toml has: "
                             f"{have}); simulate it with analysis 'none'")
        doses = [0.0] + [p[0] for p in points]
        if mg_per_day > doses[-1] + 1e-9:
            raise ValueError(f"the discontinuation rate of {drug} is sourced up to {doses[-1]:g} mg/day only, "
                             f"not {mg_per_day:g}; simulate it with analysis 'none'")
        return self.placebo + float(np.interp(mg_per_day, doses, [0.0] + [p[1] for p in points]))

    def arm(self, drug: str | None, mg_per_day: float, analysis: str) -> Dropout:
        """The :class:`Dropout` of a drug arm (``drug`` a name) or of a placebo arm (``drug`` None)."""
        if analysis not in ANALYSES:
            raise ValueError(f"analysis must be one of {', '.join(ANALYSES)}, got {analysis!r}")
        if analysis == "none":
            return NO_DROPOUT
        frac = self.placebo if drug is None else self.drug_fraction(drug, mg_per_day)
        return Dropout(fraction=frac, onset_weeks=self.onset_weeks, analysis=analysis)


def load_discontinuation(path: str | Path | None = None) -> Discontinuation:
    """Read ``models/discontinuation.toml`` (or another file in its dialect).

    Raises
    ------
    ModelFileError
        If the file breaks the dialect, a number lacks a unit or a source, or a value is out of
        range (fractions in [0, 1), doses positive and distinct per drug, onset a whole number of
        weeks ≥ 1).
    """
    return _load(str(Path(path) if path is not None else models_dir() / "discontinuation.toml"))


@lru_cache(maxsize=8)
def _load(path: str) -> Discontinuation:
    ctx = ModelFile(path)
    _, doc = read_model_file(path, DIALECT)
    ctx.check_keys("top level", doc, {"dialect", "placebo", "timing", "drug"}, {"dialect", "placebo", "timing"})
    ctx.check_keys("placebo", doc["placebo"], {"ae_discontinuation"}, {"ae_discontinuation"})
    placebo = ctx.fraction("placebo.ae_discontinuation", doc["placebo"]["ae_discontinuation"]).value
    ctx.check_keys("timing", doc["timing"], {"onset"}, {"onset"})
    onset_h = ctx.sourced_value("timing.onset", doc["timing"]["onset"], "time", positive=True).value
    onset = onset_h / _HOURS_PER_WEEK
    if abs(onset - round(onset)) > 1e-9 or round(onset) < 1:
        raise ctx.fail("timing.onset", f"must be a whole number of weeks (got {onset:g})")
    excess: dict[str, list[tuple[float, float]]] = {}
    for i, row in enumerate(ctx.plain("drug", doc.get("drug", []), "tables")):
        where = f"drug[{i}]"
        ctx.check_keys(where, row, {"name", "dose_mg_per_day", "excess"}, {"name", "dose_mg_per_day", "excess"})
        name = ctx.plain(f"{where}.name", row["name"], "string", choices=drug_names())
        dose = ctx.plain(f"{where}.dose_mg_per_day", row["dose_mg_per_day"], "number", positive=True)
        frac = ctx.fraction(f"{where}.excess", row["excess"]).value
        if placebo + frac >= 1.0:
            raise ctx.fail(f"{where}.excess", "placebo rate + excess must stay below 100 %")
        if any(abs(d - dose) < 1e-9 for d, _ in excess.get(name, [])):
            raise ctx.fail(f"{where}.dose_mg_per_day", f"{name} at {dose:g} mg/day appears twice")
        excess.setdefault(name, []).append((float(dose), frac))
    return Discontinuation(placebo=placebo, onset_weeks=round(onset),
                           excess={k: tuple(sorted(v)) for k, v in excess.items()})
