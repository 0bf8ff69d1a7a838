"""Property tests of the PK stage (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from painsim import pk
from painsim.occupancy import occupancy
from painsim.regimen import Regimen
from painsim.testing import synthetic_drug
from painsim.testing.strategies import linear_drug_params, regimens


def _drug(p):
    return synthetic_drug(**p)


@given(linear_drug_params(), regimens())
def test_amounts_never_negative_and_mass_balance(p, reg):
    d = _drug(p)
    s = pk.structure(d)
    t = np.linspace(0.0, reg.end + 48.0, 60)
    x = pk.simulate_amounts(d, reg, t, with_sinks=True)
    assert np.all(x >= -1e-9 * reg.dose)
    # dose given so far = everything in the body + eliminated, in parent-equivalent mg
    to_parent = np.ones(x.shape[1])
    for j in range(s.n_moieties):
        ratio = s.mw_ratio[j] if s.from_idx[j] >= 0 else 1.0
        for idx in (s.central[j], s.periph[j], s.n_states + j):
            if idx >= 0:
                to_parent[idx] = 1.0 / ratio
    dose_t, dose_a = reg.expand()
    given_by_t = np.array([dose_a[dose_t <= tt].sum() for tt in t])
    np.testing.assert_allclose(x @ to_parent, given_by_t, rtol=1e-9, atol=1e-9 * reg.dose)


@given(linear_drug_params(), st.floats(0.1, 10.0))
def test_dose_linearity(p, factor):
    d = _drug(p)
    t = np.linspace(0.0, 120.0, 31)
    base = Regimen(dose=10.0, interval=24.0, n_doses=4)
    scaled = Regimen(dose=10.0 * factor, interval=24.0, n_doses=4)
    np.testing.assert_allclose(pk.concentrations(d, scaled, t), factor * pk.concentrations(d, base, t),
                               rtol=1e-9, atol=1e-12)


@given(linear_drug_params(), regimens(), regimens())
def test_superposition_of_regimens(p, r1, r2):
    d = _drug(p)
    t = np.linspace(0.0, max(r1.end, r2.end) + 24.0, 40)
    both = pk.concentrations(d, r1 + r2, t)
    np.testing.assert_allclose(both, pk.concentrations(d, r1, t) + pk.concentrations(d, r2, t),
                               rtol=1e-8, atol=1e-10)


@given(linear_drug_params(), st.floats(1.0, 200.0), st.floats(0.0, 100.0))
def test_time_shift_invariance(p, dose, shift):
    d = _drug(p)
    t = np.linspace(0.0, 96.0, 25)
    a = pk.concentrations(d, Regimen(dose=dose, n_doses=3, interval=24.0), t)
    b = pk.concentrations(d, Regimen(dose=dose, n_doses=3, interval=24.0, start=shift), t + shift)
    np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


@given(st.lists(st.floats(0.0, 1e4), min_size=2, max_size=30), st.floats(0.05, 1.0),
       st.floats(1e-2, 1e3), st.floats(0.3, 3.0))
def test_occupancy_monotone_and_bounded(concs, emax, ec50, hill):
    c = np.sort(np.array(concs))[:, None]
    occ = occupancy(np.ascontiguousarray(c), emax, np.array([ec50]), np.array([hill]))
    assert np.all(np.diff(occ) >= 0)
    assert np.all(occ >= 0) and np.all(occ < emax)


@given(linear_drug_params(), st.floats(1.0, 50.0), st.floats(1.01, 5.0))
def test_steady_state_occupancy_monotone_in_dose(p, dose, factor):
    from painsim.occupancy import occupancy_params, steady_state_occupancy

    d = _drug(p)
    lo = steady_state_occupancy(d, dose)["sert"]
    hi = steady_state_occupancy(d, dose * factor)["sert"]
    emax = occupancy_params(d, "sert").emax
    assert hi.trough >= lo.trough and hi.mean >= lo.mean and hi.peak >= lo.peak
    assert 0.0 <= lo.trough <= lo.mean <= lo.peak < emax
