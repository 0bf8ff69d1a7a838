"""What every simulation path shares: the packed parameters of one drug's causal chain, the time
grid, the dose schedule, and the rule that records weekly means.

The fast path (:mod:`painsim.simulate`), the stiff reference (:mod:`painsim.reference`) and the
fused population kernel (:mod:`painsim.kernels`) integrate the same stage functions
(:mod:`painsim.pk`, :mod:`painsim.occupancy`, :mod:`painsim.synapse`,
:mod:`painsim.dorsal_horn`); this module holds what they need to agree on *how* they integrate
and record, and defines no biology.

Weekly means (:class:`Courses`) are the time averages over days 7(w−1)…7w of the restored
inhibition I, SERT and NET occupancy and the 5-HT and NE ratios r = c/c0; on a time grid they are
accumulated by the trapezoid rule (:func:`trapezoid`), one step at a time.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numba as nb
import numpy as np

from painsim.calibration import Calibration
from painsim.dorsal_horn import dorsal_horn_params
from painsim.library import DrugSpec
from painsim.occupancy import occupancy_rows
from painsim.physiology import Physiology
from painsim.pk import PKStructure, dose_events, structure, theta_index
from painsim.regimen import Regimen, Schedule
from painsim.synapse import synapse_params

__all__ = [
    "BASE_STEP",
    "COURSE_FIELDS",
    "DEFAULT_GRID",
    "DENSE_PANELS",
    "GRADED_STEPS",
    "GRIDS",
    "HOURS_PER_WEEK",
    "N_OUT",
    "QUADRATURE_GRIDS",
    "QUAD_PANELS",
    "Chain",
    "Courses",
    "chain",
    "common_lag",
    "dose_grid",
    "quadrature_grid",
    "schedule",
    "time_grid",
    "time_mean",
    "trapezoid",
    "week_nodes",
    "weighted",
    "window_mean",
]

HOURS_PER_WEEK = 168.0
_DAY = 24.0
#: step sizes after each dose (h), then 2-h steps: occupancy moves fastest just after a dose
GRADED_STEPS = (0.125, 0.125, 0.25, 0.5, 1.0)
BASE_STEP = 2.0
#: panels of a dosing interval for :func:`quadrature_grid`, by the interval's length: (longest
#: interval, h; its panels as (end, h after the dose; Gauss–Legendre nodes[; grading q])). A panel
#: that starts at its dose with a grading q places its nodes at t = dose + L·s^q (s the Gauss nodes
#: on [0, 1]), crowding them towards the dose, where occupancy rises fastest (within an hour in
#: patients with a low trough), and thinning them over the slow decline. A daily interval takes
#: 6 nodes in two panels: 4 graded (q = 2) over the first 12 h, where duloxetine (absorbed after a
#: 2-h lag at ka 0.67/h) peaks, then 2 plain nodes over the other 12 h. Chosen for the worst case
#: over many patients against a dense grid (the fast path on 400 graded nodes a day, the grid's
#: error alone): 400 duloxetine 60 mg patients, weekly inhibition in weeks 1 and 12, within 0.62 %
#: (none over 0.7 %) at full adherence and 0.61 % with 20 % of doses missed, where a single panel
#: of 6 graded nodes (q = 2) was 1.63 % and 1.62 % off (6 and 8 of 400 patients over 0.7 %; fast
#: path and kernel alike); out of sample (seed 11, 1000 patients) 1 patient is over, a fast
#: clearer at 1.7 % (the fine grid: 79 over, none beyond 0.86 %; tests/validation/
#: test_grid_error_vs_dense.py). The error is a rugged function of the design: 3 + 3 nodes split at
#: 9 h (q = 1.5) reached 0.59 % but 0.81 % split at 9.5 h; 4 + 2 at 11.5–13 h with q = 2 stays
#: within 0.69 %, with q = 1.75 or 2.25 not (0.8–1.1 %). 4 nodes per interval of 12 h or less put
#: venlafaxine IR (twice and three times daily) and milnacipran within 0.07 % of the stiff
#: reference (3 nodes: 0.18 %, and 5-HT further off than on the fine grid); an interval longer
#: than a day (a pause) takes the daily panels for its first day and 3 plain nodes per extra day.
#: Missed doses (``p_miss``) change no panels: the grid follows the scheduled doses
QUAD_PANELS: tuple[tuple[float, tuple[tuple[float, ...], ...]], ...] = (
    (12.0, ((np.inf, 4, 2.0),)),
    (24.0, ((12.0, 4, 2.0), (np.inf, 2))),
    (np.inf, ((12.0, 4, 2.0), (24.0, 2), (np.inf, 3))),
)
#: panels of the "dense" check grid: 48 graded nodes a day (24 per 12-h interval), where 400 a day
#: change duloxetine's weekly inhibition by < 0.015 % (400 patients): the grid's error is then ~0
DENSE_PANELS: tuple[tuple[float, tuple[tuple[float, ...], ...]], ...] = (
    (12.0, ((np.inf, 24, 2.0),)),
    (24.0, ((np.inf, 48, 2.0),)),
    (np.inf, ((24.0, 48, 2.0), (np.inf, 24))),
)
#: the time grids of the population kernel (:func:`painsim.kernels.run_population`) and the fast
#: path (:func:`painsim.simulate.run_fast`), by name (:func:`time_grid`): (steps after a dose,
#: base step), h, for the dose-graded grids of :func:`dose_grid`, or the panels of
#: :func:`quadrature_grid`. "fine": the trapezoid rule on 16 steps a day (weekly inhibition within
#: ~0.6 % of the full stiff model, most of it the trapezoid rule's bias over the daily profile);
#: "coarse": 504 instead of 1344 steps over 12 weeks of daily dosing, at ~1.8 % (the trapezoid
#: rule over 6-h steps; exploratory sweeps); "quad": 4–6 Gauss–Legendre nodes per dosing
#: interval (528 over 12 weeks of daily dosing: 6 a day, 2 before the first dose's lag ends, 2 more
#: where a week ends inside a panel), closer to the full model than "fine" (within 0.7 %
#: in weekly inhibition for one drug of each class, 20 patients each, where "fine" now misses for
#: venlafaxine IR and duloxetine: tests/validation/test_kernel_grids_vs_reference.py; its own
#: error against a dense grid within 0.62 % for 400 duloxetine patients, see QUAD_PANELS); "dense":
#: 48 graded nodes per daily interval (8× the evaluations of "quad"), a check of the other grids'
#: own error, not for production runs (tests/validation/test_grid_error_vs_dense.py)
GRIDS: dict[str, tuple] = {
    "fine": (GRADED_STEPS, BASE_STEP),
    "coarse": ((0.5, 1.5, 4.0), 6.0),
    "quad": QUAD_PANELS,
    "dense": DENSE_PANELS,
}
#: the grids of :data:`GRIDS` that are Gauss–Legendre panels (:func:`quadrature_grid`); the others
#: are dose-graded trapezoid grids (:func:`dose_grid`)
QUADRATURE_GRIDS = ("quad", "dense")
#: the grid every simulation path uses unless told otherwise ("quad" since issue 13: closer to the
#: full model than "fine" at ~2× its speed; the shipped calibration is fitted on it)
DEFAULT_GRID = "quad"
#: the recorded outputs, in the order of the last axis of every engine's weekly array
COURSE_FIELDS = ("inhibition", "occ_sert", "occ_net", "r_5ht", "r_ne")
N_OUT = len(COURSE_FIELDS)


@dataclass(frozen=True)
class Chain:
    """Everything numeric the integrators need for one drug (arrays, canonical units): the PK
    structure (:class:`painsim.pk.PKStructure`, its arrays also reachable as attributes here),
    occupancy rows (:func:`painsim.occupancy.occupancy_rows`), synapse and dorsal-horn parameter
    vectors."""

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


def chain(drug: DrugSpec, phys: Physiology, cal: Calibration) -> Chain:
    """Pack a drug, the physiology and the calibrated dorsal-horn parameters for the integrators."""
    return Chain(drug=drug, pk=structure(drug), occ=occupancy_rows(drug), p5=synapse_params(phys, "serotonin"),
                 pne=synapse_params(phys, "norepinephrine"), dh=dorsal_horn_params(phys, cal.w_ne, cal.w_5ht))


@dataclass(frozen=True)
class Courses:
    """Weekly means per patient (arrays of shape (n_patients, n_weeks)).

    Attributes
    ----------
    inhibition : restored descending inhibition I (−1…1)
    occ_sert, occ_net : transporter occupancy (fraction)
    r_5ht, r_ne : extracellular transmitter relative to baseline
    recorded, recorded_t : optional time course of (r_5HT, r_NE) at grid nodes and its times (h)
        (:func:`painsim.simulate.run_fast` ``record_windows``)
    recorded_weight : the quadrature weights (h) of the recorded nodes on a quadrature grid, None
        on a dose-graded grid (average a recorded window with :func:`window_mean`)
    """

    inhibition: np.ndarray
    occ_sert: np.ndarray
    occ_net: np.ndarray
    r_5ht: np.ndarray
    r_ne: np.ndarray
    recorded: np.ndarray | None = None
    recorded_t: np.ndarray | None = None
    recorded_weight: np.ndarray | None = None

    @classmethod
    def from_array(cls, arr: np.ndarray) -> Courses:
        """From an array (n_patients, n_weeks, 5) whose last axis follows :data:`COURSE_FIELDS`."""
        return cls(*(np.ascontiguousarray(arr[:, :, q]) for q in range(N_OUT)))

    @classmethod
    def concatenate(cls, parts: list[Courses]) -> Courses:
        """The courses of consecutive groups of patients, joined (recorded times from the first)."""
        merged = {f: np.concatenate([getattr(c, f) for c in parts]) for f in COURSE_FIELDS}
        if parts[0].recorded is not None:
            merged["recorded"] = np.concatenate([c.recorded for c in parts])
            merged["recorded_t"] = parts[0].recorded_t
            merged["recorded_weight"] = parts[0].recorded_weight
        return cls(**merged)


def common_lag(thetas: np.ndarray) -> float:
    """The absorption lag (h) of a group of patients, which the population paths need to be one
    value (they share one time grid); the model draws no variability on it."""
    lags = np.asarray(thetas)[:, theta_index("lag")]
    if lags.size and not np.all(lags == lags[0]):
        raise ValueError("patients of one simulation must share the absorption lag (the time grid is common)")
    return float(lags[0]) if lags.size else 0.0


def schedule(regimen: Regimen | Schedule, weeks: int, lag: float) -> tuple[np.ndarray, np.ndarray, float]:
    """Dose events of ``weeks`` weeks (:func:`painsim.pk.dose_events`, lag included) and the end, h."""
    t_end = weeks * HOURS_PER_WEEK
    dose_t, dose_a = dose_events(regimen, lag, t_end)
    return dose_t, dose_a, t_end


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


def quadrature_grid(dose_times: np.ndarray, t_end: float, *,
                    panels: tuple[tuple[float, tuple[tuple[float, ...], ...]], ...] = QUAD_PANELS
                    ) -> dict[str, np.ndarray]:
    """Gauss–Legendre nodes over each dosing interval, and the event nodes between them.

    Each dosing interval is split into the panels ``panels`` gives for its length (ends
    measured from its dose; the last panel ends at the next dose, and is cut into days where it
    is longer) and every panel, further split where a week ends inside it, carries the
    Gauss–Legendre rule of its order: within a panel
    the quantities recorded are smooth functions of time (exact PK has a kink only at a dose),
    so a few nodes integrate them far better than the trapezoid rule on many (whose bias over
    the concave daily profile was most of the fine grid's 0.6 % from the full model). The time
    before the first dose (absorption lag) is one panel of two nodes (nothing moves there, but
    every panel integrates the same polynomials).

    The nodes are of two kinds: *quadrature nodes*, where the chain is evaluated and which carry
    the weights of :func:`weighted`, and *event nodes* (weight 0: t = 0, every dose, every week
    boundary, ``t_end``), where only the exact PK is stepped to (to add a dose, or to close a
    week). Irregular intervals and titration need nothing special: panels follow the scheduled
    doses (a missed dose, drawn in the kernel or the fast path, moves no node).

    Parameters
    ----------
    dose_times : ndarray
        h, increasing (:func:`painsim.pk.dose_events`).
    t_end : float
        h; a multiple of a week.
    panels : tuple of (float, tuple of (float, int[, float]))
        (longest interval, h; its panels as (panel end after the dose, h; number of nodes;
        optionally the grading q of a panel that starts at the dose), the ends increasing), the
        longest intervals increasing: an interval takes the first row that covers its length
        (the time from its dose to the next dose or the end).

    Returns
    -------
    dict
        ``t`` node times (h); ``weight`` per node (h; 0 at event nodes); ``slot`` per node (the
        index of a quadrature node within its dosing interval, −1 at event nodes: the
        warm start of the synapse's Newton solve); ``step_index``, ``hs``, ``dose_node`` as
        :func:`dose_grid`'s.
    """
    t_end = float(t_end)
    doses = [float(x) for x in dose_times if x < t_end]
    weeks = np.arange(HOURS_PER_WEEK, t_end + 1e-9, HOURS_PER_WEEK).tolist()
    events = sorted({0.0, t_end, *doses, *weeks})
    # panel breaks: every event, and the panel ends after each dose that fall before the next dose
    nxt = [*doses[1:], np.inf]
    # the panels of each dosing interval, by its length
    rule = [next(p for longest, p in panels if min(d_next, t_end) - d <= longest + 1e-6)
            for d, d_next in zip(doses, nxt, strict=True)]
    breaks = set(events)
    for d, d_next, pan in zip(doses, nxt, rule, strict=True):
        end = min(d_next, t_end)
        for row in pan[:-1]:
            if d + row[0] < end - 1e-6:
                breaks.add(d + row[0])
        # the last panel of a long interval (missed doses, a pause) is cut into days, each with
        # the panel's nodes: desensitisation relaxes over each node's weight, and weights of
        # days made it lag (one dose, then 4 weeks: weekly inhibition 0.4 % off in week 1)
        x = d + (pan[-2][0] if len(pan) > 1 else 0.0) + _DAY
        while x < end - 1e-6:
            breaks.add(x)
            x += _DAY
    breaks = sorted(breaks)
    starts = np.array(doses)
    nodes: list[tuple[float, float, int]] = []  # (time, weight, slot)
    last_part, last_slot = None, -1
    for a, b in itertools.pairwise(breaks):
        if b - a < 1e-9:
            continue
        k = int(np.searchsorted(starts, a + 1e-9)) - 1  # the dose whose interval [a, b] is in
        part = None
        if k < 0:
            order, slot0, power = 2, 0, 1.0
        else:
            off = a - starts[k]
            pan = rule[k]
            p = next(i for i, row in enumerate(pan) if off < row[0] - 1e-6)
            order = pan[p][1]
            # a panel that starts at its dose may grade its nodes towards it: t = a + (b − a)·s^q
            power = pan[p][2] if len(pan[p]) > 2 and off < 1e-9 else 1.0
            # every day of the last panel takes the same slots (a smooth decline: the change
            # between two nodes is close to that between the same nodes a day earlier)
            slot0 = sum(row[1] for row in pan[:p])
            p0 = starts[k] + (pan[p - 1][0] if p > 0 else 0.0)
            day = int((a - p0 + 1e-6) // _DAY) if p == len(pan) - 1 else 0
            p0 += day * _DAY
            p1 = min(starts[k] + pan[p][0], p0 + _DAY if p == len(pan) - 1 and p > 0 else np.inf, nxt[k], t_end)
            part = (k, p, day)
            # a (sub)panel cut by a week boundary: each part gets its share of the nodes (at least 2)
            if b - a < p1 - p0 - 1e-6:
                order = max(2, math.ceil(order * (b - a) / (p1 - p0)))
            if part == last_part:  # the second part continues the numbering
                slot0 = max(slot0, last_slot + 1)
        x, wts = np.polynomial.legendre.leggauss(order)
        u = 0.5 * (1.0 + x)  # Gauss–Legendre on [0, 1] in s, then t = a + (b − a)·s^power
        nodes.extend((a + (b - a) * ui**power, 0.5 * (b - a) * wi * power * ui ** (power - 1.0), slot0 + i)
                     for i, (ui, wi) in enumerate(zip(u, wts, strict=True)))
        last_part, last_slot = part, slot0 + order - 1
        nodes.append((b, 0.0, -1))
    t = np.array([0.0] + [n[0] for n in nodes])
    weight = np.array([0.0] + [n[1] for n in nodes])
    slot = np.array([-1] + [n[2] for n in nodes], dtype=np.int64)
    # keep event nodes only where something happens there (a dose, a week end, the end)
    keep_t = {round(x, 9) for x in (*doses, *weeks, t_end, 0.0)}
    keep = (weight > 0) | np.array([round(x, 9) in keep_t for x in t.tolist()])
    t, weight, slot = t[keep], weight[keep], slot[keep]
    h = np.round(np.diff(t), 9)
    hs, step_index = np.unique(h, return_inverse=True)
    node_of = {round(x, 9): i for i, x in enumerate(t.tolist()) if weight[i] == 0.0}
    dose_node = np.array([node_of[round(x, 9)] for x in doses], dtype=np.int64)
    return {"t": t, "weight": weight, "slot": slot, "step_index": step_index.astype(np.int64), "hs": hs,
            "dose_node": dose_node}


def time_grid(dose_times: np.ndarray, t_end: float, grid: str = DEFAULT_GRID) -> dict[str, np.ndarray]:
    """The time grid ``grid`` (a name of :data:`GRIDS`) of a dose schedule.

    Returns
    -------
    dict
        ``t``, ``step_index``, ``hs``, ``dose_node`` as :func:`dose_grid`'s; ``weight`` and
        ``slot`` as :func:`quadrature_grid`'s on a quadrature grid, empty arrays on a dose-graded
        grid (where every node is evaluated and recorded by :func:`trapezoid`); ``quad``: which.
    """
    if grid not in GRIDS:
        raise ValueError(f"grid must be one of {', '.join(GRIDS)}, got {grid!r}")
    if grid in QUADRATURE_GRIDS:
        return {**quadrature_grid(dose_times, t_end, panels=GRIDS[grid]), "quad": True}
    graded, base = GRIDS[grid]
    t, step_index, hs, dose_node = dose_grid(dose_times, t_end, graded_steps=graded, base_step=base)
    return {"t": t, "step_index": step_index, "hs": hs, "dose_node": dose_node, "weight": np.empty(0),
            "slot": np.empty(0, dtype=np.int64), "quad": False}


def week_nodes(t: np.ndarray, weeks: int) -> np.ndarray:
    """Index of the grid node at the end of each week (int64, shape (weeks,))."""
    return np.array([int(np.argmin(np.abs(t - HOURS_PER_WEEK * (w + 1)))) for w in range(weeks)], dtype=np.int64)


@nb.njit(cache=True, inline="always")
def trapezoid(acc, prev, cur, half_h):
    """The recording rule: ``acc`` plus the integral over one step of a quantity that goes from
    ``prev`` to ``cur`` (the trapezoid rule; ``half_h`` is half the step, h). A week's mean is the
    sum over its steps divided by the week's length."""
    return acc + half_h * (prev + cur)


@nb.njit(cache=True, inline="always")
def weighted(acc, value, weight):
    """The recording rule of a quadrature grid (:func:`quadrature_grid`): ``acc`` plus one
    node's value times its weight (h). A week's mean is the sum over its nodes divided by the
    week's length (the weights of a week sum to it)."""
    return acc + weight * value


@nb.njit(cache=True)
def time_mean(values, t):
    """Mean over ``t[0] … t[-1]`` of each row of ``values`` (n, k), sampled at the grid nodes
    ``t`` (h), by the recording rule of :func:`trapezoid` (the weekly mean of a recorded course)."""
    n, k = values.shape
    out = np.empty(n)
    for i in range(n):
        acc = 0.0
        for j in range(1, k):
            acc = trapezoid(acc, values[i, j - 1], values[i, j], 0.5 * (t[j] - t[j - 1]))
        out[i] = acc / (t[k - 1] - t[0])
    return out


def window_mean(values: np.ndarray, t: np.ndarray, weight: np.ndarray | None = None) -> np.ndarray:
    """Mean of each row of ``values`` (n, k) over a recorded window (the weekly mean of a recorded
    course, :attr:`Courses.recorded`), by the recording rule of the grid it was recorded on.

    Parameters
    ----------
    values : ndarray, shape (n, k)
        Values at the recorded nodes of one window.
    t : ndarray, shape (k,)
        Their times, h.
    weight : ndarray, shape (k,), optional
        Their quadrature weights, h (:attr:`Courses.recorded_weight`, a quadrature grid): the
        mean is the weighted sum over the window's length, the sum of its weights (a window that
        starts and ends at event nodes: whole weeks). None: the nodes of a dose-graded grid,
        averaged by :func:`time_mean` (the trapezoid rule from the first to the last node).
    """
    if weight is None:
        return time_mean(values, t)
    weight = np.asarray(weight, dtype=float)
    return np.asarray(values, dtype=float) @ weight / weight.sum()
