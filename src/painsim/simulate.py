"""The fast path: virtual patients through the whole causal chain, one patient per thread.

Dose → PK → SERT/NET occupancy → spinal 5-HT and NE (autoreceptor feedback, desensitisation) →
descending inhibition, integrated from the stage functions (:mod:`painsim.pk`,
:mod:`painsim.occupancy`, :mod:`painsim.synapse`, :mod:`painsim.dorsal_horn`):

- exact linear PK propagated with precomputed transition matrices between the nodes of a time
  grid (:func:`painsim.chain.time_grid`: the dose-graded grid of :func:`painsim.chain.dose_grid`,
  short steps just after each dose, then 2-h steps; or the Gauss–Legendre nodes of
  :func:`painsim.chain.quadrature_grid`); Michaelis–Menten PK by :func:`painsim.pk.rk4_step`;
- the synapse at quasi-steady state (Newton to convergence, warm-started) and only the slow
  desensitisation state stepped (exact exponential relaxation over each step, or on a quadrature
  grid over each node's weight, as the population kernel does: :func:`painsim.synapse.slow_step`);
- weekly means by the recording rule of :func:`painsim.chain.trapezoid` (on a quadrature grid,
  :func:`painsim.chain.weighted`).

The same integration at constant occupancy, without PK, is the *idealised inhibitor* of the
selectivity map (:func:`fixed_occupancy_course`). The full stiff system is
:mod:`painsim.reference`; the fused, vectorised population kernel is :mod:`painsim.kernels`.
"""

from __future__ import annotations

import dataclasses

import numba as nb
import numpy as np

from painsim.calibration import Calibration, load_calibration
from painsim.chain import (
    DEFAULT_GRID,
    HOURS_PER_WEEK,
    N_OUT,
    Chain,
    Courses,
    common_lag,
    schedule,
    time_grid,
    trapezoid,
    week_nodes,
    weighted,
)
from painsim.dorsal_horn import dorsal_horn_params, inhibition
from painsim.occupancy import occupancy_of
from painsim.physiology import Physiology, load_physiology
from painsim.pk import conc_factors, mm_parameters, rate_matrix, rk4_step
from painsim.population import K_ADHERENCE, uniform
from painsim.synapse import qss_ratio, slow_step, synapse_params
from painsim.vmath import expm

__all__ = ["IDEALISED_STEP_H", "fixed_occupancy_course", "run_fast"]

#: step of the desensitisation state of the idealised inhibitor, h
IDEALISED_STEP_H = 1.0


@nb.njit(cache=True)
def _one_patient(th, ncmt, from_idx, mw_ratio, central, periph, n_states, nonlinear,
                 t, step_index, hs, dose_node, dose_amount, taken, week_node, occ, p5, pne, dh,
                 out, record_node, record, weight):
    m = ncmt.shape[0]
    quad = weight.shape[0] > 0
    a = rate_matrix(th, ncmt, from_idx, mw_ratio, central, periph, n_states, False)
    nh = hs.shape[0]
    phis = np.empty((nh, n_states, n_states))
    if not nonlinear:
        for i in range(nh):
            phis[i] = expm(a * hs[i])
    cf = conc_factors(th, m)
    v0, vmax, km = mm_parameters(th)
    x = np.zeros(n_states)
    conc = np.zeros(m)
    r5 = 1.0
    rne = 1.0
    d5 = 0.0
    dne = 0.0
    nd = dose_node.shape[0]
    k_dose = 0
    # values at node 0 (before any dose: baseline)
    prev = np.zeros(N_OUT)
    prev[0] = inhibition(r5, rne, dh)
    prev[3] = 1.0
    prev[4] = 1.0
    acc = np.zeros(N_OUT)
    w = 0
    week_start = 0.0
    nsteps = step_index.shape[0]
    rec = 0
    nrec = record_node.shape[0]
    while rec < nrec and record_node[rec] == 0:  # baseline
        record[rec, 0] = 1.0
        record[rec, 1] = 1.0
        rec += 1
    for k in range(nsteps):
        while k_dose < nd and dose_node[k_dose] == k:
            if taken[k_dose]:
                x[0] += dose_amount[k_dose]
            k_dose += 1
        h = hs[step_index[k]]
        if nonlinear:
            x = rk4_step(x, a, h, central[0], v0, vmax, km)
        else:
            x = phis[step_index[k]] @ x
        # a quadrature grid evaluates the chain only at its quadrature nodes (weight > 0; the
        # event nodes, at doses and week ends, only step the PK), a dose-graded grid at every node
        wk = weight[k + 1] if quad else h
        if wk > 0.0:
            for j in range(m):
                conc[j] = x[central[j]] * cf[j]
            o_s = occupancy_of(conc, occ[0])
            o_n = occupancy_of(conc, occ[1])
            # desensitisation relaxes over the step, or over the node's weight
            r5, rne, d5, dne = slow_step(o_s, o_n, r5, rne, d5, dne, wk, p5, pne)
            cur = (inhibition(r5, rne, dh), o_s, o_n, r5, rne)
            for q in range(N_OUT):
                if quad:
                    acc[q] = weighted(acc[q], cur[q], wk)
                else:
                    acc[q] = trapezoid(acc[q], prev[q], cur[q], 0.5 * h)
                prev[q] = cur[q]
        while rec < nrec and record_node[rec] == k + 1:
            record[rec, 0] = r5
            record[rec, 1] = rne
            rec += 1
        if w < week_node.shape[0] and k + 1 == week_node[w]:
            span = t[k + 1] - week_start
            for q in range(N_OUT):
                out[w, q] = acc[q] / span
                acc[q] = 0.0
            week_start = t[k + 1]
            w += 1


