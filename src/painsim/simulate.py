"""Virtual patients through the whole causal chain: dose → PK → SERT/NET occupancy → spinal
5-HT and NE (autoreceptor feedback, desensitisation) → descending inhibition.

Two integrations of the same stage functions (:mod:`painsim.pk`, :mod:`painsim.occupancy`,
:mod:`painsim.synapse`, :mod:`painsim.dorsal_horn`):

- **fast** (:func:`run_fast`, numba, parallel over patients): exact linear PK propagated with
  precomputed transition matrices on a dose-graded time grid (short steps just after each dose,
  then 2-h steps), the synapse at quasi-steady state (Newton, warm-started), only the slow
  desensitisation state stepped (exact exponential relaxation over each step);
- **reference** (:func:`run_reference`): the full stiff system — PK, both synaptic
  concentrations, both desensitisation states and the running integrals — integrated with
  :func:`scipy.integrate.solve_ivp` (LSODA) patient by patient, the way a user would write it.

Both return weekly means (over days 7(w−1)…7w) of the restored inhibition I, of SERT and NET
occupancy and of the 5-HT and NE ratios r = c/c0.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from dataclasses import dataclass

import numba as nb
import numpy as np

from painsim.dorsal_horn import dorsal_horn_params, inhibition
from painsim.library import DrugSpec
from painsim.occupancy import occupancy_params
from painsim.physiology import Physiology
from painsim.pk import _KM, _PER_MOIETY, _V, _VMAX, MG_PER_L_TO_NG_PER_ML, PKStructure, expm, rate_matrix, structure
from painsim.population import K_ADHERENCE, uniform
from painsim.synapse import (
    P_C0,
    P_CROSS,
    P_TAU,
    desens_target,
    rhs_concentration,
    slow_step,
    synapse_params,
)
from painsim.vmath import pow_libm

__all__ = [
    "HOURS_PER_WEEK",
    "Chain",
    "Courses",
    "chain",
    "dose_grid",
    "patient_course",
    "run_fast",
    "run_reference",
]

HOURS_PER_WEEK = 168.0
#: step sizes after each dose (h), then 2-h steps: occupancy moves fastest just after a dose
GRADED_STEPS = (0.125, 0.125, 0.25, 0.5, 1.0)
BASE_STEP = 2.0
N_OUT = 5  # I, occ SERT, occ NET, r 5-HT, r NE


@dataclass(frozen=True)
class Chain:
    """Everything numeric the kernels need for one drug (arrays, canonical units): the PK
    structure (:class:`painsim.pk.PKStructure`, its arrays also reachable as attributes here),
    occupancy rows, synapse and dorsal-horn parameter vectors."""

    drug: DrugSpec
    pk: PKStructure
    occ: np.ndarray  # (2, 1 + 2*m): [emax, ec50..., hill...] for SERT, NET
    p5: np.ndarray
    pne: np.ndarray
    dh: np.ndarray

    # the PK arrays by name, as the numba kernels take them
    ncmt = property(lambda self: self.pk.ncmt)
    from_idx = property(lambda self: self.pk.from_idx)
    mw_ratio = property(lambda self: self.pk.mw_ratio)
    central = property(lambda self: self.pk.central)
    periph = property(lambda self: self.pk.periph)
    n_states = property(lambda self: self.pk.n_states)
    nonlinear = property(lambda self: self.pk.nonlinear)


def chain(drug: DrugSpec, phys: Physiology, cal) -> Chain:
    """Pack a drug, the physiology and the calibrated dorsal-horn parameters for the kernels."""
    s = structure(drug)
    m = s.n_moieties
    occ = np.zeros((2, 1 + 2 * m))
    for i, target in enumerate(("sert", "net")):
        p = occupancy_params(drug, target)
        occ[i, 0] = p.emax
        occ[i, 1:1 + m] = p.ec50
        occ[i, 1 + m:] = p.hill
    return Chain(drug=drug, pk=s, occ=occ, p5=synapse_params(phys, "serotonin"),
                 pne=synapse_params(phys, "norepinephrine"),
                 dh=dorsal_horn_params(phys, cal.w_ne, cal.w_5ht))


def dose_grid(dose_times: np.ndarray, t_end: float, *, graded_steps: tuple[float, ...] = GRADED_STEPS,
              base_step: float = BASE_STEP) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The dose-graded time grid: after each dose the steps ``graded_steps`` (h), then
    ``base_step`` (h) until the next dose or week boundary.

    Returns
    -------
    t : ndarray
        Node times (h), including every dose time and every week boundary up to ``t_end``.
    step_index : ndarray of int64
        For each step, the index into ``hs`` of its length.
    hs : ndarray
        Distinct step lengths (h).
    dose_node : ndarray of int64
        Node index of each dose.
    """
    events = sorted({0.0, float(t_end), *[float(x) for x in dose_times if x < t_end],
                     *np.arange(HOURS_PER_WEEK, t_end + 1e-9, HOURS_PER_WEEK).tolist()})
    doses = {round(float(x), 9) for x in dose_times}
    nodes = [events[0]]
    for a, b in itertools.pairwise(events):
        t = a
        steps = graded_steps if round(a, 9) in doses else ()
        k = 0
        while b - t > 1e-9:
            h = steps[k] if k < len(steps) else base_step
            k += 1
            h = min(h, b - t)
            if b - (t + h) < 1e-6:  # do not leave a sliver
                h = b - t
            t += h
            nodes.append(b if abs(b - t) < 1e-9 else t)
    t = np.array(nodes)
    h = np.round(np.diff(t), 9)
    hs, step_index = np.unique(h, return_inverse=True)
    node_of = {round(x, 9): i for i, x in enumerate(t.tolist())}
    dose_node = np.array([node_of[round(float(x), 9)] for x in dose_times if x < t_end], dtype=np.int64)
    return t, step_index.astype(np.int64), hs, dose_node


