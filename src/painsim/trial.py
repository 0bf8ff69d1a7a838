"""Virtual placebo-controlled trials: responder rates and the NNT, computed as meta-analyses do.

A trial draws two arms of virtual patients (:mod:`painsim.population`), runs the drug arm
through the causal chain (:func:`drug_courses`: the population kernel or the fast path), turns
each arm's weekly inhibition into pain and responders with the observation model of
:mod:`painsim.response` (placebo response, pain, responder rule), and compares the arms at the
last week.

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

from painsim.calibration import Calibration, load_calibration
from painsim.chain import DEFAULT_GRID, Courses, chain
from painsim.discontinuation import ANALYSES, NO_DROPOUT, Dropout, load_discontinuation
from painsim.library import DrugSpec
from painsim.physiology import Physiology, load_physiology
from painsim.population import ARM_DRUG, ARM_PLACEBO, Population, draw_patients, draw_population, weekly_deviates
from painsim.regimen import Regimen
from painsim.response import (
    CONDITIONS,
    OUTCOMES,
    pain,
    placebo_response,
    responders,
    trial_placebo_mu,
    within_patient_sd,
)
from painsim.simulate import run_fast
from painsim.synapse import P_CROSS
from painsim.uncertainty import ModelInterval, draw_parameters, interval_from_draws

__all__ = [
    "ANALYSES",
    "DESIGNS",
    "ENGINES",
    "TrialArms",
    "TrialResult",
    "arm_dropouts",
    "arm_pain",
    "arms_from_courses",
    "drug_courses",
    "ensemble_courses",
    "ensemble_rates",
    "newcombe_interval",
    "nnt_with_ci",
    "run_trial",
    "simulate_arms",
    "wilson_interval",
]

DESIGNS = ("parallel", "crossover")
#: how the drug arm is simulated: the fused population kernel or the one-patient-per-thread fast path
ENGINES = ("kernel", "fast")
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
    #: the model-uncertainty interval (``run_trial(..., model_draws=N)``), None without one
    model: ModelInterval | None = None
    #: the responder analysis (:data:`painsim.discontinuation.ANALYSES`), and per arm (drug,
    #: placebo) the fraction that discontinued and the patients counted at the last week
    analysis: str = "none"
    discontinued: tuple[float, float] = (0.0, 0.0)
    n_analysed: tuple[int, int] | None = None

    def to_dict(self) -> dict:
        """The stable JSON interface (DESIGN §3) plus a few extra fields.

        ``nnt_ci_low``/``nnt_ci_high`` are the sampling-only (Newcombe) interval; with a
        model-uncertainty ensemble, ``nnt_model_ci_low``/``nnt_model_ci_high`` add the uncertainty of
        the derived EC50s and of the calibration (:mod:`painsim.uncertainty`)."""
        extra = {}
        if self.model is not None:
            extra = {"nnt_model_ci_low": self.model.nnt_low, "nnt_model_ci_high": self.model.nnt_high,
                     "rd_model_only": list(self.model.rd_model), "rd_model_and_sampling": list(self.model.rd_total),
                     "model_draws": self.model.n_draws}
        return {
            "drug": self.drug, "dose_mg_per_day": self.dose_mg_per_day, "weeks": self.weeks,
            "n_per_arm": self.n_per_arm, "outcome": self.outcome, "p_drug": self.p_drug,
            "p_placebo": self.p_placebo, "nnt": self.nnt, "nnt_ci_low": self.nnt_ci_low,
            "nnt_ci_high": self.nnt_ci_high, "design": self.design, "condition": self.condition,
            "placebo_target": self.placebo_target, "seed": self.seed,
            "responders_by_week": {"drug": [round(float(x), 6) for x in self.responders_drug],
                                   "placebo": [round(float(x), 6) for x in self.responders_placebo]},
            "nnt_ci_method": "Newcombe hybrid score (sampling only)", "analysis": self.analysis,
            "discontinued_drug": self.discontinued[0], "discontinued_placebo": self.discontinued[1],
            "n_analysed_drug": self.n_per_arm if self.n_analysed is None else self.n_analysed[0],
            "n_analysed_placebo": self.n_per_arm if self.n_analysed is None else self.n_analysed[1],
            **extra,
        }


def drug_courses(drug: DrugSpec, mg_per_day: float, weeks: int, pop: Population, *,
                 phys: Physiology, cal: Calibration, titration: tuple[tuple[float, float], ...] = (),
                 p_miss: float = 0.0, interval: float | None = None,
                 record_windows: tuple[tuple[float, float], ...] = (),
                 progress: Callable[[int], None] | None = None, chunk: int = 50_000,
                 engine: str = "kernel", grid: str = DEFAULT_GRID) -> Courses:
    """Weekly inhibition etc. of the drug arm's patients.

    ``engine="kernel"`` runs the fused population kernel (:func:`painsim.kernels.run_population`,
    ~30× faster); ``"fast"`` the one-patient-per-thread fast path
    (:func:`painsim.simulate.run_fast`), which the kernel follows to ~1e-4 (up to ~1e-3) in the weekly
    inhibition (one Newton step per node instead of a converged solve). The fast path is
    used whatever ``engine`` says for ``record_windows`` and for the NE↔5-HT cross-talk switch,
    which the kernel does not implement. Both run on the time grid ``grid``
    (:data:`painsim.chain.GRIDS`, default :data:`painsim.chain.DEFAULT_GRID`); recorded windows
    are averaged with :func:`painsim.chain.window_mean`. With ``progress``, the patients run in
    chunks of ``chunk`` and ``progress(n_done)`` is called after each (patients are independent,
    so chunking does not change any result).
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    tau = drug.dosing.interval.value if interval is None else interval
    reg = Regimen.daily(mg_per_day, days=7 * weeks, interval=tau, titration=titration)
    ch = chain(drug, phys, cal)
    use_kernel = engine == "kernel" and not record_windows and ch.p5[P_CROSS] == 0.0 and ch.pne[P_CROSS] == 0.0

    def run(a: int, b: int) -> Courses:
        if use_kernel:
            from painsim.kernels import run_population

            res = run_population(ch, pop.theta[a:b], reg, weeks, index=pop.index[a:b], seed=pop.seed,
                                 stream=pop.stream, p_miss=p_miss, grid=grid)
            return Courses.from_array(res["weekly"])
        return run_fast(ch, pop.theta[a:b], reg, weeks, index=pop.index[a:b], seed=pop.seed, stream=pop.stream,
                        p_miss=p_miss, record_windows=record_windows, grid=grid)

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
    return Courses.concatenate(parts)


