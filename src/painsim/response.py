"""The trial's observation model: from a patient's restored inhibition to pain and responders.

Everything that turns the chain's weekly mean inhibition into a trial outcome lives here, once:
the trial, the sweep, the calibration and the benchmark all call these functions.

Pain of patient *i* at week *w* (weekly mean of the 0–10 daily ratings)::

    pain_i(w) = baseline_i · (1 − P_i(w)) · T_i(w),    T_i(w) = 1 − s_i · Ī_i(w)

- ``Ī_i(w)``: the week's mean restored descending inhibition (0 in the placebo arm) and
  ``T`` the pain transmission of :func:`painsim.dorsal_horn.transmission`;
- ``P_i(w) = expit(μ + σ_p·z_i + β(w))``, ``β(w) = ln(1 − e^{−w/τ_p})``: the placebo response
  (expectation, regression to the mean, natural course), the same distribution in both arms. Each
  patient's response builds up on the logit scale, by a shift β common to all that rises from
  ``ln(1 − e^{−1/τ_p})`` in week 1 to 0: every patient's response grows with time, and the
  patients with the largest responses reach a responder threshold from the first week on — the
  placebo responders of neuropathic-pain trials appear from week 1 and accrue over the first
  weeks (Parsons 2015, pooled pregabalin trials: "more uniformly distributed across the 6 weeks"
  on placebo). σ_p and τ_p (weeks) are calibrated (:mod:`painsim.calibration`); μ is set so that
  the placebo arm's expected ≥ 50 % responder fraction at :data:`PLACEBO_REFERENCE_WEEKS` equals
  the condition's published value (``models/physiology.toml`` [placebo], from 8–12-week trials),
  or so that its responder fraction for the chosen outcome at the end of the trial equals a value
  the user gives;
- responders (:data:`OUTCOMES`): a reduction from baseline of ≥ 50 % ("substantial") or
  ≥ 30 % ("moderate", IMMPACT; Dworkin 2008).

Because the placebo level is a logistic-normal variable, the expected responder fraction of a
patient with a known drug effect is available in closed form
(:func:`expected_responder_rate`), which the calibration uses to keep its objective smooth.
"""

from __future__ import annotations

import math

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit, logit, ndtr, ndtri

from painsim.calibration import Calibration
from painsim.discontinuation import NO_DROPOUT, Dropout
from painsim.dorsal_horn import transmission
from painsim.physiology import Physiology

__all__ = [
    "CONDITIONS",
    "OUTCOMES",
    "PLACEBO_REFERENCE_WEEKS",
    "RESPONDER_TOLERANCE",
    "expected_placebo_rate",
    "expected_responder_rate",
    "pain",
    "placebo_mu",
    "placebo_response",
    "placebo_shift",
    "responders",
    "trial_placebo_mu",
]

#: responder definitions: outcome name -> fractional reduction of pain from baseline
OUTCOMES = {"50pct": 0.5, "30pct": 0.3}
#: the conditions with a published placebo responder rate (``models/physiology.toml`` [placebo])
CONDITIONS = ("dpn", "phn", "central", "mixed")
#: the condition placebo rates come from parallel trials of 8-12 weeks (Frisaldi 2024, Duarte
#: 2022; Arakawa 2015 >= 4 weeks): they set the placebo arm at week 12, and shorter trials get the
#: smaller response the build-up time constant gives
PLACEBO_REFERENCE_WEEKS = 12
#: a reduction within this of the threshold counts (pain computed as a product can land a few ulp
#: below a threshold it meets exactly)
RESPONDER_TOLERANCE = 1e-12


def placebo_shift(weeks: float | np.ndarray, tau_p: float) -> float | np.ndarray:
    """Build-up of the placebo response on the logit scale, ``β(w) = ln(1 − e^{−w/τ_p})`` (≤ 0,
    rising to 0).

    Parameters
    ----------
    weeks : float or ndarray
        Time since the start of the trial, weeks (> 0).
    tau_p : float
        Build-up time constant, weeks.
    """
    if np.ndim(weeks) == 0:
        return math.log(-math.expm1(-float(weeks) / tau_p))
    return np.log(-np.expm1(-np.asarray(weeks, dtype=float) / tau_p))


def placebo_response(z: np.ndarray, mu: float, weeks: np.ndarray, cal: Calibration) -> np.ndarray:
    """``P_i(w) = expit(μ + σ_p·z_i + β(w))``, shape (n, len(weeks)) (fractions).

    Parameters
    ----------
    z : ndarray, shape (n,)
        Each patient's standard-normal placebo deviate.
    mu : float
        Location of the placebo response (logit scale), :func:`placebo_mu`.
    weeks : ndarray
        Weeks since the start of the trial.
    cal : Calibration
        Supplies σ_p and τ_p.
    """
    beta = placebo_shift(np.asarray(weeks, dtype=float), cal.tau_p)
    return expit(mu + cal.sigma_p * np.asarray(z)[:, None] + beta[None, :])


