"""painsim.uncertainty: parameter ensembles and NNT intervals that include model uncertainty."""

from __future__ import annotations

import numpy as np
import pytest

from painsim.calibration import PARAMETERS, load_calibration
from painsim.library import load_drug
from painsim.occupancy import load_occupancy_fit, occupancy_params
from painsim.trial import run_trial
from painsim.uncertainty import draw_parameters, interval_from_draws

CAL = load_calibration()
FIT = load_occupancy_fit()
SD = FIT["scaling"]["log10_sd"]


def test_draw_m_depends_on_seed_and_m_only():
    dlx = load_drug("sertraline")
    short = draw_parameters(dlx, CAL, 3, seed=5)
    long = draw_parameters(dlx, CAL, 6, seed=5)
    for a, b in zip(short, long[:3], strict=True):
        assert a.ec50_factors == b.ec50_factors and a.cal == b.cal
    other = draw_parameters(dlx, CAL, 3, seed=6)
    assert other[0].ec50_factors != short[0].ec50_factors


def test_only_derived_ec50s_are_perturbed():
    dlx = load_drug("sertraline")  # SERT from PET dose anchors, NET derived from Ki
    draw = draw_parameters(dlx, CAL, 1, seed=3)[0]
    assert set(draw.ec50_factors) == {"sertraline.net"}
    f = draw.ec50_factors["sertraline.net"]
    assert occupancy_params(draw.drug, "net", fit=FIT).ec50[0] == pytest.approx(
        f * occupancy_params(dlx, "net", fit=FIT).ec50[0], rel=1e-12)
    assert occupancy_params(draw.drug, "sert", fit=FIT).ec50[0] == occupancy_params(dlx, "sert", fit=FIT).ec50[0]


def test_ec50_factors_have_the_rules_spread():
    draws = draw_parameters(load_drug("reboxetine"), CAL, 800, seed=1)
    z = np.log10([d.ec50_factors["reboxetine.net"] for d in draws])
    # sample SD of 800 normals: relative SE 2.5 %; mean: SE sd/sqrt(800)
    assert np.std(z, ddof=1) == pytest.approx(SD, rel=0.10)
    assert abs(np.mean(z)) < 4 * SD / np.sqrt(800)


def test_calibration_draws_follow_the_fits_covariance():
    assert CAL.ln_covariance is not None
    draws = draw_parameters(load_drug("duloxetine"), CAL, 2000, seed=2)
    ln = np.log([[getattr(d.cal, k) for k in PARAMETERS] for d in draws])
    cov = np.cov(ln.T)
    target = np.array(CAL.ln_covariance)
    # variances of 2000 normal draws: relative SE ~3 %
    np.testing.assert_allclose(np.diag(cov), np.diag(target), rtol=0.15)
    np.testing.assert_allclose(ln.mean(axis=0), np.log([getattr(CAL, k) for k in PARAMETERS]),
                               atol=float(4 * np.sqrt(np.diag(target).max() / 2000)))


def test_without_a_covariance_the_calibration_is_fixed():
    cal = load_calibration()
    bare = type(cal)(**{k: getattr(cal, k) for k in PARAMETERS})
    for d in draw_parameters(load_drug("duloxetine"), bare, 5, seed=1):
        assert d.cal == bare


def test_identical_draws_give_the_sampling_interval():
    p1, p2, n = np.full(50, 0.45), np.full(50, 0.25), 400
    m = interval_from_draws(p1, p2, n)
    assert m.rd_model == (pytest.approx(0.2), pytest.approx(0.2))
    se = np.sqrt((0.45 * 0.55 + 0.25 * 0.75) / n)
    assert m.rd_total[0] == pytest.approx(0.2 - 1.96 * se, abs=0.1 * se)
    assert m.rd_total[1] == pytest.approx(0.2 + 1.96 * se, abs=0.1 * se)
    assert m.nnt_low == pytest.approx(1 / m.rd_total[1]) and m.nnt_high == pytest.approx(1 / m.rd_total[0])


def test_an_interval_that_includes_no_effect_has_no_nnt_bounds():
    m = interval_from_draws(np.linspace(0.2, 0.4, 40), np.full(40, 0.25), 200)
    assert m.rd_total[0] < 0 < m.rd_total[1] and m.nnt_low is None and m.nnt_high is None


def test_trial_model_interval_contains_the_estimate_and_is_reproducible():
    dlx = load_drug("duloxetine")
    a = run_trial(dlx, 60, 6, n_per_arm=400, seed=4, model_draws=12)
    b = run_trial(dlx, 60, 6, n_per_arm=400, seed=4, model_draws=12)
    assert a.model == b.model and a.model.n_draws == 12
    rd = a.p_drug - a.p_placebo
    assert a.model.rd_total[0] <= a.model.rd_model[0] <= rd <= a.model.rd_model[1] <= a.model.rd_total[1]
    out = a.to_dict()
    assert out["nnt_ci_method"].endswith("(sampling only)")
    assert out["model_draws"] == 12 and out["rd_model_only"] == list(a.model.rd_model)
    assert run_trial(dlx, 60, 6, n_per_arm=400, seed=4).model is None


@pytest.mark.parametrize("bad", [1, -2, 2.5, True])
def test_bad_model_draws_are_refused(bad):
    with pytest.raises(ValueError, match="model_draws"):
        run_trial(load_drug("duloxetine"), 60, 4, n_per_arm=10, model_draws=bad)


def test_an_ensemble_runs_as_one_kernel_grid_with_the_numbers_of_one_run_per_draw():
    """ensemble_rates sends every draw through one kernel call (a grid over parameter sets);
    each draw's rates are those of simulating that draw alone (grid points are independent)."""
    from painsim.discontinuation import NO_DROPOUT
    from painsim.physiology import load_physiology
    from painsim.response import trial_placebo_mu
    from painsim.trial import ensemble_courses, ensemble_rates, simulate_arms

    phys = load_physiology()
    ven = load_drug("venlafaxine")  # two moieties, twice daily
    seen = []
    p_d, p_p = ensemble_rates(ven, 150, 4, 5, n_per_arm=150, seed=2, p_miss=0.1, progress=seen.append)
    assert seen == [150] * 5
    for m, draw in enumerate(draw_parameters(ven, CAL, 5, seed=2)):
        mu = trial_placebo_mu(phys, draw.cal, condition="dpn", outcome="50pct", weeks=4)
        arms = simulate_arms(draw.drug, 150, 4, n_per_arm=150, seed=2, mu=mu, phys=phys, cal=draw.cal, p_miss=0.1)
        (kd, nd), (kp, npl), _ = arms.analysed("50pct", NO_DROPOUT, NO_DROPOUT)
        assert (p_d[m], p_p[m]) == (kd[-1] / nd[-1], kp[-1] / npl[-1])
    # the per-draw fallback (fast path) gives the same courses to its own tolerance
    draws = draw_parameters(ven, CAL, 2, seed=2)
    members = [(d.drug, d.cal) for d in draws]
    pop = simulate_arms(ven, 150, 2, n_per_arm=20, seed=2, mu=0.0, phys=phys, cal=CAL).drug
    k = ensemble_courses(members, 150, 2, pop, phys=phys)
    f = ensemble_courses(members, 150, 2, pop, phys=phys, engine="fast")
    for a, b in zip(k, f, strict=True):
        np.testing.assert_allclose(a.inhibition, b.inhibition, rtol=5e-4, atol=1e-6)
