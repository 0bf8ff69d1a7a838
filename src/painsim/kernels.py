"""The fused population kernel: the whole causal chain for many virtual patients at once.

Dose → exact PK → SERT/NET occupancy → spinal 5-HT and NE at quasi-steady state → slow
autoreceptor desensitisation → restored inhibition → pain and responders, in one numba kernel,
with the endpoints reduced inside it so that memory grows with the number of endpoints, not
with the number of time points.

How it is fast (DESIGN §4):

- the dose-graded time grid of :func:`painsim.simulate.dose_grid` and, for linear PK, one
  transition matrix ``expm(A·h)`` per patient and distinct step length, so a PK step is a
  matrix–vector product (Michaelis–Menten PK: RK4 sub-steps as in :func:`painsim.simulate._rk4`);
- the synapse at quasi-steady state by Newton in ``ln r``, warm-started from the previous step
  with a fixed number of steps (:func:`painsim.synapse.qss_log_ratio`), and only the
  desensitisation state stepped (exact relaxation over each step, as the fast path does);
- patients in batches of :data:`BATCH` (a compile-time constant) held as structure-of-arrays in
  one buffer, processed in lock-step so that LLVM vectorises the loop over the patients of a
  batch; ``prange`` over (grid point × batch);
- elementary functions that vectorise (:mod:`painsim.vmath`), because without SVML a loop that
  calls libm's ``exp``/``log``/``pow`` is split into scalar calls.

One source of truth: the kernel does not restate any equation. It calls the stage functions of
:mod:`painsim.pk`, :mod:`painsim.simulate` (occupancy, Michaelis–Menten elimination),
:mod:`painsim.synapse` and :mod:`painsim.dorsal_horn` through :func:`specialise`, which
re-compiles their Python code for the kernel — ``error_model="numpy"`` (no division-by-zero
branches, which block vectorisation), LLVM ``alwaysinline``, with :mod:`painsim.vmath`'s ``exp``,
``log`` and ``power`` in place of libm's — and never touches the shared dispatchers (numba
compiles a callee with its caller's fast-math flags when the caller compiles it first, and would
cache that). Where a stage function did not suit a batch, a batch form was added in the stage's
own module and tested against the original: :func:`painsim.synapse.qss_log_ratio` (fixed Newton
steps), :func:`painsim.pk.expm_into` (no allocation). Results agree with
:func:`painsim.simulate.run_fast` to ~2e-4 relative in the weekly inhibition (one Newton step per
time step and the vectorised exp/log instead of Newton to 1e-12 and libm), checked in
``tests/unit/test_kernels.py``.

Compile-time constants: the switches and exponents of the synapse and dorsal-horn parameters
(first-order uptake or not, desensitisation on/off, the dorsal-horn Hill exponents) are
compiled into the kernel (:func:`_structure`), so that e.g. ``x ** 1.0`` and a branch on
``Km = inf`` cost nothing inside the loop over patients; every other parameter, the doses and
the patients are run-time values. The kernel is compiled once per set of constants (~25 s) and
kept in numba's disk cache; a hash of the stage modules' source is one of the constants, so
editing an equation gives a new kernel rather than a stale cached one.

Determinism: every patient occupies one SIMD lane and no operation mixes lanes; batches are
padded to full size with copies of a real patient; random draws (adherence) are counter-based
(:func:`painsim.population.uniform`). A patient's endpoints are therefore bit-identical whatever
the batch composition, the chunking or the number of threads (tested).
"""

from __future__ import annotations

import functools
import math
import types as _pytypes
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numba as nb
import numpy as np
from numba.core.registry import CPUDispatcher

from painsim import dorsal_horn, pk, population, simulate, synapse, vmath
from painsim.dorsal_horn import D_FAC_N, D_INH_N
from painsim.pk import _KM, _PER_MOIETY, _V, _VMAX
from painsim.population import K_ADHERENCE
from painsim.simulate import HOURS_PER_WEEK, N_OUT, Chain, dose_grid
from painsim.synapse import N_PARAMS, P_CROSS, P_DESENS, P_KM, P_TAU

__all__ = [
    "BATCH",
    "ENDPOINT_FIELDS",
    "GRIDS",
    "N_NEWTON",
    "N_NEWTON_GRADED",
    "compile_kernel",
    "run_population",
    "specialise",
]

#: patients per batch (SIMD lanes of one job); a compile-time constant so LLVM can vectorise
BATCH = 64
#: Newton steps per time step for a Michaelis–Menten terminal (5-HT), warm-started from the
#: previous step: on 2-h steps, and on the short steps just after a dose where occupancy moves
#: fastest. First-order uptake (NE) is exact after one. One step (measured: weekly inhibition
#: within ~2e-4 and r_5HT within ~1e-3 of the converged fast path; against the full reference
#: the same 0.5–0.6 % as with two) costs 25 % less than two.
N_NEWTON = 1
N_NEWTON_GRADED = 1
#: no ``reassoc`` (it would undo vmath's exact range reduction), no ``nnan``/``ninf`` (the stage
#: functions test ``isinf`` on parameters): contraction to FMA is what matters
FASTMATH = frozenset({"contract", "nsz", "arcp"})
_FLAGS: dict[str, Any] = {"fastmath": set(FASTMATH), "error_model": "numpy"}

