"""The population kernel's entry point: inputs checked and packed, one compiled kernel per set of
model switches, weekly means (and optional time courses) out."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numba as nb
import numpy as np
from numba.core.registry import CPUDispatcher

from painsim.chain import (
    COURSE_FIELDS,
    DEFAULT_GRID,
    GRIDS,
    HOURS_PER_WEEK,
    Chain,
    common_lag,
    time_grid,
    week_nodes,
)
from painsim.dorsal_horn import D_FAC_N, D_INH_N, DH_SIZE, inhibition
from painsim.kernels.lanes import BATCH, batch
from painsim.kernels.specialisation import FLAGS, sources_hash
from painsim.pk import dose_events
from painsim.synapse import N_PARAMS, P_CROSS, P_DESENS, P_KM

__all__ = ["GRIDS", "N_NEWTON", "N_NEWTON_GRADED", "N_NEWTON_QUAD", "N_NEWTON_QUAD_FIRST", "compile_kernel",
           "compiled_from_cache", "model_switches", "run_population"]

#: Newton steps per time step for a Michaelis–Menten terminal (5-HT), warm-started from the
#: previous step: on the grid's base steps, and on the short steps just after a dose where
#: occupancy moves fastest. First-order uptake (NE) is exact after one. One step (measured:
#: weekly inhibition within ~2e-4 and r_5HT within ~1e-3 of the converged fast path; against the
#: full reference the same 0.5–0.6 % as with two) costs 25 % less than two.
N_NEWTON = 1
N_NEWTON_GRADED = 1

#: Newton steps per quadrature node for a Michaelis–Menten terminal (5-HT), warm-started from the
#: last node's ratio moved by its change between the same two nodes of the previous dosing
#: interval (the profile is close to periodic; :func:`painsim.kernels.lanes._slot_load_lanes`):
#: one step gives the same weekly inhibition against the full model as two (to the 3rd digit of
#: the error) for every drug of the accuracy test, week 1 included
N_NEWTON_QUAD = 1
#: Newton steps at the first two occurrences of a quadrature node's slot (the first dosing
#: interval, whose warm start is the last node's iterate with no change between the same two nodes
#: known yet, and the second, whose known change is from the first day, while the trough still
#: builds up); one step there trailed the quasi-steady state in week 1 (measured, 400 duloxetine
#: patients, 12 weeks: weekly inhibition 1.9e-3 from the converged fast path with one step,
#: 1.1e-4 with three; r_5HT 1.6e-3 and 0.8e-3)
N_NEWTON_QUAD_FIRST = 3

_KERNELS: dict[tuple, CPUDispatcher] = {}


def _kernel_for(struct: tuple) -> CPUDispatcher:
    """The parallel kernel for one set of compile-time constants (compiled once per set, and
    cached on disk by numba: its only free variable is the tuple of numbers ``struct``)."""
    if struct in _KERNELS:
        return _KERNELS[struct]

    def kernel(thetas, index, ncmt, from_idx, mw_ratio, central, periph, n_states, nonlinear,
               dose_amount, occ, p5, pne, dh, t, step_index, hs, dose_node, week_node, record_of_node, base_step,
               wq_index, wq, slot, seed, stream, p_miss, weekly, out_col, record):
        n = thetas.shape[0]
        n_grid = dose_amount.shape[0]
        n_batches = (n + BATCH - 1) // BATCH
        for job in nb.prange(n_grid * n_batches):
            g = job // n_batches
            b = job % n_batches
            i0 = b * BATCH
            # grouped in tuples: a call with more than 30 arguments compiles to *args, which
            # numba cannot inline
            batch(g, i0, min(BATCH, n - i0), (thetas, index),
                  (ncmt, from_idx, mw_ratio, central, periph, n_states, nonlinear),
                  (dose_amount, occ, p5, pne, dh),
                  (t, step_index, hs, dose_node, week_node, record_of_node, base_step, wq_index, wq, slot),
                  (seed, stream, p_miss), struct, (weekly, out_col, record))

    kernel.__qualname__ = "population_kernel"
    out = nb.njit(parallel=True, cache=True, **FLAGS)(kernel)
    _KERNELS[struct] = out
    return out


def model_switches(p5: np.ndarray, pne: np.ndarray, dh: np.ndarray, quad: bool = False) -> tuple:
    """The compile-time constants of a grid: which uptake is first-order (Km = inf), the
    desensitisation switches, the dorsal-horn Hill exponents, the Newton step counts, whether
    the time grid is a quadrature grid, and the hash of the inlined sources. They must be the
    same at every grid point; everything else is a run-time value."""
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
            1 if kmne_inf else N_NEWTON_GRADED, bool(quad), 1 if km5_inf else N_NEWTON_QUAD,
            1 if km5_inf else N_NEWTON_QUAD_FIRST, sources_hash())


def _as_list(x: Any) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def _grid_inputs(chains: list[Chain], regimens: list, weeks: int, lag: float):
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
    sched = [dose_events(reg, lag, t_end) for reg in regimens]
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
    if p5.shape[1] != N_PARAMS or dh.shape[1] != DH_SIZE:
        raise ValueError("unexpected parameter vector sizes")
    return c0, dose_t, dose_amount, occ, p5, pne, dh


def run_population(ch: Chain | Sequence[Chain], thetas: np.ndarray, regimen: Any, weeks: int, *,
                   outputs: Sequence[str] = COURSE_FIELDS, index: np.ndarray | None = None, seed: int = 0,
                   stream: int = 0, p_miss: float = 0.0, record_every: float | None = None,
                   grid: str = DEFAULT_GRID) -> dict[str, Any]:
    """Weekly means of a virtual population through the whole chain (fused numba kernel).

    The drug arm of a trial (:func:`painsim.trial.drug_courses`) for many patients, optionally
    over a grid of regimens (e.g. doses) and/or parameter sets. Pain and responders follow from
    the weekly inhibition through :mod:`painsim.response`, as on every other path.

    Parameters
    ----------
    ch : Chain or sequence of Chain
        :func:`painsim.chain.chain` of the drug; a sequence makes a grid over parameter sets
        (same drug model structure, e.g. a physiology or calibration sweep). The model switches
        compiled into the kernel (first-order uptake or not, desensitisation on/off, dorsal-horn
        Hill exponents) must be the same at every grid point; any other value may vary.
    thetas : ndarray, shape (n, n_theta)
        PK parameters per patient (:class:`painsim.population.Population` ``.theta``); one
        absorption lag for all (the time grid is common).
    regimen : Regimen or Schedule, or a sequence of them
        A sequence makes a grid over regimens; they must dose at the same times (the amounts
        may differ: a dose–response grid, titrations).
    weeks : int
        Duration, weeks.
    outputs : sequence of str
        Which weekly means to return, among :data:`painsim.chain.COURSE_FIELDS` (restored
        inhibition, SERT and NET occupancy, 5-HT and NE ratios); fewer outputs, less memory.
    index, seed, stream : patient identity for the adherence draws (as the fast path).
    p_miss : float
        Probability that a dose is missed.
    record_every : float, optional
        Also return the time course of all five outputs, h between recorded grid nodes (nearest
        node to each multiple of ``record_every``; memory grows with time points).
    grid : {"fine", "coarse", "quad", "dense"}
        The time grid (:data:`painsim.chain.GRIDS`; default :data:`painsim.chain.DEFAULT_GRID`,
        the same as :func:`painsim.simulate.run_fast`'s): "fine", the trapezoid rule on 16 steps a
        day; "coarse" for quick exploratory sweeps (~2.5× faster than "fine", weekly inhibition
        ~1.2 % further from the full model); or "quad": Gauss–Legendre nodes over each dosing
        interval (:func:`painsim.chain.quadrature_grid`), weekly means as weighted node sums,
        exact PK between nodes, the 5-HT Newton solve warm-started from the last node moved as
        between the same nodes of the last interval with the same nodes (:data:`N_NEWTON_QUAD_FIRST`
        steps where there was none yet) and desensitisation relaxed over each node's weight (2.5×
        fewer evaluations than "fine" and closer to the full model); "dense", the same with 48
        nodes a day, checks the other grids' own error. With ``record_every`` on a quadrature
        grid, the nearest quadrature node to each time is recorded.

    Returns
    -------
    dict
        ``weekly``: array (…, n, weeks, len(outputs)) of weekly means, with a leading grid axis
        only when ``ch`` or ``regimen`` is a sequence; ``outputs``: the names of its last axis;
        with ``record_every``, ``record`` (…, n, n_times, 5) and ``record_t`` (n_times,), h.

    Examples
    --------
    >>> from painsim import load_drug, load_physiology, load_calibration, Regimen
    >>> from painsim.population import draw_population, ARM_DRUG
    >>> from painsim.chain import chain
    >>> drug, phys, cal = load_drug("duloxetine"), load_physiology(), load_calibration()
    >>> pop = draw_population(drug, phys, 256, seed=1, stream=ARM_DRUG)
    >>> res = run_population(chain(drug, phys, cal), pop.theta, Regimen.daily(60, days=84), 12,
    ...                      outputs=("inhibition",))
    >>> res["weekly"].shape, bool((res["weekly"][:, -1, 0] > 0).all())
    ((256, 12, 1), True)
    """
    weeks = int(weeks)
    if weeks < 1:
        raise ValueError(f"weeks must be positive, got {weeks!r}")
    unknown = [o for o in outputs if o not in COURSE_FIELDS]
    if unknown or not outputs or len(set(outputs)) != len(outputs):
        raise ValueError(f"outputs must be distinct names among {', '.join(COURSE_FIELDS)}, got {list(outputs)}")
    if grid not in GRIDS:  # before any work (time_grid checks it too)
        raise ValueError(f"grid must be one of {', '.join(GRIDS)}, got {grid!r}")
    thetas = np.ascontiguousarray(np.atleast_2d(thetas), dtype=float)
    n = thetas.shape[0]
    is_grid = isinstance(ch, (list, tuple)) or isinstance(regimen, (list, tuple))
    c0, dose_t, dose_amount, occ, p5, pne, dh = _grid_inputs(_as_list(ch), _as_list(regimen), weeks,
                                                             common_lag(thetas))
    index = np.arange(n, dtype=np.int64) if index is None else np.ascontiguousarray(index, dtype=np.int64)
    tg = time_grid(dose_t, weeks * HOURS_PER_WEEK, grid)
    t, step_index, hs, dose_node, quad = tg["t"], tg["step_index"], tg["hs"], tg["dose_node"], tg["quad"]
    if quad:
        wq, wq_index = np.unique(tg["weight"][1:], return_inverse=True)
        slot = tg["slot"]
        base_step = np.inf
    else:
        base_step = GRIDS[grid][1]
        wq, wq_index = hs, step_index  # desensitisation relaxes over each step
        slot = np.full(len(t), -1, dtype=np.int64)
    wq_index = np.ascontiguousarray(wq_index, dtype=np.int64)
    out_col = np.array([outputs.index(f) if f in outputs else -1 for f in COURSE_FIELDS], dtype=np.int64)
    record_of_node = np.full(len(t), -1, dtype=np.int64)
    record_t = np.empty(0)
    if record_every is not None:
        if record_every <= 0:
            raise ValueError("record_every must be positive (h)")
        targets = np.arange(0.0, t[-1] + 1e-9, float(record_every))
        # nearest node where the chain is evaluated (on a quadrature grid: a quadrature node)
        evaluated = np.flatnonzero(slot >= 0) if quad else np.arange(len(t))
        nodes = np.unique([int(evaluated[np.argmin(np.abs(t[evaluated] - x))]) for x in targets])
        record_of_node[nodes] = np.arange(len(nodes))
        record_t = t[nodes]

    n_grid = dose_amount.shape[0]
    weekly = np.zeros((n_grid, n, weeks, len(outputs)))
    record = np.zeros((n_grid, n, len(record_t), len(COURSE_FIELDS)))
    if len(record_t) and record_t[0] == 0.0:  # node 0: the baseline, before any dose
        for g in range(n_grid):
            record[g, :, 0, 0] = inhibition(1.0, 1.0, dh[g])
        record[:, :, 0, 3:] = 1.0
    if n:
        kernel = _kernel_for(model_switches(p5, pne, dh, quad))
        kernel(thetas, index, c0.ncmt, c0.from_idx, c0.mw_ratio, c0.central, c0.periph, int(c0.n_states),
               bool(c0.nonlinear), dose_amount, occ, p5, pne, dh, t, step_index, hs, dose_node,
               week_nodes(t, weeks), record_of_node, float(base_step), wq_index, np.ascontiguousarray(wq, dtype=float),
               slot, int(seed), int(stream), float(p_miss),
               weekly, out_col, record)
    out: dict[str, Any] = {"weekly": weekly if is_grid else weekly[0], "outputs": tuple(outputs)}
    if record_every is not None:
        out["record"] = record if is_grid else record[0]
        out["record_t"] = record_t
    return out


def compiled_from_cache() -> bool:
    """Whether the kernels this process has used were loaded from numba's disk cache (not compiled)."""
    return bool(_KERNELS) and all(sum(k.stats.cache_hits.values()) for k in _KERNELS.values())


def compile_kernel() -> float:
    """Compile (or load from numba's cache) the kernel for linear and nonlinear PK; seconds taken.

    The first call of :func:`run_population` in a process otherwise pays this.
    """
    import time

    from painsim.calibration import load_calibration
    from painsim.chain import chain
    from painsim.library import load_drug
    from painsim.physiology import load_physiology
    from painsim.pk import theta
    from painsim.regimen import Regimen

    t0 = time.perf_counter()
    phys, cal = load_physiology(), load_calibration()
    drug = load_drug("duloxetine")
    run_population(chain(drug, phys, cal), theta(drug)[None, :], Regimen.daily(10.0, days=7), 1)
    return time.perf_counter() - t0
