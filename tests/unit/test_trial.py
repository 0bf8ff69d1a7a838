"""painsim.trial: two-arm virtual trials, their engines and the NNT statistics."""

from __future__ import annotations

import numpy as np
import pytest

from painsim.calibration import load_calibration
from painsim.library import load_drug
from painsim.physiology import load_physiology
from painsim.population import ARM_DRUG, draw_population
from painsim.response import OUTCOMES, responders, trial_placebo_mu
from painsim.trial import drug_courses, newcombe_interval, nnt_with_ci, run_trial, simulate_arms, wilson_interval

PHYS = load_physiology()


def test_wilson_and_newcombe_reference_values():
    # Newcombe 1998, Table II example (method 10): 56/70 vs 48/80 -> 0.0524 to 0.3339
    lo, hi = newcombe_interval(56, 70, 48, 80)
    assert lo == pytest.approx(0.0524, abs=5e-4) and hi == pytest.approx(0.3339, abs=5e-4)
    lo, hi = wilson_interval(0, 10)
    assert lo == 0.0 and hi == pytest.approx(0.2775, abs=5e-4)


def test_nnt_conventions():
    nnt, lo, hi = nnt_with_ci(50, 100, 45, 100)  # difference not significant
    assert nnt == pytest.approx(20.0) and lo is None and hi is None
    nnt, lo, hi = nnt_with_ci(40, 100, 45, 100)  # drug worse
    assert nnt is None and lo is None and hi is None
    nnt, lo, hi = nnt_with_ci(445, 1000, 257, 1000)
    assert lo < nnt < hi


def test_placebo_arm_hits_its_target():
    res = run_trial(load_drug("duloxetine"), 60, 12, n_per_arm=20000, seed=11)
    assert res.p_placebo == pytest.approx(0.25, abs=0.01)
    res = run_trial(load_drug("duloxetine"), 60, 8, n_per_arm=20000, seed=11, outcome="30pct",
                    placebo_response=0.4)
    assert res.p_placebo == pytest.approx(0.40, abs=0.01)


def test_trial_is_reproducible_and_prefix_stable():
    dlx = load_drug("duloxetine")
    a = run_trial(dlx, 60, 4, n_per_arm=300, seed=3)
    b = run_trial(dlx, 60, 4, n_per_arm=300, seed=3)
    c = run_trial(dlx, 60, 4, n_per_arm=600, seed=3)
    assert a.to_dict() == b.to_dict()
    np.testing.assert_allclose(c.pain_drug[:300], a.pain_drug)


def test_crossover_and_adherence_run():
    dlx = load_drug("duloxetine")
    x = run_trial(dlx, 60, 4, n_per_arm=300, seed=3, design="crossover", outcome="30pct")
    assert x.design == "crossover" and 0 <= x.p_placebo <= x.p_drug <= 1
    full = run_trial(dlx, 60, 4, n_per_arm=400, seed=3)
    poor = run_trial(dlx, 60, 4, n_per_arm=400, seed=3, p_miss=0.5)
    assert poor.p_drug < full.p_drug


@pytest.mark.parametrize("kwargs", [dict(outcome="70pct"), dict(condition="migraine"), dict(design="n-of-1"),
                                    dict(placebo_response=1.5), dict(n_per_arm=0)])
def test_trial_rejects_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        run_trial(load_drug("duloxetine"), 60, 4, **kwargs)


def test_chunked_courses_with_progress_equal_unchunked():
    drug = load_drug("venlafaxine")
    pop = draw_population(drug, PHYS, 25, seed=4, stream=ARM_DRUG)
    done = []
    whole = drug_courses(drug, 150, 3, pop, phys=PHYS, cal=load_calibration())
    parts = drug_courses(drug, 150, 3, pop, phys=PHYS, cal=load_calibration(), progress=done.append, chunk=7)
    assert done == [7, 7, 7, 4]
    np.testing.assert_array_equal(whole.inhibition, parts.inhibition)