@nb.njit(cache=True, inline="always")
def _occ_term(c, ec50, hill):
    """One moiety's (C/EC50)^n in the occupancy sum (0 if absent or not binding)."""
    if c > 0.0 and ec50 < np.inf:
        return pow_libm(c / ec50, hill)
    return 0.0


@nb.njit(cache=True, inline="always")
def _occ_from_sum(s, emax):
    """Occupancy Emax·S/(1 + S) from the sum S of :func:`_occ_term` over moieties."""
    return emax * s / (1.0 + s)


@nb.njit(cache=True)
def _occ(conc, row):
    """Occupancy of one transporter (``row`` = [emax, ec50..., hill...]), see
    :mod:`painsim.occupancy`; split into :func:`_occ_term` and :func:`_occ_from_sum` so that the
    population kernel evaluates the same formula for a batch of patients."""
    m = conc.shape[0]
    s = 0.0
    for j in range(m):
        s += _occ_term(conc[j], row[1 + j], row[1 + m + j])
    return _occ_from_sum(s, row[0])


@nb.njit(cache=True, inline="always")
def _mm_elimination(amount, v0, vmax, km):
    """Michaelis–Menten elimination of the parent, mg/h, at central amount ``amount`` (mg)."""
    conc = MG_PER_L_TO_NG_PER_ML * max(amount, 0.0) / v0
    return vmax * conc / (km + conc)


@nb.njit(cache=True)
def _pk_rhs(x, a, c0, v0, vmax, km):
    dx = a @ x
    if vmax > 0.0:
        dx[c0] -= _mm_elimination(x[c0], v0, vmax, km)
    return dx


@nb.njit(cache=True)
def _rk4(x, a, h, c0, v0, vmax, km):
    """Nonlinear PK over one grid step: RK4 in sub-steps of at most 0.1 h."""
    n = max(1, math.ceil(h / 0.1))
    dt = h / n
    for _ in range(n):
        k1 = _pk_rhs(x, a, c0, v0, vmax, km)
        k2 = _pk_rhs(x + 0.5 * dt * k1, a, c0, v0, vmax, km)
        k3 = _pk_rhs(x + 0.5 * dt * k2, a, c0, v0, vmax, km)
        k4 = _pk_rhs(x + dt * k3, a, c0, v0, vmax, km)
        x = x + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return x


@nb.njit(cache=True)
def _one_patient(th, ncmt, from_idx, mw_ratio, central, periph, n_states, nonlinear,
                 t, step_index, hs, dose_node, dose_amount, taken, week_node, occ, p5, pne, dh,
                 out, record_node, record):
    m = ncmt.shape[0]
    a = rate_matrix(th, ncmt, from_idx, mw_ratio, central, periph, n_states, False)
    nh = hs.shape[0]
    phis = np.empty((nh, n_states, n_states))
    if not nonlinear:
        for i in range(nh):
            phis[i] = expm(a * hs[i])
    vols = np.empty(m)
    for j in range(m):
        vols[j] = th[4 + _PER_MOIETY * j + _V]
    vmax = th[_VMAX]
    km = th[_KM]
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
            x = _rk4(x, a, h, central[0], vols[0], vmax, km)
        else:
            x = phis[step_index[k]] @ x
        for j in range(m):
            conc[j] = MG_PER_L_TO_NG_PER_ML * x[central[j]] / vols[j]
        o_s = _occ(conc, occ[0])
        o_n = _occ(conc, occ[1])
        r5, rne, d5, dne = slow_step(o_s, o_n, r5, rne, d5, dne, h, p5, pne)
        cur0 = inhibition(r5, rne, dh)
        cur = (cur0, o_s, o_n, r5, rne)
        while rec < nrec and record_node[rec] == k + 1:
            record[rec, 0] = r5
            record[rec, 1] = rne
            rec += 1
        for q in range(N_OUT):
            acc[q] += 0.5 * h * (prev[q] + cur[q])
            prev[q] = cur[q]
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
              pne, dh, record_node):
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
                     dh, out[i], record_node, record[i])
    return out, record


