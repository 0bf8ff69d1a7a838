"""painsim.synapse: the spinal 5-HT and NE synapse (stage functions)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from painsim.physiology import load_physiology
from painsim.synapse import (
    P_C0,
    clearance_time_constant,
    desens_target,
    firing,
    qss_log_ratio,
    qss_ratio,
    rhs_concentration,
    single_release_event,
    synapse_params,
)

PHYS = load_physiology()
P5 = synapse_params(PHYS, "serotonin")
PNE = synapse_params(PHYS, "norepinephrine")


@pytest.mark.parametrize("p", [P5, PNE], ids=["5-HT", "NE"])
def test_baseline_is_a_steady_state(p):
    assert rhs_concentration(p[P_C0], 0.0, 0.0, p) == pytest.approx(0.0, abs=1e-9 * p[P_C0])
    assert qss_ratio(0.0, 0.0, p, 3.0) == pytest.approx(1.0, rel=1e-12)


@given(st.floats(0.0, 0.99), st.floats(0.0, 1.0), st.floats(0.2, 20.0))
def test_qss_is_the_root_of_the_full_equation(occ, d, guess):
    for p in (P5, PNE):
        r = qss_ratio(occ, d, p, guess)
        c = r * p[P_C0]
        # residual relative to the release rate
        assert abs(rhs_concentration(c, occ, d, p)) <= 1e-9 * (p[2] * p[P_C0] + 1.0) * 1e3
        assert r >= 1.0 - 1e-12  # blocking uptake never lowers the transmitter


def test_first_order_uptake_has_closed_form():
    # r = (k_total / (k_up (1-occ) + k_other))^(1/(1+g)) for linear uptake and no desensitisation
    occ = 0.6
    k_up, k_o, g = PNE[1], PNE[2], PNE[4]
    expected = ((k_up + k_o) / (k_up * (1 - occ) + k_o)) ** (1 / (1 + g))
    assert qss_ratio(occ, 0.0, PNE, 1.0) == pytest.approx(expected, rel=1e-12)


def test_invernizzi_feedback_numbers_are_reproduced():
    # the loop gain was derived from +242 % (feedback) vs +1580 % (alpha2 blocked) at full NET block
    r_fb = qss_ratio(1.0 - 1e-12, 0.0, PNE, 1.0)
    r_free = (PNE[1] + PNE[2]) / PNE[2]
    assert r_free == pytest.approx(16.8, rel=0.01)
    assert r_fb == pytest.approx(3.42, rel=0.02)
    assert firing(r_fb, 0.0, PNE) == pytest.approx(0.204, abs=0.01)  # LC firing -80 %


def test_desensitisation_restores_firing():
    r = 5.0
    assert firing(r, 0.0, P5) < firing(r, desens_target(r, P5), P5) < 1.0
    assert desens_target(r, PNE) == 0.0  # alpha2A does not desensitise (switch off)
    assert desens_target(0.5, P5) == 0.0


def test_clearance_time_constant_grows_as_one_over_one_minus_occupancy():
    tau0 = clearance_time_constant(P5, 0.0)
    tau8 = clearance_time_constant(P5, 0.8)
    # transporter carries ~99 % of 5-HT clearance: close to 1/(1-0.8) = 5x
    assert 4.5 < tau8 / tau0 < 5.0
    assert 0.5 < tau0 < 1.0  # seconds (Best/Mena kinetics: t1/2 ~0.6 s)
    t, ratio = single_release_event(P5, 0.8)
    t0, ratio0 = single_release_event(P5, 0.0)
    assert ratio[np.searchsorted(t, 2.0)] > ratio0[np.searchsorted(t0, 2.0)]


@pytest.mark.parametrize("transmitter", ["serotonin", "norepinephrine"])
def test_qss_log_ratio_is_qss_ratios_newton(transmitter):
    p = P5 if transmitter == "serotonin" else PNE
    for occ in (0.0, 0.3, 0.8, 0.95):
        for d in (0.0, 0.4):
            r = qss_ratio(occ, d, p, 1.0)
            # converged: the same root
            assert math.exp(qss_log_ratio(occ, d, p, 0.0, 1.0, 30)) == pytest.approx(r, rel=1e-13)
            # warm-started from a nearby value (a time step's change), two steps suffice
            g = r * 1.05
            assert math.exp(qss_log_ratio(occ, d, p, math.log(g), g, 2)) == pytest.approx(r, rel=1e-8)
    if transmitter == "norepinephrine":  # first-order uptake: exact after one step
        assert math.exp(qss_log_ratio(0.6, 0.0, p, 0.0, 1.0, 1)) == pytest.approx(qss_ratio(0.6, 0.0, p, 1.0),
                                                                                rel=1e-13)