#: time grids of :func:`run_population`: (steps after a dose, base step), h. "fine" is the grid of
#: :func:`painsim.simulate.run_fast` (weekly inhibition within ~0.6 % of the full stiff model);
#: "coarse" takes 504 instead of 1344 steps over 12 weeks of daily dosing, ~2.5× faster, at
#: ~1.8 % (the trapezoid rule over 6-h steps; responder rates within 0.5 pp of the fine grid on
#: 20,000 patients: benchmarks/README.md)
GRIDS: dict[str, tuple[tuple[float, ...], float]] = {
    "fine": (simulate.GRADED_STEPS, simulate.BASE_STEP),
    "coarse": ((0.5, 1.5, 4.0), 6.0),
}

#: names of the arrays :func:`run_population` returns (besides the optional ones)
ENDPOINT_FIELDS = ("pain", "inhibition", "responder", "first_response_week", "auc_inhibition",
                   "occupancy_mean", "occupancy_trough")

# ---------------------------------------------------------------------------------------------
# specialisation of the stage functions for the kernel


def _kernel_math_module() -> _pytypes.ModuleType:
    mod = _pytypes.ModuleType("painsim._kernel_math")
    mod.__dict__.update({k: getattr(math, k) for k in dir(math) if not k.startswith("__")})
    mod.exp = vmath.exp
    mod.log = vmath.log
    return mod


_KERNEL_MATH = _kernel_math_module()


@nb.njit(forceinline=True, **_FLAGS)
def _power_unit(x, n):
    """``x ** n`` where the caller has checked that n == 1: x itself (as ``x ** 1.0`` is)."""
    return x


_SPECIALISED: dict[tuple[int, int], CPUDispatcher] = {}


def specialise(func: CPUDispatcher, power: CPUDispatcher = vmath.power) -> CPUDispatcher:
    """A copy of a ``@njit`` stage function compiled for the population kernel.

    The copy runs the same Python code (the same equations) compiled with the kernel's flags
    (``error_model="numpy"``, fast-math contraction) and LLVM ``alwaysinline`` (``forceinline``;
    numba's own ``inline="always"`` re-types every call site and made the kernel take minutes to
    compile). It calls :mod:`painsim.vmath` instead of libm for ``exp`` and ``log``, ``power``
    for powers written ``pow_libm(x, n)``, and specialised copies of the painsim stage functions
    it calls in turn. The original dispatcher is left as it is (numba would otherwise compile it
    with the kernel's flags, and cache that).

    Parameters
    ----------
    func : numba dispatcher
        A ``@nb.njit`` function of a painsim module.
    power : numba dispatcher
        What ``pow_libm`` becomes: :func:`painsim.vmath.power`, or ``_power_unit`` where the
        caller has checked that the exponent is 1.

    Returns
    -------
    numba dispatcher
        The specialised copy (memoised).
    """
    key = (id(func), id(power))
    if key in _SPECIALISED:
        return _SPECIALISED[key]
    subs = {id(math): _KERNEL_MATH, id(vmath.pow_libm): power}
    f = func.py_func
    glb = dict(f.__globals__)
    for name in _global_names(f.__code__):
        val = glb.get(name)
        if id(val) in subs:
            glb[name] = subs[id(val)]
        elif (isinstance(val, CPUDispatcher) and val.py_func.__module__.startswith("painsim.")
              and val.py_func.__module__ != vmath.__name__):
            glb[name] = specialise(val, power)
    g = _pytypes.FunctionType(f.__code__, glb, f.__name__, f.__defaults__, f.__closure__)
    g.__qualname__ = f"{f.__qualname__}__kernel"
    g.__doc__ = f.__doc__
    out = nb.njit(forceinline=True, **_FLAGS)(g)
    _SPECIALISED[key] = out
    return out


def _global_names(code) -> set[str]:
    names = set(code.co_names)
    for c in code.co_consts:
        if hasattr(c, "co_names"):
            names |= _global_names(c)
    return names


_rate_matrix = specialise(pk.rate_matrix)
_expm_into = specialise(pk.expm_into)
_mm_elimination = specialise(simulate._mm_elimination)
_occ_term = specialise(simulate._occ_term)
_occ_term_unit = specialise(simulate._occ_term, power=_power_unit)
_occ_from_sum = specialise(simulate._occ_from_sum)
_qss_log_ratio = specialise(synapse.qss_log_ratio)
_desens_target = specialise(synapse.desens_target)
_inhibition = specialise(dorsal_horn.inhibition)
_inhibition_log = specialise(dorsal_horn.inhibition_log)
_uniform = specialise(population.uniform)
_vexp = vmath.exp

# ---------------------------------------------------------------------------------------------
# the batch buffer: one float64 array, row r of lane l at r*BATCH + l. One buffer indexed with
# compile-time row offsets lets LLVM see that rows do not overlap (separate arrays, or runtime
# offsets, need run-time alias checks, and beyond a few of those it does not vectorise).

R_U5, R_R5, R_UNE, R_RNE, R_D5, R_DNE = 0, 1, 2, 3, 4, 5
R_OCC_S, R_OCC_N = 6, 7  # occupancy sums over moieties, then the occupancies
R_PREV = 8  # 5 rows: I, occ SERT, occ NET, r 5-HT, r NE at the last node
R_ACC = 13  # 5 rows: their integrals since the start of the week (trapezoid), ·h
R_AUC, R_TROUGH_S, R_TROUGH_N = 18, 19, 20
R_SENS, R_PLACEBO, R_BASE, R_VMAX, R_KM, R_V0 = 21, 22, 23, 24, 25, 26
R_FIRST = 27  # one row per outcome (week of first response), then the per-drug rows


