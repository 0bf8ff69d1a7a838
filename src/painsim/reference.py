"""The reference path: the full stiff system for one patient, integrated with a general solver.

PK, both synaptic concentrations (5-HT, NE), both desensitisation states and the running
integrals of the recorded outputs are one ODE system, integrated with
:func:`scipy.integrate.solve_ivp` (LSODA) from dose to dose by
:func:`painsim.pk.solve_between_doses` — patient by patient, the way a user would write it. Its
right-hand side is made of the same stage functions as the fast path
(:mod:`painsim.simulate`) and the population kernel (:mod:`painsim.kernels`); it differs from
them only in *how* it integrates (no quasi-steady state, no time grid), which is what makes it
the check on their approximations (tests/validation/test_fast_vs_reference.py).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from painsim.calibration import Calibration, load_calibration
from painsim.chain import HOURS_PER_WEEK, N_OUT, Chain, chain, schedule
from painsim.dorsal_horn import inhibition
from painsim.library import DrugSpec
from painsim.occupancy import occupancy_of
from painsim.physiology import Physiology, load_physiology
from painsim.pk import conc_factors, dose_events, mm_parameters, rate_matrix, rhs, solve_between_doses, theta_index
from painsim.pk import theta as typical_theta
from painsim.synapse import P_C0, P_CROSS, P_TAU, desens_target, firing, rhs_concentration

__all__ = ["patient_course", "run_reference"]


@nb.njit(cache=True)
def _ref_rhs(y, a, n_states, central, cf, v0, vmax, km, occ, p5, pne, dh):
    x = y[:n_states]
    m = central.shape[0]
    dy = np.zeros(y.shape[0])
    dy[:n_states] = rhs(x, a, central[0], v0, vmax, km, -1)
    conc = np.empty(m)
    for j in range(m):
        conc[j] = x[central[j]] * cf[j]
    o_s = occupancy_of(conc, occ[0])
    o_n = occupancy_of(conc, occ[1])
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


def _solve(ch: Chain, th: np.ndarray, dose_t: np.ndarray, dose_a: np.ndarray, out_times: np.ndarray,
           rtol: float, atol: float) -> np.ndarray:
    """States of the full system at ``out_times``: PK amounts, c_5HT, c_NE, D_5HT, D_NE, then the
    running integrals of the five recorded outputs (shape (len(out_times), n_states + 4 + 5))."""
    a = rate_matrix(th, ch.ncmt, ch.from_idx, ch.mw_ratio, ch.central, ch.periph, ch.n_states, False)
    cf = conc_factors(th, len(ch.central))
    v0, vmax, km = mm_parameters(th)
    if not ch.nonlinear:
        vmax, km = 0.0, 1.0
    ns = ch.n_states
    y0 = np.zeros(ns + 4 + N_OUT)
    y0[ns], y0[ns + 1] = ch.p5[P_C0], ch.pne[P_C0]
    scale = np.ones_like(y0)  # absolute tolerance relative to the basal transmitter levels
    scale[ns], scale[ns + 1] = ch.p5[P_C0], ch.pne[P_C0]

    def f(_t: float, yy: np.ndarray) -> np.ndarray:
        return _ref_rhs(yy, a, ns, ch.central, cf, v0, vmax, km, ch.occ, ch.p5, ch.pne, ch.dh)

    return solve_between_doses(f, y0, dose_t, dose_a, out_times, rtol=rtol, atol=atol * scale)


def run_reference(ch: Chain, theta: np.ndarray, regimen, weeks: int, *, taken: np.ndarray | None = None,
                  rtol: float = 1e-8, atol: float = 1e-10) -> np.ndarray:
    """The full stiff system for one patient (solve_ivp, LSODA, between dose events).

    Parameters
    ----------
    taken : ndarray of bool, optional
        Which doses were taken (missed doses have amount 0).

    Returns
    -------
    ndarray, shape (weeks, 5)
        Weekly means of I, SERT occupancy, NET occupancy, r_5HT, r_NE.
    """
    th = np.asarray(theta, dtype=float)
    dose_t, dose_a, _ = schedule(regimen, weeks, th[theta_index("lag")])
    if taken is not None:
        dose_a = np.where(taken[: len(dose_a)], dose_a, 0.0)
    week_ends = np.array([HOURS_PER_WEEK * (w + 1) for w in range(weeks)])
    ns = ch.n_states
    integrals = _solve(ch, th, dose_t, dose_a, week_ends, rtol, atol)[:, ns + 4:]
    return np.diff(integrals, axis=0, prepend=np.zeros((1, N_OUT))) / HOURS_PER_WEEK


def patient_course(drug: DrugSpec, regimen, t: np.ndarray, *, phys: Physiology | None = None,
                   cal: Calibration | None = None, theta: np.ndarray | None = None, rtol: float = 1e-8):
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

    phys = load_physiology() if phys is None else phys
    cal = load_calibration() if cal is None else cal
    ch = chain(drug, phys, cal)
    th = typical_theta(drug) if theta is None else np.asarray(theta, dtype=float)
    t = np.asarray(t, dtype=float)
    if t.ndim != 1 or len(t) == 0 or t[0] < 0 or np.any(np.diff(t) <= 0):
        raise ValueError("t must be increasing times in hours, starting at or after 0")
    # doses after the last output time change nothing asked for
    dose_t, dose_a = dose_events(regimen, th[theta_index("lag")], t_end=float(np.nextafter(t[-1], np.inf)))
    ys = _solve(ch, th, dose_t, dose_a, t, rtol, 1e-10)
    ns = ch.n_states
    conc = ys[:, ch.central] * conc_factors(th, len(ch.central))
    occ_s = np.array([occupancy_of(c, ch.occ[0]) for c in conc])
    occ_n = np.array([occupancy_of(c, ch.occ[1]) for c in conc])
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
