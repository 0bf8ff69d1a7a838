"""The trial's observation model: from a patient's restored inhibition to pain and responders.

Everything that turns the chain's weekly mean inhibition into a trial outcome lives here, once:
the trial, the sweep, the calibration and the benchmark all call these functions.

Pain of patient *i* at week *w* (weekly mean of the 0–10 daily ratings)::

    pain_i(w) = baseline_i · (1 − P_i(w)) · T_i(w) + e_i(w),    T_i(w) = 1 − s_i · Ī_i(w)

- ``Ī_i(w)``: the week's mean restored descending inhibition (0 in the placebo arm) and
  ``T`` the pain transmission of :func:`painsim.dorsal_horn.transmission`;
- ``P_i(w) = expit(μ + σ_p·z_i)`` from week ``τ_p·E_i`` on, 0 before (``E_i`` standard
  exponential): the placebo response (expectation, regression to the mean, natural course), the
  same distribution in both arms. Its size is logistic-normal; its onset is the patient's own,
  exponential with mean τ_p weeks, so a fraction ``F(w) = 1 − e^{−w/τ_p}`` of the patients have
  their response by week w (:func:`placebo_onset_fraction`). Placebo responders appear from week 1
  and keep appearing over the weeks, as in the trials: in pooled pregabalin trials placebo
  responders first appeared "more uniformly distributed across the 6 weeks" (Parsons 2015); of
  the sustained placebo responders at week 12 of the Lilly duloxetine DPN trials, 40.2 % first
  responded in week 1 or 2 (Hardy 2007; a training target, :mod:`painsim.calibrate`). σ_p and
  τ_p (weeks) are calibrated (:mod:`painsim.calibration`); μ is set so that the placebo arm's
  expected ≥ 50 % responder fraction at :data:`PLACEBO_REFERENCE_WEEKS` equals the condition's
  published value (``models/physiology.toml`` [placebo], from 8–12-week trials), or so that its
  responder fraction for the chosen outcome at the end of the trial equals a value the user gives;
- ``e_i(w) ~ N(0, sd²)``: the week-to-week variability of a patient's weekly mean around their
  course, independent between weeks (``models/physiology.toml`` [population]
  ``within_patient_pain_sd``, 0.6 NRS points; deviates from the patient's own stream,
  :func:`painsim.population.weekly_deviates`), so that a patient's responder status is not
  decided by the patient alone; the score is kept on the scale's 0–10;
- responders (:data:`OUTCOMES`): a reduction from baseline of ≥ 50 % ("substantial") or
  ≥ 30 % ("moderate", IMMPACT; Dworkin 2008).

Because the placebo level is a logistic-normal variable present in a fraction F(w) of patients,
the expected responder fraction of a patient with a known drug effect and a given week's deviate
is available in closed form; the week's deviate is integrated by Gauss–Hermite quadrature
(:func:`expected_responder_rate`), which the calibration uses to keep its objective smooth.
(Until 2026-12-08 every patient's response built up together on the logit scale,
``expit(μ + σ_p·z_i + ln(1 − e^{−w/τ_p}))``: the patients who would respond responded almost at
once — 72 % of the sustained placebo responders in week 1 or 2 against Hardy 2007's 40.2 %.)
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numba as nb
import numpy as np
from scipy.optimize import brentq
from scipy.special import expit, log_ndtr, logit, ndtr, ndtri

from painsim.calibration import Calibration
from painsim.discontinuation import NO_DROPOUT, Dropout
from painsim.dorsal_horn import transmission
from painsim.physiology import MAX_WITHIN_PATIENT_SD, Physiology, within_patient_sd_problem
from painsim.population import baseline_quantiles

__all__ = [
    "CONDITIONS",
    "MAX_WITHIN_PATIENT_SD",
    "NOISE_NODES",
    "OUTCOMES",
    "PLACEBO_REFERENCE_WEEKS",
    "RESPONDER_TOLERANCE",
    "PlaceboUnreachable",
    "ResponderBins",
    "early_share",
    "expected_early_share",
    "expected_placebo_rate",
    "expected_responder_rate",
    "pain",
    "placebo_mu",
    "placebo_onset_fraction",
    "placebo_response",
    "responder_bins",
    "responders",
    "trial_placebo_mu",
    "within_patient_sd",
]

#: responder definitions: outcome name -> fractional reduction of pain from baseline
OUTCOMES = {"50pct": 0.5, "30pct": 0.3}
#: the conditions with a published placebo responder rate (``models/physiology.toml`` [placebo])
CONDITIONS = ("dpn", "phn", "central", "mixed")
#: the condition placebo rates come from parallel trials of 8-12 weeks (Frisaldi 2024, Duarte
#: 2022; Arakawa 2015 >= 4 weeks): they set the placebo arm at week 12, and shorter trials get the
#: smaller response of the patients whose placebo response has set in by then
PLACEBO_REFERENCE_WEEKS = 12
#: a reduction within this of the threshold counts (pain computed as a product can land a few ulp
#: below a threshold it meets exactly)
RESPONDER_TOLERANCE = 1e-12


class PlaceboUnreachable(ValueError):
    """A placebo responder fraction the placebo model cannot reach (too few placebo responses set in
    by then, or too many patients leave)."""


def placebo_onset_fraction(weeks: float | np.ndarray, tau_p: float) -> float | np.ndarray:
    """Fraction of patients whose placebo response has set in by ``weeks``,
    ``F(w) = 1 − e^{−w/τ_p}`` (the onset is exponential with mean τ_p).

    Parameters
    ----------
    weeks : float or ndarray
        Time since the start of the trial, weeks (> 0).
    tau_p : float
        Mean onset of the placebo response, weeks.
    """
    if np.ndim(weeks) == 0:
        return -math.expm1(-float(weeks) / tau_p)
    return -np.expm1(-np.asarray(weeks, dtype=float) / tau_p)


def placebo_response(z: np.ndarray, onset: np.ndarray, mu: float, weeks: np.ndarray, cal: Calibration
                     ) -> np.ndarray:
    """``P_i(w) = expit(μ + σ_p·z_i)`` where ``τ_p·E_i ≤ w``, else 0; shape (n, len(weeks))
    (fractions).

    Parameters
    ----------
    z : ndarray, shape (n,)
        Each patient's standard-normal placebo deviate (the size of the response).
    onset : ndarray, shape (n,)
        Each patient's standard-exponential onset deviate E (the response is present from
        ``τ_p·E`` weeks on; :attr:`painsim.population.Population.placebo_onset`).
    mu : float
        Location of the placebo response (logit scale), :func:`placebo_mu`.
    weeks : ndarray
        Weeks since the start of the trial (the end of each week whose mean is taken: a response
        that sets in during week w counts from week w).
    cal : Calibration
        Supplies σ_p and τ_p.
    """
    size = expit(mu + cal.sigma_p * np.asarray(z, dtype=float))
    present = cal.tau_p * np.asarray(onset, dtype=float)[:, None] <= np.asarray(weeks, dtype=float)[None, :]
    return np.where(present, size[:, None], 0.0)


def pain(baseline: np.ndarray, placebo: np.ndarray, sensitivity: np.ndarray,
         inhibition: np.ndarray | float, noise: np.ndarray | None = None) -> np.ndarray:
    """Weekly mean pain (0–10 NRS): ``baseline·(1 − P)·T + e`` with ``T = 1 − s·Ī``, kept on the
    scale's 0–10.

    Parameters
    ----------
    baseline, sensitivity : ndarray, shape (n,)
        Baseline pain (0–10) and sensitivity to restored inhibition (fraction) per patient.
    placebo : ndarray, shape (n, weeks)
        The placebo response P (:func:`placebo_response`).
    inhibition : ndarray, shape (n, weeks), or 0.0
        Weekly mean restored inhibition Ī (0 for a placebo arm).
    noise : ndarray, shape (n, weeks), optional
        The week-to-week variability ``e`` of each weekly mean, NRS points
        (:func:`within_patient_sd` times :func:`painsim.population.weekly_deviates`); none by
        default.

    Returns
    -------
    ndarray, shape (n, weeks)
    """
    out = baseline[:, None] * (1.0 - placebo) * transmission(inhibition, sensitivity[:, None])
    if noise is None:
        return out
    # the weekly mean of 0-10 ratings stays on the scale; clipping moves no responder flag (a score
    # pushed below 0 was already a responder, one pushed above 10 was above its baseline)
    return np.clip(out + noise, 0.0, 10.0)


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

    ``F(w)·(1 − Φ((logit θ − μ)/σ))``, with F the fraction whose response has set in
    (:func:`placebo_onset_fraction`), is the rate (the inverse of :func:`expected_placebo_rate`).

    Raises
    ------
    ValueError
        ``target`` outside (0, 1), or not below F(w): fewer patients have their placebo response
        by then than the target asks to respond.
    """
    if not 0.0 < target < 1.0:
        raise ValueError(f"placebo responder fraction must lie in (0, 1), got {target!r}")
    f = placebo_onset_fraction(weeks, cal.tau_p)
    if target >= f:
        raise PlaceboUnreachable(_unreachable(target, weeks, f, cal))
    return float(logit(threshold) - cal.sigma_p * ndtri(1.0 - target / f))