def pain(baseline: np.ndarray, placebo: np.ndarray, sensitivity: np.ndarray,
         inhibition: np.ndarray | float) -> np.ndarray:
    """Weekly mean pain (0–10 NRS): ``baseline·(1 − P)·T`` with ``T = 1 − s·Ī``.

    Parameters
    ----------
    baseline, sensitivity : ndarray, shape (n,)
        Baseline pain (0–10) and sensitivity to restored inhibition (fraction) per patient.
    placebo : ndarray, shape (n, weeks)
        The placebo response P (:func:`placebo_response`).
    inhibition : ndarray, shape (n, weeks), or 0.0
        Weekly mean restored inhibition Ī (0 for a placebo arm).

    Returns
    -------
    ndarray, shape (n, weeks)
    """
    return baseline[:, None] * (1.0 - placebo) * transmission(inhibition, sensitivity[:, None])


def responders(pain_scores: np.ndarray, baseline: np.ndarray, threshold: float) -> np.ndarray:
    """Responder flags: a reduction of pain from baseline of at least ``threshold`` (fraction).

    Parameters
    ----------
    pain_scores : ndarray, shape (n, weeks)
    baseline : ndarray, shape (n,)
    threshold : float
        0.5 or 0.3 (:data:`OUTCOMES`).
    """
    return (1.0 - pain_scores / baseline[:, None]) >= threshold - RESPONDER_TOLERANCE


def placebo_mu(target: float, threshold: float, weeks: float, cal: Calibration) -> float:
    """μ such that the expected placebo responder fraction at ``weeks`` equals ``target``.

    ``P(expit(μ + σz + β) ≥ θ) = 1 − Φ((logit θ − μ − β)/σ)`` with β the build-up at ``weeks``
    (the inverse of :func:`expected_placebo_rate`).
    """
    if not 0.0 < target < 1.0:
        raise ValueError(f"placebo responder fraction must lie in (0, 1), got {target!r}")
    return float(logit(threshold) - placebo_shift(weeks, cal.tau_p) - cal.sigma_p * ndtri(1.0 - target))


def trial_placebo_mu(phys: Physiology, cal: Calibration, *, condition: str, outcome: str, weeks: float,
                     placebo_response: float | None = None, dropout: Dropout = NO_DROPOUT) -> float:
    """μ of a trial's placebo response: the user's ``placebo_response`` for ``outcome`` at the end
    of the trial, or else the condition's ≥ 50 % rate at :data:`PLACEBO_REFERENCE_WEEKS`.

    A reported placebo rate is what the trial's analysis counted, so with a placebo arm that
    discontinues (``dropout``, :class:`painsim.discontinuation.Dropout`) μ is the one whose
    *analysed* rate equals it (solved numerically; the analysed rate rises with μ)."""
    if placebo_response is not None:
        target, threshold, at = placebo_response, OUTCOMES[outcome], weeks
    else:
        target, threshold, at = phys[f"placebo.{condition}"], OUTCOMES["50pct"], PLACEBO_REFERENCE_WEEKS
    mu = placebo_mu(target, threshold, at, cal)
    if not dropout.active:
        return mu

    def gap(m: float) -> float:
        return dropout.expected_rate(lambda t: expected_placebo_rate(m, t, threshold, cal) if t > 0 else 0.0,
                                     round(at)) - target

    if gap(mu + 50.0) <= 0.0:
        raise ValueError(f"a placebo responder fraction of {target:g} cannot be reached when "
                         f"{dropout.fraction:.0%} of the arm discontinues ({dropout.analysis})")
    return float(brentq(gap, mu, mu + 50.0, xtol=1e-12))


def expected_placebo_rate(mu: float, weeks: float, threshold: float, cal: Calibration) -> float:
    """Expected responder fraction of a placebo arm at ``weeks`` (exact over the placebo draw)."""
    return float(1.0 - ndtr((logit(threshold) - mu - placebo_shift(weeks, cal.tau_p)) / cal.sigma_p))


def expected_responder_rate(inhibition: np.ndarray, sensitivity: np.ndarray, mu: float, weeks: float,
                            threshold: float, cal: Calibration) -> float:
    """Expected responder fraction of patients with known weekly inhibition (exact over the
    placebo draw): patient *i* responds when its placebo response reaches
    ``need = 1 − (1 − θ)/T_i``, which happens with probability
    ``1 − Φ((logit(need) − μ − β)/σ_p)`` (certainly where ``need ≤ 0``: the drug alone suffices).

    Parameters
    ----------
    inhibition, sensitivity : ndarray, shape (n,)
        The week's mean restored inhibition Ī and each patient's sensitivity s.
    mu : float
        Placebo location (logit scale).
    weeks : float
        The week, for the build-up β.
    threshold : float
        Responder threshold (fraction).
    """
    need = 1.0 - (1.0 - threshold) / transmission(inhibition, sensitivity)  # the placebo response needed
    with np.errstate(divide="ignore", invalid="ignore"):
        zc = (logit(np.clip(need, 1e-300, 1.0)) - mu - placebo_shift(weeks, cal.tau_p)) / cal.sigma_p
    prob = np.where(need <= 0.0, 1.0, 1.0 - ndtr(zc))
    return float(prob.mean())
