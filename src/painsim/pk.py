"""Pharmacokinetics: oral linear 1-/2-compartment models with first-order absorption and
metabolite formation, solved exactly; an ODE path for Michaelis–Menten elimination.

State vector (amounts, mg): ``[depot, central_0, (peripheral_0), central_1, ...]`` with the
parent drug first and each active metabolite after it, optionally followed by one
"eliminated" sink per moiety (for mass balance). All parameters are oral-apparent for the parent
(CL/F, V/F: the whole dose enters the depot) and systemic for formed metabolites.

Linear PK is solved exactly: between events the state is propagated by the matrix exponential
``x(t+h) = expm(A h) x(t)`` and doses are superposed (:func:`painsim.vmath.expm`, a numba
scaling-and-squaring Taylor series accurate to machine precision for these small, stable
systems). The stage functions are ``@njit`` pure functions so the population kernel calls the
same code. Dose events are expanded once, absorption lag included (:func:`dose_events`), for
every path. Steady state over a dosing interval is in :mod:`painsim.steady_state`.

Equations (moiety *j* with central amount ``A_j``, volume ``V_j``, clearance ``CL_j``)::

    dA_depot/dt = -ka · A_depot
    dA_0/dt     =  ka · A_depot - (CL_0 + Q_0)/V_0 · A_0 + Q_0/Vp_0 · P_0
    dP_j/dt     =  Q_j/V_j · A_j - Q_j/Vp_j · P_j
    dA_j/dt     =  fm_j · (MW_j/MW_i) · CL_i/V_i · A_i - (CL_j + Q_j)/V_j · A_j + Q_j/Vp_j · P_j

where *i* is the moiety *j* is formed from and ``fm_j`` the fraction of the parent dose (molar)
that reaches the circulation as *j*. Concentration ``C_j = 1000 · A_j / V_j`` ng/mL.
With Michaelis–Menten elimination the parent's ``CL_0·C`` becomes ``Vmax·C/(Km + C)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numba as nb
import numpy as np

from painsim.library import DrugSpec
from painsim.regimen import Regimen, Schedule
from painsim.vmath import expm

__all__ = [
    "MG_PER_L_TO_NG_PER_ML",
    "PKStructure",
    "conc_factors",
    "concentrations",
    "dose_events",
    "mm_elimination",
    "mm_parameters",
    "rate_matrix",
    "rhs",
    "rk4_step",
    "simulate_amounts",
    "solve_between_doses",
    "structure",
    "theta",
    "theta_index",
]

#: 1 mg/L = 1000 ng/mL
MG_PER_L_TO_NG_PER_ML = 1000.0
#: longest sub-step of the Runge–Kutta integration of Michaelis–Menten PK on a time grid, h
RK4_MAX_STEP = 0.1

# layout of the parameter vector theta: 4 drug-level entries, then 5 per moiety
_KA, _LAG, _VMAX, _KM = 0, 1, 2, 3
_PER_MOIETY = 5  # cl, v, q, vp, fm
_CL, _V, _Q, _VP, _FM = 0, 1, 2, 3, 4
_DRUG_LEVEL = {"ka": _KA, "lag": _LAG, "vmax": _VMAX, "km": _KM}
_MOIETY_LEVEL = {"cl": _CL, "v": _V, "q": _Q, "vp": _VP, "fm": _FM}


def theta_index(name: str, moiety: int = 0) -> int:
    """The column of a parameter vector (:func:`theta`) that holds one parameter.

    Parameters
    ----------
    name : str
        Drug-level ``"ka"`` (1/h), ``"lag"`` (h), ``"vmax"`` (mg/h), ``"km"`` (ng/mL), or
        per-moiety ``"cl"`` (L/h), ``"v"`` (L), ``"q"`` (L/h), ``"vp"`` (L), ``"fm"`` (fraction).
    moiety : int
        Index of the moiety (parent 0) for a per-moiety parameter.

    Examples
    --------
    >>> theta_index("ka"), theta_index("cl"), theta_index("v", moiety=1)
    (0, 4, 10)
    """
    if name in _DRUG_LEVEL:
        return _DRUG_LEVEL[name]
    if name in _MOIETY_LEVEL:
        return 4 + _PER_MOIETY * moiety + _MOIETY_LEVEL[name]
    raise KeyError(f"no PK parameter {name!r}; known: {', '.join([*_DRUG_LEVEL, *_MOIETY_LEVEL])}")


@dataclass(frozen=True)
class PKStructure:
    """The shape of a drug's PK model, shared by every patient (integer arrays for numba).

    Attributes
    ----------
    names : tuple of str
        Moiety names, parent first.
    ncmt : ndarray of int64
        Compartments per moiety (1 or 2).
    from_idx : ndarray of int64
        Index of the moiety each is formed from (-1 for the parent).
    mw_ratio : ndarray of float64
        MW of the moiety over MW of its precursor (1 for the parent).
    central, periph : ndarray of int64
        State index of each moiety's central and peripheral (-1 if none) compartment.
    n_states : int
        Number of states without sinks.
    nonlinear : bool
        Michaelis–Menten elimination of the parent.
    molecular_weight : ndarray of float64
        g/mol, per moiety.
    """

    names: tuple[str, ...]
    ncmt: np.ndarray
    from_idx: np.ndarray
    mw_ratio: np.ndarray
    central: np.ndarray
    periph: np.ndarray
    n_states: int
    nonlinear: bool
    molecular_weight: np.ndarray

    @property
    def n_moieties(self) -> int:
        return len(self.names)

    @property
    def n_theta(self) -> int:
        return 4 + _PER_MOIETY * self.n_moieties


def structure(drug: DrugSpec) -> PKStructure:
    """Build the :class:`PKStructure` of a drug from its spec."""
    names = tuple(m.name for m in drug.moieties)
    ncmt = np.array([m.pk.compartments for m in drug.moieties], dtype=np.int64)
    from_idx = np.array([-1 if m.formed_from is None else names.index(m.formed_from)
                         for m in drug.moieties], dtype=np.int64)
    mw = np.array([m.molecular_weight.value for m in drug.moieties])
    mw_ratio = np.array([1.0 if f < 0 else mw[j] / mw[f] for j, f in enumerate(from_idx)])
    central = np.empty(len(names), dtype=np.int64)
    periph = np.full(len(names), -1, dtype=np.int64)
    k = 1
    for j, n in enumerate(ncmt):
        central[j] = k
        k += 1
        if n == 2:
            periph[j] = k
            k += 1
    return PKStructure(names=names, ncmt=ncmt, from_idx=from_idx, mw_ratio=mw_ratio,
                       central=central, periph=periph, n_states=k,
                       nonlinear=drug.parent.pk.elimination == "michaelis_menten",
                       molecular_weight=mw)


def theta(drug: DrugSpec) -> np.ndarray:
    """The typical patient's parameter vector (canonical units) for :func:`rate_matrix`."""
    s = structure(drug)
    th = np.zeros(s.n_theta)
    p = drug.parent.pk
    th[_KA] = p.ka.value if p.ka is not None else 0.0
    th[_LAG] = p.lag.value if p.lag is not None else 0.0
    for j, m in enumerate(drug.moieties):
        vals = m.pk.apparent() if j == 0 else m.pk.systemic()
        base = 4 + _PER_MOIETY * j
        th[base + _CL] = vals.get("cl", 0.0)
        th[base + _V] = vals["v"]
        th[base + _Q] = vals.get("q", 0.0)
        th[base + _VP] = vals.get("vp", 0.0)
        th[base + _FM] = m.formation_fraction.value if m.formation_fraction is not None else 0.0
        if j == 0 and m.pk.elimination == "michaelis_menten":
            th[_VMAX] = vals["vmax"]
            th[_KM] = vals["km"]
    return th


