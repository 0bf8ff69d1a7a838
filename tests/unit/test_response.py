"""painsim.response: the observation model (placebo response, pain, responder rule)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from painsim.calibration import load_calibration
from painsim.physiology import load_physiology
from painsim.response import (
    OUTCOMES,
    PLACEBO_REFERENCE_WEEKS,
    expected_placebo_rate,
    expected_responder_rate,
    pain,
    placebo_mu,
    placebo_response,
    placebo_shift,
    responders,
    trial_placebo_mu,
)

CAL = load_calibration()
PHYS = load_physiology()


def test_placebo_response_builds_up_on_the_logit_scale_from_week_1():
    z = np.linspace(-3, 3, 101)
    weeks = np.arange(1, 13, dtype=float)
    mu = -1.2
    got = placebo_response(z, mu, weeks, CAL)
    beta = np.log(1 - np.exp(-weeks / CAL.tau_p))
    np.testing.assert_allclose(got, expit(mu + CAL.sigma_p * z[:, None] + beta[None, :]), rtol=1e-13)
    assert np.all(np.diff(got, axis=1) > 0) and np.all(got < 1.0)  # builds up, never reaches 1
    assert np.all(beta < 0) and np.all(np.diff(beta) > 0)
    # the patients with the largest responses are placebo responders from the first week on
    assert (got[:, 0] >= 0.5).any() and (got[:, 0] >= 0.5).mean() < (got[:, -1] >= 0.5).mean()
    # the scalar build-up (libm) and the array one (numpy) are the same function
    assert placebo_shift(3.0, CAL.tau_p) == pytest.approx(float(placebo_shift(np.array([3.0]), CAL.tau_p)[0]),
                                                          rel=1e-14)


def test_pain_and_responders_follow_the_definitions():
    base = np.array([6.0, 8.0, 5.0])
    s = np.array([0.5, 1.0, 0.0])
    P = np.array([[0.1, 0.5], [0.0, 0.2], [0.5, 0.6]])
    inh = np.array([[0.2, 0.4], [0.5, 0.5], [0.9, 0.9]])
    got = pain(base, P, s, inh)
    np.testing.assert_allclose(got, base[:, None] * (1 - P) * (1 - s[:, None] * inh), rtol=1e-15)
    assert got[2].tolist() == (base[2] * (1 - P[2])).tolist()  # s = 0: the drug does nothing
    np.testing.assert_array_equal(pain(base, P, s, 0.0), base[:, None] * (1 - P))  # placebo arm: exactly
    # exactly a 50 % reduction counts (product rounding must not lose it)
    assert responders(np.array([[3.0]]), np.array([6.0]), OUTCOMES["50pct"]).item()
    assert not responders(np.array([[3.01]]), np.array([6.0]), OUTCOMES["50pct"]).item()
    r = responders(got, base, OUTCOMES["30pct"])
    np.testing.assert_array_equal(r, (1 - got / base[:, None]) >= 0.3 - 1e-12)


@pytest.mark.parametrize(("target", "threshold", "weeks"), [(0.25, 0.5, 12), (0.4, 0.3, 8), (0.1, 0.5, 4)])
def test_placebo_mu_inverts_the_expected_placebo_rate(target, threshold, weeks):
    mu = placebo_mu(target, threshold, weeks, CAL)
    assert expected_placebo_rate(mu, weeks, threshold, CAL) == pytest.approx(target, rel=1e-10)


def test_expected_rates_match_a_simulated_population():
    """The closed forms used by the calibration equal the mean of the responder rule over many
    placebo draws (binomial tolerance, 5 standard errors)."""
    rng = np.random.default_rng(3)
    n = 200_000
    mu, weeks = placebo_mu(0.25, 0.5, 12, CAL), 12
    z = rng.standard_normal(n)
    base = np.full(n, 6.0)
    s = rng.uniform(0, 1, n)
    inh = np.full(n, 0.3)
    P = placebo_response(z, mu, np.array([float(weeks)]), CAL)
    for outcome, thr in OUTCOMES.items():
        sim_drug = responders(pain(base, P, s, inh[:, None]), base, thr).mean()
        sim_pl = responders(pain(base, P, s, 0.0), base, thr).mean()
        exp_drug = expected_responder_rate(inh, s, mu, weeks, thr, CAL)
        exp_pl = expected_placebo_rate(mu, weeks, thr, CAL)
        for sim, exp in ((sim_drug, exp_drug), (sim_pl, exp_pl)):
            assert abs(sim - exp) < 5 * np.sqrt(exp * (1 - exp) / n), outcome


def test_trial_placebo_mu_uses_the_condition_rate_at_the_reference_week_or_the_users_rate():
    assert trial_placebo_mu(PHYS, CAL, condition="phn", outcome="30pct", weeks=6) == placebo_mu(
        PHYS["placebo.phn"], OUTCOMES["50pct"], PLACEBO_REFERENCE_WEEKS, CAL)
    assert trial_placebo_mu(PHYS, CAL, condition="phn", outcome="30pct", weeks=6, placebo_response=0.35) == \
        placebo_mu(0.35, OUTCOMES["30pct"], 6, CAL)
    # any rate is reachable at any week: the build-up shifts the logit, it does not cap the response
    assert expected_placebo_rate(placebo_mu(0.2, 0.5, 0.5, CAL), 0.5, 0.5, CAL) == pytest.approx(0.2, rel=1e-10)
    with pytest.raises(ValueError, match="must lie in"):
        placebo_mu(1.2, 0.5, 12, CAL)
