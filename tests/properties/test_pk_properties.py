"""Property tests of the PK stage (hypothesis).

How these tests search: the suite's hypothesis profile (tests/conftest.py) sets
``derandomize=True``, which replays the same 40 examples chosen from a hash of each test's source on
every run, so a corner those 40 never reach stays hidden for good (``occ < emax`` was false at
C = 1e4, EC50 = 1e-2, Hill 3 for as long as that profile ran it). Here every test overrides it with
``SEARCH``: a seeded random search (``derandomize=False`` with an explicit ``@seed``) that is
reproducible run to run without the example database (``database=None``: a CI failure replays
locally from the seed alone) and whose seed is a visible constant: change ``SEED`` (or pass
``--hypothesis-seed``, which an explicit @seed overrides, so edit SEED) to search elsewhere. The
cheap occupancy property runs many more examples than the profile's 40.
"""

from __future__ import annotations

import numpy as np
from hypothesis import example, given, seed, settings
from hypothesis import strategies as st

from painsim import pk
from painsim.occupancy import occupancy
from painsim.regimen import Regimen
from painsim.testing import synthetic_drug
from painsim.testing.strategies import linear_drug_params, regimens

SEED = 20240607
SEARCH = settings(derandomize=False, database=None)


def _drug(p):
    return synthetic_drug(**p)


@seed(SEED)
@SEARCH
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


@seed(SEED)
@SEARCH
@given(linear_drug_params(), st.floats(0.1, 10.0))
def test_dose_linearity(p, factor):
    d = _drug(p)
    t = np.linspace(0.0, 120.0, 31)
    base = Regimen(dose=10.0, interval=24.0, n_doses=4)
    scaled = Regimen(dose=10.0 * factor, interval=24.0, n_doses=4)
    np.testing.assert_allclose(pk.concentrations(d, scaled, t), factor * pk.concentrations(d, base, t),
                               rtol=1e-9, atol=1e-12)


@seed(SEED)
@SEARCH
@given(linear_drug_params(), regimens(), regimens())
def test_superposition_of_regimens(p, r1, r2):
    d = _drug(p)
    t = np.linspace(0.0, max(r1.end, r2.end) + 24.0, 40)
    both = pk.concentrations(d, r1 + r2, t)
    np.testing.assert_allclose(both, pk.concentrations(d, r1, t) + pk.concentrations(d, r2, t),
                               rtol=1e-8, atol=1e-10)


@seed(SEED)
@SEARCH
@given(linear_drug_params(), st.floats(1.0, 200.0), st.floats(0.0, 100.0))
def test_time_shift_invariance(p, dose, shift):
    d = _drug(p)
    t = np.linspace(0.0, 96.0, 25)
    a = pk.concentrations(d, Regimen(dose=dose, n_doses=3, interval=24.0), t)
    b = pk.concentrations(d, Regimen(dose=dose, n_doses=3, interval=24.0, start=shift), t + shift)
    np.testing.assert_allclose(a, b, rtol=1e-8, atol=1e-10)


#: below this the sum S = (C/EC50)^h leaves 1/(1+S) > 1e-15, some nine ulps of 1, so S/(1+S) and
#: emax*S/(1+S) still round below 1 and emax; at S >= ~2^54 (1.8e16) 1+S rounds to S and the
#: occupancy is emax exactly (e.g. C 1e4, EC50 1e-2, Hill 3: S = 1e18).
S_RESOLVED = 1e15


@seed(SEED)
@settings(SEARCH, max_examples=1000)
@given(st.lists(st.floats(0.0, 1e4), min_size=2, max_size=30), st.floats(0.05, 1.0),
       st.floats(1e-2, 1e3), st.floats(0.3, 3.0))
@example(concs=[0.0, 1e4], emax=0.5, ec50=1e-2, hill=3.0)  # S = 1e18: occupancy == emax exactly
def test_occupancy_monotone_and_bounded(concs, emax, ec50, hill):
    c = np.sort(np.array(concs))[:, None]
    occ = occupancy(np.ascontiguousarray(c), emax, np.array([ec50]), np.array([hill]))
    # occupancy_from_sum evaluates emax/(1 + 1/S): exactly monotone and never above emax
    assert np.all(np.diff(occ) >= 0)
    assert np.all(occ >= 0) and np.all(occ <= emax)
    # strictly below emax wherever floating point can still resolve it
    s = (c[:, 0] / ec50) ** hill
    assert np.all(occ[s < S_RESOLVED] < emax)


# Counterexamples the search above found (seed SEED) to the exact properties when occupancy_from_sum
# evaluated (emax*S)/(1+S): for S >= 2^53, 1+S rounds to S and fl(emax*S)/S was one ulp above emax;
# near saturation the two roundings of S/(1+S) inverted two neighbouring concentrations by one ulp.
# emax/(1 + 1/S) (0 at S = 0) is a chain of correctly rounded monotone operations with 1 + 1/S >= 1.
def test_occupancy_never_exceeds_emax():
    occ = occupancy(np.array([[5648.677031193771]]), 0.75, np.array([0.01171875]), np.array([2.998046875]))
    assert occ[0] <= 0.75


def test_occupancy_exactly_monotone_near_saturation():
    occ = occupancy(np.array([[5623.0], [5624.0]]), 0.75, np.array([0.0625]), np.array([2.75]))
    assert occ[1] >= occ[0]


@seed(SEED)
@SEARCH
@given(linear_drug_params(), st.floats(1.0, 50.0), st.floats(1.01, 5.0))
def test_steady_state_occupancy_monotone_in_dose(p, dose, factor):
    from painsim.occupancy import occupancy_params, steady_state_occupancy

    d = _drug(p)
    lo = steady_state_occupancy(d, dose)["sert"]
    hi = steady_state_occupancy(d, dose * factor)["sert"]
    emax = occupancy_params(d, "sert").emax
    assert hi.trough >= lo.trough and hi.mean >= lo.mean and hi.peak >= lo.peak
    # strictly below emax holds here: synthetic drugs have Hill 1 and EC50 >= 0.1 ng/mL, and their
    # concentrations stay far below 1e5 ng/mL, so S < 1e6, far from S_RESOLVED
    assert 0.0 <= lo.trough <= lo.mean <= lo.peak < emax