def _unreachable(target: float, weeks: float, f: float, cal: Calibration) -> str:
    return (f"a placebo responder fraction of {target:g} cannot be reached at week {weeks:g}: only "
            f"{f:.1%} of the patients' placebo responses have set in by then (mean onset tau_p = "
            f"{cal.tau_p:g} weeks); give a smaller placebo response or a longer trial")


def within_patient_sd(phys: Physiology) -> float:
    """SD of a patient's weekly mean pain around their course, week to week (NRS points):
    ``models/physiology.toml`` [population] ``within_patient_pain_sd``, 0 where a physiology file
    does not give it.

    Raises
    ------
    ValueError
        Outside 0 … :data:`MAX_WITHIN_PATIENT_SD` (a value set through
        :meth:`~painsim.physiology.Physiology.with_value`; a file with it does not load).
    """
    sd = float(phys.get("population.within_patient_pain_sd", 0.0) or 0.0)
    if problem := within_patient_sd_problem(sd):
        raise ValueError(f"population.within_patient_pain_sd = {sd:g}: {problem}")
    return sd


def trial_placebo_mu(phys: Physiology, cal: Calibration, *, condition: str, outcome: str, weeks: float,
                     placebo_response: float | None = None, dropout: Dropout = NO_DROPOUT) -> float:
    """μ of a trial's placebo response: the user's ``placebo_response`` for ``outcome`` at the end
    of the trial, or else the condition's ≥ 50 % rate at :data:`PLACEBO_REFERENCE_WEEKS`.

    A reported placebo rate is what the trial's analysis counted, so with a placebo arm that
    discontinues (``dropout``, :class:`painsim.discontinuation.Dropout`) μ is the one whose
    *analysed* rate equals it; with week-to-week variability (:func:`within_patient_sd`) the rate
    is an expectation over the population's baselines (:func:`painsim.population.baseline_quantiles`)
    as well. Both are solved numerically (the rate rises with μ); without either, μ is
    :func:`placebo_mu`'s closed form."""
    if placebo_response is not None:
        target, threshold, at = placebo_response, OUTCOMES[outcome], weeks
    else:
        target, threshold, at = phys[f"placebo.{condition}"], OUTCOMES["50pct"], PLACEBO_REFERENCE_WEEKS
    sd = within_patient_sd(phys)
    if not dropout.active and sd == 0.0:
        return placebo_mu(target, threshold, at, cal)
    try:
        mu = placebo_mu(target, threshold, at, cal)
    except PlaceboUnreachable:
        if sd == 0.0:
            raise
        mu = float(logit(threshold))  # the week's variability adds responders of its own: search
    grid = baseline_quantiles(phys)
    weeks_at = round(at) if dropout.active else at

    def gap(m: float) -> float:
        return dropout.expected_rate(
            lambda t: expected_placebo_rate(m, t, threshold, cal, noise_sd=sd, baseline=grid) if t > 0 else 0.0,
            weeks_at) - target

    lo, hi = mu - 30.0, mu + 50.0
    if gap(hi) <= 0.0:
        f = placebo_onset_fraction(at, cal.tau_p)
        if dropout.active:
            raise PlaceboUnreachable(
                f"a placebo responder fraction of {target:g} cannot be reached when {dropout.fraction:.0%} "
                f"of the arm discontinues ({dropout.analysis}) and {f:.1%} of the placebo responses have "
                f"set in by week {at:g} (mean onset tau_p = {cal.tau_p:g} weeks)")
        raise PlaceboUnreachable(_unreachable(target, at, f, cal))
    if gap(lo) >= 0.0:
        raise PlaceboUnreachable(
            f"a placebo responder fraction of {target:g} is below what week-to-week pain variability "
            f"alone gives ({gap(lo) + target:.3g}); give a larger placebo response")
    return float(brentq(gap, lo, hi, xtol=1e-12))


