"""Virtual patients: seeded, counter-based draws and inter-individual variability.

Every random number a patient uses is a pure function of ``(seed, stream, patient index, draw
index)`` — a SplitMix64 hash, no generator state — so the same patient is the same whatever the
population size, the order, the chunking or the number of threads. Streams separate the arms of
a trial (patient 7 of the drug arm and patient 7 of the placebo arm are different people).

Per patient:

- PK: log-normal variability on CL, V and ka of each moiety with the drug file's CVs
  (``ω² = ln(1 + CV²)``); CYP2D6 phenotype (poor / intermediate / normal / ultra-rapid) and
  smoking (CYP1A2 induction) drawn with the frequencies of ``models/physiology.toml`` where
  given, applied as the drug file's multipliers: ``[dosing.pgx]`` on the parent's clearance,
  ``[moieties.pgx]`` on a metabolite's own clearance (``cyp2d6_*_cl``) and on the clearance
  that forms it (``cyp2d6_*_formation_cl``, ``fm · CL_precursor``; without it the formation
  clearance follows the precursor's clearance, i.e. ``fm`` is unchanged). A missing clearance
  multiplier is 1 and is listed in the drug's gaps;
- baseline pain (0–10) from the trial inclusion criterion and the reported mean: the
  maximum-entropy distribution on [min, 10] with that mean (an exponential truncated at 10);
- sensitivity to restored descending inhibition ``s ~ U(0, s_max)``;
- a standard-normal placebo deviate z (the size of the placebo response, ``expit(μ_p + σ_p z)``)
  and a standard-exponential deviate E (its onset: the response is present from ``τ_p·E`` weeks
  into a trial on; :mod:`painsim.response`);
- per week of a trial, a standard-normal deviate of week-to-week pain variability
  (:func:`weekly_deviates`), drawn when the trial's weeks are known.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numba as nb
import numpy as np

from painsim.library import DrugSpec
from painsim.physiology import Physiology
from painsim.pk import structure, theta, theta_index

__all__ = [
    "ARM_DRUG",
    "ARM_PLACEBO",
    "Population",
    "baseline_quantiles",
    "draw_patients",
    "draw_population",
    "normal",
    "uniform",
    "weekly_deviates",
]

ARM_DRUG = 1
ARM_PLACEBO = 2

# draw indices (fixed, so adding a draw never shifts another)
K_PLACEBO = 0
K_SENS = 2
K_BASELINE = 3
K_CYP2D6 = 4
K_SMOKER = 5
K_DROPOUT = 6  # discontinuation (painsim.discontinuation)
K_ONSET = 7  # onset of the placebo response (painsim.response)
#: week-to-week pain variability: + 2·(week − 1), one block while on the drug and one while on
#: placebo, so the two periods of a crossover patient get independent weeks
K_WEEKLY_DRUG = 1 << 18
K_WEEKLY_PLACEBO = 1 << 19
MAX_WEEKS = 1 << 16
K_ETA = 16  # + 8*moiety + {0: cl, 2: v, 4: ka} (normal draws use two uniforms)
K_ADHERENCE = 1 << 20  # + dose index

_MASK = (1 << 64) - 1


@nb.njit(cache=True, inline="always")
def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return z ^ (z >> np.uint64(31))


@nb.njit(cache=True)
def uniform(seed, stream, patient, k):
    """A uniform number in (0, 1) that depends only on its four integer arguments."""
    golden = np.uint64(0x9E3779B97F4A7C15)
    z = _mix(np.uint64(seed) + golden)
    z = _mix(z ^ (np.uint64(stream) * golden))
    z = _mix(z ^ (np.uint64(patient) + golden * np.uint64(3)))
    z = _mix(z ^ (np.uint64(k) * np.uint64(0xD1B54A32D192ED03)))
    return ((z >> np.uint64(11)) + 0.5) * (1.0 / 9007199254740992.0)


@nb.njit(cache=True)
def normal(seed, stream, patient, k):
    """A standard normal deviate (Box–Muller on draws k and k+1)."""
    u1 = uniform(seed, stream, patient, k)
    u2 = uniform(seed, stream, patient, k + 1)
    return math.sqrt(-2.0 * math.log(u1)) * math.cos(2.0 * math.pi * u2)


@dataclass(frozen=True)
class Population:
    """Per-patient quantities of one arm (arrays over patients).

    Attributes
    ----------
    index : ndarray of int64
        Patient indices (their identity in the stream).
    theta : ndarray, shape (n, n_theta)
        PK parameter vectors (see :func:`painsim.pk.theta`).
    sensitivity, placebo_z, baseline : ndarray
        s (fraction), placebo deviate, baseline pain (0–10).
    placebo_onset : ndarray
        Standard-exponential deviate of the onset of the placebo response (the onset is
        ``τ_p·placebo_onset`` weeks).
    cyp2d6 : ndarray of int8
        0 poor, 1 intermediate, 2 normal, 3 ultra-rapid metaboliser.
    smoker : ndarray of bool
    """

    seed: int
    stream: int
    index: np.ndarray
    theta: np.ndarray
    sensitivity: np.ndarray
    placebo_z: np.ndarray
    placebo_onset: np.ndarray
    baseline: np.ndarray
    cyp2d6: np.ndarray
    smoker: np.ndarray

    @property
    def size(self) -> int:
        return len(self.index)

    def head(self, n: int) -> Population:
        """The first ``n`` patients (every per-patient array cut; seed and stream kept)."""
        return dataclasses.replace(self, **{f.name: getattr(self, f.name)[:n] for f in dataclasses.fields(self)
                                            if isinstance(getattr(self, f.name), np.ndarray)})


@nb.njit(cache=True)
def _baseline_rate(pain_min, pain_mean):
    """Rate (1/NRS point) of the exponential truncated to [pain_min, 10] whose mean is pain_mean."""
    span = 10.0 - pain_min
    target = pain_mean - pain_min
    lam = 1.0 / max(target, 1e-9)
    for _ in range(100):  # Newton on the truncated-exponential mean
        e = math.exp(-lam * span)
        mean = 1.0 / lam - span * e / (1.0 - e)
        dmean = -1.0 / lam**2 + span * span * e / (1.0 - e) ** 2
        step = (mean - target) / dmean
        lam -= step
        if abs(step) < 1e-13:
            break
    return lam


@nb.njit(cache=True)
def _baseline_at(u, pain_min, lam):
    """Baseline pain at quantile u of the truncated exponential of rate lam (inverse CDF)."""
    span = 10.0 - pain_min
    return pain_min - math.log(1.0 - u * (1.0 - math.exp(-lam * span))) / lam


def baseline_quantiles(phys: Physiology, m: int = 32) -> np.ndarray:
    """Baseline pain (0–10) at the ``m`` mid-quantiles ``(j + ½)/m`` of the population's
    distribution: a deterministic stand-in for the patients of a placebo arm in expectations
    (:func:`painsim.response.expected_placebo_rate`)."""
    lam = _baseline_rate(phys["population.baseline_pain_min"], phys["population.baseline_pain_mean"])
    return np.array([_baseline_at((j + 0.5) / m, phys["population.baseline_pain_min"], lam) for j in range(m)])


@nb.njit(cache=True)
def _weekly(seed, stream, idx, weeks, k0):
    out = np.empty((idx.shape[0], weeks))
    for i in range(idx.shape[0]):
        for w in range(weeks):
            out[i, w] = normal(seed, stream, idx[i], k0 + 2 * w)
    return out


def weekly_deviates(pop: Population, weeks: int, *, on_drug: bool) -> np.ndarray:
    """Standard-normal deviates of each patient's week-to-week pain variability, shape
    (n, weeks): a pure function of (seed, stream, patient index, week) and of whether the patient
    is on the drug or on placebo that week (a crossover patient's two periods differ)."""
    if not 0 <= weeks <= MAX_WEEKS:
        raise ValueError(f"weeks must lie in 0..{MAX_WEEKS}, got {weeks}")
    k0 = K_WEEKLY_DRUG if on_drug else K_WEEKLY_PLACEBO
    return _weekly(pop.seed, pop.stream, pop.index, int(weeks), k0)


@nb.njit(cache=True)
def _draw_basics(seed, stream, idx, s_max, pain_min, pain_mean, f_pm, f_im, f_um, f_smoke):
    n = idx.shape[0]
    sens = np.empty(n)
    z = np.empty(n)
    onset = np.empty(n)
    base = np.empty(n)
    cyp = np.empty(n, dtype=np.int8)
    smoke = np.empty(n, dtype=np.bool_)
    lam = _baseline_rate(pain_min, pain_mean)
    for i in range(n):
        p = idx[i]
        sens[i] = s_max * uniform(seed, stream, p, K_SENS)
        z[i] = normal(seed, stream, p, K_PLACEBO)
        onset[i] = -math.log(uniform(seed, stream, p, K_ONSET))
        u = uniform(seed, stream, p, K_BASELINE)
        base[i] = _baseline_at(u, pain_min, lam)
        u = uniform(seed, stream, p, K_CYP2D6)
        cyp[i] = 0 if u < f_pm else (1 if u < f_pm + f_im else (3 if u > 1.0 - f_um else 2))
        smoke[i] = uniform(seed, stream, p, K_SMOKER) < f_smoke
    return sens, z, onset, base, cyp, smoke


def draw_patients(phys: Physiology, n: int, *, seed: int, stream: int, start: int = 0) -> Population:
    """Draw the drug-independent quantities of patients ``start … start+n−1`` of one stream:
    sensitivity, placebo deviates (size and onset), baseline pain, CYP2D6 phenotype and smoking
    (``theta`` empty).

    The same patients as :func:`draw_population` gives (which adds their PK parameters); used
    on its own for an idealised inhibitor, which has no pharmacokinetics.
    """
    idx = np.arange(start, start + n, dtype=np.int64)
    freq = {k: phys.get(f"population.{k}", 0.0) or 0.0 for k in ("cyp2d6_pm", "cyp2d6_im", "cyp2d6_um", "smokers")}
    sens, z, onset, base, cyp, smoke = _draw_basics(
        seed, stream, idx, phys["dorsal_horn.s_max"], phys["population.baseline_pain_min"],
        phys["population.baseline_pain_mean"], freq["cyp2d6_pm"], freq["cyp2d6_im"],
        freq["cyp2d6_um"], freq["smokers"])
    return Population(seed=seed, stream=stream, index=idx, theta=np.zeros((n, 0)), sensitivity=sens,
                      placebo_z=z, placebo_onset=onset, baseline=base, cyp2d6=cyp, smoker=smoke)


def draw_population(drug: DrugSpec, phys: Physiology, n: int, *, seed: int, stream: int,
                    start: int = 0, variability: bool = True) -> Population:
    """Draw patients ``start … start+n−1`` of one stream (:func:`draw_patients` and their PK).

    Parameters
    ----------
    variability : bool
        False gives every patient the typical PK (for mechanism checks and figures).
    """
    pop = draw_patients(phys, n, seed=seed, stream=stream, start=start)
    idx, cyp, smoke = pop.index, pop.cyp2d6, pop.smoker
    th0 = theta(drug)
    th = np.repeat(th0[None, :], n, axis=0)
    if variability:
        s = structure(drug)
        for j, m in enumerate(drug.moieties):
            for name, off in (("cl", 0), ("v", 2), ("ka", 4)):
                cv = m.variability.get(name)
                if cv is None or (name == "ka" and j > 0):
                    continue
                col = theta_index(name, j)
                omega = math.sqrt(math.log1p(cv.value**2))
                eta = np.array([normal(seed, stream, int(p), K_ETA + 8 * j + off) for p in idx])
                th[:, col] *= np.exp(omega * eta)
        cyp_mult = [_cyp2d6_multiplier(drug.dosing.pgx, "cl", cyp)]  # per moiety, CYP2D6 only
        mult = cyp_mult[0].copy()
        if "cyp1a2_smoker_cl" in drug.dosing.pgx:
            mult[smoke] *= drug.dosing.pgx["cyp1a2_smoker_cl"].value
        th[:, theta_index("cl")] *= mult
        if s.nonlinear:
            th[:, theta_index("vmax")] *= mult  # Vmax scales like clearance
        for j, m in enumerate(drug.moieties[1:], start=1):  # a metabolite's own phenotype effects
            cyp_mult.append(_cyp2d6_multiplier(m.pgx, "cl", cyp))
            th[:, theta_index("cl", j)] *= cyp_mult[j]
            # formation flux is fm·CL_precursor·C_precursor (painsim.pk): the precursor's multiplier
            # already scales it, so fm takes (formation-clearance multiplier) / (precursor's multiplier)
            pre = cyp_mult[int(s.from_idx[j])]
            th[:, theta_index("fm", j)] *= _cyp2d6_multiplier(m.pgx, "formation_cl", cyp, default=pre) / pre
    return dataclasses.replace(pop, theta=th)


def _cyp2d6_multiplier(pgx, what: str, cyp: np.ndarray, default: np.ndarray | None = None) -> np.ndarray:
    """Per patient, the multiplier ``pgx["cyp2d6_<pm|im|um>_<what>"]`` of their CYP2D6 phenotype;
    where the table lists none (and for normal metabolisers), ``default`` (else 1)."""
    mult = np.ones(cyp.shape[0]) if default is None else default.copy()
    for code, phenotype in ((0, "pm"), (1, "im"), (3, "um")):
        key = f"cyp2d6_{phenotype}_{what}"
        if key in pgx:
            mult[cyp == code] = pgx[key].value
    return mult