@nb.njit(fastmath=False, error_model="numpy")
def _pain(baseline, placebo_level, expression, s, inh):
    """Weekly pain, in the order of operations of :func:`painsim.trial.run_trial`
    (``baseline·(1 − P)·(1 − s·Ī)`` with ``P = level·expression``). Not inlined and compiled
    without FMA contraction, so it is bit-identical to numpy's for the same weekly inhibition."""
    return baseline * (1.0 - placebo_level * expression) * (1.0 - s * inh)


@nb.njit(fastmath=False, error_model="numpy")
def _responds(pain, baseline, threshold):
    """The responder test of :func:`painsim.trial.run_trial` (reduction ≥ threshold)."""
    return (1.0 - pain / baseline) >= threshold - 1e-12


@nb.njit(forceinline=True, **_FLAGS)
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


@nb.njit(forceinline=True, **_FLAGS)
def _desens_lanes(w, r_r, r_d, p, decay):
    """Desensitisation relaxed exactly over the step towards its target at the step's end
    (``decay = exp(−h/τ)``), as :func:`painsim.simulate.run_fast` does."""
    for lane in range(BATCH):
        tgt = _desens_target(w[r_r * BATCH + lane], p)
        w[r_d * BATCH + lane] = tgt + (w[r_d * BATCH + lane] - tgt) * decay


@nb.njit(forceinline=True, **_FLAGS)
def _inhibition_lanes(w, dh, half_h, in_window):
    """Restored inhibition of every lane and the trapezoid sums of the five outputs."""
    for lane in range(BATCH):
        r5 = w[R_R5 * BATCH + lane]
        rne = w[R_RNE * BATCH + lane]
        o_s = w[R_OCC_S * BATCH + lane]
        o_n = w[R_OCC_N * BATCH + lane]
        inh = _inhibition_log(w[R_U5 * BATCH + lane], r5, rne, dh)  # ln r_5HT is the Newton iterate
        w[R_ACC * BATCH + lane] += half_h * (w[R_PREV * BATCH + lane] + inh)
        w[(R_ACC + 1) * BATCH + lane] += half_h * (w[(R_PREV + 1) * BATCH + lane] + o_s)
        w[(R_ACC + 2) * BATCH + lane] += half_h * (w[(R_PREV + 2) * BATCH + lane] + o_n)
        w[(R_ACC + 3) * BATCH + lane] += half_h * (w[(R_PREV + 3) * BATCH + lane] + r5)
        w[(R_ACC + 4) * BATCH + lane] += half_h * (w[(R_PREV + 4) * BATCH + lane] + rne)
        w[R_PREV * BATCH + lane] = inh
        w[(R_PREV + 1) * BATCH + lane] = o_s
        w[(R_PREV + 2) * BATCH + lane] = o_n
        w[(R_PREV + 3) * BATCH + lane] = r5
        w[(R_PREV + 4) * BATCH + lane] = rne
    if in_window:
        for lane in range(BATCH):
            w[R_TROUGH_S * BATCH + lane] = min(w[R_TROUGH_S * BATCH + lane], w[R_OCC_S * BATCH + lane])
            w[R_TROUGH_N * BATCH + lane] = min(w[R_TROUGH_N * BATCH + lane], w[R_OCC_N * BATCH + lane])


@nb.njit(forceinline=True, **_FLAGS)
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


@nb.njit(forceinline=True, **_FLAGS)
def _occupancy_lanes(w, r_x, r_cf, central, occ_s, occ_n):
    """SERT and NET occupancy of every lane from the moieties' central amounts.

    A Hill exponent of 1 is checked here, once for the batch, so that the power costs nothing
    (``x ** 1.0`` is x; inside the loop over lanes both branches would be computed)."""
    m = central.shape[0]
    for lane in range(BATCH):
        w[R_OCC_S * BATCH + lane] = 0.0
        w[R_OCC_N * BATCH + lane] = 0.0
    for j in range(m):
        _occ_sum_lanes(w, r_x + central[j], r_cf + j, occ_s[1 + j], occ_s[1 + m + j], R_OCC_S)
        _occ_sum_lanes(w, r_x + central[j], r_cf + j, occ_n[1 + j], occ_n[1 + m + j], R_OCC_N)
    for lane in range(BATCH):
        w[R_OCC_S * BATCH + lane] = _occ_from_sum(w[R_OCC_S * BATCH + lane], occ_s[0])
        w[R_OCC_N * BATCH + lane] = _occ_from_sum(w[R_OCC_N * BATCH + lane], occ_n[0])


@nb.njit(forceinline=True, **_FLAGS)
def _linear_pk_lanes(w, r_x, r_xn, r_phi, ns):
    """x ← Φ x for every lane (Φ: the lane's transition matrix over this step)."""
    for ii in range(ns):
        for lane in range(BATCH):
            w[(r_xn + ii) * BATCH + lane] = 0.0
        for jj in range(ns):
            for lane in range(BATCH):
                w[(r_xn + ii) * BATCH + lane] += (w[(r_phi + ii * ns + jj) * BATCH + lane]
                                                  * w[(r_x + jj) * BATCH + lane])
    for ii in range(ns):
        for lane in range(BATCH):
            w[(r_x + ii) * BATCH + lane] = w[(r_xn + ii) * BATCH + lane]


