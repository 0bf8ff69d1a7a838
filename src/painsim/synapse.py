"""The monoamine synapse at the spinal terminals of descending 5-HT and NE neurons.

For each transmitter X (5-HT from the raphe/RVM, NE from the locus coeruleus / A5–A7), the
extracellular concentration c (nM) obeys

    dc/dt = R·φ − U(c)·(1 − occ) − k_other·c

- ``U(c) = Vmax·c/(Km + c)``: transporter uptake (Michaelis–Menten; the NE terminal uses the
  first-order limit ``U = k_uptake·c`` because only its clearance rate is identified);
  ``occ`` is the transporter occupancy from :mod:`painsim.occupancy`;
- ``k_other``: clearance not through the transporter;
- ``R``: release at baseline firing, fixed by the baseline steady state (φ = 1, occ = 0,
  c = c0), so ``R = U(c0) + k_other·c0``;
- ``φ = r^(−g·(1 − D))``: firing relative to baseline, lowered by somatodendritic
  autoreceptors (5-HT1A, α2A) as the transmitter ratio ``r = c/c0`` rises — the
  somatodendritic and terminal compartments share transporter kinetics, so they share r; g is
  the loop gain (log–log) and D the autoreceptor desensitisation;
- optional cross-talk (a switch, off by default): raphe firing × ``r_NE^κ`` (NE excites raphe
  5-HT neurons through α1) and locus-coeruleus firing × ``r_5HT^−κ'`` (5-HT inhibits the LC);
- ``dD/dt = (D∞(r) − D)/τ_d`` with ``D∞ = max(0, 1 − 1/r)`` (phenomenological: desensitisation
  saturates at modest sustained rises, so firing recovery does not depend on dose, as observed);
  D stays 0 where the file says the autoreceptor does not desensitise (α2A).

Time scales separate: c relaxes in about a second, PK in hours, D in days. The **reference
path** integrates c and D as ODEs (stiff); the **fast path** takes c at its quasi-steady state —
the root of the right-hand side, solved by Newton in log r (one step for first-order uptake) —
and steps only D. Both use the functions below; they differ only in how they integrate.

All functions are ``@njit`` on a float64 parameter vector (see :func:`synapse_params`).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

from painsim.physiology import Physiology

__all__ = [
    "P_C0",
    "SynapseParams",
    "clearance_time_constant",
    "desens_target",
    "firing",
    "qss_log_ratio",
    "qss_ratio",
    "release",
    "rhs_concentration",
    "single_release_event",
    "slow_step",
    "synapse_params",
]

# parameter vector layout
P_KM, P_VMAX, P_KOTHER, P_C0, P_GAIN, P_DESENS, P_TAU, P_CROSS = 0, 1, 2, 3, 4, 5, 6, 7
N_PARAMS = 8

SynapseParams = np.ndarray  # float64[N_PARAMS]


def synapse_params(phys: Physiology, transmitter: str) -> np.ndarray:
    """Parameter vector of one transmitter (``"serotonin"`` or ``"norepinephrine"``).

    Units: Km and c0 in nM, Vmax in nM/h (or, for first-order uptake, ``Km = inf`` and
    ``Vmax = k_uptake`` in 1/h with c in units of c0), k_other 1/h, τ_d h.
    """
    p = np.zeros(N_PARAMS)
    if transmitter == "serotonin":
        p[P_KM] = phys["serotonin.km"]
        p[P_VMAX] = phys["serotonin.vmax"]
        p[P_C0] = phys["serotonin.basal"]
        p[P_DESENS] = 1.0
        p[P_TAU] = phys["serotonin.desensitisation_tau"]
    elif transmitter == "norepinephrine":
        p[P_KM] = np.inf
        p[P_VMAX] = phys["norepinephrine.k_uptake"]
        p[P_C0] = 1.0  # concentrations in units of the (unretrieved) basal level
        p[P_DESENS] = 1.0 if phys["norepinephrine.desensitisation"] > 0 else 0.0
        p[P_TAU] = phys.get("norepinephrine.desensitisation_tau", np.inf) or np.inf
    else:
        raise ValueError(f"transmitter must be 'serotonin' or 'norepinephrine', got {transmitter!r}")
    p[P_KOTHER] = phys[f"{transmitter}.k_other"]
    p[P_GAIN] = phys[f"{transmitter}.feedback_gain"]
    # cross-talk switch: the exponent of the *other* transmitter's ratio in this neuron's firing
    # (NE excites raphe 5-HT neurons through alpha1: +; 5-HT inhibits the locus coeruleus: -)
    if transmitter == "serotonin":
        p[P_CROSS] = phys.get("serotonin.crosstalk_from_ne", 0.0) or 0.0
    else:
        p[P_CROSS] = -(phys.get("norepinephrine.crosstalk_from_5ht", 0.0) or 0.0)
    return p


@nb.njit(cache=True, inline="always")
def _uptake_and_slope(c, p):
    """Transporter uptake U(c) = Vmax·c/(Km + c) (nM/h) and its slope dU/dc (1/h); first-order
    ``Vmax·c`` where Km is infinite. One division serves both (the kernel's Newton step is
    limited by divisions)."""
    if math.isinf(p[P_KM]):
        return p[P_VMAX] * c, p[P_VMAX]
    q = 1.0 / (p[P_KM] + c)
    return p[P_VMAX] * c * q, p[P_VMAX] * p[P_KM] * q * q


@nb.njit(cache=True, inline="always")
def _uptake(c, p):
    return _uptake_and_slope(c, p)[0]


@nb.njit(cache=True, inline="always")
def _duptake(c, p):
    return _uptake_and_slope(c, p)[1]


@nb.njit(cache=True)
def release(p):
    """Release rate at baseline firing R (nM/h): the baseline steady state."""
    c0 = p[P_C0]
    return _uptake(c0, p) + p[P_KOTHER] * c0


@nb.njit(cache=True)
def firing(r, d, p):
    """Firing relative to baseline, φ = r^(−g·(1−D))."""
    if r <= 0.0:
        return 1.0
    return math.exp(-p[P_GAIN] * (1.0 - d) * math.log(r))


@nb.njit(cache=True)
def rhs_concentration(c, occ, d, p, r_other=1.0):
    """dc/dt (nM/h) of the full synapse equation; ``r_other`` is the other transmitter's ratio,
    which scales firing by ``r_other^cross`` (cross-talk switch; 1 at cross = 0)."""
    r = c / p[P_C0]
    drive = math.exp(p[P_CROSS] * math.log(r_other)) if p[P_CROSS] != 0.0 else 1.0
    return release(p) * drive * firing(r, d, p) - _uptake(c, p) * (1.0 - occ) - p[P_KOTHER] * c


@nb.njit(cache=True, inline="always")
def _qss_newton_step(u, c, occ, g, log_release, p):
    """The Newton step of :func:`qss_ratio` at ``u = ln r`` with ``c = c0·e^u``: returns
    ``h(u)/h'(u)`` (the new iterate is ``u − step``). ``g = gain·(1 − D)``, ``log_release = ln R``.
    """
    up, slope = _uptake_and_slope(c, p)
    out = up * (1.0 - occ) + p[P_KOTHER] * c
    h = log_release - g * u - math.log(out)
    dout = (slope * (1.0 - occ) + p[P_KOTHER]) * c
    # h'(u) = −g − dout/out; h/h' written with one division
    return h * out / (-g * out - dout)


@nb.njit(cache=True)
def qss_ratio(occ, d, p, r_guess, log_drive=0.0):
    """Quasi-steady-state ratio r = c/c0: the root of :func:`rhs_concentration`.

    Newton on ``h(u) = ln(R·φ) − ln(U(c)(1−occ) + k_other·c)``, ``u = ln r``; h is strictly
    decreasing, so the root is unique. First-order uptake: exact after one step.
    """
    c0 = p[P_C0]
    big_r = release(p)
    g = p[P_GAIN] * (1.0 - d)
    u = math.log(r_guess) if r_guess > 0.0 else 0.0
    for _ in range(30):
        c = c0 * math.exp(u)
        step = _qss_newton_step(u, c, occ, g, math.log(big_r) + log_drive, p)
        u -= step
        if abs(step) < 1e-12:
            break
    return math.exp(u)


@nb.njit(cache=True)
def qss_log_ratio(occ, d, p, u, r, n_newton):
    """``ln r`` at quasi-steady state after exactly ``n_newton`` steps of :func:`qss_ratio`'s
    Newton iteration, from the guess ``u = ln r`` (and ``r``, so that no exp is spent on it).

    The batch form of :func:`qss_ratio` for the population kernel (:mod:`painsim.kernels`): no
    convergence test, so every patient of a batch takes the same steps in lock-step (a
    data-dependent exit stops vectorisation), and it returns ``ln r`` so that the caller keeps it
    as the next guess. Warm-started from the previous time step, 2 steps give the serotonin
    ratio to ~1e-7 relative (weekly means against the fast path), 1 step (the kernel's choice)
    to ~1e-3, and 1 is exact for first-order uptake (tested against :func:`qss_ratio`).
    """
    c0 = p[P_C0]
    log_release = math.log(release(p))
    g = p[P_GAIN] * (1.0 - d)
    for k in range(n_newton):
        if k > 0:
            r = math.exp(u)
        u -= _qss_newton_step(u, c0 * r, occ, g, log_release, p)
    return u


@nb.njit(cache=True)
def desens_target(r, p):
    """D∞(r) = max(0, 1 − 1/r) where the autoreceptor desensitises, else 0."""
    if p[P_DESENS] <= 0.0 or r <= 1.0:
        return 0.0
    return 1.0 - 1.0 / r


@nb.njit(cache=True)
def slow_step(occ_s, occ_n, r5, rne, d5, dne, h, p5, pne):
    """One step of the fast path for both transmitters: the synapses at quasi-steady state at the
    step's end (Newton warm-started from the previous ratios), then exact relaxation of each
    desensitisation state over the step ``h`` (h) towards its target there.

    Returns
    -------
    tuple
        ``(r5, rne, d5, dne)`` at the end of the step.
    """
    if p5[P_CROSS] == 0.0 and pne[P_CROSS] == 0.0:
        r5 = qss_ratio(occ_s, d5, p5, r5)
        rne = qss_ratio(occ_n, dne, pne, rne)
    else:  # cross-talk couples the two fixed points: Gauss-Seidel sweeps (the gains are small)
        for _ in range(6):
            r5 = qss_ratio(occ_s, d5, p5, r5, p5[P_CROSS] * math.log(rne))
            rne = qss_ratio(occ_n, dne, pne, rne, pne[P_CROSS] * math.log(r5))
    if p5[P_TAU] < np.inf:
        tgt = desens_target(r5, p5)
        d5 = tgt + (d5 - tgt) * math.exp(-h / p5[P_TAU])
    if pne[P_TAU] < np.inf:
        tgt = desens_target(rne, pne)
        dne = tgt + (dne - tgt) * math.exp(-h / pne[P_TAU])
    return r5, rne, d5, dne


def clearance_time_constant(p: np.ndarray, occ: float) -> float:
    """Time constant of clearance of a small transient (s): ``1/(U'(c0)(1−occ) + k_other)``.

    Grows as ``1/(1 − occ)`` when the transporter dominates clearance.
    """
    k = float(_duptake(p[P_C0], p)) * (1.0 - occ) + p[P_KOTHER]
    return 3600.0 / k


def single_release_event(p: np.ndarray, occ: float, *, amount: float = 10.0,
                         t_end_s: float = 20.0, n: int = 400) -> tuple[np.ndarray, np.ndarray]:
    """One release event and its clearance, with firing held at its value (educator figure).

    A pulse raising c by ``amount`` × c0 at t = 0 is cleared by uptake and other clearance; the
    tonic release is kept at the level that holds the pre-pulse steady state.

    Returns
    -------
    t : ndarray
        Seconds.
    ratio : ndarray
        c/c0.
    """
    from scipy.integrate import solve_ivp

    c0 = p[P_C0]
    r_ss = qss_ratio(occ, 0.0, p, 1.0)
    c_ss = r_ss * c0
    tonic = _uptake(c_ss, p) * (1.0 - occ) + p[P_KOTHER] * c_ss

    def rhs(_t, y):
        return [(tonic - _uptake(y[0], p) * (1.0 - occ) - p[P_KOTHER] * y[0]) / 3600.0]

    t = np.linspace(0.0, t_end_s, n)
    sol = solve_ivp(rhs, (0.0, t_end_s), [c_ss + amount * c0], t_eval=t, method="LSODA",
                    rtol=1e-9, atol=1e-12 * c0)
    return t, sol.y[0] / c0