#: Gauss–Hermite nodes (probabilists') of the expectations over a week's variability deviate
NOISE_NODES = 16
_GH_X, _GH_W = np.polynomial.hermite_e.hermegauss(NOISE_NODES)
_GH_W = _GH_W / _GH_W.sum()
_NO_NOISE = (np.zeros(1), np.ones(1))
#: the grid on which the logit of each patient's needed placebo response is binned (linear
#: binning, error ~ step²·|f''|/8 ≈ 2e-5 of a responder fraction at σ_p = 1); a logit beyond it
#: goes to the end bin (a response within e^-30 of 0 or 1)
LOGIT_LOW, LOGIT_STEP, LOGIT_BINS = -30.0, 0.025, 2401


@nb.njit(cache=True)
def _bin_needs(trans, baseline, keep, noise_sd, x, wx):
    """Patient i with the week's deviate x_k responds when ``b·(1 − P)·T + sd·x ≤ keep·b``, i.e.
    when ``1 − P ≤ lim = (keep − sd·x/b)/T``: certainly where ``lim ≥ 1``, never where
    ``lim ≤ 0``, otherwise when logit P ≥ logit(1 − lim). Returns the histogram of those logits
    (weights wx/n, linear binning on the LOGIT grid) and the certain fraction."""
    hist = np.zeros(LOGIT_BINS)
    certain = 0.0
    top = LOGIT_BINS - 1.000001
    for i in range(trans.shape[0]):
        for k in range(x.shape[0]):
            lim = (keep - noise_sd * x[k] / baseline[i]) / trans[i]
            if lim >= 1.0:
                certain += wx[k]
            elif lim > 0.0:
                u = min(max((math.log((1.0 - lim) / lim) - LOGIT_LOW) / LOGIT_STEP, 0.0), top)
                j = int(u)
                f = u - j
                hist[j] += wx[k] * (1.0 - f)
                hist[j + 1] += wx[k] * f
    n = trans.shape[0]
    return hist / n, certain / n


