"""Virtual placebo-controlled trials: responder rates and the NNT, computed as meta-analyses do.

Pain of patient *i* at week *w* (weekly mean of the 0–10 daily ratings)::

    pain_i(w) = baseline_i · (1 − P_i(w)) · (1 − s_i · Ī_i(w))

- ``Ī_i(w)``: the week's mean restored descending inhibition from :mod:`painsim.simulate`
  (0 in the placebo arm);
- ``P_i(w) = expit(μ + σ_p·z_i) · (1 − e^{−w/τ_p})``: the placebo response (expectation,
  regression to the mean, natural course), the same distribution in both arms; σ_p and τ_p are
  calibrated, μ is set so that the placebo arm's expected ≥ 50 % responder fraction at week 12
  equals the condition's published value (``models/physiology.toml`` [placebo], from 8–12-week
  trials), or so that its responder fraction for the chosen outcome at the end of the trial
  equals the value the user gives (``placebo_response``);
- responders: a reduction from baseline of ≥ 50 % ("substantial") or ≥ 30 % ("moderate",
  IMMPACT; Dworkin 2008), at the last week.

NNT = 1/(p_drug − p_placebo) with the Newcombe hybrid-score interval for the difference
(method 10 of Newcombe 1998, from Wilson intervals of each arm) inverted; where the interval of
the difference includes 0 the NNT interval is not estimable (``None``), and where the drug is
not better than placebo the NNT itself is ``None`` — the conventions of the Cochrane reviews.

The crossover design of the older TCA/SSRI trials gives every patient both treatments (order
randomised, no carry-over) and scores global "moderate or better relief"; painsim maps that to a
≥ 30 % reduction (Farrar 2001: ≈ 30 % corresponds to "much improved" on the PGIC) and analyses
the periods as if parallel, as the pooled NNTs do.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from scipy.special import expit, logit, ndtri

from painsim.calibration import Calibration, load_calibration
from painsim.library import DrugSpec
from painsim.physiology import Physiology, load_physiology
from painsim.population import ARM_DRUG, ARM_PLACEBO, Population, draw_population
from painsim.regimen import Regimen
from painsim.simulate import Courses, chain, run_fast

__all__ = [
    "CONDITIONS",
    "OUTCOMES",
    "TrialResult",
    "newcombe_interval",
    "nnt_with_ci",
    "placebo_mu",
    "run_trial",
    "trial_placebo_mu",
    "wilson_interval",
]

OUTCOMES = {"50pct": 0.5, "30pct": 0.3}
#: the condition placebo rates (physiology [placebo]) come from parallel trials of 8-12 weeks
#: (Frisaldi 2024, Duarte 2022; Arakawa 2015 >= 4 weeks): they set the placebo arm at week 12,
#: and shorter trials get the smaller response the build-up time constant gives
PLACEBO_REFERENCE_WEEKS = 12
CONDITIONS = ("dpn", "phn", "central", "mixed")
Z95 = 1.959963984540054


def wilson_interval(k: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a proportion k/n."""
    if n <= 0:
        raise ValueError("n must be positive")
    p = k / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def newcombe_interval(k1: int, n1: int, k2: int, n2: int, z: float = Z95) -> tuple[float, float]:
    """Newcombe hybrid-score 95 % interval for p1 − p2 (Newcombe 1998, method 10)."""
    p1, p2 = k1 / n1, k2 / n2
    l1, u1 = wilson_interval(k1, n1, z)
    l2, u2 = wilson_interval(k2, n2, z)
    d = p1 - p2
    return d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def nnt_with_ci(k1: int, n1: int, k2: int, n2: int) -> tuple[float | None, float | None, float | None]:
    """NNT = 1/(p1 − p2) and its interval (inverted Newcombe interval of the difference).

    Returns ``(nnt, low, high)``; ``nnt`` is None when p1 ≤ p2, the bounds are None when the
    interval of the difference includes 0.

    Examples
    --------
    >>> nnt, lo, hi = nnt_with_ci(445, 1000, 257, 1000)
    >>> round(nnt, 2), round(lo, 2), round(hi, 2)
    (5.32, 4.38, 6.82)
    """
    d = k1 / n1 - k2 / n2
    nnt = 1.0 / d if d > 0 else None
    lo, hi = newcombe_interval(k1, n1, k2, n2)
    if lo <= 0.0 <= hi:
        return nnt, None, None
    if hi < 0:
        return nnt, None, None
    return nnt, 1.0 / hi, 1.0 / lo


