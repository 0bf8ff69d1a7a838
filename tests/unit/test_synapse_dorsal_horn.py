"""Synapse and dorsal-horn stage functions."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from painsim.dorsal_horn import activation_changes, dorsal_horn_params, inhibition, saturate
from painsim.physiology import load_physiology
from painsim.synapse import (
    P_C0,
    clearance_time_constant,
    desens_target,
    firing,
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


def test_dorsal_horn_is_zero_at_baseline_and_monotone_in_ne():
    dh = dorsal_horn_params(PHYS, 5.0, 1.0)
    assert inhibition(1.0, 1.0, dh) == pytest.approx(0.0, abs=1e-15)
    vals = [inhibition(1.0, r, dh) for r in np.linspace(1.0, 5.0, 20)]
    assert np.all(np.diff(vals) > 0)
    assert -1.0 < min(vals) and max(vals) < 1.0


def test_serotonergic_inhibition_saturates_and_facilitation_is_micromolar():
    dh = dorsal_horn_params(PHYS, 0.0, 1.0)
    d_ne, d_inh, d_fac = activation_changes(10.0, 1.0, dh)
    assert d_ne == 0.0
    assert 0.0 < d_inh < 1.0
    assert d_fac < 1e-3 * d_inh  # 5-HT3 (EC50 3.4 uM) barely engaged at a 10-fold rise from 0.28 nM
    assert saturate(np.array([-2.0, 0.0, 2.0])).tolist() == [-2 / 3, 0.0, 2 / 3]
    assert math.isclose(saturate(1.0), 0.5)