@nb.njit(cache=True)
def _rate_from_bins(hist, certain, m, sigma_p):
    """``certain + Σ_j hist_j·(1 − Φ((t_j − m)/σ_p))``: logit P is normal (mean m, SD σ_p)."""
    total = certain
    c = 1.0 / (sigma_p * math.sqrt(2.0))
    for j in range(hist.shape[0]):
        if hist[j] != 0.0:
            total += hist[j] * 0.5 * math.erfc((LOGIT_LOW + j * LOGIT_STEP - m) * c)
    return total


@dataclass(frozen=True)
class ResponderBins:
    """What the expected responder fraction of a group of patients needs from them, once: the
    distribution of the placebo response each needs to respond (over patients and the week's
    deviate). It does not depend on the placebo parameters, so a fit that varies only those
    (:mod:`painsim.calibrate`) bins each group once."""

    hist: np.ndarray
    certain: float
    #: the responder fraction without any placebo response, ``mean Φ(b·(1 − θ − T)/sd)`` (exact)
    without: float

    def expected(self, mu: float, weeks: float, cal: Calibration) -> float:
        """Expected responder fraction at ``weeks`` with placebo location ``mu`` (logit scale): a
        fraction F(w) of the patients have their placebo response (:func:`placebo_onset_fraction`),
        the others respond as without one (``without``)."""
        with_response = _rate_from_bins(self.hist, self.certain, mu, cal.sigma_p)
        f = placebo_onset_fraction(weeks, cal.tau_p)
        return float(f * with_response + (1.0 - f) * self.without)