@nb.njit(cache=True)
def rate_matrix(th, ncmt, from_idx, mw_ratio, central, periph, n_states, with_sinks):
    """The linear rate matrix A (1/h) so that dx/dt = A x (+ nonlinear elimination).

    With ``with_sinks`` one "eliminated" state per moiety is appended, so that the sum of all
    states (in parent-equivalent amounts) is conserved. With Michaelis–Menten elimination
    (``th[VMAX] > 0``) the parent's linear clearance is zero here and handled by the caller.
    """
    m = ncmt.shape[0]
    n = n_states + (m if with_sinks else 0)
    a = np.zeros((n, n))
    a[0, 0] = -th[_KA]
    a[central[0], 0] += th[_KA]
    for j in range(m):
        base = 4 + _PER_MOIETY * j
        c = central[j]
        v = th[base + _V]
        kel = th[base + _CL] / v
        a[c, c] -= kel
        # formation of children from this moiety's elimination
        formed = 0.0
        for i in range(m):
            if from_idx[i] == j:
                fm = th[4 + _PER_MOIETY * i + _FM]
                a[central[i], c] += fm * mw_ratio[i] * kel
                formed += fm
        if with_sinks:
            a[n_states + j, c] += (1.0 - formed) * kel
        if ncmt[j] == 2:
            p = periph[j]
            q = th[base + _Q]
            vp = th[base + _VP]
            a[c, c] -= q / v
            a[p, c] += q / v
            a[p, p] -= q / vp
            a[c, p] += q / vp
    return a


