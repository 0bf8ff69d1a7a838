"""One batch of patients through the whole chain, lane by lane (the body of the population kernel).

Patients are processed in batches of :data:`BATCH` (a compile-time constant) held as
structure-of-arrays in one buffer, in lock-step, so that LLVM vectorises every loop over the
patients (lanes) of a batch. Each ``_*_lanes`` function applies one stage — through the
specialised stage functions (:mod:`painsim.kernels.specialisation`), never a formula of its own — to
every lane; :func:`batch` strings them together over the time grid and records the weekly means.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from painsim import vmath
from painsim.chain import N_OUT, trapezoid, weighted
from painsim.dorsal_horn import inhibition, inhibition_log
from painsim.kernels.specialisation import FLAGS, power_unit, specialise
from painsim.occupancy import occupancy_from_sum, occupancy_term
from painsim.pk import conc_factors, mm_elimination, mm_parameters, rate_matrix, rk4_substeps
from painsim.population import K_ADHERENCE, uniform
from painsim.synapse import P_TAU, desens_target, qss_log_ratio

__all__ = ["BATCH", "batch"]

#: patients per batch (SIMD lanes of one job); a compile-time constant so LLVM can vectorise
BATCH = 64

_rate_matrix = specialise(rate_matrix)
_expm_lanes = specialise(vmath.expm_lanes)
_conc_factors = specialise(conc_factors)
_mm_parameters = specialise(mm_parameters)
_mm_elimination = specialise(mm_elimination)
_rk4_substeps = specialise(rk4_substeps)
_occ_term = specialise(occupancy_term)
_occ_term_unit = specialise(occupancy_term, power=power_unit)
_occ_from_sum = specialise(occupancy_from_sum)
_qss_log_ratio = specialise(qss_log_ratio)
_desens_target = specialise(desens_target)
_inhibition = specialise(inhibition)
_inhibition_log = specialise(inhibition_log)
_uniform = specialise(uniform)
_trapezoid = specialise(trapezoid)
_weighted = specialise(weighted)
_vexp = vmath.exp

# ---------------------------------------------------------------------------------------------
# the batch buffer: one float64 array, row r of lane l at r*BATCH + l. One buffer indexed with
# compile-time row offsets lets LLVM see that rows do not overlap (separate arrays, or runtime
# offsets, need run-time alias checks, and beyond a few of those it does not vectorise).

R_U5, R_R5, R_UNE, R_RNE, R_D5, R_DNE = 0, 1, 2, 3, 4, 5
R_OCC_S, R_OCC_N = 6, 7  # occupancy sums over moieties, then the occupancies
R_PREV = 8  # 5 rows: I, occ SERT, occ NET, r 5-HT, r NE at the last node
R_ACC = 13  # 5 rows: their integrals since the start of the week (the recording rule), ·h
R_VMAX, R_KM, R_V0 = 18, 19, 20
R_CF = 21  # one row per moiety (concentration per amount), then the per-drug rows

#: on a quadrature grid, the first occurrences of each node slot that take the Newton steps for
#: a cold start (``n5_first``): the first has no change between the same nodes to start from, the
#: second one from the first day, when the trough still builds up
N_FIRST_OCCURRENCES = 2


@nb.njit(forceinline=True, **FLAGS)
def _synapse_lanes(w, r_occ, r_d, r_u, r_r, p, n_newton):
    """Quasi-steady-state transmitter ratio of every lane, Newton warm-started from the last node.

    One pass over the lanes per Newton step: ``qss_log_ratio(…, 1)`` applied n times is
    ``qss_log_ratio(…, n)`` operation for operation, but a shorter loop body lets the CPU overlap
    more patients' dependent chains (log → division → exp), which is what limits this loop."""
    for _ in range(n_newton):
        for lane in range(BATCH):
            u = _qss_log_ratio(w[r_occ * BATCH + lane], w[r_d * BATCH + lane], p, w[r_u * BATCH + lane],
                               w[r_r * BATCH + lane], 1)
            w[r_u * BATCH + lane] = u
            w[r_r * BATCH + lane] = _vexp(u)


@nb.njit(forceinline=True, **FLAGS)
def _desens_lanes(w, r_r, r_d, p, decay):
    """Desensitisation relaxed exactly over the step towards its target at the step's end
    (``decay = exp(−h/τ)``), as :func:`painsim.synapse.slow_step` does."""
    for lane in range(BATCH):
        tgt = _desens_target(w[r_r * BATCH + lane], p)
        w[r_d * BATCH + lane] = tgt + (w[r_d * BATCH + lane] - tgt) * decay