def responder_bins(trans: np.ndarray, threshold: float, *, noise_sd: float = 0.0,
                   baseline: np.ndarray | None = None) -> ResponderBins:
    """:class:`ResponderBins` of patients with pain transmission ``trans`` (shape (n,)), responder
    threshold ``threshold`` and week-to-week variability of SD ``noise_sd`` (NRS points; then
    ``baseline``, the patients' baseline pain, is needed), the week's deviate integrated by
    Gauss–Hermite quadrature (:data:`NOISE_NODES` nodes)."""
    trans = np.ascontiguousarray(trans, dtype=float)
    if noise_sd == 0.0:
        b, (x, wx) = np.ones(trans.shape[0]), _NO_NOISE
    elif baseline is None:
        raise ValueError("an expectation with week-to-week variability needs the patients' baselines")
    else:
        b, x, wx = np.ascontiguousarray(baseline, dtype=float), _GH_X, _GH_W
    hist, certain = _bin_needs(trans, b, 1.0 - threshold, noise_sd, x, wx)
    # without a placebo response a patient responds when b·T + e ≤ (1 − θ)·b: in closed form over
    # the deviate (by quadrature it would step as a node crosses the threshold; the fit's
    # objective would then be piecewise constant in the weights at the 1e-4 scale)
    without = certain if noise_sd == 0.0 else float(np.mean(ndtr(b * ((1.0 - threshold) - trans) / noise_sd)))
    return ResponderBins(hist, float(certain), without)


_PLACEBO_BINS: dict[tuple, ResponderBins] = {}


def expected_placebo_rate(mu: float, weeks: float, threshold: float, cal: Calibration, *,
                          noise_sd: float = 0.0, baseline: np.ndarray | None = None) -> float:
    """Expected responder fraction of a placebo arm at ``weeks``: exact over the placebo draw, and
    with week-to-week variability of SD ``noise_sd`` (NRS points) an average over ``baseline``
    (the patients', or :func:`painsim.population.baseline_quantiles`) and over the week's deviate
    (:func:`responder_bins`)."""
    if noise_sd == 0.0:
        return float(placebo_onset_fraction(weeks, cal.tau_p) * (1.0 - ndtr((logit(threshold) - mu) / cal.sigma_p)))
    if baseline is None:
        raise ValueError("an expectation with week-to-week variability needs the patients' baselines")
    b = np.ascontiguousarray(baseline, dtype=float)
    key = (threshold, noise_sd, b.tobytes())
    if key not in _PLACEBO_BINS:  # a placebo arm's bins depend on nothing else: solving μ reuses them
        if len(_PLACEBO_BINS) > 64:
            _PLACEBO_BINS.clear()
        _PLACEBO_BINS[key] = responder_bins(np.ones(b.shape[0]), threshold, noise_sd=noise_sd, baseline=b)
    return _PLACEBO_BINS[key].expected(mu, weeks, cal)