@nb.njit(cache=True)
def conc_factors(th, n_moieties):
    """Plasma concentration per amount in each moiety's central compartment, ``1000/V_j``
    (ng/mL per mg): ``C_j = A_j · conc_factors(th, m)[j]``."""
    out = np.empty(n_moieties)
    for j in range(n_moieties):
        out[j] = MG_PER_L_TO_NG_PER_ML / th[4 + _PER_MOIETY * j + _V]
    return out


@nb.njit(cache=True)
def mm_parameters(th):
    """``(V_0, Vmax, Km)`` of the parent's Michaelis–Menten elimination (L, mg/h, ng/mL);
    ``Vmax = 0`` for a drug with linear elimination."""
    return th[4 + _V], th[_VMAX], th[_KM]


@nb.njit(cache=True, inline="always")
def mm_elimination(amount, v0, vmax, km):
    """Michaelis–Menten elimination of the parent, mg/h, at central amount ``amount`` (mg):
    ``Vmax·C/(Km + C)`` with ``C = 1000·A/V_0`` (ng/mL)."""
    conc = MG_PER_L_TO_NG_PER_ML * max(amount, 0.0) / v0
    return vmax * conc / (km + conc)


@nb.njit(cache=True)
def rhs(x, a, c0, v0, vmax, km, sink):
    """dx/dt (mg/h): the linear part ``A·x`` (:func:`rate_matrix`) and, where ``vmax > 0``, the
    parent's Michaelis–Menten elimination from its central state ``c0``, added to state ``sink``
    when ``sink ≥ 0`` (mass balance with :func:`rate_matrix`'s sinks)."""
    dx = a @ x
    if vmax > 0.0:
        flux = mm_elimination(x[c0], v0, vmax, km)
        dx[c0] -= flux
        if sink >= 0:
            dx[sink] += flux
    return dx


@nb.njit(cache=True)
def rk4_substeps(h):
    """Number of classical Runge–Kutta sub-steps over a step of ``h`` hours (each ≤ :data:`RK4_MAX_STEP`)."""
    return max(1, math.ceil(h / RK4_MAX_STEP))


@nb.njit(cache=True)
def rk4_step(x, a, h, c0, v0, vmax, km):
    """Nonlinear PK over one step of ``h`` hours: classical RK4 in :func:`rk4_substeps` sub-steps."""
    n = rk4_substeps(h)
    dt = h / n
    for _ in range(n):
        k1 = rhs(x, a, c0, v0, vmax, km, -1)
        k2 = rhs(x + 0.5 * dt * k1, a, c0, v0, vmax, km, -1)
        k3 = rhs(x + 0.5 * dt * k2, a, c0, v0, vmax, km, -1)
        k4 = rhs(x + dt * k3, a, c0, v0, vmax, km, -1)
        x = x + dt / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return x