@dataclass(frozen=True)
class TrialArms:
    """Both arms of one simulated trial, week by week, before the responder analysis.

    Attributes
    ----------
    drug, placebo : Population
        The patients of each arm (the same patients in a crossover).
    courses : Courses
        Weekly means of the drug arm's chain (restored inhibition, occupancies, ratios).
    pain_drug, pain_placebo : ndarray, shape (n, weeks)
        Weekly mean pain (0–10 NRS) of each patient (:func:`painsim.response.pain`).
    """

    drug: Population
    placebo: Population
    courses: Courses
    pain_drug: np.ndarray
    pain_placebo: np.ndarray

    def responders(self, outcome: str) -> tuple[np.ndarray, np.ndarray]:
        """Responder flags (n, weeks) of the drug and the placebo arm for an outcome of
        :data:`painsim.response.OUTCOMES`."""
        threshold = OUTCOMES[outcome]
        return (responders(self.pain_drug, self.drug.baseline, threshold),
                responders(self.pain_placebo, self.placebo.baseline, threshold))

    def analysed(self, outcome: str, drop_drug: Dropout = NO_DROPOUT, drop_placebo: Dropout = NO_DROPOUT
                 ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray], tuple[float, float]]:
        """Responders and patients counted per week in each arm under each arm's discontinuation
        and analysis (:meth:`painsim.discontinuation.Dropout.analyse`): ``((k_drug, n_drug),
        (k_placebo, n_placebo), (discontinued_drug, discontinued_placebo))``, the last two the
        fractions of each arm that left during the trial."""
        resp_d, resp_p = self.responders(outcome)
        weeks = resp_d.shape[1]
        out = []
        for flags, pop, drop in ((resp_d, self.drug, drop_drug), (resp_p, self.placebo, drop_placebo)):
            when = drop.weeks_of(pop)
            out.append((drop.analyse(flags, when), float(np.mean((when >= 1) & (when <= weeks)))))
        return out[0][0], out[1][0], (out[0][1], out[1][1])