def expected_responder_rate(inhibition: np.ndarray, sensitivity: np.ndarray, mu: float, weeks: float,
                            threshold: float, cal: Calibration, *, noise_sd: float = 0.0,
                            baseline: np.ndarray | None = None) -> float:
    """Expected responder fraction of patients with known weekly inhibition (in closed form over
    the placebo draw): without week-to-week variability patient *i* responds when its placebo
    response reaches ``need = 1 − (1 − θ)/T_i``, which happens with probability
    ``F(w)·(1 − Φ((logit(need) − μ)/σ_p))`` (certainly where ``need ≤ 0``: the drug alone
    suffices; F is :func:`placebo_onset_fraction`).
    With variability of SD ``noise_sd`` the week's deviate ``x`` moves the bound to
    ``need = 1 − ((1 − θ) − sd·x/b_i)/T_i``, averaged over x by Gauss–Hermite quadrature
    (:data:`NOISE_NODES` nodes). The needed logits are binned on a fine grid
    (:func:`responder_bins`; ~2e-5 of a responder fraction).

    Parameters
    ----------
    inhibition, sensitivity : ndarray, shape (n,)
        The week's mean restored inhibition Ī and each patient's sensitivity s.
    mu : float
        Placebo location (logit scale).
    weeks : float
        The week, for the onset fraction F(w).
    threshold : float
        Responder threshold (fraction).
    noise_sd : float
        SD of the week-to-week variability, NRS points (:func:`within_patient_sd`).
    baseline : ndarray, shape (n,)
        The patients' baseline pain (0–10); needed where ``noise_sd > 0``.
    """
    return responder_bins(transmission(inhibition, sensitivity), threshold, noise_sd=noise_sd,
                          baseline=baseline).expected(mu, weeks, cal)


def early_share(flags: np.ndarray, early: int) -> float:
    """Among the patients who respond in every week from their first response to the last (a
    sustained response at the end), the share whose first response came in weeks 1 … ``early``
    (Hardy 2007's measure of the onset of response).

    Parameters
    ----------
    flags : ndarray of bool, shape (n, weeks)
        Responder flags per patient and week (:func:`responders`).
    early : int
        The last week that counts as early.
    """
    flags = np.asarray(flags, dtype=bool)
    weeks = flags.shape[1]
    any_resp = flags.any(axis=1)
    first = np.where(any_resp, flags.argmax(axis=1), weeks)  # 0-based week of the first response
    # responding every week from the first response on: the responding weeks are all the weeks left
    sustained = any_resp & (flags.sum(axis=1) == weeks - first)
    n = int(np.sum(sustained))
    if n == 0:
        raise ValueError("no patient has a sustained response: the share is undefined")
    return float(np.sum(sustained & (first < early)) / n)


#: Gauss–Hermite nodes over the placebo deviate in :func:`expected_early_share`
SHARE_NODES = 64
_SH_X, _SH_W = np.polynomial.hermite_e.hermegauss(SHARE_NODES)
_SH_W = _SH_W / _SH_W.sum()


