"""painsim.dorsal_horn: from spinal 5-HT and NE to restored inhibition and pain transmission."""

from __future__ import annotations

import math

import numpy as np
import pytest

from painsim.dorsal_horn import (
    activation_changes,
    dorsal_horn_params,
    inhibition,
    inhibition_array,
    inhibition_log,
    saturate,
    transmission,
)
from painsim.physiology import load_physiology

PHYS = load_physiology()


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


def test_log_form_and_array_form_are_the_same_function():
    dh = dorsal_horn_params(PHYS, 5.0, 1.0)
    r5 = np.array([0.5, 1.0, 3.0, 12.0])
    rne = np.array([1.0, 1.5, 2.0, 0.8])
    one = [inhibition(a, b, dh) for a, b in zip(r5, rne, strict=True)]
    assert inhibition_array(r5, rne, dh).tolist() == one
    assert [inhibition_log(math.log(a), a, b, dh) for a, b in zip(r5, rne, strict=True)] == one


def test_transmission_is_one_minus_sensitivity_times_inhibition():
    assert transmission(0.0, 0.7) == 1.0
    assert transmission(0.5, 0.4) == pytest.approx(0.8)
    inh = np.array([[0.1, 0.2], [0.3, -0.1]])
    s = np.array([[0.5], [1.0]])
    np.testing.assert_array_equal(transmission(inh, s), 1.0 - s * inh)