def _expectation(weeks: float, tau_p: float) -> float:
    return 1.0 - math.exp(-weeks / tau_p)


def placebo_mu(target: float, threshold: float, weeks: float, cal: Calibration) -> float:
    """μ such that the expected placebo responder fraction at ``weeks`` equals ``target``.

    ``P(e·expit(μ + σz) ≥ θ) = 1 − Φ((logit(θ/e) − μ)/σ)`` with e the expression at ``weeks``.
    """
    if not 0.0 < target < 1.0:
        raise ValueError(f"placebo responder fraction must lie in (0, 1), got {target!r}")
    e = _expectation(weeks, cal.tau_p)
    q = threshold / e
    if q >= 1.0:
        raise ValueError(f"a {threshold:.0%} placebo response cannot be reached by week {weeks:g} "
                         f"(expression {e:.2f} with tau_p {cal.tau_p:.2f} weeks)")
    return float(logit(q) - cal.sigma_p * ndtri(1.0 - target))


def trial_placebo_mu(phys: Physiology, cal: Calibration, *, condition: str, outcome: str, weeks: float,
                     placebo_response: float | None = None) -> float:
    """μ of a trial's placebo response: the user's ``placebo_response`` for ``outcome`` at the end
    of the trial, or else the condition's ≥ 50 % rate at :data:`PLACEBO_REFERENCE_WEEKS`."""
    if placebo_response is not None:
        return placebo_mu(placebo_response, OUTCOMES[outcome], weeks, cal)
    return placebo_mu(phys[f"placebo.{condition}"], OUTCOMES["50pct"], PLACEBO_REFERENCE_WEEKS, cal)


def placebo_response(z: np.ndarray, mu: float, weeks: np.ndarray, cal: Calibration) -> np.ndarray:
    """P_i(w), shape (n, len(weeks))."""
    e = 1.0 - np.exp(-np.asarray(weeks, dtype=float) / cal.tau_p)
    return expit(mu + cal.sigma_p * np.asarray(z))[:, None] * e[None, :]


@dataclass(frozen=True)
class TrialResult:
    """A virtual trial's outcome (the JSON of ``painsim trial``, plus arrays for analysis).

    ``pain_*`` are weekly mean pain scores (n, weeks); ``responders_*`` are per-week
    responder fractions of each arm (weeks,).
    """

    drug: str
    dose_mg_per_day: float
    weeks: int
    n_per_arm: int
    outcome: str
    design: str
    condition: str
    p_drug: float
    p_placebo: float
    nnt: float | None
    nnt_ci_low: float | None
    nnt_ci_high: float | None
    placebo_target: float
    seed: int
    responders_drug: np.ndarray = field(repr=False)
    responders_placebo: np.ndarray = field(repr=False)
    pain_drug: np.ndarray = field(repr=False)
    pain_placebo: np.ndarray = field(repr=False)
    courses: Courses | None = field(default=None, repr=False)

    def to_dict(self) -> dict:
        """The stable JSON interface (DESIGN §3) plus a few extra fields."""
        return {
            "drug": self.drug, "dose_mg_per_day": self.dose_mg_per_day, "weeks": self.weeks,
            "n_per_arm": self.n_per_arm, "outcome": self.outcome, "p_drug": self.p_drug,
            "p_placebo": self.p_placebo, "nnt": self.nnt, "nnt_ci_low": self.nnt_ci_low,
            "nnt_ci_high": self.nnt_ci_high, "design": self.design, "condition": self.condition,
            "placebo_target": self.placebo_target, "seed": self.seed,
            "responders_by_week": {"drug": [round(float(x), 6) for x in self.responders_drug],
                                   "placebo": [round(float(x), 6) for x in self.responders_placebo]},
        }