def expected_early_share(mu: float, cal: Calibration, *, threshold: float, weeks: int, early: int,
                         noise_sd: float, baseline: np.ndarray) -> float:
    """Expected :func:`early_share` of a placebo arm of ``weeks`` weeks (its ratio of expectations).

    Given a patient's response size P, the week k in which it sets in and the baseline b, the
    weeks are independent: a week with the response is a responder week with probability
    ``q₁ = Φ(b·(P − θ)/sd)``, one without it with ``q₀ = Φ(−b·θ/sd)`` (the week's variability
    alone). A first response in week j followed by a response every week has probability
    ``Π_{w<j}(1 − q_w)·Π_{w≥j} q_w``. Both the early (j ≤ ``early``) and the total sum are
    averaged over the size (Gauss–Hermite, :data:`SHARE_NODES` nodes over z), the onset week
    (``P(k) = F(k) − F(k − 1)``, :func:`placebo_onset_fraction`, and ``1 − F(weeks)`` for a
    response that sets in later) and the baselines.

    Parameters
    ----------
    mu : float
        Placebo location (logit scale).
    cal : Calibration
        Supplies σ_p and τ_p.
    threshold : float
        Responder threshold (fraction of baseline pain).
    weeks, early : int
        The trial's length and the last early week.
    noise_sd : float
        SD of the week-to-week variability, NRS points (> 0: without it a patient's weeks are not
        random and the sum is not smooth in the parameters).
    baseline : ndarray
        Baseline pain (0–10) to average over (:func:`painsim.population.baseline_quantiles`).
    """
    if noise_sd <= 0.0:
        raise ValueError("the expected early share needs week-to-week variability (noise_sd > 0)")
    b = np.asarray(baseline, dtype=float)
    size = expit(mu + cal.sigma_p * _SH_X)                                   # (z,)
    # a week responds with probability q = Φ(a); ln q and ln(1 − q) from ln Φ(±a), exact in both tails
    a_with = b[None, :] * (size[:, None] - threshold) / noise_sd           # (z, b): response set in
    a_without = -b * threshold / noise_sd                                   # (b,): not yet
    f = placebo_onset_fraction(np.arange(0, weeks + 1, dtype=float), cal.tau_p)
    p_onset = np.append(np.diff(f), 1.0 - f[-1])                             # weeks 1..W, later
    early_sum, total = _early_share_sums(log_ndtr(a_with), log_ndtr(-a_with), log_ndtr(a_without),
                                         log_ndtr(-a_without), p_onset, _SH_W, int(weeks), int(early))
    return early_sum / total


@nb.njit(cache=True)
def _early_share_sums(l1y, l1n, l0y, l0n, p_onset, wz, weeks, early):
    """Σ over the size nodes (weights wz), the baselines (mean) and the onset week k (weights
    p_onset; k = weeks + 1: later) of P(first response in week j, then every week), summed over
    j ≤ early and over all j. Before the onset a week responds with ln-probabilities (l0y, l0n),
    from it on with (l1y, l1n), so the path probability has a closed form:
    j < k: ``(1−q₀)^{j−1}·q₀^{k−j}·q₁^{W−k+1}``; j ≥ k: ``(1−q₀)^{k−1}·(1−q₁)^{j−k}·q₁^{W−j+1}``."""
    nz, nb_ = l1y.shape
    # powers 0..weeks of q0, 1 - q0, q1, 1 - q1: each path probability is a product of three
    pow_ = np.empty((4, weeks + 2))
    num = 0.0
    den = 0.0
    for zi in range(nz):
        zn = 0.0
        zd = 0.0
        for bi in range(nb_):
            base = (math.exp(l0n[bi]), math.exp(l0y[bi]), math.exp(l1n[zi, bi]), math.exp(l1y[zi, bi]))
            for r in range(4):
                pow_[r, 0] = 1.0
                for m in range(1, weeks + 2):
                    pow_[r, m] = pow_[r, m - 1] * base[r]
            for k in range(1, weeks + 2):
                pk = p_onset[k - 1]
                if pk == 0.0:
                    continue
                for j in range(1, weeks + 1):
                    if j < k:   # (1 − q0)^{j−1} q0^{k−j} q1^{W−k+1}
                        p = pow_[0, j - 1] * pow_[1, k - j] * pow_[3, weeks - k + 1]
                    else:       # (1 − q0)^{k−1} (1 − q1)^{j−k} q1^{W−j+1}
                        p = pow_[0, k - 1] * pow_[2, j - k] * pow_[3, weeks - j + 1]
                    p *= pk
                    zd += p
                    if j <= early:
                        zn += p
        num += wz[zi] * zn
        den += wz[zi] * zd
    return num, den