def test_trial_engines_agree():
    """The fused kernel (default) and the fast path simulate the same patients: weekly inhibition
    within 5e-4 relative (one Newton step per time step vs a converged solve), responder rates
    within a percentage point."""
    drug = load_drug("paroxetine")  # Michaelis–Menten PK: the kernel's RK4 path
    k = run_trial(drug, 20, 4, n_per_arm=400, seed=3, p_miss=0.1, keep_courses=True)
    f = run_trial(drug, 20, 4, n_per_arm=400, seed=3, p_miss=0.1, keep_courses=True, engine="fast")
    np.testing.assert_allclose(k.courses.inhibition, f.courses.inhibition, rtol=5e-4, atol=1e-6)
    assert abs(k.p_drug - f.p_drug) <= 0.01 and k.p_placebo == f.p_placebo
    with pytest.raises(ValueError, match="engine must be one of kernel, fast"):
        run_trial(drug, 20, 4, n_per_arm=10, engine="gpu")


def test_run_trial_is_its_arms_through_the_responder_rule():
    """run_trial counts the responders of simulate_arms' pain at the last week: the trial layer
    adds no rule of its own."""
    drug, cal = load_drug("duloxetine"), load_calibration()
    res = run_trial(drug, 60, 6, n_per_arm=300, seed=5, outcome="30pct", placebo_response=0.3)
    mu = trial_placebo_mu(PHYS, cal, condition="dpn", outcome="30pct", weeks=6, placebo_response=0.3)
    arms = simulate_arms(drug, 60, 6, n_per_arm=300, seed=5, mu=mu, phys=PHYS, cal=cal)
    np.testing.assert_array_equal(arms.pain_drug, res.pain_drug)
    np.testing.assert_array_equal(arms.pain_placebo, res.pain_placebo)
    d, p = arms.responders("30pct")
    np.testing.assert_array_equal(d, responders(res.pain_drug, arms.drug.baseline, OUTCOMES["30pct"]))
    assert res.p_drug == d[:, -1].mean() and res.p_placebo == p[:, -1].mean()
    np.testing.assert_array_equal(res.responders_drug, d.mean(axis=0))



def test_week_to_week_variability_is_the_patients_own_and_differs_between_crossover_periods():
    """The trial adds each patient's weekly deviate times the physiology's SD (0.6 NRS points) to
    the score the model gives without it; a crossover patient's drug and placebo weeks get
    independent deviates."""
    dlx, cal = load_drug("duloxetine"), load_calibration()
    sd = PHYS["population.within_patient_pain_sd"]
    mu = trial_placebo_mu(PHYS, cal, condition="dpn", outcome="50pct", weeks=4)
    kw = dict(n_per_arm=3000, seed=3, mu=mu, cal=cal, design="crossover")
    noisy = simulate_arms(dlx, 60, 4, phys=PHYS, **kw)
    plain = simulate_arms(dlx, 60, 4, phys=PHYS.with_value("population.within_patient_pain_sd", 0.0), **kw)
    d_drug = noisy.pain_drug - plain.pain_drug
    d_pl = noisy.pain_placebo - plain.pain_placebo
    # away from the scale's ends (chosen on the scores without variability, so the choice does not
    # depend on the deviates) the scores are not clipped
    inside = ((plain.pain_drug > 4 * sd) & (plain.pain_drug < 10 - 4 * sd) & (plain.pain_placebo > 4 * sd)
              & (plain.pain_placebo < 10 - 4 * sd))
    assert inside.mean() > 0.5
    assert d_drug[inside].std() == pytest.approx(sd, rel=0.03) and d_pl[inside].std() == pytest.approx(sd, rel=0.03)
    assert abs(np.corrcoef(d_drug[inside], d_pl[inside])[0, 1]) < 0.05
    assert abs(np.corrcoef(d_drug[:, 0], d_drug[:, 1])[0, 1]) < 0.05  # weeks independent