def drug_courses(drug: DrugSpec, mg_per_day: float, weeks: int, pop: Population, *,
                 phys: Physiology, cal: Calibration, titration: tuple[tuple[float, float], ...] = (),
                 p_miss: float = 0.0, interval: float | None = None,
                 record_windows: tuple[tuple[float, float], ...] = (),
                 progress: Callable[[int], None] | None = None, chunk: int = 50_000,
                 engine: str = "kernel") -> Courses:
    """Weekly inhibition etc. of the drug arm's patients.

    ``engine="kernel"`` runs the fused population kernel (:func:`painsim.kernels.run_population`,
    ~30× faster); ``"fast"`` the one-patient-per-thread fast path
    (:func:`painsim.simulate.run_fast`), which the kernel follows to ~2e-4 in the weekly
    inhibition (one Newton step per time step instead of a converged solve). The fast path is
    used whatever ``engine`` says for ``record_windows`` and for the NE↔5-HT cross-talk switch,
    which the kernel does not implement. With ``progress``, the patients run in chunks of
    ``chunk`` and ``progress(n_done)`` is called after each (patients are independent, so
    chunking does not change any result).
    """
    from painsim.synapse import P_CROSS

    if engine not in ("kernel", "fast"):
        raise ValueError(f"engine must be 'kernel' or 'fast', got {engine!r}")
    tau = drug.dosing.interval.value if interval is None else interval
    reg = Regimen.daily(mg_per_day, days=7 * weeks, interval=tau, titration=titration)
    ch = chain(drug, phys, cal)
    use_kernel = engine == "kernel" and not record_windows and ch.p5[P_CROSS] == 0.0 and ch.pne[P_CROSS] == 0.0

    def run(a: int, b: int) -> Courses:
        if use_kernel:
            from painsim.kernels import run_population

            res = run_population(ch, pop.theta[a:b], pop.sensitivity[a:b], pop.placebo_z[a:b], pop.baseline[a:b],
                                 reg, weeks, placebo_mu=0.0, calibration=cal, index=pop.index[a:b], seed=pop.seed,
                                 stream=pop.stream, p_miss=p_miss, weekly=True, outcomes=("50pct",))
            return Courses.from_array(res["weekly"])
        return run_fast(ch, pop.theta[a:b], reg, weeks, index=pop.index[a:b], seed=pop.seed, stream=pop.stream,
                        p_miss=p_miss, record_windows=record_windows)

    if progress is None or pop.size <= chunk:
        out = run(0, pop.size)
        if progress is not None:
            progress(pop.size)
        return out
    parts = []
    for a in range(0, pop.size, chunk):
        b = min(a + chunk, pop.size)
        parts.append(run(a, b))
        progress(b - a)
    fields = ("inhibition", "occ_sert", "occ_net", "r_5ht", "r_ne")
    merged = {f: np.concatenate([getattr(c, f) for c in parts]) for f in fields}
    if record_windows:
        merged["recorded"] = np.concatenate([c.recorded for c in parts])
        merged["recorded_t"] = parts[0].recorded_t
    return Courses(**merged)