@nb.njit(forceinline=True, **FLAGS)
def _record_lanes(w, dh, half_h):
    """Restored inhibition of every lane, and the five outputs added to the week's integrals by
    the recording rule (row by row: straight-line code is what LLVM vectorises over lanes)."""
    for lane in range(BATCH):
        r5 = w[R_R5 * BATCH + lane]
        rne = w[R_RNE * BATCH + lane]
        o_s = w[R_OCC_S * BATCH + lane]
        o_n = w[R_OCC_N * BATCH + lane]
        inh = _inhibition_log(w[R_U5 * BATCH + lane], r5, rne, dh)  # ln r_5HT is the Newton iterate
        w[R_ACC * BATCH + lane] = _trapezoid(w[R_ACC * BATCH + lane], w[R_PREV * BATCH + lane], inh, half_h)
        w[(R_ACC + 1) * BATCH + lane] = _trapezoid(w[(R_ACC + 1) * BATCH + lane],
                                                   w[(R_PREV + 1) * BATCH + lane], o_s, half_h)
        w[(R_ACC + 2) * BATCH + lane] = _trapezoid(w[(R_ACC + 2) * BATCH + lane],
                                                   w[(R_PREV + 2) * BATCH + lane], o_n, half_h)
        w[(R_ACC + 3) * BATCH + lane] = _trapezoid(w[(R_ACC + 3) * BATCH + lane],
                                                   w[(R_PREV + 3) * BATCH + lane], r5, half_h)
        w[(R_ACC + 4) * BATCH + lane] = _trapezoid(w[(R_ACC + 4) * BATCH + lane],
                                                   w[(R_PREV + 4) * BATCH + lane], rne, half_h)
        w[R_PREV * BATCH + lane] = inh
        w[(R_PREV + 1) * BATCH + lane] = o_s
        w[(R_PREV + 2) * BATCH + lane] = o_n
        w[(R_PREV + 3) * BATCH + lane] = r5
        w[(R_PREV + 4) * BATCH + lane] = rne


@nb.njit(forceinline=True, **FLAGS)
def _record_weighted_lanes(w, dh, weight):
    """As :func:`_record_lanes` on a quadrature grid: the node's values times its weight
    (:func:`painsim.chain.weighted`) added to the week's integrals."""
    for lane in range(BATCH):
        r5 = w[R_R5 * BATCH + lane]
        rne = w[R_RNE * BATCH + lane]
        o_s = w[R_OCC_S * BATCH + lane]
        o_n = w[R_OCC_N * BATCH + lane]
        inh = _inhibition_log(w[R_U5 * BATCH + lane], r5, rne, dh)
        w[R_ACC * BATCH + lane] = _weighted(w[R_ACC * BATCH + lane], inh, weight)
        w[(R_ACC + 1) * BATCH + lane] = _weighted(w[(R_ACC + 1) * BATCH + lane], o_s, weight)
        w[(R_ACC + 2) * BATCH + lane] = _weighted(w[(R_ACC + 2) * BATCH + lane], o_n, weight)
        w[(R_ACC + 3) * BATCH + lane] = _weighted(w[(R_ACC + 3) * BATCH + lane], r5, weight)
        w[(R_ACC + 4) * BATCH + lane] = _weighted(w[(R_ACC + 4) * BATCH + lane], rne, weight)
        w[R_PREV * BATCH + lane] = inh
        w[(R_PREV + 1) * BATCH + lane] = o_s
        w[(R_PREV + 2) * BATCH + lane] = o_n
        w[(R_PREV + 3) * BATCH + lane] = r5
        w[(R_PREV + 4) * BATCH + lane] = rne


