"""PK validation against analytic solutions and an independent ODE solver.

References
----------
- Bateman equation (one-compartment oral absorption): Gibaldi M, Perrier D. Pharmacokinetics,
  2nd ed. (1982), ch. 1 — ``C(t) = F·D·ka / (V (ka - k)) · (e^{-k t} - e^{-ka t})``.
- Steady state: ``AUC_τ = F·Dose / CL`` for linear PK (same source, ch. 3).
- Independent solver: :func:`scipy.integrate.solve_ivp` (DOP853, rtol 1e-10), on the model
  equations written out here from the module docstring, not from ``painsim.pk``.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp
from scipy.linalg import expm as scipy_expm

from painsim import pk, vmath
from painsim.regimen import Regimen
from painsim.steady_state import steady_state
from painsim.testing import synthetic_drug

pytestmark = pytest.mark.validation


def test_bateman_single_dose():
    # exact solution; the matrix exponential is exact up to rounding, so 1e-10 relative
    ka, cl, v, dose = 1.3, 12.0, 150.0, 80.0
    d = synthetic_drug(ka=ka, cl=cl, v=v)
    t = np.linspace(0.0, 72.0, 145)
    c = pk.concentrations(d, Regimen(dose=dose, n_doses=1), t)[:, 0]
    k = cl / v
    bateman = 1000.0 * dose * ka / (v * (ka - k)) * (np.exp(-k * t) - np.exp(-ka * t))
    np.testing.assert_allclose(c, bateman, rtol=1e-10, atol=1e-12)


def test_lag_shifts_profile():
    d0 = synthetic_drug(ka=0.8, cl=10.0, v=100.0)
    d1 = synthetic_drug(ka=0.8, cl=10.0, v=100.0, lag=1.5)
    t = np.linspace(0.0, 48.0, 97)
    c0 = pk.concentrations(d0, Regimen(dose=10.0, n_doses=1), t)[:, 0]
    c1 = pk.concentrations(d1, Regimen(dose=10.0, n_doses=1), t + 1.5)[:, 0]
    np.testing.assert_allclose(c1, c0, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("seed", range(5))
def test_expm_matches_scipy(seed):
    # the numba Taylor/scaling-squaring expm against scipy's Padé implementation
    rng = np.random.default_rng(seed)
    d = synthetic_drug(ka=rng.uniform(0.1, 3), cl=rng.uniform(1, 100), v=rng.uniform(10, 3000),
                       q=rng.uniform(1, 50), vp=rng.uniform(10, 2000),
                       metabolite={"fraction": rng.uniform(0.1, 0.9), "cl": rng.uniform(1, 50),
                                   "v": rng.uniform(10, 2000)})
    s = pk.structure(d)
    a = pk.rate_matrix(pk.theta(d), s.ncmt, s.from_idx, s.mw_ratio, s.central, s.periph,
                       s.n_states, True)
    for h in (0.01, 1.0, 24.0, 500.0):
        np.testing.assert_allclose(vmath.expm(a * h), scipy_expm(a * h), rtol=1e-9, atol=1e-13)


def _reference_rhs(p):
    """The model equations of painsim.pk written out by hand (parent 2-cmt, metabolite 1-cmt)."""

    def rhs(_t, x):
        depot, c, per, m = x
        k10, k12, k21 = p["cl"] / p["v"], p["q"] / p["v"], p["q"] / p["vp"]
        return [
            -p["ka"] * depot,
            p["ka"] * depot - (k10 + k12) * c + k21 * per,
            k12 * c - k21 * per,
            p["fm"] * p["mw_ratio"] * k10 * c - p["clm"] / p["vm"] * m,
        ]

    return rhs


def _ode_reference(p, dose_times, dose, t_out):
    x = np.zeros(4)
    t = 0.0
    out = []
    events = sorted(set(dose_times) | set(t_out))
    for ev in events:
        if ev > t:
            sol = solve_ivp(_reference_rhs(p), (t, ev), x, method="DOP853", rtol=1e-10, atol=1e-14)
            x = sol.y[:, -1]
            t = ev
        if ev in dose_times:
            x = x.copy()
            x[0] += dose
        if ev in t_out:
            out.append(x.copy())
    return np.array(out)


def test_superposition_matches_solve_ivp_parent_metabolite_two_compartment():
    # the exact path against an independent adaptive solver at rtol 1e-10: agreement to 1e-6
    p = {"ka": 0.9, "cl": 40.0, "v": 300.0, "q": 25.0, "vp": 900.0, "fm": 0.6, "clm": 20.0,
         "vm": 250.0, "mw_ratio": 280.0 / 300.0}
    d = synthetic_drug(ka=p["ka"], cl=p["cl"], v=p["v"], q=p["q"], vp=p["vp"],
                       metabolite={"fraction": p["fm"], "cl": p["clm"], "v": p["vm"], "mw": 280.0})
    reg = Regimen(dose=50.0, interval=12.0, n_doses=10)
    t_out = [float(x) for x in np.arange(0.5, 150.0, 3.5)]
    ref = _ode_reference(p, [float(x) for x in reg.expand()[0]], 50.0, t_out)
    got = pk.simulate_amounts(d, reg, np.array(t_out))
    np.testing.assert_allclose(got, ref, rtol=1e-6, atol=1e-9)


def test_one_compartment_matches_solve_ivp():
    d = synthetic_drug(ka=0.4, cl=5.0, v=80.0)
    reg = Regimen(dose=20.0, interval=24.0, n_doses=7)
    t_out = np.arange(1.0, 200.0, 7.0)

    def rhs(_t, x):
        return [-0.4 * x[0], 0.4 * x[0] - 5.0 / 80.0 * x[1]]

    x, t, ref = np.zeros(2), 0.0, []
    dose_t = set(reg.expand()[0].tolist())
    for ev in sorted(dose_t | set(t_out.tolist())):
        if ev > t:
            x = solve_ivp(rhs, (t, ev), x, method="DOP853", rtol=1e-10, atol=1e-14).y[:, -1]
            t = ev
        if ev in dose_t:
            x = x + np.array([20.0, 0.0])
        if ev in set(t_out.tolist()):
            ref.append(x.copy())
    np.testing.assert_allclose(pk.simulate_amounts(d, reg, t_out), np.array(ref), rtol=1e-6, atol=1e-10)


@pytest.mark.parametrize("two_cmt", [False, True])
def test_steady_state_auc_equals_dose_over_clearance(two_cmt):
    # AUC over a steady-state interval = F·Dose/CL (apparent CL/F: F·D/CL = D/(CL/F))
    kw = {"q": 15.0, "vp": 600.0} if two_cmt else {}
    d = synthetic_drug(ka=0.7, cl=30.0, v=400.0, metabolite={"fraction": 0.4, "cl": 8.0, "v": 90.0},
                       **kw)
    ss = steady_state(d, 60.0)
    assert ss[0].auc_tau == pytest.approx(1000.0 * 60.0 / 30.0, rel=1e-10)
    # metabolite: fm·D·(MW ratio 1)/CL_m
    assert ss[1].auc_tau == pytest.approx(1000.0 * 0.4 * 60.0 / 8.0, rel=1e-10)
    assert ss[0].cmin < ss[0].cavg < ss[0].cmax


def test_steady_state_equals_long_simulation():
    d = synthetic_drug(ka=0.5, cl=10.0, v=500.0)  # t1/2 35 h
    ss = steady_state(d, 40.0)
    t = np.linspace(24.0 * 59, 24.0 * 60, 2401)
    c = pk.concentrations(d, Regimen.daily(40.0, days=61), t)[:, 0]
    assert c.max() == pytest.approx(ss[0].cmax, rel=1e-6)
    assert c.min() == pytest.approx(ss[0].cmin, rel=1e-6)


def test_michaelis_menten_low_concentration_limit_is_linear():
    # Vmax·C/(Km+C) → (Vmax/Km)·C when C << Km: CL = 1000·Vmax/Km L/h (Km in ng/mL)
    vmax, km = 1.0, 1e5
    d_mm = synthetic_drug(ka=1.0, v=100.0, vmax=vmax, km=km)
    d_lin = synthetic_drug(ka=1.0, v=100.0, cl=1000.0 * vmax / km)
    t = np.linspace(0.0, 48.0, 25)
    reg = Regimen(dose=1.0, n_doses=1)
    c_mm = pk.concentrations(d_mm, reg, t)[:, 0]
    c_lin = pk.concentrations(d_lin, reg, t)[:, 0]
    np.testing.assert_allclose(c_mm, c_lin, rtol=1e-3)


def test_michaelis_menten_is_more_than_dose_proportional():
    d = synthetic_drug(ka=1.0, v=1000.0, vmax=2.0, km=20.0)
    lo, hi = steady_state(d, 20.0)[0], steady_state(d, 40.0)[0]
    assert hi.auc_tau > 2.05 * lo.auc_tau
    assert hi.t_half > lo.t_half