@nb.njit(cache=True, parallel=True)
def _run_fast(thetas, index, seed, stream, p_miss, ncmt, from_idx, mw_ratio, central, periph,
              n_states, nonlinear, t, step_index, hs, dose_node, dose_amount, week_node, occ, p5,
              pne, dh, record_node, weight):
    n = thetas.shape[0]
    out = np.empty((n, week_node.shape[0], N_OUT))
    record = np.zeros((n, record_node.shape[0], 2))
    nd = dose_node.shape[0]
    for i in nb.prange(n):
        taken = np.ones(nd, dtype=np.bool_)
        if p_miss > 0.0:
            for d in range(nd):
                taken[d] = uniform(seed, stream, index[i], K_ADHERENCE + d) >= p_miss
        _one_patient(thetas[i], ncmt, from_idx, mw_ratio, central, periph, n_states, nonlinear,
                     t, step_index, hs, dose_node, dose_amount, taken, week_node, occ, p5, pne,
                     dh, out[i], record_node, record[i], weight)
    return out, record


def run_fast(ch: Chain, thetas: np.ndarray, regimen, weeks: int, *, index: np.ndarray | None = None,
             seed: int = 0, stream: int = 0, p_miss: float = 0.0,
             record_windows: tuple[tuple[float, float], ...] = (), grid: str = DEFAULT_GRID) -> Courses:
    """The quasi-steady-state fast path for many patients (numba, parallel).

    Parameters
    ----------
    thetas : ndarray, shape (n, n_theta)
        PK parameters per patient (:class:`painsim.population.Population`).
    regimen : Regimen or Schedule
    weeks : int
    index, seed, stream : identify the patients for the adherence draws.
    p_miss : float
        Probability that a dose is missed (0 = full adherence).
    record_windows : tuple of (start_h, end_h)
        Also record, at every node inside these windows where the chain is evaluated, the
        transmitter ratios (r_5HT, r_NE) — they do not depend on the dorsal-horn parameters, so
        :mod:`painsim.calibrate` can re-evaluate the dorsal horn without re-running the chain.
        They are returned in ``Courses.recorded`` with the node times in ``Courses.recorded_t``
        and, on a quadrature grid, the nodes' weights in ``Courses.recorded_weight`` (average a
        window with :func:`painsim.chain.window_mean`); on a quadrature grid a window must start
        and end at an event node (a dose, a week boundary), e.g. whole weeks.
    grid : {"fine", "coarse", "quad", "dense"}
        The time grid (:data:`painsim.chain.GRIDS`; default :data:`painsim.chain.DEFAULT_GRID`), as
        for :func:`painsim.kernels.run_population`, which follows this path on every grid to
        ~1e-4 (up to ~1e-3 with missed doses or on the dose-graded grids) in the weekly inhibition (one Newton
        step per node instead of a converged solve).
    """
    thetas = np.ascontiguousarray(np.atleast_2d(thetas), dtype=float)
    dose_t, dose_a, t_end = schedule(regimen, weeks, common_lag(thetas))
    tg = time_grid(dose_t, t_end, grid)
    t, step_index, hs, dose_node, weight = tg["t"], tg["step_index"], tg["hs"], tg["dose_node"], tg["weight"]
    index = np.arange(len(thetas), dtype=np.int64) if index is None else np.asarray(index, dtype=np.int64)
    mask = np.zeros(len(t), dtype=bool)
    for a, b in record_windows:
        if tg["quad"]:
            events = t[weight == 0.0]
            if not all(np.min(np.abs(events - x)) < 1e-9 for x in (a, b)):
                raise ValueError(f"on a quadrature grid a recorded window must start and end at a dose or a "
                                 f"week boundary (its nodes' weights must cover it), got ({a!r}, {b!r})")
        mask |= (t >= a - 1e-9) & (t <= b + 1e-9)
    if tg["quad"]:
        mask &= weight > 0.0  # where the chain is evaluated
    record_node = np.flatnonzero(mask).astype(np.int64)
    out, record = _run_fast(thetas, index, int(seed), int(stream), float(p_miss), ch.ncmt, ch.from_idx,
                            ch.mw_ratio, ch.central, ch.periph, ch.n_states, ch.nonlinear, t, step_index,
                            hs, dose_node, dose_a, week_nodes(t, weeks), ch.occ, ch.p5, ch.pne, ch.dh, record_node,
                            np.ascontiguousarray(weight, dtype=float))
    courses = Courses.from_array(out)
    if record_windows:
        courses = dataclasses.replace(courses, recorded=record, recorded_t=t[record_node],
                                      recorded_weight=weight[record_node] if tg["quad"] else None)
    return courses


@nb.njit(cache=True)
def _fixed_course(occ_s, occ_n, p5, pne, dh, weeks, h, n_per_week):
    """Weekly means (weeks, 5) of I, occupancies and ratios at constant occupancy (see below)."""
    out = np.empty((weeks, N_OUT))
    d5 = 0.0
    dne = 0.0
    r5 = qss_ratio(occ_s, d5, p5, 1.0)
    rne = qss_ratio(occ_n, dne, pne, 1.0)
    prev = np.empty(N_OUT)
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
            cur = (inhibition(r5, rne, dh), occ_s, occ_n, r5, rne)
            for q in range(N_OUT):
                acc[q] = trapezoid(acc[q], prev[q], cur[q], 0.5 * h)
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
        and the 5-HT and NE ratios c/c0 (the columns of :class:`painsim.chain.Courses`).

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
