"""The trial at one grid point.

:func:`_compute_tile` computes one chunk of the grid: for every point it resolves the model
objects (:func:`painsim.sweep.grid.resolve_point`), sets the placebo model, and simulates each
replicate trial (the two arms of :func:`painsim.trial.simulate_arms`, or an idealised inhibitor's
fixed-occupancy course, :func:`painsim.simulate.fixed_occupancy_course`), reduced to the
endpoints of :func:`painsim.sweep.store._variables`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from painsim.chain import N_OUT, Courses
from painsim.library import ModelFileError
from painsim.population import ARM_DRUG, ARM_PLACEBO, draw_patients
from painsim.regimen import InvalidRegimenError
from painsim.response import within_patient_sd
from painsim.simulate import fixed_occupancy_course
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
from painsim.trial import TrialArms, arms_from_courses, nnt_with_ci, simulate_arms

__all__ = ["PreparedPoint", "point_arms", "prepare_point", "simulate_point_trial"]


@dataclass(frozen=True)
class PreparedPoint:
    """A grid point ready to simulate: its model objects, placebo location μ (logit scale) and,
    for an idealised inhibitor, its weekly course (weeks, 5)."""

    res: ResolvedPoint
    mu: float
    ideal_course: np.ndarray | None


def prepare_point(ctx: SweepContext, drug_name: str | None, dose: float,
                  params: dict[str, float]) -> PreparedPoint:
    """Resolve a grid point's parameter values into model objects, its placebo model and (idealised
    inhibitor) its course; raises KeyError or ValueError where the values are infeasible."""
    res = resolve_point(ctx, drug_name, dose, params)
    mu = ctx.exp.placebo_mu(res.phys, res.cal)
    ideal = None
    if res.drug is None:
        ideal = fixed_occupancy_course(res.occ[0], res.occ[1], ctx.exp.weeks, phys=res.phys, cal=res.cal)
    return PreparedPoint(res, mu, ideal)


def point_arms(ctx: SweepContext, point: PreparedPoint, trial: int) -> TrialArms:
    """Both arms of replicate trial ``trial`` at one grid point (seed ``exp.seed + trial``): a
    drug through :func:`painsim.trial.simulate_arms`, or an idealised inhibitor's course given
    to every drug-arm patient."""
    exp = ctx.exp
    res, mu = point.res, point.mu
    n, seed = exp.patients, exp.seed + trial
    if res.drug is not None:
        entry = res.entry
        assert entry is not None
        titration: tuple[tuple[float, float], ...] = ()
        start = res.dose
        if entry.titration:
            start = res.dose * entry.titration[0][1]
            titration = tuple((day, res.dose * f) for day, f in entry.titration[1:])
        return simulate_arms(res.drug, start, exp.weeks, n_per_arm=n, seed=seed, mu=mu, phys=res.phys,
                             cal=res.cal, design=exp.design, titration=titration, p_miss=exp.missed_doses,
                             interval=entry.interval, variability=exp.variability)
    assert point.ideal_course is not None
    drug_pop = draw_patients(res.phys, n, seed=seed, stream=ARM_DRUG)
    pl_pop = drug_pop if exp.design == "crossover" else draw_patients(res.phys, n, seed=seed, stream=ARM_PLACEBO)
    courses = Courses.from_array(np.broadcast_to(point.ideal_course[None, :, :], (n, exp.weeks, N_OUT)))
    return arms_from_courses(drug_pop, pl_pop, courses, mu, res.cal, noise_sd=within_patient_sd(res.phys))


def simulate_point_trial(ctx: SweepContext, point: PreparedPoint, trial: int) -> tuple[dict[str, np.ndarray], int]:
    """One two-arm trial at one grid point, reduced to the endpoints stored by a sweep.

    The arithmetic is that of :func:`painsim.trial.run_trial` (populations, courses, pain,
    responders, Newcombe NNT), evaluated at every reported week and outcome.

    Parameters
    ----------
    ctx : SweepContext
        From :func:`painsim.sweep.grid.sweep_context`.
    point : PreparedPoint
        The grid point (:func:`prepare_point`).
    trial : int
        Replicate trial r: its patients are drawn with seed ``exp.seed + r``.

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
    n = exp.patients
    cols = np.asarray(exp.report_weeks, dtype=np.int64) - 1
    arms = point_arms(ctx, point, trial)
    courses, pain_d, pain_p = arms.courses, arms.pain_drug, arms.pain_placebo
    n_o, n_w = len(exp.outcomes), len(cols)
    out: dict[str, np.ndarray] = {k: np.full((n_o, n_w), np.nan) for k in
                                  ("p_drug", "p_placebo", "nnt", "nnt_ci_low", "nnt_ci_high")}
    for i, o in enumerate(exp.outcomes):
        resp_d, resp_p = arms.responders(o)
        k_d = resp_d[:, cols].sum(axis=0)
        k_p = resp_p[:, cols].sum(axis=0)
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
        out["baseline_drug"] = arms.drug.baseline
        out["baseline_placebo"] = arms.placebo.baseline
        out["sensitivity"] = arms.drug.sensitivity
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
            point = prepare_point(ctx, drug_name, dose, params)
        except (KeyError, ValueError, InvalidRegimenError, ModelFileError):
            buf["status"][local] = STATUS_INFEASIBLE
            continue
        for k, trial in enumerate(range(trial_slice.start, trial_slice.stop)):
            try:
                values, status = simulate_point_trial(ctx, point, trial)
            except (ValueError, InvalidRegimenError, FloatingPointError, ZeroDivisionError):
                buf["status"][(*local, k)] = STATUS_INFEASIBLE
                continue
            for name, arr in values.items():
                buf[name][(*local, k)] = arr
            buf["status"][(*local, k)] = status
    return buf
