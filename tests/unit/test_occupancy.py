"""painsim.occupancy: one occupancy function for the PET checks and the simulations."""

from __future__ import annotations

import numpy as np
import pytest

from painsim.library import TARGETS, drug_names, load_drug
from painsim.occupancy import occupancy, occupancy_of, occupancy_params, occupancy_rows


@pytest.mark.parametrize("name", drug_names())
def test_the_array_form_and_the_simulations_packed_form_agree(name):
    """occupancy() is what the PET validation checks; occupancy_of() on occupancy_rows() is what
    every simulation path evaluates. They must be the same numbers."""
    drug = load_drug(name)
    rows = occupancy_rows(drug)
    m = len(drug.moieties)
    rng = np.random.default_rng(len(name))
    conc = np.concatenate([np.zeros((1, m)), rng.lognormal(2.0, 2.0, size=(200, m))])
    for i, target in enumerate(TARGETS):
        p = occupancy_params(drug, target)
        assert rows[i, 0] == p.emax
        np.testing.assert_array_equal(rows[i, 1:1 + m], p.ec50)
        np.testing.assert_array_equal(rows[i, 1 + m:], p.hill)
        a = occupancy(conc, p.emax, p.ec50, p.hill)
        b = np.array([occupancy_of(c, rows[i]) for c in conc])
        np.testing.assert_array_equal(a, b)
        assert a[0] == 0.0 and np.all((a >= 0.0) & (a < max(p.emax, 1e-300)))