@nb.njit(forceinline=True, **FLAGS)
def _slot_load_lanes(w, ws, s):
    """Warm start of the 5-HT Newton solve at a quadrature node with slot ``s``: the last node's
    iterate (ln r, r) moved by the change it underwent between the same two nodes of the last
    dosing interval (``ws[s]``: that change as (Δ ln r, ratio of r)); the last node's iterate is
    kept in ``ws[-1]`` for :func:`_slot_store_lanes`.

    Where the profile is periodic this is the value of the same node one interval earlier;
    after a titration step, when it is not, it is much closer than that value (~2 cycles more per
    patient-node than copying the node's last value). With missed doses the kernel calls
    :func:`_slot_load_taken_lanes` instead, which keeps the taken and missed intervals' changes
    apart (a twin of this loop: a blend at full adherence would cost it two loads per lane).
    ``ws`` is an array of its own, (slots + 1, 2, BATCH): a row offset known only at run time in
    the batch buffer makes LLVM check aliasing with every other row (the copy then cost ~3 cycles
    per patient-node, measured)."""
    last = ws.shape[0] - 1
    for lane in range(BATCH):
        u = w[R_U5 * BATCH + lane]
        r = w[R_R5 * BATCH + lane]
        ws[last, 0, lane] = u
        ws[last, 1, lane] = r
        w[R_U5 * BATCH + lane] = u + ws[s, 0, lane]
        w[R_R5 * BATCH + lane] = r * ws[s, 1, lane]


@nb.njit(forceinline=True, **FLAGS)
def _slot_store_lanes(w, ws, s):
    """The change of the 5-HT iterate from the last node to this one into slot ``s`` (see
    :func:`_slot_load_lanes`)."""
    last = ws.shape[0] - 1
    for lane in range(BATCH):
        ws[s, 0, lane] = w[R_U5 * BATCH + lane] - ws[last, 0, lane]
        ws[s, 1, lane] = w[R_R5 * BATCH + lane] / ws[last, 1, lane]


@nb.njit(forceinline=True, **FLAGS)
def _slot_load_taken_lanes(w, ws, wsm, took, s):
    """:func:`_slot_load_lanes` with missed doses: the change between the same two nodes of the
    last interval that began as this one did (its dose taken, ``ws``, or missed, ``wsm``), per
    lane (``took``: 1 where the lane's last dose was taken). A profile after a missed dose
    declines where one after a taken dose peaks; the last interval's change, whichever it was,
    left one Newton step up to ~1e-2 behind the converged solve in weekly inhibition."""
    last = ws.shape[0] - 1
    for lane in range(BATCH):
        u = w[R_U5 * BATCH + lane]
        r = w[R_R5 * BATCH + lane]
        ws[last, 0, lane] = u
        ws[last, 1, lane] = r
        tk = took[lane]  # 1 or 0: a blend, not a branch, vectorises over lanes
        du = wsm[s, 0, lane] + tk * (ws[s, 0, lane] - wsm[s, 0, lane])
        fr = wsm[s, 1, lane] + tk * (ws[s, 1, lane] - wsm[s, 1, lane])
        w[R_U5 * BATCH + lane] = u + du
        w[R_R5 * BATCH + lane] = r * fr


@nb.njit(forceinline=True, **FLAGS)
def _slot_store_taken_lanes(w, ws, wsm, took, s):
    """The change of the 5-HT iterate into slot ``s`` of the table of the lane's adherence state
    (see :func:`_slot_load_taken_lanes`)."""
    last = ws.shape[0] - 1
    for lane in range(BATCH):
        du = w[R_U5 * BATCH + lane] - ws[last, 0, lane]
        fr = w[R_R5 * BATCH + lane] / ws[last, 1, lane]
        tk = took[lane]
        ws[s, 0, lane] += tk * (du - ws[s, 0, lane])
        ws[s, 1, lane] += tk * (fr - ws[s, 1, lane])
        wsm[s, 0, lane] = du + tk * (wsm[s, 0, lane] - du)
        wsm[s, 1, lane] = fr + tk * (wsm[s, 1, lane] - fr)


@nb.njit(forceinline=True, **FLAGS)
def _occ_sum_lanes(w, r_amount, r_cf, ec50, hill, r_sum):
    """Add one moiety's (C/EC50)^n to every lane's occupancy sum."""
    if hill == 1.0:
        for lane in range(BATCH):
            c = w[r_amount * BATCH + lane] * w[r_cf * BATCH + lane]
            w[r_sum * BATCH + lane] += _occ_term_unit(c, ec50, hill)
    else:
        for lane in range(BATCH):
            c = w[r_amount * BATCH + lane] * w[r_cf * BATCH + lane]
            w[r_sum * BATCH + lane] += _occ_term(c, ec50, hill)


