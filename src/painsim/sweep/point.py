"""The trial at one grid point, and the course of an idealised inhibitor.

:func:`_compute_tile` computes one chunk of the grid: for every point it resolves the model
objects (:func:`painsim.sweep.grid.resolve_point`), sets the placebo model, and simulates each
replicate trial, reduced to the endpoints of :func:`painsim.sweep.store._variables`.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from painsim.calibration import Calibration, load_calibration
from painsim.dorsal_horn import dorsal_horn_params, inhibition
from painsim.library import ModelFileError
from painsim.physiology import Physiology, load_physiology
from painsim.population import ARM_DRUG, ARM_PLACEBO, Population, draw_population
from painsim.regimen import InvalidRegimenError
from painsim.simulate import HOURS_PER_WEEK, N_OUT, Courses
from painsim.sweep.experiment import Experiment
from painsim.sweep.grid import (
    STATUS_INFEASIBLE,
    STATUS_NONFINITE,
    STATUS_NOT_APPLICABLE,
    STATUS_OK,
    ResolvedPoint,
    SweepContext,
    _point,
    resolve_point,
)
from painsim.sweep.store import _extra_shape, _variables
from painsim.synapse import qss_ratio, slow_step, synapse_params
from painsim.trial import OUTCOMES, drug_courses, nnt_with_ci, placebo_response_arr, trial_placebo_mu

#: step of the idealised inhibitor's desensitisation state, h (a divisor of the 168 h week)
IDEALISED_STEP_H = 1.0


@nb.njit(cache=True)
def _fixed_course(occ_s, occ_n, p5, pne, dh, weeks, h, n_per_week):
    """Weekly means (weeks, 5) of I, occupancies and ratios at constant occupancy (see below)."""
    out = np.empty((weeks, N_OUT))
    d5 = 0.0
    dne = 0.0
    r5 = qss_ratio(occ_s, d5, p5, 1.0)
    rne = qss_ratio(occ_n, dne, pne, 1.0)
    prev = np.empty(N_OUT)
    cur = np.empty(N_OUT)
    prev[0] = inhibition(r5, rne, dh)
    prev[1] = occ_s
    prev[2] = occ_n
    prev[3] = r5
    prev[4] = rne
    for w in range(weeks):
        acc = np.zeros(N_OUT)
        for _ in range(n_per_week):
            # the fast path's step: QSS at the step's end, then exact relaxation of D over the step
            r5, rne, d5, dne = slow_step(occ_s, occ_n, r5, rne, d5, dne, h, p5, pne)
            cur[0] = inhibition(r5, rne, dh)
            cur[1] = occ_s
            cur[2] = occ_n
            cur[3] = r5
            cur[4] = rne
            for q in range(N_OUT):
                acc[q] += 0.5 * h * (prev[q] + cur[q])
                prev[q] = cur[q]
        for q in range(N_OUT):
            out[w, q] = acc[q] / (n_per_week * h)
    return out


def fixed_occupancy_course(occ_sert: float, occ_net: float, weeks: int, *, phys: Physiology | None = None,
                           cal: Calibration | None = None, step_h: float = IDEALISED_STEP_H) -> np.ndarray:
    """The chain of an idealised inhibitor that holds SERT and NET occupancy constant from t = 0.

    No pharmacokinetics: the occupancies are fed to the same stage functions as the fast path
    (:func:`painsim.synapse.qss_ratio` for the synapse at quasi-steady state,
    :func:`painsim.synapse.desens_target` for the autoreceptor desensitisation, stepped by exact
    relaxation over steps of ``step_h`` hours, and :func:`painsim.dorsal_horn.inhibition`).

    Parameters
    ----------
    occ_sert, occ_net : float
        Transporter occupancies (fractions, 0 ≤ occ < 1).
    weeks : int
        Duration, weeks.
    step_h : float
        Step of the desensitisation state, h (must divide 168).

    Returns
    -------
    ndarray, shape (weeks, 5)
        Weekly means of the restored inhibition I (−1…1), SERT and NET occupancy (fractions),
        and the 5-HT and NE ratios c/c0 (the columns of :class:`painsim.simulate.Courses`).

    Examples
    --------
    >>> out = fixed_occupancy_course(0.0, 0.0, 2)
    >>> bool(abs(out[:, 0]).max() < 1e-12)      # no occupancy, no restored inhibition
    True
    """
    if not (0.0 <= occ_sert < 1.0 and 0.0 <= occ_net < 1.0):
        raise ValueError("occupancies must lie in [0, 1)")
    n = HOURS_PER_WEEK / step_h
    if step_h <= 0 or abs(n - round(n)) > 1e-9:
        raise ValueError(f"step_h must divide {HOURS_PER_WEEK:g} h, got {step_h!r}")
    phys = load_physiology() if phys is None else phys
    cal = load_calibration() if cal is None else cal
    return _fixed_course(float(occ_sert), float(occ_net), synapse_params(phys, "serotonin"),
                         synapse_params(phys, "norepinephrine"), dorsal_horn_params(phys, cal.w_ne, cal.w_5ht),
                         int(weeks), float(step_h), round(n))


def draw_patients(phys: Physiology, n: int, seed: int, stream: int) -> Population:
    """The drug-independent draws (sensitivity, placebo deviate, baseline) of one arm.

    The same patients as :func:`painsim.population.draw_population` (the PK vector is unused).
    """
    from painsim.population import _draw_basics

    idx = np.arange(n, dtype=np.int64)
    freq = {k: phys.get(f"population.{k}", 0.0) or 0.0 for k in ("cyp2d6_pm", "cyp2d6_im", "cyp2d6_um", "smokers")}
    sens, z, base, cyp, smoke = _draw_basics(
        seed, stream, idx, phys["dorsal_horn.s_max"], phys["population.baseline_pain_min"],
        phys["population.baseline_pain_mean"], freq["cyp2d6_pm"], freq["cyp2d6_im"],
        freq["cyp2d6_um"], freq["smokers"])
    return Population(seed=seed, stream=stream, index=idx, theta=np.zeros((n, 0)), sensitivity=sens,
                      placebo_z=z, baseline=base, cyp2d6=cyp, smoker=smoke)


def experiment_placebo_mu(exp: Experiment, phys: Physiology, cal: Calibration) -> float:
    """Placebo location μ exactly as :func:`painsim.trial.run_trial` sets it.

    One placebo distribution per trial serves every outcome: ``placebo_response`` (if given) is
    the expected responder fraction for ``placebo_outcome`` at the end of the trial.

    Parameters
    ----------
    exp : Experiment
        Gives the condition, ``placebo_outcome``, ``placebo_response`` and the duration (weeks).
    phys : Physiology
        The physiology of the grid point (its ``placebo`` section).
    cal : Calibration
        The calibration of the grid point (``sigma_p``, ``tau_p``).

    Returns
    -------
    float
        μ of the placebo response, logit scale (:func:`painsim.trial.trial_placebo_mu`).

    Raises
    ------
    ValueError
        No placebo model reaches the expected responder fraction with these parameters.
    """
    return trial_placebo_mu(phys, cal, condition=exp.condition, outcome=exp.placebo_outcome, weeks=exp.weeks,
                            placebo_response=exp.placebo_response)


def simulate_point_trial(ctx: SweepContext, res: ResolvedPoint, trial: int, mu: float,
                         ideal_course: np.ndarray | None) -> tuple[dict[str, np.ndarray], int]:
    """One two-arm trial at one grid point, reduced to the endpoints stored by a sweep.

    The arithmetic is that of :func:`painsim.trial.run_trial` (populations, courses, pain,
    responders, Newcombe NNT), evaluated at every reported week and outcome.

    Parameters
    ----------
    ctx : SweepContext
        From :func:`painsim.sweep.grid.sweep_context`.
    res : ResolvedPoint
        The model objects of the point (:func:`painsim.sweep.grid.resolve_point`).
    trial : int
        Replicate trial r: its patients are drawn with seed ``exp.seed + r``.
    mu : float
        Placebo location (:func:`experiment_placebo_mu`).
    ideal_course : ndarray or None, shape (weeks, 5)
        For an idealised inhibitor, its course (:func:`fixed_occupancy_course`); None for a drug.

    Returns
    -------
    values : dict of str to ndarray
        One entry per result variable of the sweep without the grid dims: responder fractions,
        NNT and its bounds per (outcome, reported week); weekly means of pain (0-10 NRS),
        inhibition (-1..1), occupancies (fractions) and transmitter ratios (c/c0); the
        per-patient arrays with ``keep_patients``.
    status : int
        ``STATUS_OK``, or ``STATUS_NONFINITE`` when the model gave a non-finite number.
    """
    exp = ctx.exp
    n, seed = exp.patients, exp.seed + trial
    weeks = exp.weeks
    week_idx = np.arange(1, weeks + 1, dtype=float)
    cols = np.asarray(exp.report_weeks, dtype=np.int64) - 1
    if res.drug is not None:
        drug_pop = draw_population(res.drug, res.phys, n, seed=seed, stream=ARM_DRUG, variability=exp.variability)
        entry = res.entry
        assert entry is not None
        titration = ()
        start = res.dose
        if entry.titration:
            start = res.dose * entry.titration[0][1]
            titration = tuple((day, res.dose * f) for day, f in entry.titration[1:])
        courses = drug_courses(res.drug, start, weeks, drug_pop, phys=res.phys, cal=res.cal,
                               titration=titration, p_miss=exp.missed_doses, interval=entry.interval)
        if exp.design == "parallel":
            pl_pop = draw_population(res.drug, res.phys, n, seed=seed, stream=ARM_PLACEBO, variability=False)
        else:
            pl_pop = drug_pop
    else:
        assert ideal_course is not None
        drug_pop = draw_patients(res.phys, n, seed, ARM_DRUG)
        pl_pop = drug_pop if exp.design == "crossover" else draw_patients(res.phys, n, seed, ARM_PLACEBO)
        courses = Courses.from_array(np.broadcast_to(ideal_course[None, :, :], (n, weeks, N_OUT)))
    pain_d = (drug_pop.baseline[:, None] * (1.0 - placebo_response_arr(drug_pop, mu, week_idx, res.cal))
              * (1.0 - drug_pop.sensitivity[:, None] * courses.inhibition))
    pain_p = pl_pop.baseline[:, None] * (1.0 - placebo_response_arr(pl_pop, mu, week_idx, res.cal))
    rel_d = 1.0 - pain_d / drug_pop.baseline[:, None]
    rel_p = 1.0 - pain_p / pl_pop.baseline[:, None]
    n_o, n_w = len(exp.outcomes), len(cols)
    out: dict[str, np.ndarray] = {k: np.full((n_o, n_w), np.nan) for k in
                                  ("p_drug", "p_placebo", "nnt", "nnt_ci_low", "nnt_ci_high")}
    for i, o in enumerate(exp.outcomes):
        threshold = OUTCOMES[o]
        k_d = (rel_d[:, cols] >= threshold - 1e-12).sum(axis=0)
        k_p = (rel_p[:, cols] >= threshold - 1e-12).sum(axis=0)
        for j in range(n_w):
            k1, k2 = int(k_d[j]), int(k_p[j])
            out["p_drug"][i, j] = k1 / n
            out["p_placebo"][i, j] = k2 / n
            nnt, lo, hi = nnt_with_ci(k1, n, k2, n)
            out["nnt"][i, j] = math.nan if nnt is None else nnt
            out["nnt_ci_low"][i, j] = math.nan if lo is None else lo
            out["nnt_ci_high"][i, j] = math.nan if hi is None else hi
    out["pain_drug_mean"] = pain_d[:, cols].mean(axis=0)
    out["pain_placebo_mean"] = pain_p[:, cols].mean(axis=0)
    for key, arr in (("inhibition", courses.inhibition), ("occupancy_sert", courses.occ_sert),
                     ("occupancy_net", courses.occ_net), ("ratio_5ht", courses.r_5ht), ("ratio_ne", courses.r_ne)):
        out[f"{key}_mean"] = arr[:, cols].mean(axis=0)
    if exp.keep_patients:
        out["pain_drug"] = pain_d[:, cols]
        out["pain_placebo"] = pain_p[:, cols]
        out["inhibition"] = np.ascontiguousarray(courses.inhibition[:, cols])
        out["occupancy_sert"] = np.ascontiguousarray(courses.occ_sert[:, cols])
        out["occupancy_net"] = np.ascontiguousarray(courses.occ_net[:, cols])
        out["baseline_drug"] = drug_pop.baseline
        out["baseline_placebo"] = pl_pop.baseline
        out["sensitivity"] = drug_pop.sensitivity
    finite = all(np.isfinite(courses_arr).all() for courses_arr in
                 (courses.inhibition, courses.occ_sert, courses.occ_net, pain_d))
    return out, STATUS_OK if finite else STATUS_NONFINITE


def _compute_tile(ctx: SweepContext, tile: tuple[slice, ...]) -> dict[str, np.ndarray]:
    """Compute one chunk: arrays of shape (chunk shape) + (extra dims) for every variable."""
    exp = ctx.exp
    variables = _variables(exp)
    shape = tuple(s.stop - s.start for s in tile)
    buf = {k: np.full(shape + _extra_shape(exp, dims), -1 if k == "status" else np.nan, dtype=dt)
           for k, (dims, dt, _, _) in variables.items()}
    grid_tile, trial_slice = tile[:-1], tile[-1]
    for local in np.ndindex(*shape[:-1]):
        index = tuple(s.start + i for s, i in zip(grid_tile, local, strict=True))
        drug_name, dose, params = _point(ctx, index)
        if exp.idealised is None and not math.isfinite(dose):
            buf["status"][local] = STATUS_NOT_APPLICABLE
            continue
        try:
            res = resolve_point(ctx, drug_name, dose, params)
            mu = experiment_placebo_mu(exp, res.phys, res.cal)
            ideal = None
            if res.drug is None:
                ideal = fixed_occupancy_course(res.occ[0], res.occ[1], exp.weeks, phys=res.phys, cal=res.cal)
        except (KeyError, ValueError, InvalidRegimenError, ModelFileError):
            buf["status"][local] = STATUS_INFEASIBLE
            continue
        for k, trial in enumerate(range(trial_slice.start, trial_slice.stop)):
            try:
                values, status = simulate_point_trial(ctx, res, trial, mu, ideal)
            except (ValueError, InvalidRegimenError, FloatingPointError, ZeroDivisionError):
                buf["status"][(*local, k)] = STATUS_INFEASIBLE
                continue
            for name, arr in values.items():
                buf[name][(*local, k)] = arr
            buf["status"][(*local, k)] = status
    return buf
