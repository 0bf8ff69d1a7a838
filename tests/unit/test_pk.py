"""painsim.pk: the one dose-event expansion, the right-hand side and its integrators — and a
lagged drug giving the same exposure on every simulation path."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from painsim.calibration import load_calibration
from painsim.chain import HOURS_PER_WEEK, chain, time_mean
from painsim.kernels import run_population
from painsim.occupancy import occupancy, occupancy_params
from painsim.physiology import load_physiology
from painsim.pk import (
    conc_factors,
    concentrations,
    dose_events,
    mm_parameters,
    rate_matrix,
    rhs,
    rk4_step,
    structure,
    theta,
    theta_index,
)
from painsim.reference import patient_course
from painsim.regimen import Regimen
from painsim.simulate import run_fast
from painsim.testing import synthetic_drug

PHYS = load_physiology()
CAL = load_calibration()


def test_dose_events_add_the_lag_and_cut_at_the_end():
    reg = Regimen.daily(60.0, days=3, titration=((2, 90.0),))
    t, a = dose_events(reg)
    assert t.tolist() == [0.0, 24.0, 48.0] and a.tolist() == [60.0, 60.0, 90.0]
    t, a = dose_events(reg, lag=2.5, t_end=48.0)
    assert t.tolist() == [2.5, 26.5] and a.tolist() == [60.0, 60.0]
    # a regimen's own lag (a formulation) adds to the drug's
    t, _ = dose_events(Regimen.daily(10.0, days=1, lag=1.0), lag=2.0)
    assert t.tolist() == [3.0]


def test_theta_layout_and_concentration_factors():
    d = synthetic_drug(ka=1.2, cl=11.0, v=140.0, lag=0.75, metabolite={"fraction": 0.5, "cl": 20.0, "v": 300.0})
    th = theta(d)
    assert th[theta_index("ka")] == 1.2 and th[theta_index("lag")] == 0.75
    assert th[theta_index("cl")] == 11.0 and th[theta_index("v", moiety=1)] == 300.0
    np.testing.assert_allclose(conc_factors(th, 2), [1000.0 / 140.0, 1000.0 / 300.0], rtol=1e-15)
    with pytest.raises(KeyError, match="no PK parameter"):
        theta_index("clearance")


def test_rhs_conserves_mass_into_its_sinks_and_rk4_follows_solve_ivp():
    d = synthetic_drug(vmax=20.0, km=50.0, v=200.0)
    s = structure(d)
    th = theta(d)
    v0, vmax, km = mm_parameters(th)
    a_sinks = rate_matrix(th, s.ncmt, s.from_idx, s.mw_ratio, s.central, s.periph, s.n_states, True)
    x = np.array([30.0, 12.0, 0.0])
    assert rhs(x, a_sinks, 1, v0, vmax, km, s.n_states).sum() == pytest.approx(0.0, abs=1e-12)
    a = rate_matrix(th, s.ncmt, s.from_idx, s.mw_ratio, s.central, s.periph, s.n_states, False)
    x0 = np.array([30.0, 12.0])
    ref = solve_ivp(lambda _t, y: rhs(y, a, 1, v0, vmax, km, -1), (0.0, 2.0), x0, method="DOP853",
                    rtol=1e-12, atol=1e-12).y[:, -1]
    # classical RK4 in 0.1-h sub-steps: fourth order, measured 1.8e-6 relative over these 2 h
    np.testing.assert_allclose(rk4_step(x0, a, 2.0, 1, v0, vmax, km), ref, rtol=1e-5)


def test_a_lagged_drug_gives_the_same_exposure_on_every_path():
    """One dose-event expansion for all: the PK path, the fast path, the stiff reference and the
    population kernel see absorption begin 2 h after each dose."""
    lag = 2.0
    drug = synthetic_drug(ka=1.5, cl=15.0, v=200.0, lag=lag, ec50_sert=40.0, ec50_net=400.0, hill=1.3,
                          metabolite={"fraction": 0.4, "cl": 25.0, "v": 400.0, "ec50_sert": 200.0})
    reg = Regimen.daily(100.0, days=7)
    ch = chain(drug, PHYS, CAL)
    th = theta(drug)[None, :]
    # the kernel's record at every node of the fine grid (0.125-h lattice) against the PK path at
    # those times (the fine grid: its recording rule over those nodes is the weekly mean, below)
    res = run_population(ch, th, reg, 1, record_every=0.125, grid="fine")
    t = res["record_t"]
    p = occupancy_params(drug, "sert")
    pk_path = occupancy(np.ascontiguousarray(concentrations(drug, reg, t)), p.emax, p.ec50, p.hill)
    np.testing.assert_allclose(res["record"][0, :, 1], pk_path, rtol=1e-9, atol=1e-12)
    assert np.all(pk_path[t <= lag] == 0.0) and pk_path[t > lag][0] > 0.0  # nothing before the lag
    # the stiff reference at the same times (LSODA, rtol 1e-8)
    ref = patient_course(drug, reg, t[1:])
    np.testing.assert_allclose(ref.occupancy_sert.values, pk_path[1:], rtol=1e-5, atol=1e-8)
    # the fast path's weekly mean against the PK path's, by the same recording rule
    fast = run_fast(ch, th, reg, 1, grid="fine")
    week = t <= HOURS_PER_WEEK + 1e-9
    np.testing.assert_allclose(fast.occ_sert[0, 0], time_mean(pk_path[None, week], t[week])[0], rtol=1e-9)
    np.testing.assert_allclose(res["weekly"][0, 0, 1], fast.occ_sert[0, 0], rtol=1e-9)
    # and the lag matters: without it the week's mean is different
    no_lag = synthetic_drug(ka=1.5, cl=15.0, v=200.0, ec50_sert=40.0, ec50_net=400.0, hill=1.3,
                            metabolite={"fraction": 0.4, "cl": 25.0, "v": 400.0, "ec50_sert": 200.0})
    other = run_fast(chain(no_lag, PHYS, CAL), theta(no_lag)[None, :], reg, 1, grid="fine")
    assert abs(other.occ_sert[0, 0] - fast.occ_sert[0, 0]) > 1e-3
