"""Steady state of the pharmacokinetic model over one dosing interval (typical or given patient).

Linear drugs exactly (matrix exponential and a linear solve); Michaelis–Menten drugs by repeating
doses until the trough settles. The model and its equations are :mod:`painsim.pk`'s.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from painsim.library import DrugSpec
from painsim.pk import (
    MG_PER_L_TO_NG_PER_ML,
    PKStructure,
    conc_factors,
    mm_parameters,
    rate_matrix,
    rhs,
    structure,
    theta,
    theta_index,
)
from painsim.vmath import expm

__all__ = ["SteadyState", "SteadyStateProfile", "steady_state", "steady_state_profile"]


@dataclass(frozen=True)
class SteadyState:
    """Steady-state exposure of one moiety over a dosing interval (typical patient).

    Concentrations in ng/mL, AUC in ng·h/mL, times in h.
    """

    name: str
    cmax: float
    cmin: float
    cavg: float
    auc_tau: float
    t_half: float
    tmax: float


def _terminal_half_life(th: np.ndarray, s: PKStructure, j: int) -> float:
    """Terminal half-life (h) of moiety j's curve: the slowest rate of it and its precursors."""
    rates = []
    k = j
    while k >= 0:
        v, cl, q, vp = (th[theta_index(p, k)] for p in ("v", "cl", "q", "vp"))
        k10 = cl / v
        if s.ncmt[k] == 2:
            k12, k21 = q / v, q / vp
            tot = k10 + k12 + k21
            rates.append(0.5 * (tot - math.sqrt(tot * tot - 4.0 * k10 * k21)))
        else:
            rates.append(k10)
        k = s.from_idx[k]
    ka = th[theta_index("ka")]
    if ka > 0:
        rates.append(ka)  # flip-flop kinetics: absorption can be rate-limiting
    return math.log(2.0) / min(rates)


@dataclass(frozen=True)
class SteadyStateProfile:
    """Amounts over one dosing interval at steady state (dose given at t = 0, lag ignored).

    Attributes
    ----------
    grid : ndarray
        Times within the interval, h (``0 … τ``).
    states : ndarray, shape (len(grid), n_states)
        Amounts, mg.
    conc : ndarray, shape (len(grid), n_moieties)
        Total plasma concentrations, ng/mL.
    auc_states : ndarray
        Exact integral of each state over the interval, mg·h.
    """

    grid: np.ndarray
    states: np.ndarray
    conc: np.ndarray
    auc_states: np.ndarray
    tau: float
    at: Callable[[float], np.ndarray]


