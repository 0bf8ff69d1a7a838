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
    PlaceboUnreachable,
    expected_placebo_rate,
    expected_responder_rate,
    pain,
    placebo_mu,
    placebo_onset_fraction,
    placebo_response,
    responders,
    trial_placebo_mu,
)

CAL = load_calibration()
PHYS = load_physiology()


def test_placebo_response_sets_in_at_each_patients_own_onset():
    rng = np.random.default_rng(2)
    z = rng.standard_normal(4000)
    onset = rng.exponential(size=4000)
    weeks = np.arange(1, 13, dtype=float)
    mu = -1.2
    got = placebo_response(z, onset, mu, weeks, CAL)
    present = CAL.tau_p * onset[:, None] <= weeks[None, :]
    # absent before the onset, then the patient's full size, unchanged
    np.testing.assert_array_equal(got[~present], 0.0)
    np.testing.assert_allclose(got, np.where(present, expit(mu + CAL.sigma_p * z)[:, None], 0.0), rtol=1e-15)
    assert np.all(np.diff(present.astype(int), axis=1) >= 0)  # once set in, it stays
    # onsets spread over the weeks: responders appear in week 1 and keep appearing afterwards
    assert 0 < (got[:, 0] >= 0.5).mean() < (got[:, 5] >= 0.5).mean() < (got[:, -1] >= 0.5).mean()
    # the fraction set in by week w is F(w) = 1 - exp(-w/tau_p), scalar (libm) or array (numpy)
    f = placebo_onset_fraction(weeks, CAL.tau_p)
    np.testing.assert_allclose(present.mean(axis=0), f, atol=0.03)
    assert placebo_onset_fraction(3.0, CAL.tau_p) == pytest.approx(float(f[2]), rel=1e-14)


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
    P = placebo_response(z, rng.exponential(size=n), mu, np.array([float(weeks)]), CAL)
    for outcome, thr in OUTCOMES.items():
        sim_drug = responders(pain(base, P, s, inh[:, None]), base, thr).mean()
        sim_pl = responders(pain(base, P, s, 0.0), base, thr).mean()
        exp_drug = expected_responder_rate(inh, s, mu, weeks, thr, CAL)
        exp_pl = expected_placebo_rate(mu, weeks, thr, CAL)
        for sim, exp in ((sim_drug, exp_drug), (sim_pl, exp_pl)):
            assert abs(sim - exp) < 5 * np.sqrt(exp * (1 - exp) / n), outcome


@pytest.mark.parametrize("sd", [0.6, 0.8])
def test_expected_rates_with_week_to_week_variability_match_a_simulated_population(sd):
    """With variability of SD ``sd`` (NRS points) the quadrature over the week's deviate equals the
    mean of the responder rule over many patients and deviates (5 binomial standard errors plus
    the quadrature's measured error, 1e-3)."""
    from painsim.population import baseline_quantiles, draw_patients, weekly_deviates

    n = 200_000
    pop = draw_patients(PHYS, n, seed=11, stream=1)
    mu, weeks = placebo_mu(0.25, 0.5, 12, CAL), 12
    inh = np.random.default_rng(4).uniform(0.0, 0.6, n)
    P = placebo_response(pop.placebo_z, pop.placebo_onset, mu, np.array([float(weeks)]), CAL)
    e = sd * weekly_deviates(pop, 1, on_drug=True)
    shifts = []
    for thr in OUTCOMES.values():
        sim_drug = responders(pain(pop.baseline, P, pop.sensitivity, inh[:, None], e), pop.baseline, thr).mean()
        sim_pl = responders(pain(pop.baseline, P, pop.sensitivity, 0.0, e), pop.baseline, thr).mean()
        exp_drug = expected_responder_rate(inh, pop.sensitivity, mu, weeks, thr, CAL, noise_sd=sd,
                                           baseline=pop.baseline)
        exp_pl = expected_placebo_rate(mu, weeks, thr, CAL, noise_sd=sd, baseline=baseline_quantiles(PHYS))
        for sim, exp in ((sim_drug, exp_drug), (sim_pl, exp_pl)):
            assert abs(sim - exp) < 5 * np.sqrt(exp * (1 - exp) / n) + 1e-3, thr
        shifts += [abs(exp_drug - expected_responder_rate(inh, pop.sensitivity, mu, weeks, thr, CAL)),
                   abs(exp_pl - expected_placebo_rate(mu, weeks, thr, CAL))]
    # variability moves the rates by more than the tolerance: the test tells the two models apart
    assert max(shifts) > 5 * np.sqrt(0.25 / n) + 1e-3
    with pytest.raises(ValueError, match="baselines"):
        expected_placebo_rate(mu, weeks, 0.5, CAL, noise_sd=sd)