@nb.njit(forceinline=True, **FLAGS)
def _occupancy_lanes(w, r_x, central, occ_s, occ_n):
    """SERT and NET occupancy of every lane from the moieties' central amounts.

    A Hill exponent of 1 is checked here, once for the batch, so that the power costs nothing
    (``x ** 1.0`` is x; inside the loop over lanes both branches would be computed)."""
    m = central.shape[0]
    for lane in range(BATCH):
        w[R_OCC_S * BATCH + lane] = 0.0
        w[R_OCC_N * BATCH + lane] = 0.0
    for j in range(m):
        _occ_sum_lanes(w, r_x + central[j], R_CF + j, occ_s[1 + j], occ_s[1 + m + j], R_OCC_S)
        _occ_sum_lanes(w, r_x + central[j], R_CF + j, occ_n[1 + j], occ_n[1 + m + j], R_OCC_N)
    for lane in range(BATCH):
        w[R_OCC_S * BATCH + lane] = _occ_from_sum(w[R_OCC_S * BATCH + lane], occ_s[0])
        w[R_OCC_N * BATCH + lane] = _occ_from_sum(w[R_OCC_N * BATCH + lane], occ_n[0])


@nb.njit(forceinline=True, **FLAGS)
def _matvec_lanes(w, r_out, r_mat, r_vec, ns):
    """out ← M·v for every lane (M: the lane's ns×ns matrix stored row-major from row ``r_mat``)."""
    for ii in range(ns):
        for lane in range(BATCH):
            w[(r_out + ii) * BATCH + lane] = 0.0
        for jj in range(ns):
            for lane in range(BATCH):
                w[(r_out + ii) * BATCH + lane] += (w[(r_mat + ii * ns + jj) * BATCH + lane]
                                                   * w[(r_vec + jj) * BATCH + lane])


@nb.njit(forceinline=True, **FLAGS)
def _linear_pk_lanes(w, r_x, r_xn, r_phi, ns):
    """x ← Φ x for every lane (Φ: the lane's transition matrix over this step)."""
    _matvec_lanes(w, r_xn, r_phi, r_x, ns)
    for ii in range(ns):
        for lane in range(BATCH):
            w[(r_x + ii) * BATCH + lane] = w[(r_xn + ii) * BATCH + lane]


@nb.njit(forceinline=True, **FLAGS)
def _rk4_lanes(w, h, ns, r_x, r_work, c0):
    """Michaelis–Menten PK over one grid step for every lane: the classical RK4 of
    :func:`painsim.pk.rk4_step` on :func:`painsim.pk.rhs` (A·x minus the parent's elimination),
    in lane form (rows from ``r_work``: k1..k4, the stage state, then the rate matrix A)."""
    n = _rk4_substeps(h)
    dt = h / n
    r_k = r_work
    r_xs = r_work + 4 * ns
    r_a = r_work + 5 * ns
    for _ in range(n):
        for stage in range(4):
            cst = 0.0 if stage == 0 else (dt if stage == 3 else 0.5 * dt)
            for ii in range(ns):
                for lane in range(BATCH):
                    xs = w[(r_x + ii) * BATCH + lane]
                    if stage > 0:
                        xs += cst * w[(r_k + (stage - 1) * ns + ii) * BATCH + lane]
                    w[(r_xs + ii) * BATCH + lane] = xs
            ko = r_k + stage * ns
            _matvec_lanes(w, ko, r_a, r_xs, ns)  # the linear part A·x of painsim.pk.rhs
            for lane in range(BATCH):
                if w[R_VMAX * BATCH + lane] > 0.0:
                    w[(ko + c0) * BATCH + lane] -= _mm_elimination(
                        w[(r_xs + c0) * BATCH + lane], w[R_V0 * BATCH + lane], w[R_VMAX * BATCH + lane],
                        w[R_KM * BATCH + lane])
        for ii in range(ns):
            for lane in range(BATCH):
                w[(r_x + ii) * BATCH + lane] += dt / 6.0 * (
                    w[(r_k + ii) * BATCH + lane] + 2.0 * w[(r_k + ns + ii) * BATCH + lane]
                    + 2.0 * w[(r_k + 2 * ns + ii) * BATCH + lane] + w[(r_k + 3 * ns + ii) * BATCH + lane])