def run_trial(drug: DrugSpec, mg_per_day: float, weeks: int, *, n_per_arm: int = 500, seed: int = 1,
              outcome: str = "50pct", condition: str = "dpn", placebo_response: float | None = None,
              design: str = "parallel", titration: tuple[tuple[float, float], ...] = (),
              p_miss: float = 0.0, phys: Physiology | None = None, cal: Calibration | None = None,
              variability: bool = True, keep_courses: bool = False,
              progress: Callable[[int], None] | None = None, engine: str = "kernel") -> TrialResult:
    """Run one virtual placebo-controlled trial.

    Parameters
    ----------
    drug : DrugSpec
    mg_per_day : float
        Target daily dose, mg/day.
    weeks : int
        Duration (parallel) or length of each period (crossover), weeks.
    n_per_arm : int
        Patients per arm (crossover: patients, each contributing to both treatments).
    seed : int
        Patient *i* of each arm is the same person whatever ``n_per_arm``.
    outcome : {"50pct", "30pct"}
    condition : {"dpn", "phn", "central", "mixed"}
        Sets the placebo arm's expected ≥ 50 % responder fraction (Frisaldi 2024; Arakawa 2015).
    placebo_response : float, optional
        Overrides it: the placebo arm's expected responder fraction for ``outcome`` at the end of
        the trial.
    design : {"parallel", "crossover"}
    titration : tuple of (day, mg_per_day)
    p_miss : float
        Probability that a dose is missed.
    progress : callable, optional
        Called with the number of drug-arm patients just finished (for a progress bar).
    engine : {"kernel", "fast"}
        How the drug arm is simulated (:func:`drug_courses`): the fused population kernel
        (default) or the one-patient-per-thread fast path.
    """
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
    if condition not in CONDITIONS:
        raise ValueError(f"condition must be one of {', '.join(CONDITIONS)}, got {condition!r}")
    if design not in ("parallel", "crossover"):
        raise ValueError(f"design must be 'parallel' or 'crossover', got {design!r}")
    if int(weeks) != weeks or weeks < 1:
        raise ValueError(f"weeks must be a positive whole number, got {weeks!r}")
    if n_per_arm < 1:
        raise ValueError(f"n_per_arm must be positive, got {n_per_arm!r}")
    weeks = int(weeks)
    phys = load_physiology() if phys is None else phys
    cal = load_calibration() if cal is None else cal
    threshold = OUTCOMES[outcome]
    target = phys[f"placebo.{condition}"] if placebo_response is None else placebo_response
    mu = trial_placebo_mu(phys, cal, condition=condition, outcome=outcome, weeks=weeks,
                          placebo_response=placebo_response)
    week_idx = np.arange(1, weeks + 1, dtype=float)

    drug_pop = draw_population(drug, phys, n_per_arm, seed=seed, stream=ARM_DRUG, variability=variability)
    courses = drug_courses(drug, mg_per_day, weeks, drug_pop, phys=phys, cal=cal, titration=titration,
                           p_miss=p_miss, progress=progress, engine=engine)
    if design == "parallel":
        pl_pop = draw_population(drug, phys, n_per_arm, seed=seed, stream=ARM_PLACEBO, variability=False)
    else:
        pl_pop = drug_pop  # the same patients in the placebo period
    pain_d = (drug_pop.baseline[:, None] * (1.0 - placebo_response_arr(drug_pop, mu, week_idx, cal))
              * (1.0 - drug_pop.sensitivity[:, None] * courses.inhibition))
    pain_p = pl_pop.baseline[:, None] * (1.0 - placebo_response_arr(pl_pop, mu, week_idx, cal))
    resp_d = (1.0 - pain_d / drug_pop.baseline[:, None]) >= threshold - 1e-12
    resp_p = (1.0 - pain_p / pl_pop.baseline[:, None]) >= threshold - 1e-12
    k1, k2 = int(resp_d[:, -1].sum()), int(resp_p[:, -1].sum())
    nnt, lo, hi = nnt_with_ci(k1, n_per_arm, k2, n_per_arm)
    return TrialResult(drug=drug.name, dose_mg_per_day=float(mg_per_day), weeks=weeks,
                       n_per_arm=n_per_arm, outcome=outcome, design=design, condition=condition,
                       p_drug=k1 / n_per_arm, p_placebo=k2 / n_per_arm, nnt=nnt, nnt_ci_low=lo,
                       nnt_ci_high=hi, placebo_target=float(target), seed=seed,
                       responders_drug=resp_d.mean(axis=0), responders_placebo=resp_p.mean(axis=0),
                       pain_drug=pain_d, pain_placebo=pain_p,
                       courses=courses if keep_courses else None)


def placebo_response_arr(pop: Population, mu: float, weeks: np.ndarray, cal: Calibration) -> np.ndarray:
    """The placebo response P_i(w) of a population (n, len(weeks))."""
    return placebo_response(pop.placebo_z, mu, weeks, cal)