def arm_pain(pop: Population, inhibition: np.ndarray | float, mu: float, cal: Calibration, *, noise_sd: float,
             on_drug: bool, weeks: int | None = None) -> np.ndarray:
    """Weekly pain (n, weeks) of one arm's patients by the trial's observation model
    (:mod:`painsim.response`): the placebo response of location ``mu``, the restored inhibition
    ``inhibition`` (shape (n, weeks); 0 on placebo) and each patient's week-to-week variability of
    SD ``noise_sd`` (NRS points; deviates from :func:`painsim.population.weekly_deviates`, drawn
    apart for weeks on the drug and on placebo). ``weeks`` is needed where ``inhibition`` is 0."""
    n_weeks = np.shape(inhibition)[1] if weeks is None else weeks
    t = np.arange(1, n_weeks + 1, dtype=float)
    noise = noise_sd * weekly_deviates(pop, n_weeks, on_drug=on_drug) if noise_sd > 0.0 else None
    return pain(pop.baseline, placebo_response(pop.placebo_z, pop.placebo_onset, mu, t, cal), pop.sensitivity,
                inhibition, noise)


def arms_from_courses(drug_pop: Population, placebo_pop: Population, courses: Courses, mu: float,
                      cal: Calibration, *, noise_sd: float) -> TrialArms:
    """Pain in both arms from the drug arm's weekly courses (:func:`arm_pain`): the placebo
    response of location ``mu`` in both, the drug's restored inhibition in the drug arm only, and
    each patient's week-to-week variability of SD ``noise_sd`` (NRS points,
    :func:`painsim.response.within_patient_sd`)."""
    weeks = courses.inhibition.shape[1]
    pain_d = arm_pain(drug_pop, courses.inhibition, mu, cal, noise_sd=noise_sd, on_drug=True)
    pain_p = arm_pain(placebo_pop, 0.0, mu, cal, noise_sd=noise_sd, on_drug=False, weeks=weeks)
    return TrialArms(drug=drug_pop, placebo=placebo_pop, courses=courses, pain_drug=pain_d, pain_placebo=pain_p)


def simulate_arms(drug: DrugSpec, mg_per_day: float, weeks: int, *, n_per_arm: int, seed: int, mu: float,
                  phys: Physiology, cal: Calibration, design: str = "parallel",
                  titration: tuple[tuple[float, float], ...] = (), p_miss: float = 0.0,
                  interval: float | None = None, variability: bool = True,
                  progress: Callable[[int], None] | None = None, engine: str = "kernel") -> TrialArms:
    """Both arms of one trial: patients 0…n−1 of the drug stream (with PK variability unless
    ``variability`` is False) through the chain, and of the placebo stream (parallel design) or
    the same patients (crossover), with the placebo response of location ``mu``."""
    drug_pop = draw_population(drug, phys, n_per_arm, seed=seed, stream=ARM_DRUG, variability=variability)
    courses = drug_courses(drug, mg_per_day, weeks, drug_pop, phys=phys, cal=cal, titration=titration,
                           p_miss=p_miss, interval=interval, progress=progress, engine=engine)
    if design == "parallel":
        pl_pop = draw_patients(phys, n_per_arm, seed=seed, stream=ARM_PLACEBO)
    else:
        pl_pop = drug_pop  # the same patients in the placebo period
    return arms_from_courses(drug_pop, pl_pop, courses, mu, cal, noise_sd=within_patient_sd(phys))


def arm_dropouts(drug: DrugSpec, mg_per_day: float, analysis: str, design: str = "parallel"
                 ) -> tuple[Dropout, Dropout]:
    """The discontinuation of a trial's drug and placebo arms under ``analysis``
    (``models/discontinuation.toml``; :mod:`painsim.discontinuation`).

    Raises
    ------
    ValueError
        For an unknown analysis, a crossover trial with an analysis other than "none" (its
        periods are not simulated with discontinuation), or a drug or dose without a sourced
        discontinuation rate.
    """
    if analysis not in ANALYSES:
        raise ValueError(f"analysis must be one of {', '.join(ANALYSES)}, got {analysis!r}")
    if analysis == "none":
        return NO_DROPOUT, NO_DROPOUT
    if design != "parallel":
        raise ValueError(f"analysis {analysis!r} is simulated for parallel trials only; use analysis 'none' "
                         "for a crossover")
    table = load_discontinuation()
    return table.arm(drug.name, mg_per_day, analysis), table.arm(None, 0.0, analysis)


#: patient-simulations per kernel call of :func:`ensemble_courses` (draws × patients; bounds memory)
ENSEMBLE_CHUNK = 200_000