def steady_state_profile(drug: DrugSpec, mg_per_day: float, *, interval: float | None = None,
                         th: np.ndarray | None = None, n_grid: int = 2000) -> SteadyStateProfile:
    """The steady-state dosing interval of a typical (or given) patient.

    Linear drugs: the state just after a dose is ``(I - expm(A τ))⁻¹ b D`` and the integral
    over the interval is ``A⁻¹(expm(A τ) - I) x⁺``, both exact. Nonlinear drugs: doses are
    repeated until the trough changes by < 1e-9 (relative), integrated with LSODA at rtol 1e-10.
    """
    s = structure(drug)
    th = theta(drug) if th is None else np.asarray(th, dtype=float)
    tau = drug.dosing.interval.value if interval is None else float(interval)
    dose = mg_per_day * tau / 24.0
    a = rate_matrix(th, s.ncmt, s.from_idx, s.mw_ratio, s.central, s.periph, s.n_states, False)
    grid = np.linspace(0.0, tau, n_grid + 1)
    if not s.nonlinear:
        phi = expm(a * tau)
        b = np.zeros(s.n_states)
        b[0] = dose
        xplus = np.linalg.solve(np.eye(s.n_states) - phi, b)
        auc_states = np.linalg.solve(a, (phi - np.eye(s.n_states)) @ xplus)
        step = expm(a * (tau / n_grid))
        xs = np.empty((n_grid + 1, s.n_states))
        xs[0] = xplus
        for i in range(n_grid):
            xs[i + 1] = step @ xs[i]

        def at(t: float) -> np.ndarray:
            return expm(a * t) @ xplus
    else:
        from scipy.integrate import solve_ivp

        c0 = int(s.central[0])
        v0, vmax, km = mm_parameters(th)

        def f(_t: float, x: np.ndarray) -> np.ndarray:
            return rhs(x, a, c0, v0, vmax, km, -1)

        x = np.zeros(s.n_states)
        prev = -1.0
        for _ in range(5000):
            x[0] += dose
            sol = solve_ivp(f, (0.0, tau), x, method="LSODA", rtol=1e-10, atol=1e-12)
            x = sol.y[:, -1]
            trough = x[c0]
            if prev > 0 and abs(trough - prev) <= 1e-9 * trough:
                break
            prev = trough
        xplus = x.copy()
        xplus[0] += dose
        sol = solve_ivp(f, (0.0, tau), xplus, method="LSODA", rtol=1e-10, atol=1e-12,
                        dense_output=True, t_eval=grid)
        xs = sol.y.T
        # Simpson on a fine grid: the integrand is smooth, error << rtol
        from scipy.integrate import simpson

        auc_states = simpson(xs, x=grid, axis=0)
        dense = sol.sol

        def at(t: float) -> np.ndarray:
            return dense(t)

    conc = xs[:, s.central] * conc_factors(th, s.n_moieties)
    return SteadyStateProfile(grid=grid, states=xs, conc=conc, auc_states=auc_states, tau=tau, at=at)


def steady_state(drug: DrugSpec, mg_per_day: float, *, interval: float | None = None,
                 th: np.ndarray | None = None, n_grid: int = 2000) -> list[SteadyState]:
    """Steady-state Cmax, Cmin, Cavg, AUC over τ and t½ of every moiety (parent first).

    Cmax/Cmin come from a dense grid over the interval, Cmax refined by a bounded scalar
    search; AUC is exact for linear drugs (see :func:`steady_state_profile`). t½ is the
    terminal half-life of the moiety's curve (the slowest of its own disposition, its
    precursors' and absorption); for Michaelis–Menten elimination it is
    ``ln 2 · V · (Km + Cavg)/Vmax`` at the steady-state Cavg. tmax counts from the dose, the
    absorption lag included.

    Parameters
    ----------
    mg_per_day : float
        Daily dose, mg/day.
    interval : float, optional
        Dosing interval, h (default: the drug's usual interval).
    """
    from scipy.optimize import minimize_scalar

    s = structure(drug)
    th = theta(drug) if th is None else np.asarray(th, dtype=float)
    prof = steady_state_profile(drug, mg_per_day, interval=interval, th=th, n_grid=n_grid)
    grid, tau = prof.grid, prof.tau
    cf = conc_factors(th, s.n_moieties)
    out = []
    for j, name in enumerate(s.names):
        conc = prof.conc[:, j]
        i = int(np.argmax(conc))
        lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, n_grid)]
        cj = s.central[j]

        def neg(t: float, cj: int = cj, cfj: float = cf[j]) -> float:
            return -prof.at(t)[cj] * cfj

        res = minimize_scalar(neg, bounds=(lo, hi), method="bounded", options={"xatol": 1e-9})
        cmax, tmax = (-res.fun, res.x) if -res.fun > conc[i] else (conc[i], grid[i])
        auc = prof.auc_states[cj] * cf[j]
        if s.nonlinear and j == 0:
            v0, vmax, km = mm_parameters(th)
            t_half = math.log(2.0) * v0 * (km + auc / tau) / (MG_PER_L_TO_NG_PER_ML * vmax)
        else:
            t_half = _terminal_half_life(th, s, j)
        out.append(SteadyState(name=name, cmax=float(cmax), cmin=float(conc.min()),
                               cavg=float(auc / tau), auc_tau=float(auc), t_half=float(t_half),
                               tmax=float((tmax + th[theta_index("lag")]) % tau)))
    return out