def _brute_force_rate(trans, base, m, sigma_p, thr, sd):
    """The responder fraction over the placebo draw and the week's deviate, the deviate on a
    3001-point rule on [-9, 9] (an independent, slow implementation)."""
    from scipy.special import ndtr as phi

    x = np.linspace(-9.0, 9.0, 3001)
    w = np.exp(-x**2 / 2)
    w /= w.sum()
    lim = ((1 - thr) - sd * x[None, :] / base[:, None]) / trans[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 1.0 - phi((np.log((1.0 - lim) / lim) - m) / sigma_p)
    p = np.where(lim >= 1.0, 1.0, np.where(lim <= 0.0, 0.0, p))
    return float((p @ w).mean())


@pytest.mark.parametrize("sd", [0.4, 0.6, 0.8])
def test_variability_quadrature_is_within_its_stated_error(sd):
    """Gauss–Hermite over the week's deviate (and the binned logits) against a brute-force rule,
    for an arm of 1000 patients and for the placebo baseline grid, placebo locations μ from -4.5
    to 0.5 (at a week long after every onset, F = 1): within the 1.5e-3 that
    MAX_WITHIN_PATIENT_SD's comment states."""
    from painsim.population import baseline_quantiles, draw_patients

    pop = draw_patients(PHYS, 1000, seed=11, stream=1)
    inh = np.random.default_rng(4).uniform(0.0, 0.6, 1000)
    grid = baseline_quantiles(PHYS)
    trans = 1.0 - pop.sensitivity * inh
    worst = 0.0
    late = 1e6 * CAL.tau_p  # F(late) = 1
    for m in np.linspace(-4.5, 0.5, 6):
        mu = m
        for thr in OUTCOMES.values():
            ref_d = _brute_force_rate(trans, pop.baseline, m, CAL.sigma_p, thr, sd)
            ref_p = _brute_force_rate(np.ones(grid.size), grid, m, CAL.sigma_p, thr, sd)
            got_d = expected_responder_rate(inh, pop.sensitivity, mu, late, thr, CAL, noise_sd=sd,
                                            baseline=pop.baseline)
            got_p = expected_placebo_rate(mu, late, thr, CAL, noise_sd=sd, baseline=grid)
            worst = max(worst, abs(got_d - ref_d), abs(got_p - ref_p))
    assert worst < 1.5e-3


def test_pain_with_variability_stays_on_the_scale_and_keeps_the_responders():
    base = np.array([6.0, 4.0, 9.5])
    P = np.array([[0.1], [0.95], [0.0]])
    e = np.array([[0.3], [-1.0], [2.0]])
    got = pain(base, P, np.zeros(3), 0.0, e)
    np.testing.assert_allclose(got[:, 0], [6.0 * 0.9 + 0.3, 0.0, 10.0], rtol=1e-15)
    assert responders(got, base, OUTCOMES["50pct"])[:, 0].tolist() == [False, True, False]


def test_trial_placebo_mu_with_variability_meets_the_rate_over_the_population():
    phys = PHYS.with_value("population.within_patient_pain_sd", 0.6)
    from painsim.population import baseline_quantiles

    mu = trial_placebo_mu(phys, CAL, condition="dpn", outcome="50pct", weeks=12)
    grid = baseline_quantiles(phys)
    got = expected_placebo_rate(mu, PLACEBO_REFERENCE_WEEKS, 0.5, CAL, noise_sd=0.6, baseline=grid)
    assert got == pytest.approx(PHYS["placebo.dpn"], abs=1e-9)
    without = PHYS.with_value("population.within_patient_pain_sd", 0.0)
    assert mu != pytest.approx(trial_placebo_mu(without, CAL, condition="dpn", outcome="50pct", weeks=12), abs=1e-3)
    with pytest.raises(ValueError, match="week-to-week pain variability alone"):
        trial_placebo_mu(phys.with_value("population.within_patient_pain_sd", 0.8), CAL, condition="dpn",
                         outcome="30pct", weeks=12, placebo_response=1e-4)
    with pytest.raises(ValueError, match=r"within_patient_pain_sd = 1.5: must lie in 0-0.8 NRS points"):
        trial_placebo_mu(phys.with_value("population.within_patient_pain_sd", 1.5), CAL, condition="dpn",
                         outcome="50pct", weeks=12)


def test_trial_placebo_mu_uses_the_condition_rate_at_the_reference_week_or_the_users_rate():
    # without week-to-week variability μ is placebo_mu's closed form
    phys = PHYS.with_value("population.within_patient_pain_sd", 0.0)
    assert trial_placebo_mu(phys, CAL, condition="phn", outcome="30pct", weeks=6) == placebo_mu(
        PHYS["placebo.phn"], OUTCOMES["50pct"], PLACEBO_REFERENCE_WEEKS, CAL)
    assert trial_placebo_mu(phys, CAL, condition="phn", outcome="30pct", weeks=6, placebo_response=0.35) == \
        placebo_mu(0.35, OUTCOMES["30pct"], 6, CAL)
    # a rate is reachable at a week only below the fraction whose response has set in by then
    f = placebo_onset_fraction(0.5, CAL.tau_p)
    assert expected_placebo_rate(placebo_mu(0.8 * f, 0.5, 0.5, CAL), 0.5, 0.5, CAL) == pytest.approx(0.8 * f, rel=1e-10)
    with pytest.raises(PlaceboUnreachable, match=r"cannot be reached at week 0.5: only .* have set in by then"):
        placebo_mu(1.01 * f, 0.5, 0.5, CAL)
    assert issubclass(PlaceboUnreachable, ValueError)  # a CLI user's bad input: one line, exit 2
    with pytest.raises(ValueError, match=r"cannot be reached at week 0\.5"):
        trial_placebo_mu(phys, CAL, condition="dpn", outcome="50pct", weeks=0.5, placebo_response=1.01 * f)
    with pytest.raises(ValueError, match=r"cannot be reached at week 0\.5"):
        trial_placebo_mu(PHYS, CAL, condition="dpn", outcome="50pct", weeks=0.5, placebo_response=min(0.99, 2 * f))
    with pytest.raises(ValueError, match="must lie in"):
        placebo_mu(1.2, 0.5, 12, CAL)


def test_a_physiology_file_with_too_much_week_to_week_variability_fails_to_load(tmp_path):
    from painsim.library import ModelFileError, models_dir
    from painsim.physiology import parse_physiology

    text = (models_dir() / "physiology.toml").read_text()
    assert "within_patient_pain_sd = { value = 0.6," in text
    bad = tmp_path / "physiology.toml"
    bad.write_text(text.replace("within_patient_pain_sd = { value = 0.6,", "within_patient_pain_sd = { value = 1.5,"))
    with pytest.raises(ModelFileError, match=r"within_patient_pain_sd: must lie in 0-0.8 NRS points"):
        parse_physiology(bad)


def test_early_share_counts_sustained_responders_only():
    from painsim.response import early_share

    flags = np.array([[1, 1, 1, 1],   # first in week 1, sustained
                      [0, 1, 0, 1],   # not sustained
                      [0, 0, 1, 1],   # first in week 3, sustained
                      [0, 0, 0, 0],   # never
                      [0, 1, 1, 1]],  # first in week 2, sustained
                     dtype=bool)
    assert early_share(flags, 2) == pytest.approx(2 / 3)
    assert early_share(flags, 1) == pytest.approx(1 / 3)
    with pytest.raises(ValueError, match="no patient has a sustained response"):
        early_share(np.zeros((3, 4), dtype=bool), 2)


@pytest.mark.parametrize("tau_p", [1.0, 3.7, 8.0])
def test_expected_early_share_matches_a_simulated_placebo_arm(tau_p):
    """The calibration's closed form of Hardy 2007's onset measure equals the share in a large
    simulated placebo arm (200,000 patients with their own onsets and weekly variability; the
    binomial SE of the share is ~3e-3; tolerance 4 SE plus the baseline grid's 2e-3)."""
    import dataclasses

    from painsim.population import ARM_PLACEBO, baseline_quantiles, draw_patients
    from painsim.response import early_share, expected_early_share, within_patient_sd
    from painsim.trial import arm_pain

    cal = dataclasses.replace(CAL, tau_p=tau_p)
    sd = within_patient_sd(PHYS)
    mu = trial_placebo_mu(PHYS, cal, condition="dpn", outcome="50pct", weeks=12)
    pop = draw_patients(PHYS, 200_000, seed=3, stream=ARM_PLACEBO)
    flags = responders(arm_pain(pop, 0.0, mu, cal, noise_sd=sd, on_drug=False, weeks=12), pop.baseline, 0.3)
    sim = early_share(flags, 2)
    got = expected_early_share(mu, cal, threshold=0.3, weeks=12, early=2, noise_sd=sd,
                               baseline=baseline_quantiles(PHYS))
    n_sustained = 0.25 * pop.size  # measured 27-29 % of the arm for these tau_p: a slightly wider SE
    assert abs(got - sim) < 4 * np.sqrt(sim * (1 - sim) / n_sustained) + 2e-3
    with pytest.raises(ValueError, match="needs week-to-week variability"):
        expected_early_share(mu, cal, threshold=0.3, weeks=12, early=2, noise_sd=0.0, baseline=[6.0])