@nb.njit(forceinline=True, **_FLAGS)
def _rk4_lanes(w, h, ns, r_x, r_work, c0):
    """Michaelis–Menten PK over one grid step for every lane: classical RK4 in sub-steps of at
    most 0.1 h, as :func:`painsim.simulate._rk4` (rows from ``r_work``: k1..k4, the stage
    state, then the rate matrix A)."""
    n = max(1, math.ceil(h / 0.1))
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
            for ii in range(ns):
                for lane in range(BATCH):
                    w[(ko + ii) * BATCH + lane] = 0.0
                for jj in range(ns):
                    for lane in range(BATCH):
                        w[(ko + ii) * BATCH + lane] += (w[(r_a + ii * ns + jj) * BATCH + lane]
                                                        * w[(r_xs + jj) * BATCH + lane])
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


@nb.njit(forceinline=True, **_FLAGS)
def _batch(g, i0, nvalid, patients, pkstruct, params, grid, ends, adherence, struct, outs):
    """One batch of BATCH patients (lanes) at grid point ``g``: the whole course, then the
    endpoints. ``struct`` holds the compile-time constants (see :func:`_structure`)."""
    thetas, index, sens, placebo_level, baseline = patients
    ncmt, from_idx, mw_ratio, central, periph, n_states, nonlinear = pkstruct
    dose_amount, occ, p5a, pnea, dha = params
    t, step_index, hs, dose_node, week_node, expression = grid
    endpoint_of_week, thresholds, occ_week, record_of_node = ends
    seed, stream, p_miss = adherence
    pain, inh_out, resp, first_resp, auc, occ_mean, occ_trough, weekly, record = outs
    km5_inf, kmne_inf, des5, desne, n_inh, n_fac, n5_graded, n5_base, nne, _sources = struct
    m = ncmt.shape[0]
    ns = n_states
    nh = hs.shape[0]
    nt = thresholds.shape[0]
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
    r_cf = R_FIRST + nt  # per moiety: concentration per amount, 1000/V (ng/mL per mg)
    r_x = r_cf + m
    r_xn = r_x + ns
    r_mat = r_xn + ns  # transition matrices (nh, ns, ns), or for MM PK the RK4 rows then A
    n_rows = r_mat + (5 * ns + ns * ns if nonlinear else nh * ns * ns)
    w = np.zeros(n_rows * BATCH)
    # --- per-lane setup (scalar code): transition matrices from the same rate matrix
    phi = np.empty((ns, ns))
    work = np.empty((3, ns, ns))
    for lane in range(BATCH):
        i = i0 + min(lane, nvalid - 1)  # padding lanes repeat the last patient
        th = thetas[i]
        a = _rate_matrix(th, ncmt, from_idx, mw_ratio, central, periph, n_states, False)
        if nonlinear:
            for q in range(ns * ns):
                w[(r_mat + 5 * ns + q) * BATCH + lane] = a[q // ns, q % ns]
        else:
            for s in range(nh):
                _expm_into(a, hs[s], phi, work)
                for q in range(ns * ns):
                    w[(r_mat + s * ns * ns + q) * BATCH + lane] = phi[q // ns, q % ns]
        for j in range(m):
            w[(r_cf + j) * BATCH + lane] = simulate.MG_PER_L_TO_NG_PER_ML / th[4 + _PER_MOIETY * j + _V]
        w[R_VMAX * BATCH + lane] = th[_VMAX]
        w[R_KM * BATCH + lane] = th[_KM]
        w[R_V0 * BATCH + lane] = th[4 + _V]
        w[R_SENS * BATCH + lane] = sens[i]
        w[R_PLACEBO * BATCH + lane] = placebo_level[i]
        w[R_BASE * BATCH + lane] = baseline[i]
    # --- initial state: the baseline synapse (r = 1, D = 0), no drug
    inh0 = _inhibition(1.0, 1.0, dh)
    for lane in range(BATCH):
        w[R_R5 * BATCH + lane] = 1.0
        w[R_RNE * BATCH + lane] = 1.0
        w[R_PREV * BATCH + lane] = inh0
        w[(R_PREV + 3) * BATCH + lane] = 1.0
        w[(R_PREV + 4) * BATCH + lane] = 1.0
    occ_lo = week_node[occ_week - 2] if occ_week > 1 else 0
    occ_hi = week_node[occ_week - 1]
    trough0 = 0.0 if occ_lo == 0 else np.inf  # a window from t = 0 includes the drug-free start
    for lane in range(BATCH):
        w[R_TROUGH_S * BATCH + lane] = trough0
        w[R_TROUGH_N * BATCH + lane] = trough0
    decay5 = np.empty(nh)
    decayne = np.empty(nh)
    for s in range(nh):
        decay5[s] = math.exp(-hs[s] / p5[P_TAU])
        decayne[s] = math.exp(-hs[s] / pne[P_TAU])
    tau5_finite = p5[P_TAU] < np.inf
    taune_finite = pne[P_TAU] < np.inf
    has_weekly = weekly.shape[2] > 0
    has_record = record.shape[2] > 0
    nd = dose_node.shape[0]
    k_dose = 0
    w_idx = 0
    week_start = 0.0
    for k in range(step_index.shape[0]):
        # --- doses at this node (adherence: counter-based draws, as run_fast)
        while k_dose < nd and dose_node[k_dose] == k:
            amt = dose_amount[g, k_dose]
            if p_miss > 0.0:
                for lane in range(BATCH):
                    i = i0 + min(lane, nvalid - 1)
                    if _uniform(seed, stream, index[i], K_ADHERENCE + k_dose) >= p_miss:
                        w[r_x * BATCH + lane] += amt
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
        # --- occupancy, synapses at quasi-steady state, desensitisation, inhibition
        _occupancy_lanes(w, r_x, r_cf, central, occ_s, occ_n)
        if h < simulate.BASE_STEP:  # the short steps after a dose: occupancy moves fastest
            _synapse_lanes(w, R_OCC_S, R_D5, R_U5, R_R5, p5, n5_graded)
        else:
            _synapse_lanes(w, R_OCC_S, R_D5, R_U5, R_R5, p5, n5_base)
        _synapse_lanes(w, R_OCC_N, R_DNE, R_UNE, R_RNE, pne, nne)
        if tau5_finite:
            _desens_lanes(w, R_R5, R_D5, p5, decay5[s])
        if taune_finite:
            _desens_lanes(w, R_RNE, R_DNE, pne, decayne[s])
        _inhibition_lanes(w, dh, 0.5 * h, occ_lo <= k + 1 <= occ_hi)
        if has_record and record_of_node[k + 1] >= 0:
            rr = record_of_node[k + 1]
            for lane in range(nvalid):
                for q in range(N_OUT):
                    record[g, i0 + lane, rr, q] = w[(R_PREV + q) * BATCH + lane]
        # --- week boundary: weekly means, pain, responders, endpoints
        if w_idx < week_node.shape[0] and k + 1 == week_node[w_idx]:
            span = t[k + 1] - week_start
            e_idx = endpoint_of_week[w_idx]
            for lane in range(nvalid):
                i = i0 + lane
                mean_i = w[R_ACC * BATCH + lane] / span
                if has_weekly:
                    for q in range(N_OUT):
                        weekly[g, i, w_idx, q] = w[(R_ACC + q) * BATCH + lane] / span
                base_i = w[R_BASE * BATCH + lane]
                pain_i = _pain(base_i, w[R_PLACEBO * BATCH + lane], expression[w_idx],
                               w[R_SENS * BATCH + lane], mean_i)
                for tq in range(nt):
                    ok = _responds(pain_i, base_i, thresholds[tq])
                    if ok and w[(R_FIRST + tq) * BATCH + lane] == 0.0:
                        w[(R_FIRST + tq) * BATCH + lane] = w_idx + 1
                    if e_idx >= 0:
                        resp[g, i, e_idx, tq] = ok
                if e_idx >= 0:
                    inh_out[g, i, e_idx] = mean_i
                    pain[g, i, e_idx] = pain_i
                if w_idx == occ_week - 1:
                    occ_mean[g, i, 0] = w[(R_ACC + 1) * BATCH + lane] / span
                    occ_mean[g, i, 1] = w[(R_ACC + 2) * BATCH + lane] / span
                    occ_trough[g, i, 0] = w[R_TROUGH_S * BATCH + lane]
                    occ_trough[g, i, 1] = w[R_TROUGH_N * BATCH + lane]
            for lane in range(BATCH):
                w[R_AUC * BATCH + lane] += w[R_ACC * BATCH + lane]
                for q in range(N_OUT):
                    w[(R_ACC + q) * BATCH + lane] = 0.0
            week_start = t[k + 1]
            w_idx += 1
    for lane in range(nvalid):
        i = i0 + lane
        auc[g, i] = w[R_AUC * BATCH + lane]
        for tq in range(nt):
            first_resp[g, i, tq] = np.int16(w[(R_FIRST + tq) * BATCH + lane])


_KERNELS: dict[tuple, CPUDispatcher] = {}


def _kernel_for(struct: tuple) -> CPUDispatcher:
    """The parallel kernel for one set of compile-time constants (compiled once per set, and
    cached on disk by numba: its only free variable is the tuple of numbers ``struct``)."""
    if struct in _KERNELS:
        return _KERNELS[struct]

    def kernel(thetas, index, sens, placebo_level, baseline,
               ncmt, from_idx, mw_ratio, central, periph, n_states, nonlinear,
               dose_amount, occ, p5, pne, dh,
               t, step_index, hs, dose_node, week_node, expression,
               endpoint_of_week, thresholds, occ_week, record_of_node,
               seed, stream, p_miss,
               pain, inh_out, resp, first_resp, auc, occ_mean, occ_trough, weekly, record):
        n = thetas.shape[0]
        n_grid = dose_amount.shape[0]
        n_batches = (n + BATCH - 1) // BATCH
        for job in nb.prange(n_grid * n_batches):
            g = job // n_batches
            b = job % n_batches
            i0 = b * BATCH
            # grouped in tuples: a call with more than 30 arguments compiles to *args, which
            # numba cannot inline
            _batch(g, i0, min(BATCH, n - i0), (thetas, index, sens, placebo_level, baseline),
                   (ncmt, from_idx, mw_ratio, central, periph, n_states, nonlinear),
                   (dose_amount, occ, p5, pne, dh), (t, step_index, hs, dose_node, week_node, expression),
                   (endpoint_of_week, thresholds, occ_week, record_of_node), (seed, stream, p_miss), struct,
                   (pain, inh_out, resp, first_resp, auc, occ_mean, occ_trough, weekly, record))

    kernel.__qualname__ = "population_kernel"
    out = nb.njit(parallel=True, cache=True, **_FLAGS)(kernel)
    _KERNELS[struct] = out
    return out


def _structure(p5: np.ndarray, pne: np.ndarray, dh: np.ndarray) -> tuple:
    """The compile-time constants of a grid: which uptake is first-order (Km = inf), the
    desensitisation switches, the dorsal-horn Hill exponents, the Newton step counts. They must be
    the same at every grid point; everything else is a run-time value."""
    def same(col: np.ndarray, what: str) -> float:
        if not np.all(col == col[0]):
            raise ValueError(f"{what} must be the same at every grid point")
        return float(col[0])

    km5_inf = bool(np.isinf(same(p5[:, P_KM], "serotonin Km (finite or infinite)")))
    kmne_inf = bool(np.isinf(same(pne[:, P_KM], "norepinephrine Km (finite or infinite)")))
    return (km5_inf, kmne_inf, same(p5[:, P_DESENS], "serotonin desensitisation switch"),
            same(pne[:, P_DESENS], "norepinephrine desensitisation switch"),
            same(dh[:, D_INH_N], "the inhibitory 5-HT Hill exponent"),
            same(dh[:, D_FAC_N], "the facilitatory 5-HT Hill exponent"),
            1 if km5_inf else N_NEWTON_GRADED, 1 if km5_inf else N_NEWTON,
            1 if kmne_inf else N_NEWTON_GRADED, _sources_hash())


@functools.cache
def _sources_hash() -> int:
    """A hash of the modules whose code the kernel inlines. numba's disk cache is keyed on this
    file and on the kernel's constants only: with the hash among the constants, a change to a
    stage function's equations gives a new kernel instead of a stale cached one."""
    import hashlib

    h = hashlib.sha256()
    for mod in (pk, simulate, synapse, dorsal_horn, population, vmath):
        h.update(Path(mod.__file__).read_bytes())
    return int(h.hexdigest()[:15], 16)


# ---------------------------------------------------------------------------------------------
# Python API


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _grid_inputs(chains: list[Chain], regimens: list, weeks: int):
    n_grid = max(len(chains), len(regimens))
    for name, seq in (("chains", chains), ("regimens", regimens)):
        if len(seq) not in (1, n_grid):
            raise ValueError(f"{name}: give one or {n_grid} (one per grid point), got {len(seq)}")
    chains = chains * n_grid if len(chains) == 1 else chains
    regimens = regimens * n_grid if len(regimens) == 1 else regimens
    c0 = chains[0]
    for c in chains[1:]:
        if not (np.array_equal(c.ncmt, c0.ncmt) and np.array_equal(c.from_idx, c0.from_idx)
                and np.array_equal(c.central, c0.central) and c.nonlinear == c0.nonlinear):
            raise ValueError("all chains of a grid must share the PK structure (same drug model)")
    t_end = weeks * HOURS_PER_WEEK
    sched = []
    for reg in regimens:
        dt, da = reg.expand()
        keep = dt < t_end
        sched.append((dt[keep], da[keep]))
    dose_t = sched[0][0]
    for dt, _ in sched[1:]:
        if dt.shape != dose_t.shape or not np.allclose(dt, dose_t, rtol=0, atol=1e-9):
            raise ValueError("all regimens of a grid must give doses at the same times "
                             "(scale the amounts, or run separate grids for other schedules)")
    dose_amount = np.ascontiguousarray(np.stack([da for _, da in sched]), dtype=float)
    occ = np.ascontiguousarray(np.stack([c.occ for c in chains]))
    if any(c.p5[P_CROSS] != 0.0 or c.pne[P_CROSS] != 0.0 for c in chains):
        raise NotImplementedError("the fused kernel does not implement the NE<->5-HT cross-talk switch; "
                                  "use painsim.simulate.run_fast (or set the cross-talk gains to 0)")
    p5 = np.ascontiguousarray(np.stack([c.p5 for c in chains]))
    pne = np.ascontiguousarray(np.stack([c.pne for c in chains]))
    dh = np.ascontiguousarray(np.stack([c.dh for c in chains]))
    if p5.shape[1] != N_PARAMS or dh.shape[1] != 7:
        raise ValueError("unexpected parameter vector sizes")
    return c0, dose_t, dose_amount, occ, p5, pne, dh


def run_population(ch: Chain | Sequence[Chain], thetas: np.ndarray, sensitivity: np.ndarray,
                   placebo_z: np.ndarray, baseline: np.ndarray, regimen: Any, weeks: int, *,
                   placebo_mu: float, calibration: Any, endpoint_weeks: Sequence[int] | None = None,
                   outcomes: Sequence[str] = ("50pct", "30pct"), occupancy_week: int | None = None,
                   index: np.ndarray | None = None, seed: int = 0, stream: int = 0, p_miss: float = 0.0,
                   weekly: bool = False, record_every: float | None = None, grid: str = "fine") -> dict[str, Any]:
    """Endpoints of a virtual population through the whole chain (fused numba kernel).

    The drug arm of :func:`painsim.trial.run_trial` for many patients, optionally over a grid of
    regimens (e.g. doses) and/or parameter sets, with the endpoints computed inside the kernel:
    memory is O(patients × endpoints), whatever the number of time points.

    Parameters
    ----------
    ch : Chain or sequence of Chain
        :func:`painsim.simulate.chain` of the drug; a sequence makes a grid over parameter sets
        (same drug model structure, e.g. a physiology or calibration sweep). The model switches
        compiled into the kernel (first-order uptake or not, desensitisation on/off, dorsal-horn
        Hill exponents) must be the same at every grid point; any other value may vary.
    thetas : ndarray, shape (n, n_theta)
        PK parameters per patient (:class:`painsim.population.Population` ``.theta``).
    sensitivity : ndarray, shape (n,)
        s_i, fraction of the pain signal under descending control.
    placebo_z : ndarray, shape (n,)
        Placebo deviates z_i.
    baseline : ndarray, shape (n,)
        Baseline pain (0–10).
    regimen : Regimen or Schedule, or a sequence of them
        A sequence makes a grid over regimens; they must dose at the same times (the amounts
        may differ: a dose–response grid, titrations).
    weeks : int
        Duration, weeks.
    placebo_mu : float
        μ of the placebo response (:func:`painsim.trial.placebo_mu`), logit scale.
    calibration : Calibration
        Supplies σ_p and τ_p (weeks) of the placebo response.
    endpoint_weeks : sequence of int, optional
        Weeks (1-based) at which pain, inhibition and responder flags are returned (default:
        the last week).
    outcomes : sequence of {"50pct", "30pct"}
        Responder definitions (reduction from baseline ≥ 50 % / ≥ 30 %).
    occupancy_week : int, optional
        Week (1-based) over which occupancy mean and trough are taken (default: the last).
    index, seed, stream : patient identity for the adherence draws (as :func:`run_fast`).
    p_miss : float
        Probability that a dose is missed.
    weekly : bool
        Also return the weekly means of every output (memory grows with weeks).
    record_every : float, optional
        Also return the time course, h between recorded grid nodes (nearest node to each
        multiple of ``record_every``; memory grows with time points).
    grid : {"fine", "coarse"}
        The time grid (:data:`GRIDS`): "fine", the fast path's (default), or "coarse" for quick
        exploratory sweeps (~2.5× faster, weekly inhibition ~1.2 % further from the full model).

    Returns
    -------
    dict
        Arrays over ``(grid,) patient`` — the grid axis only when ``ch`` or ``regimen`` is a
        sequence:

        - ``pain`` (…, n_endpoint_weeks): weekly mean pain, 0–10;
        - ``inhibition`` (…, n_endpoint_weeks): weekly mean restored inhibition Ī (−1…1);
        - ``responder`` (…, n_endpoint_weeks, n_outcomes), bool;
        - ``first_response_week`` (…, n_outcomes), int16: first week (1-based) meeting the
          outcome, 0 if never;
        - ``auc_inhibition`` (…): ∫ I dt over the whole course, h;
        - ``occupancy_mean``, ``occupancy_trough`` (…, 2): SERT, NET occupancy (fraction) over
          ``occupancy_week`` (trough: lowest value at a grid node of that week);
        - ``weekly`` (…, weeks, 5) if asked: weekly means of I, SERT and NET occupancy, r_5HT,
          r_NE (as :class:`painsim.simulate.Courses`);
        - ``record`` (…, n_times, 5) and ``record_t`` (n_times,), h, if asked;
        - ``endpoint_weeks``, ``outcomes``: what the axes are.

    Examples
    --------
    >>> from painsim import load_drug, load_physiology, load_calibration, Regimen
    >>> from painsim.population import draw_population, ARM_DRUG
    >>> from painsim.simulate import chain
    >>> from painsim.trial import placebo_mu
    >>> drug, phys, cal = load_drug("duloxetine"), load_physiology(), load_calibration()
    >>> pop = draw_population(drug, phys, 256, seed=1, stream=ARM_DRUG)
    >>> res = run_population(chain(drug, phys, cal), pop.theta, pop.sensitivity, pop.placebo_z,
    ...                      pop.baseline, Regimen.daily(60, days=84), 12,
    ...                      placebo_mu=placebo_mu(0.25, 0.5, 12, cal), calibration=cal)
    >>> res["responder"].shape, bool(0.0 < res["responder"][:, 0, 0].mean() < 1.0)
    ((256, 1, 2), True)
    """
    from scipy.special import expit

    from painsim.trial import OUTCOMES

    weeks = int(weeks)
    if weeks < 1:
        raise ValueError(f"weeks must be positive, got {weeks!r}")
    is_grid = isinstance(ch, (list, tuple)) or isinstance(regimen, (list, tuple))
    c0, dose_t, dose_amount, occ, p5, pne, dh = _grid_inputs(_as_list(ch), _as_list(regimen), weeks)
    thetas = np.ascontiguousarray(np.atleast_2d(thetas), dtype=float)
    n = thetas.shape[0]
    sens = np.ascontiguousarray(sensitivity, dtype=float)
    z = np.ascontiguousarray(placebo_z, dtype=float)
    base = np.ascontiguousarray(baseline, dtype=float)
    if not (sens.shape == z.shape == base.shape == (n,)):
        raise ValueError("sensitivity, placebo_z and baseline need one value per patient (row of thetas)")
    index = np.arange(n, dtype=np.int64) if index is None else np.ascontiguousarray(index, dtype=np.int64)
    endpoint_weeks = [weeks] if endpoint_weeks is None else [int(x) for x in endpoint_weeks]
    if any(not 1 <= x <= weeks for x in endpoint_weeks) or len(set(endpoint_weeks)) != len(endpoint_weeks):
        raise ValueError(f"endpoint_weeks must be distinct weeks in 1..{weeks}, got {endpoint_weeks}")
    occupancy_week = weeks if occupancy_week is None else int(occupancy_week)
    if not 1 <= occupancy_week <= weeks:
        raise ValueError(f"occupancy_week must be in 1..{weeks}, got {occupancy_week}")
    unknown = [o for o in outcomes if o not in OUTCOMES]
    if unknown:
        raise ValueError(f"outcomes must be among {', '.join(OUTCOMES)}, got {unknown}")
    thresholds = np.array([OUTCOMES[o] for o in outcomes], dtype=float)

    if grid not in GRIDS:
        raise ValueError(f"grid must be one of {', '.join(GRIDS)}, got {grid!r}")
    graded, base_step = GRIDS[grid]
    t, step_index, hs, dose_node = dose_grid(dose_t, weeks * HOURS_PER_WEEK, graded_steps=graded,
                                             base_step=base_step)
    week_node = np.array([int(np.argmin(np.abs(t - HOURS_PER_WEEK * (w + 1)))) for w in range(weeks)],
                         dtype=np.int64)
    endpoint_of_week = np.full(weeks, -1, dtype=np.int64)
    for e, wk in enumerate(endpoint_weeks):
        endpoint_of_week[wk - 1] = e
    # the placebo response exactly as painsim.trial.placebo_response: level_i · expression(w)
    level = expit(placebo_mu + calibration.sigma_p * z)
    expression = 1.0 - np.exp(-np.arange(1, weeks + 1, dtype=float) / calibration.tau_p)
    record_of_node = np.full(len(t), -1, dtype=np.int64)
    record_t = np.empty(0)
    if record_every is not None:
        if record_every <= 0:
            raise ValueError("record_every must be positive (h)")
        targets = np.arange(0.0, t[-1] + 1e-9, float(record_every))
        nodes = np.unique([int(np.argmin(np.abs(t - x))) for x in targets])
        record_of_node[nodes] = np.arange(len(nodes))
        record_t = t[nodes]

    n_grid = dose_amount.shape[0]
    ne, nt = len(endpoint_weeks), len(thresholds)
    out = {
        "pain": np.zeros((n_grid, n, ne)),
        "inhibition": np.zeros((n_grid, n, ne)),
        "responder": np.zeros((n_grid, n, ne, nt), dtype=np.bool_),
        "first_response_week": np.zeros((n_grid, n, nt), dtype=np.int16),
        "auc_inhibition": np.zeros((n_grid, n)),
        "occupancy_mean": np.zeros((n_grid, n, 2)),
        "occupancy_trough": np.zeros((n_grid, n, 2)),
    }
    weekly_arr = np.zeros((n_grid, n, weeks if weekly else 0, N_OUT))
    record = np.zeros((n_grid, n, len(record_t), N_OUT))
    if len(record_t) and record_t[0] == 0.0:  # node 0: the baseline, before any dose
        for g in range(n_grid):
            record[g, :, 0, 0] = dorsal_horn.inhibition(1.0, 1.0, dh[g])
        record[:, :, 0, 3:] = 1.0
    if n:
        kernel = _kernel_for(_structure(p5, pne, dh))
        kernel(thetas, index, sens, level, base, c0.ncmt, c0.from_idx, c0.mw_ratio, c0.central, c0.periph,
               int(c0.n_states), bool(c0.nonlinear), dose_amount, occ, p5, pne, dh,
               t, step_index, hs, dose_node, week_node, expression,
               endpoint_of_week, thresholds, occupancy_week, record_of_node,
               int(seed), int(stream), float(p_miss),
               out["pain"], out["inhibition"], out["responder"], out["first_response_week"],
               out["auc_inhibition"], out["occupancy_mean"], out["occupancy_trough"], weekly_arr, record)
    if weekly:
        out["weekly"] = weekly_arr
    if record_every is not None:
        out["record"] = record
        out["record_t"] = record_t
    if not is_grid:
        out = {k: v[0] for k, v in out.items()}
        if record_every is not None:
            out["record_t"] = record_t
    out["endpoint_weeks"] = np.array(endpoint_weeks, dtype=np.int64)
    out["outcomes"] = tuple(outcomes)
    return out


def compile_kernel() -> float:
    """Compile (or load from numba's cache) the kernel for linear and nonlinear PK; seconds taken.

    The first call of :func:`run_population` in a process otherwise pays this.
    """
    import time

    from painsim.calibration import load_calibration
    from painsim.library import load_drug
    from painsim.physiology import load_physiology
    from painsim.regimen import Regimen
    from painsim.simulate import chain

    t0 = time.perf_counter()
    phys, cal = load_physiology(), load_calibration()
    drug = load_drug("duloxetine")
    one = np.ones(1)
    run_population(chain(drug, phys, cal), pk.theta(drug)[None, :], one * 0.5, one * 0.0, one * 6.0,
                   Regimen.daily(10.0, days=7), 1, placebo_mu=0.0, calibration=cal)
    return time.perf_counter() - t0