def dose_events(regimen: Regimen | Schedule, lag: float = 0.0,
                t_end: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The dose events every path simulates: when absorption of each dose begins, and its amount.

    The one expansion of a regimen (:meth:`painsim.regimen.Regimen.expand`, the regimen's own
    ``lag`` included) shifted by the drug's absorption lag — used by the PK path, the fast path,
    the stiff reference and the population kernel alike.

    Parameters
    ----------
    regimen : Regimen or Schedule
    lag : float
        The drug's absorption lag time, h (``theta[theta_index("lag")]``).
    t_end : float, optional
        Keep only the events before ``t_end`` (h).

    Returns
    -------
    times : ndarray
        h, increasing.
    amounts : ndarray
        mg.

    Examples
    --------
    >>> t, a = dose_events(Regimen.daily(60.0, days=3), lag=2.0, t_end=48.0)
    >>> t.tolist(), a.tolist()
    ([2.0, 26.0], [60.0, 60.0])
    """
    t, a = regimen.expand()
    t = t + float(lag)
    if t_end is not None:
        keep = t < t_end
        t, a = t[keep], a[keep]
    return np.ascontiguousarray(t, dtype=float), np.ascontiguousarray(a, dtype=float)


@nb.njit(cache=True)
def _propagate_linear(a, x0, t0, dose_times, dose_amounts, out_times):
    """States at ``out_times`` for x(t0)=x0 and depot doses, by exact propagation."""
    n = a.shape[0]
    nout = out_times.shape[0]
    out = np.zeros((nout, n))
    x = x0.copy()
    t = t0
    k = 0  # next dose
    nd = dose_times.shape[0]
    for o in range(nout):
        target = out_times[o]
        while k < nd and dose_times[k] <= target:
            if dose_times[k] > t:
                x = expm(a * (dose_times[k] - t)) @ x
                t = dose_times[k]
            x[0] += dose_amounts[k]
            k += 1
        if target > t:
            x = expm(a * (target - t)) @ x
            t = target
        out[o] = x
    return out


def solve_between_doses(fun: Callable[[float, np.ndarray], np.ndarray], y0: np.ndarray,
                        dose_times: np.ndarray, dose_amounts: np.ndarray, out_times: np.ndarray, *,
                        rtol: float, atol: float | np.ndarray, t0: float = 0.0) -> np.ndarray:
    """Integrate ``dy/dt = fun(t, y)`` with :func:`scipy.integrate.solve_ivp` (LSODA) from event
    to event, adding each dose to state 0 (the depot) at its time.

    The event engine of the ODE paths (Michaelis–Menten PK here, the full stiff system in
    :mod:`painsim.reference`): the integration restarts at every dose, so no step straddles one.

    Returns
    -------
    ndarray, shape (len(out_times), len(y0))
        The state at each output time; at a dose time, the state just after the dose.
    """
    from scipy.integrate import solve_ivp

    dose_at: dict[float, float] = {}
    for tt, aa in zip(np.asarray(dose_times).tolist(), np.asarray(dose_amounts).tolist(), strict=True):
        dose_at[tt] = dose_at.get(tt, 0.0) + aa
    out_list = [float(x) for x in out_times]
    y = np.array(y0, dtype=float)
    t = float(t0)
    states: dict[float, np.ndarray] = {}
    for stop in sorted(set(dose_at) | set(out_list)):
        if stop > t:
            sol = solve_ivp(fun, (t, stop), y, method="LSODA", rtol=rtol, atol=atol)
            if not sol.success:
                raise RuntimeError(f"integration failed at t = {t:.3f} h: {sol.message}")
            y = sol.y[:, -1]
            t = stop
        if stop in dose_at:
            y = y.copy()
            y[0] += dose_at[stop]
        states[stop] = y.copy()
    return np.array([states[x] for x in out_list]).reshape(len(out_list), len(y))


def simulate_amounts(drug: DrugSpec, regimen: Regimen | Schedule, times: np.ndarray, *,
                     th: np.ndarray | None = None, with_sinks: bool = False,
                     rtol: float = 1e-10, atol: float = 1e-12) -> np.ndarray:
    """Amounts in every compartment (mg) at ``times`` (h) for one patient.

    Linear drugs are solved exactly; a drug with Michaelis–Menten elimination is integrated
    with :func:`scipy.integrate.solve_ivp` (LSODA, ``rtol``/``atol``) between dose events.

    Parameters
    ----------
    drug : DrugSpec
    regimen : Regimen or Schedule
    times : array_like
        Output times, h, non-decreasing.
    th : ndarray, optional
        Parameter vector (default: the typical patient, :func:`theta`).
    with_sinks : bool
        Append one eliminated-amount state per moiety.

    Returns
    -------
    ndarray, shape (len(times), n_states[+n_moieties])
    """
    s = structure(drug)
    th = theta(drug) if th is None else np.asarray(th, dtype=float)
    times = np.ascontiguousarray(times, dtype=float)
    if np.any(np.diff(times) < 0):
        raise ValueError("times must be non-decreasing")
    dt, da = dose_events(regimen, th[_LAG])
    a = rate_matrix(th, s.ncmt, s.from_idx, s.mw_ratio, s.central, s.periph, s.n_states, with_sinks)
    x0 = np.zeros(a.shape[0])
    t0 = min(0.0, times[0]) if len(times) else 0.0
    if not s.nonlinear:
        return _propagate_linear(a, x0, t0, dt, da, times)
    v0, vmax, km = mm_parameters(th)
    sink = s.n_states if with_sinks else -1
    c0 = int(s.central[0])
    return solve_between_doses(lambda _t, x: rhs(x, a, c0, v0, vmax, km, sink), x0, dt, da, times,
                               rtol=rtol, atol=atol, t0=t0)


def concentrations(drug: DrugSpec, regimen: Regimen | Schedule, times: np.ndarray, *,
                   th: np.ndarray | None = None) -> np.ndarray:
    """Total plasma concentration (ng/mL) of every moiety at ``times`` (h).

    Returns
    -------
    ndarray, shape (len(times), n_moieties)

    Examples
    --------
    >>> from painsim.library import load_drug
    >>> dlx = load_drug("duloxetine")
    >>> c = concentrations(dlx, Regimen.daily(60, days=1), [6.0])
    >>> round(float(c[0, 0]), 1) > 0
    True
    """
    s = structure(drug)
    th = theta(drug) if th is None else np.asarray(th, dtype=float)
    x = simulate_amounts(drug, regimen, np.asarray(times, dtype=float), th=th)
    return x[:, s.central] * conc_factors(th, s.n_moieties)
