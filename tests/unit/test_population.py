"""painsim.population: virtual patients from seeded, counter-based draws."""

from __future__ import annotations

import numpy as np
import pytest

from painsim.library import load_drug
from painsim.physiology import load_physiology
from painsim.pk import theta_index
from painsim.population import draw_patients, draw_population, normal, uniform

PHYS = load_physiology()


def test_counter_based_draws_depend_only_on_their_keys():
    a = uniform(1, 2, 3, 4)
    assert a == uniform(1, 2, 3, 4)
    assert len({uniform(1, 2, 3, k) for k in range(100)}) == 100
    assert uniform(1, 2, 3, 4) != uniform(1, 1, 3, 4)
    z = np.array([normal(7, 1, i, 0) for i in range(20000)])
    assert abs(z.mean()) < 0.03 and abs(z.std() - 1) < 0.03


def test_patient_is_the_same_whatever_population_size_or_chunk():
    dlx = load_drug("duloxetine")
    big = draw_population(dlx, PHYS, 100, seed=5, stream=1)
    part = draw_population(dlx, PHYS, 10, seed=5, stream=1, start=40)
    np.testing.assert_array_equal(big.theta[40:50], part.theta)
    np.testing.assert_array_equal(big.sensitivity[40:50], part.sensitivity)
    np.testing.assert_array_equal(big.placebo_z[40:50], part.placebo_z)
    np.testing.assert_array_equal(big.placebo_onset[40:50], part.placebo_onset)


def test_population_distributions():
    pop = draw_population(load_drug("venlafaxine"), PHYS, 20000, seed=1, stream=1)
    assert pop.baseline.min() >= 4.0 and pop.baseline.max() <= 10.0
    assert pop.baseline.mean() == pytest.approx(5.9, abs=0.05)  # Goldstein 2005 mean
    assert 0.0 <= pop.sensitivity.min() and pop.sensitivity.max() <= 1.0
    assert (pop.cyp2d6 == 0).mean() == pytest.approx(0.0496, abs=0.005)
    assert pop.smoker.mean() == pytest.approx(0.154, abs=0.01)
    cl = pop.theta[:, theta_index("cl")]
    assert np.std(np.log(cl[pop.cyp2d6 == 2])) > 0.1  # variability applied
    # the placebo onset deviate is standard exponential and independent of the size deviate
    assert pop.placebo_onset.min() > 0.0
    assert pop.placebo_onset.mean() == pytest.approx(1.0, abs=0.03)
    assert np.mean(pop.placebo_onset > 2.0) == pytest.approx(np.exp(-2.0), abs=0.01)
    assert abs(np.corrcoef(pop.placebo_onset, pop.placebo_z)[0, 1]) < 0.03


def test_draw_patients_are_draw_populations_patients():
    """The idealised inhibitor's patients (no PK) are the same people as a drug trial's."""
    full = draw_population(load_drug("duloxetine"), PHYS, 50, seed=4, stream=2)
    mine = draw_patients(PHYS, 50, seed=4, stream=2)
    for k in ("index", "sensitivity", "placebo_z", "placebo_onset", "baseline", "cyp2d6", "smoker"):
        np.testing.assert_array_equal(getattr(full, k), getattr(mine, k), err_msg=k)
    assert mine.theta.shape == (50, 0)



def test_weekly_deviates_depend_only_on_patient_week_and_treatment():
    """Week-to-week variability is part of the patient's stream: the same whatever the population
    size or chunk, different between a crossover patient's drug and placebo weeks, standard normal."""
    from painsim.population import MAX_WEEKS, weekly_deviates

    big = draw_patients(PHYS, 100, seed=5, stream=1)
    part = draw_patients(PHYS, 10, seed=5, stream=1, start=40)
    d_big, d_part = weekly_deviates(big, 12, on_drug=True), weekly_deviates(part, 6, on_drug=True)
    assert d_big.shape == (100, 12)
    np.testing.assert_array_equal(d_big[40:50, :6], d_part)  # a longer trial shares its first weeks
    on_placebo = weekly_deviates(big, 12, on_drug=False)
    assert not np.any(on_placebo == d_big)
    assert abs(np.corrcoef(on_placebo.ravel(), d_big.ravel())[0, 1]) < 0.1
    other_arm = weekly_deviates(draw_patients(PHYS, 100, seed=5, stream=2), 12, on_drug=True)
    assert not np.any(other_arm == d_big)
    many = weekly_deviates(draw_patients(PHYS, 4000, seed=9, stream=1), 8, on_drug=True)
    assert abs(many.mean()) < 0.02 and abs(many.std() - 1.0) < 0.02
    assert abs(np.corrcoef(many[:, 0], many[:, 1])[0, 1]) < 0.05  # weeks are independent
    # the draws do not touch the patient's other quantities
    np.testing.assert_array_equal(draw_patients(PHYS, 100, seed=5, stream=1).baseline, big.baseline)
    with pytest.raises(ValueError, match="weeks must lie in"):
        weekly_deviates(big, MAX_WEEKS + 1, on_drug=True)


def test_baseline_quantiles_are_the_drawn_distribution():
    from painsim.population import baseline_quantiles

    grid = baseline_quantiles(PHYS, 20)
    drawn = draw_patients(PHYS, 40000, seed=3, stream=1).baseline
    assert np.all(np.diff(grid) > 0) and 4.0 < grid[0] and grid[-1] < 10.0
    np.testing.assert_allclose(grid, np.quantile(drawn, (np.arange(20) + 0.5) / 20), atol=0.03)
    assert baseline_quantiles(PHYS, 400).mean() == pytest.approx(5.9, abs=0.01)  # Goldstein 2005 mean


def test_head_is_the_smaller_population():
    dlx = load_drug("duloxetine")
    big, small = draw_population(dlx, PHYS, 50, seed=4, stream=1), draw_population(dlx, PHYS, 20, seed=4, stream=1)
    head = big.head(20)
    assert (head.seed, head.stream, head.size) == (4, 1, 20)
    for k in ("index", "theta", "sensitivity", "placebo_z", "placebo_onset", "baseline", "cyp2d6", "smoker"):
        np.testing.assert_array_equal(getattr(head, k), getattr(small, k), err_msg=k)