@nb.njit(forceinline=True, **FLAGS)
def batch(g, i0, nvalid, patients, pkstruct, params, grid, adherence, struct, outs):
    """One batch of BATCH patients (lanes) at grid point ``g``: the whole course, recorded as
    weekly means (and, if asked, at chosen grid nodes). ``struct`` holds the compile-time
    constants (see :func:`painsim.kernels.run.model_switches`)."""
    thetas, index = patients
    ncmt, from_idx, mw_ratio, central, periph, n_states, nonlinear = pkstruct
    dose_amount, occ, p5a, pnea, dha = params
    t, step_index, hs, dose_node, week_node, record_of_node, base_step, wq_index, wq, slot = grid
    seed, stream, p_miss = adherence
    weekly, out_col, record = outs
    km5_inf, kmne_inf, des5, desne, n_inh, n_fac, n5_graded, n5_base, nne, quad, n5_quad, n5_first, _sources = struct
    m = ncmt.shape[0]
    ns = n_states
    nh = hs.shape[0]
    # parameter vectors as tuples (SSA values: no aliasing with the buffer, hoisted out of the
    # loops over lanes), the structural entries as compile-time constants
    pa = p5a[g]
    p5 = (np.inf if km5_inf else pa[0], pa[1], pa[2], pa[3], pa[4], des5, pa[6])
    pa = pnea[g]
    pne = (np.inf if kmne_inf else pa[0], pa[1], pa[2], pa[3], pa[4], desne, pa[6])
    da = dha[g]
    dh = (da[0], n_inh, da[2], n_fac, da[4], da[5], da[6])
    occ_s = occ[g, 0]
    occ_n = occ[g, 1]
    r_x = R_CF + m
    r_xn = r_x + ns
    r_mat = r_xn + ns  # transition matrices (nh, ns, ns), or for MM PK the RK4 rows then A
    n_rows = r_mat + (5 * ns + ns * ns if nonlinear else nh * ns * ns)
    w = np.zeros(n_rows * BATCH)
    # quadrature grid: (ln r, r) of 5-HT per slot (the Newton warm start of each node)
    ws = np.zeros((max(slot.max() + 1, 0) + 1, 2, BATCH))
    ws[:, 1, :] = 1.0  # no change yet (ln r += 0, r *= 1)
    seen = np.zeros(ws.shape[0], dtype=np.int64)  # how often each slot has occurred (same for every lane)
    # with missed doses, a second table for intervals whose dose was missed (Δ ln r 0, ratio 1: the
    # last node's iterate until one has occurred), and whether each lane's last dose was taken
    wsm = ws.copy()
    took = np.ones(BATCH)
    # --- per-lane setup: rate matrices (scalar code), then the transition matrices of every lane
    # at once (the series of expm_lanes vectorises over lanes; one scalar expm per lane and step
    # length was most of a patient's setup)
    a_lanes = np.empty((ns, ns, BATCH))
    for lane in range(BATCH):
        i = i0 + min(lane, nvalid - 1)  # padding lanes repeat the last patient
        th = thetas[i]
        a = _rate_matrix(th, ncmt, from_idx, mw_ratio, central, periph, n_states, False)
        for q in range(ns * ns):
            a_lanes[q // ns, q % ns, lane] = a[q // ns, q % ns]
            if nonlinear:
                w[(r_mat + 5 * ns + q) * BATCH + lane] = a[q // ns, q % ns]
        cf = _conc_factors(th, m)
        for j in range(m):
            w[(R_CF + j) * BATCH + lane] = cf[j]
        v0, vmax, km = _mm_parameters(th)
        w[R_VMAX * BATCH + lane] = vmax
        w[R_KM * BATCH + lane] = km
        w[R_V0 * BATCH + lane] = v0
    if not nonlinear:
        phi = np.empty((ns, ns, BATCH))
        work = np.empty((4, ns, ns, BATCH))
        n_square = np.empty(BATCH, dtype=np.int64)
        for s in range(nh):
            _expm_lanes(a_lanes, hs[s], phi, work, n_square)
            for q in range(ns * ns):
                for lane in range(BATCH):
                    w[(r_mat + s * ns * ns + q) * BATCH + lane] = phi[q // ns, q % ns, lane]
    # --- initial state: the baseline synapse (r = 1, D = 0), no drug
    inh0 = _inhibition(1.0, 1.0, dh)
    for lane in range(BATCH):
        w[R_R5 * BATCH + lane] = 1.0
        w[R_RNE * BATCH + lane] = 1.0
        w[R_PREV * BATCH + lane] = inh0
        w[(R_PREV + 3) * BATCH + lane] = 1.0
        w[(R_PREV + 4) * BATCH + lane] = 1.0
    # desensitisation relaxes over each step (fine grid) or each node's weight (quadrature grid)
    nw = wq.shape[0]
    decay5 = np.empty(nw)
    decayne = np.empty(nw)
    for s in range(nw):
        decay5[s] = math.exp(-wq[s] / p5[P_TAU])
        decayne[s] = math.exp(-wq[s] / pne[P_TAU])
    tau5_finite = p5[P_TAU] < np.inf
    taune_finite = pne[P_TAU] < np.inf
    has_record = record.shape[2] > 0
    nd = dose_node.shape[0]
    k_dose = 0
    w_idx = 0
    week_start = 0.0
    for k in range(step_index.shape[0]):
        # --- doses at this node (adherence: counter-based draws, as the fast path)
        while k_dose < nd and dose_node[k_dose] == k:
            amt = dose_amount[g, k_dose]
            if p_miss > 0.0:
                for lane in range(BATCH):
                    i = i0 + min(lane, nvalid - 1)
                    if _uniform(seed, stream, index[i], K_ADHERENCE + k_dose) >= p_miss:
                        w[r_x * BATCH + lane] += amt
                        took[lane] = 1.0
                    else:
                        took[lane] = 0.0
            else:
                for lane in range(BATCH):
                    w[r_x * BATCH + lane] += amt
            k_dose += 1
        s = step_index[k]
        h = hs[s]
        # --- PK
        if nonlinear:
            _rk4_lanes(w, h, ns, r_x, r_mat, central[0])
        else:
            _linear_pk_lanes(w, r_x, r_xn, r_mat + s * ns * ns, ns)
        # --- occupancy, synapses at quasi-steady state, desensitisation, inhibition (on a
        # quadrature grid only at its quadrature nodes: the event nodes only step the PK)
        wk = wq[wq_index[k]]
        evaluate = not quad or wk > 0.0
        if evaluate:
            _occupancy_lanes(w, r_x, central, occ_s, occ_n)
            if quad:  # Newton from the last node, moved as between the same nodes of the last interval
                sk = slot[k + 1]
                if p_miss > 0.0:
                    _slot_load_taken_lanes(w, ws, wsm, took, sk)
                else:
                    _slot_load_lanes(w, ws, sk)
                if seen[sk] >= N_FIRST_OCCURRENCES:
                    _synapse_lanes(w, R_OCC_S, R_D5, R_U5, R_R5, p5, n5_quad)
                else:  # no change between these nodes known yet, or one from the first day
                    _synapse_lanes(w, R_OCC_S, R_D5, R_U5, R_R5, p5, n5_first)
                    seen[sk] += 1
                if p_miss > 0.0:
                    _slot_store_taken_lanes(w, ws, wsm, took, sk)
                else:
                    _slot_store_lanes(w, ws, sk)
            elif h < base_step:  # the grid's short steps after a dose: occupancy moves fastest
                _synapse_lanes(w, R_OCC_S, R_D5, R_U5, R_R5, p5, n5_graded)
            else:
                _synapse_lanes(w, R_OCC_S, R_D5, R_U5, R_R5, p5, n5_base)
            _synapse_lanes(w, R_OCC_N, R_DNE, R_UNE, R_RNE, pne, nne)
            if tau5_finite:
                _desens_lanes(w, R_R5, R_D5, p5, decay5[wq_index[k]])
            if taune_finite:
                _desens_lanes(w, R_RNE, R_DNE, pne, decayne[wq_index[k]])
            if quad:
                _record_weighted_lanes(w, dh, wk)
            else:
                _record_lanes(w, dh, 0.5 * h)
        if evaluate and has_record and record_of_node[k + 1] >= 0:
            rr = record_of_node[k + 1]
            for lane in range(nvalid):
                for q in range(N_OUT):
                    record[g, i0 + lane, rr, q] = w[(R_PREV + q) * BATCH + lane]
        # --- week boundary: the weekly means
        if w_idx < week_node.shape[0] and k + 1 == week_node[w_idx]:
            span = t[k + 1] - week_start
            for lane in range(nvalid):
                for q in range(N_OUT):
                    if out_col[q] >= 0:
                        weekly[g, i0 + lane, w_idx, out_col[q]] = w[(R_ACC + q) * BATCH + lane] / span
            for lane in range(BATCH):
                for q in range(N_OUT):
                    w[(R_ACC + q) * BATCH + lane] = 0.0
            week_start = t[k + 1]
            w_idx += 1