def ensemble_courses(members: list[tuple[DrugSpec, Calibration]], mg_per_day: float, weeks: int, pop: Population,
                     *, phys: Physiology, titration: tuple[tuple[float, float], ...] = (), p_miss: float = 0.0,
                     interval: float | None = None, progress: Callable[[int], None] | None = None,
                     engine: str = "kernel", grid: str = DEFAULT_GRID) -> list[Courses]:
    """The drug arm's weekly courses under each member (drug, calibration) of a parameter ensemble,
    for the same patients ``pop``.

    With the kernel, the members are one grid over parameter sets of
    :func:`painsim.kernels.run_population` (one call for up to :data:`ENSEMBLE_CHUNK`
    patient-simulations; no Python loop per member), which needs every member to share the PK of
    ``pop`` (an ensemble perturbs occupancy EC50s and the calibration, not PK) and the kernel to
    apply (no cross-talk); otherwise, and with ``engine="fast"``, :func:`drug_courses` per member.
    The courses are the same numbers either way (kernel grid points are independent), on the
    time grid ``grid`` (:data:`painsim.chain.GRIDS`).
    ``progress(n)`` is called with the patients of each member done.
    """
    from painsim.pk import theta

    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    if not members:
        return []
    chains = [chain(d, phys, c) for d, c in members]
    th0 = theta(members[0][0])
    batched = (engine == "kernel" and all(np.array_equal(theta(d), th0) for d, _ in members)
               and all(ch.p5[P_CROSS] == 0.0 and ch.pne[P_CROSS] == 0.0 for ch in chains))
    if not batched:
        out = []
        for d, c in members:
            out.append(drug_courses(d, mg_per_day, weeks, pop, phys=phys, cal=c, titration=titration, p_miss=p_miss,
                                    interval=interval, engine=engine, grid=grid))
            if progress is not None:
                progress(pop.size)
        return out
    from painsim.kernels import run_population

    drug = members[0][0]
    tau = drug.dosing.interval.value if interval is None else interval
    reg = Regimen.daily(mg_per_day, days=7 * weeks, interval=tau, titration=titration)
    per_call = max(1, ENSEMBLE_CHUNK // max(pop.size, 1))
    out = []
    for a in range(0, len(chains), per_call):
        part = chains[a:a + per_call]
        res = run_population(part, pop.theta, reg, weeks, index=pop.index, seed=pop.seed, stream=pop.stream,
                             p_miss=p_miss, grid=grid)
        for m in range(len(part)):
            out.append(Courses.from_array(res["weekly"][m]))
            if progress is not None:
                progress(pop.size)
    return out


def ensemble_rates(drug: DrugSpec, mg_per_day: float, weeks: int, n_draws: int, *, n_per_arm: int,
                   seed: int = 1, outcome: str = "50pct", condition: str = "dpn",
                   placebo_response: float | None = None, design: str = "parallel",
                   titration: tuple[tuple[float, float], ...] = (), p_miss: float = 0.0,
                   phys: Physiology | None = None, cal: Calibration | None = None, variability: bool = True,
                   progress: Callable[[int], None] | None = None, engine: str = "kernel",
                   analysis: str = "none") -> tuple[np.ndarray, np.ndarray]:
    """The last week's responder fractions (drug, placebo) of the same trial under each of the first
    ``n_draws`` parameter draws of :func:`painsim.uncertainty.draw_parameters` (same patients, same
    seed: the spread is model uncertainty). Arguments as :func:`run_trial`."""
    phys = load_physiology() if phys is None else phys
    cal = load_calibration() if cal is None else cal
    drop_d, drop_p = arm_dropouts(drug, mg_per_day, analysis, design)
    draws = draw_parameters(drug, cal, n_draws, seed=seed)
    # the same patients under every draw (a draw perturbs occupancy and the calibration, not PK)
    drug_pop = draw_population(draws[0].drug if draws else drug, phys, n_per_arm, seed=seed, stream=ARM_DRUG,
                               variability=variability)
    pl_pop = draw_patients(phys, n_per_arm, seed=seed, stream=ARM_PLACEBO) if design == "parallel" else drug_pop
    courses = ensemble_courses([(d.drug, d.cal) for d in draws], mg_per_day, weeks, drug_pop, phys=phys,
                               titration=titration, p_miss=p_miss, progress=progress, engine=engine)
    rates = []
    noise_sd = within_patient_sd(phys)
    for draw, crs in zip(draws, courses, strict=True):
        mu = trial_placebo_mu(phys, draw.cal, condition=condition, outcome=outcome, weeks=weeks,
                              placebo_response=placebo_response, dropout=drop_p)
        arms = arms_from_courses(drug_pop, pl_pop, crs, mu, draw.cal, noise_sd=noise_sd)
        (kd, nd), (kp, npl), _ = arms.analysed(outcome, drop_d, drop_p)
        rates.append((kd[-1] / nd[-1], kp[-1] / npl[-1]))
    p_drug, p_placebo = np.array(rates, dtype=float).reshape(-1, 2).T
    return p_drug, p_placebo


def run_trial(drug: DrugSpec, mg_per_day: float, weeks: int, *, n_per_arm: int = 500, seed: int = 1,
              outcome: str = "50pct", condition: str = "dpn", placebo_response: float | None = None,
              design: str = "parallel", titration: tuple[tuple[float, float], ...] = (),
              p_miss: float = 0.0, phys: Physiology | None = None, cal: Calibration | None = None,
              variability: bool = True, keep_courses: bool = False,
              progress: Callable[[int], None] | None = None, engine: str = "kernel",
              model_draws: int = 0, analysis: str = "none") -> TrialResult:
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
    model_draws : int
        With N ≥ 2, also an NNT interval that includes model uncertainty: the same trial for N
        draws of the uncertain parameters (:mod:`painsim.uncertainty`), in ``result.model``.
        Each draw is a trial of ``n_per_arm`` patients per arm (``progress`` counts them too).
    analysis : {"none", "locf", "bocf", "completers"}
        Discontinuation for adverse events and how responders are counted
        (:mod:`painsim.discontinuation`): "none" simulates nobody leaving; the others let each arm
        lose its sourced fraction (parallel trials of a drug with a sourced rate only) and count
        responders as the analysis does. The placebo arm's reported rate is then the analysed one.
    """
    if model_draws and (isinstance(model_draws, bool) or int(model_draws) != model_draws or model_draws < 2):
        raise ValueError(f"model_draws must be 0 or a whole number of at least 2, got {model_draws!r}")
    if outcome not in OUTCOMES:
        raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}, got {outcome!r}")
    if condition not in CONDITIONS:
        raise ValueError(f"condition must be one of {', '.join(CONDITIONS)}, got {condition!r}")
    if design not in DESIGNS:
        raise ValueError(f"design must be one of {', '.join(DESIGNS)}, got {design!r}")
    if int(weeks) != weeks or weeks < 1:
        raise ValueError(f"weeks must be a positive whole number, got {weeks!r}")
    if n_per_arm < 1:
        raise ValueError(f"n_per_arm must be positive, got {n_per_arm!r}")
    weeks = int(weeks)
    drop_d, drop_p = arm_dropouts(drug, mg_per_day, analysis, design)
    phys = load_physiology() if phys is None else phys
    cal = load_calibration() if cal is None else cal
    target = phys[f"placebo.{condition}"] if placebo_response is None else placebo_response
    mu = trial_placebo_mu(phys, cal, condition=condition, outcome=outcome, weeks=weeks,
                          placebo_response=placebo_response, dropout=drop_p)
    arms = simulate_arms(drug, mg_per_day, weeks, n_per_arm=n_per_arm, seed=seed, mu=mu, phys=phys, cal=cal,
                         design=design, titration=titration, p_miss=p_miss, variability=variability,
                         progress=progress, engine=engine)
    (kd, nd), (kp, npl), left = arms.analysed(outcome, drop_d, drop_p)
    k1, k2, n1, n2 = int(kd[-1]), int(kp[-1]), int(nd[-1]), int(npl[-1])
    nnt, lo, hi = nnt_with_ci(k1, n1, k2, n2)
    model = None
    if model_draws:
        p_d, p_p = ensemble_rates(drug, mg_per_day, weeks, int(model_draws), n_per_arm=n_per_arm, seed=seed,
                                  outcome=outcome, condition=condition, placebo_response=placebo_response,
                                  design=design, titration=titration, p_miss=p_miss, phys=phys, cal=cal,
                                  variability=variability, progress=progress, engine=engine, analysis=analysis)
        model = interval_from_draws(p_d, p_p, n_per_arm, seed=seed)
    return TrialResult(drug=drug.name, dose_mg_per_day=float(mg_per_day), weeks=weeks,
                       n_per_arm=n_per_arm, outcome=outcome, design=design, condition=condition,
                       p_drug=k1 / n1, p_placebo=k2 / n2, nnt=nnt, nnt_ci_low=lo,
                       nnt_ci_high=hi, placebo_target=float(target), seed=seed,
                       responders_drug=kd / nd, responders_placebo=kp / npl,
                       pain_drug=arms.pain_drug, pain_placebo=arms.pain_placebo,
                       courses=arms.courses if keep_courses else None, model=model, analysis=analysis,
                       discontinued=left, n_analysed=(n1, n2))