@dataclass(frozen=True)
class Courses:
    """Weekly means per patient (arrays of shape (n_patients, n_weeks)).

    Attributes
    ----------
    inhibition : restored descending inhibition I (−1…1)
    occ_sert, occ_net : transporter occupancy (fraction)
    r_5ht, r_ne : extracellular transmitter relative to baseline
    """

    inhibition: np.ndarray
    occ_sert: np.ndarray
    occ_net: np.ndarray
    r_5ht: np.ndarray
    r_ne: np.ndarray
    recorded: np.ndarray | None = None
    recorded_t: np.ndarray | None = None

    @classmethod
    def from_array(cls, arr: np.ndarray) -> Courses:
        return cls(*(np.ascontiguousarray(arr[:, :, q]) for q in range(N_OUT)))


def _schedule(regimen, weeks: int):
    dose_t, dose_a = regimen.expand()
    t_end = weeks * HOURS_PER_WEEK
    keep = dose_t < t_end
    return dose_t[keep], dose_a[keep], t_end


def run_fast(ch: Chain, thetas: np.ndarray, regimen, weeks: int, *, index: np.ndarray | None = None,
             seed: int = 0, stream: int = 0, p_miss: float = 0.0,
             record_windows: tuple[tuple[float, float], ...] = ()) -> Courses:
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
        Also record, at every grid node inside these windows, the transmitter ratios
        (r_5HT, r_NE) — they do not depend on the dorsal-horn parameters, so
        :mod:`painsim.calibrate` can re-evaluate the dorsal horn without re-running the chain.
        They are returned in ``Courses.recorded`` with the node times in ``Courses.recorded_t``.
    """
    dose_t, dose_a, t_end = _schedule(regimen, weeks)
    t, step_index, hs, dose_node = dose_grid(dose_t, t_end)
    week_node = np.array([int(np.argmin(np.abs(t - HOURS_PER_WEEK * (w + 1)))) for w in range(weeks)],
                         dtype=np.int64)
    thetas = np.ascontiguousarray(np.atleast_2d(thetas), dtype=float)
    index = np.arange(len(thetas), dtype=np.int64) if index is None else np.asarray(index, dtype=np.int64)
    mask = np.zeros(len(t), dtype=bool)
    for a, b in record_windows:
        mask |= (t >= a - 1e-9) & (t <= b + 1e-9)
    record_node = np.flatnonzero(mask).astype(np.int64)
    out, record = _run_fast(thetas, index, int(seed), int(stream), float(p_miss), ch.ncmt, ch.from_idx,
                            ch.mw_ratio, ch.central, ch.periph, ch.n_states, ch.nonlinear, t, step_index,
                            hs, dose_node, np.ascontiguousarray(dose_a, dtype=float), week_node, ch.occ,
                            ch.p5, ch.pne, ch.dh, record_node)
    courses = Courses.from_array(out)
    if record_windows:
        courses = dataclasses.replace(courses, recorded=record, recorded_t=t[record_node])
    return courses


@nb.njit(cache=True)
def _ref_rhs(y, a, n_states, central, vols, vmax, km, occ, p5, pne, dh):
    x = y[:n_states]
    m = central.shape[0]
    dy = np.zeros(y.shape[0])
    dy[:n_states] = _pk_rhs(x, a, central[0], vols[0], vmax, km)
    conc = np.empty(m)
    for j in range(m):
        conc[j] = MG_PER_L_TO_NG_PER_ML * x[central[j]] / vols[j]
    o_s = _occ(conc, occ[0])
    o_n = _occ(conc, occ[1])
    i5, ine, id5, idne = n_states, n_states + 1, n_states + 2, n_states + 3
    c5, cne, d5, dne = y[i5], y[ine], y[id5], y[idne]
    r5 = c5 / p5[P_C0]
    rne = cne / pne[P_C0]
    dy[i5] = rhs_concentration(c5, o_s, d5, p5, rne)
    dy[ine] = rhs_concentration(cne, o_n, dne, pne, r5)
    if p5[P_TAU] < np.inf:
        dy[id5] = (desens_target(r5, p5) - d5) / p5[P_TAU]
    if pne[P_TAU] < np.inf:
        dy[idne] = (desens_target(rne, pne) - dne) / pne[P_TAU]
    base = n_states + 4
    dy[base] = inhibition(r5, rne, dh)
    dy[base + 1] = o_s
    dy[base + 2] = o_n
    dy[base + 3] = r5
    dy[base + 4] = rne
    return dy


def run_reference(ch: Chain, theta: np.ndarray, regimen, weeks: int, *, taken: np.ndarray | None = None,
                  rtol: float = 1e-8, atol: float = 1e-10) -> np.ndarray:
    """The full stiff system for one patient (solve_ivp, LSODA, between dose events).

    Returns
    -------
    ndarray, shape (weeks, 5)
        Weekly means of I, SERT occupancy, NET occupancy, r_5HT, r_NE.
    """
    from scipy.integrate import solve_ivp

    th = np.asarray(theta, dtype=float)
    a = rate_matrix(th, ch.ncmt, ch.from_idx, ch.mw_ratio, ch.central, ch.periph, ch.n_states, False)
    m = len(ch.central)
    vols = np.array([th[4 + _PER_MOIETY * j + _V] for j in range(m)])
    vmax, km = (th[_VMAX], th[_KM]) if ch.nonlinear else (0.0, 1.0)
    dose_t, dose_a, _ = _schedule(regimen, weeks)
    if taken is not None:
        dose_a = np.where(taken[: len(dose_a)], dose_a, 0.0)
    ns = ch.n_states
    y = np.zeros(ns + 4 + N_OUT)
    y[ns] = ch.p5[P_C0]
    y[ns + 1] = ch.pne[P_C0]
    week_ends = [HOURS_PER_WEEK * (w + 1) for w in range(weeks)]
    stops = sorted({*dose_t.tolist(), *week_ends})
    dose_at = {}
    for tt, aa in zip(dose_t.tolist(), dose_a.tolist(), strict=True):
        dose_at[tt] = dose_at.get(tt, 0.0) + aa
    scale = np.ones_like(y)
    scale[ns] = ch.p5[P_C0]
    scale[ns + 1] = ch.pne[P_C0]

    def f(_t, yy):
        return _ref_rhs(yy, a, ns, ch.central, vols, vmax, km, ch.occ, ch.p5, ch.pne, ch.dh)

    out = np.zeros((weeks, N_OUT))
    t = 0.0
    # the integral of I at baseline is not zero when the NE weight makes I(1,1) = 0: it is 0
    last_integral = np.zeros(N_OUT)
    w = 0
    for stop in stops:
        if stop > t:
            sol = solve_ivp(f, (t, stop), y, method="LSODA", rtol=rtol, atol=atol * scale)
            if not sol.success:
                raise RuntimeError(f"reference integration failed at t={t:.3f} h: {sol.message}")
            y = sol.y[:, -1]
            t = stop
        if w < weeks and abs(t - week_ends[w]) < 1e-9:
            integ = y[ns + 4:]
            out[w] = (integ - last_integral) / HOURS_PER_WEEK
            last_integral = integ.copy()
            w += 1
        if t in dose_at:
            y = y.copy()
            y[0] += dose_at[t]
    return out


def patient_course(drug: DrugSpec, regimen, t: np.ndarray, *, phys: Physiology | None = None,
                   cal=None, theta: np.ndarray | None = None, rtol: float = 1e-8):
    """The whole chain for one patient at times ``t`` (h), from the full (reference) equations.

    Parameters
    ----------
    drug : DrugSpec
    regimen : Regimen or Schedule
    t : array_like
        Output times, h (increasing, from 0).
    theta : ndarray, optional
        PK parameters (default: the typical patient).

    Returns
    -------
    xarray.Dataset
        ``concentration`` (time, moiety) ng/mL; ``occupancy_sert``, ``occupancy_net``;
        ``ratio_5ht``, ``ratio_ne`` (c/c0); ``desensitisation_5ht``, ``desensitisation_ne``;
        ``firing_5ht``, ``firing_ne`` (relative to baseline); ``inhibition``. Every variable has
        ``units`` and ``long_name``.

    Examples
    --------
    >>> import numpy as np
    >>> from painsim import load_drug, Regimen
    >>> ds = patient_course(load_drug("duloxetine"), Regimen.daily(60, days=14), np.arange(0, 336, 24.0))
    >>> float(ds.occupancy_sert[-1]) > 0.7
    True
    """
    import xarray as xr
    from scipy.integrate import solve_ivp

    from painsim.calibration import load_calibration
    from painsim.physiology import load_physiology
    from painsim.pk import theta as typical_theta
    from painsim.synapse import firing

    phys = load_physiology() if phys is None else phys
    cal = load_calibration() if cal is None else cal
    ch = chain(drug, phys, cal)
    th = typical_theta(drug) if theta is None else np.asarray(theta, dtype=float)
    t = np.asarray(t, dtype=float)
    if t.ndim != 1 or len(t) == 0 or t[0] < 0 or np.any(np.diff(t) <= 0):
        raise ValueError("t must be increasing times in hours, starting at or after 0")
    a = rate_matrix(th, ch.ncmt, ch.from_idx, ch.mw_ratio, ch.central, ch.periph, ch.n_states, False)
    m = len(ch.central)
    vols = np.array([th[4 + _PER_MOIETY * j + _V] for j in range(m)])
    vmax, km = (th[_VMAX], th[_KM]) if ch.nonlinear else (0.0, 1.0)
    ns = ch.n_states
    y = np.zeros(ns + 4 + N_OUT)
    y[ns], y[ns + 1] = ch.p5[P_C0], ch.pne[P_C0]
    dose_t, dose_a = regimen.expand()
    dose_at: dict[float, float] = {}
    for tt, aa in zip(dose_t.tolist(), dose_a.tolist(), strict=True):
        dose_at[tt] = dose_at.get(tt, 0.0) + aa
    stops = sorted(set(dose_at) | set(t.tolist()))
    scale = np.ones_like(y)
    scale[ns], scale[ns + 1] = ch.p5[P_C0], ch.pne[P_C0]

    def f(_t, yy):
        return _ref_rhs(yy, a, ns, ch.central, vols, vmax, km, ch.occ, ch.p5, ch.pne, ch.dh)

    states = {}
    now = 0.0
    for stop in stops:
        if stop > now:
            y = solve_ivp(f, (now, stop), y, method="LSODA", rtol=rtol, atol=1e-10 * scale).y[:, -1]
            now = stop
        if stop in dose_at:
            y = y.copy()
            y[0] += dose_at[stop]
        states[stop] = y.copy()
    ys = np.array([states[float(x)] for x in t])
    conc = MG_PER_L_TO_NG_PER_ML * ys[:, ch.central] / vols
    occ_s = np.array([_occ(c, ch.occ[0]) for c in conc])
    occ_n = np.array([_occ(c, ch.occ[1]) for c in conc])
    r5 = ys[:, ns] / ch.p5[P_C0]
    rne = ys[:, ns + 1] / ch.pne[P_C0]
    d5, dne = ys[:, ns + 2], ys[:, ns + 3]
    inh = np.array([inhibition(a5, an, ch.dh) for a5, an in zip(r5, rne, strict=True)])
    fire5 = np.array([firing(r, d, ch.p5) for r, d in zip(r5, d5, strict=True)]) * rne ** ch.p5[P_CROSS]
    firene = np.array([firing(r, d, ch.pne) for r, d in zip(rne, dne, strict=True)]) * r5 ** ch.pne[P_CROSS]

    def var(data, dims, units, long_name):
        return xr.Variable(dims, data, attrs={"units": units, "long_name": long_name})

    return xr.Dataset(
        {
            "concentration": var(conc, ("time", "moiety"), "ng/mL", "total plasma concentration"),
            "occupancy_sert": var(occ_s, ("time",), "1", "SERT occupancy"),
            "occupancy_net": var(occ_n, ("time",), "1", "NET occupancy"),
            "ratio_5ht": var(r5, ("time",), "1", "spinal extracellular 5-HT relative to baseline"),
            "ratio_ne": var(rne, ("time",), "1", "spinal extracellular NE relative to baseline"),
            "desensitisation_5ht": var(d5, ("time",), "1", "5-HT1A autoreceptor desensitisation"),
            "desensitisation_ne": var(dne, ("time",), "1", "alpha2A autoreceptor desensitisation"),
            "firing_5ht": var(fire5, ("time",), "1", "raphe 5-HT neuron firing relative to baseline"),
            "firing_ne": var(firene, ("time",), "1", "locus coeruleus firing relative to baseline"),
            "inhibition": var(inh, ("time",), "1", "restored descending inhibition"),
        },
        coords={"time": ("time", t, {"units": "h", "long_name": "time since first dose"}),
                "moiety": ("moiety", [m_.name for m_ in drug.moieties])},
        attrs={"drug": drug.name, "painsim_path": "reference (full stiff equations)"},
    )
