"""painsim.simulate: the fast path (one patient per thread) and the idealised inhibitor's course."""

from __future__ import annotations

import math

import numpy as np
import pytest

from painsim.calibration import load_calibration
from painsim.chain import HOURS_PER_WEEK, Courses, chain, time_mean, window_mean
from painsim.dorsal_horn import dorsal_horn_params, inhibition
from painsim.library import load_drug
from painsim.physiology import load_physiology
from painsim.pk import theta
from painsim.population import ARM_DRUG, draw_population
from painsim.regimen import Regimen
from painsim.simulate import fixed_occupancy_course, run_fast
from painsim.synapse import qss_ratio, synapse_params

PHYS = load_physiology()
CAL = load_calibration()


def test_fixed_occupancy_course_by_hand_and_against_run_fast():
    # no desensitisation: the synapse sits at its QSS, I is constant
    still = PHYS.with_value("serotonin.desensitisation_tau", math.inf)
    out = fixed_occupancy_course(0.6, 0.4, 3, phys=still, cal=CAL)
    r5 = qss_ratio(0.6, 0.0, synapse_params(still, "serotonin"), 1.0)
    rne = qss_ratio(0.4, 0.0, synapse_params(still, "norepinephrine"), 1.0)
    expected = inhibition(r5, rne, dorsal_horn_params(still, CAL.w_ne, CAL.w_5ht))
    np.testing.assert_allclose(out[:, 0], expected, rtol=1e-12)
    np.testing.assert_allclose(out[:, 1:3], [[0.6, 0.4]] * 3, rtol=1e-12)
    # a drug whose occupancy is constant after one dose (no clearance, instant absorption, no lag),
    # on the fine grid, whose stepping rule the idealised inhibitor shares (the quadrature grid
    # relaxes desensitisation over node weights: 2.4e-4 from the stiff reference in week 2 here,
    # the fine grid 1.1e-4, the idealised inhibitor 0.6e-4, with w_5HT 1.07)
    d = (load_drug("duloxetine").with_value("duloxetine.pk.cl", 1e-6).with_value("duloxetine.pk.ka", 200.0)
         .with_value("duloxetine.pk.lag", 0.0))
    c = run_fast(chain(d, PHYS, CAL), theta(d)[None, :], Regimen.daily(20, days=1), 4, grid="fine")
    f = fixed_occupancy_course(float(c.occ_sert[0, -1]), float(c.occ_net[0, -1]), 4, phys=PHYS, cal=CAL)
    np.testing.assert_allclose(f[:, 0], c.inhibition[0], rtol=2e-3)
    # after week 1 the two differ only in how desensitisation is stepped (exact relaxation over
    # 1-h steps against the fast path's dose-graded grid): ~1e-4 per unit of w_5HT·ΔA, so a
    # calibration that weights 5-HT more (w_5HT 3.2) shows ~1.7e-4
    np.testing.assert_allclose(f[1:, 0], c.inhibition[0, 1:], rtol=3e-4)
    np.testing.assert_allclose(f[:, 3], c.r_5ht[0], rtol=1e-3)
    with pytest.raises(ValueError):
        fixed_occupancy_course(1.0, 0.0, 2)


@pytest.mark.parametrize("grid", ["fine", "quad"])
def test_recorded_ratios_give_back_the_weekly_inhibition(grid):
    """The calibration re-evaluates the dorsal horn on recorded ratios: with the recording rule
    that gives the weekly means (painsim.chain.window_mean: the trapezoid rule over a dose-graded
    grid's nodes, the quadrature weights on a quadrature grid), it finds the same inhibition."""
    drug = load_drug("venlafaxine")
    ch = chain(drug, PHYS, CAL)
    pop = draw_population(drug, PHYS, 12, seed=2, stream=ARM_DRUG)
    reg = Regimen.daily(150, days=14, interval=drug.dosing.interval.value)
    window = (HOURS_PER_WEEK, 2 * HOURS_PER_WEEK)
    c = run_fast(ch, pop.theta, reg, 2, record_windows=(window,), grid=grid)
    if grid == "fine":  # every node of the window, its ends included
        assert c.recorded_weight is None
        assert c.recorded_t[0] == pytest.approx(window[0]) and c.recorded_t[-1] == pytest.approx(window[1])
    else:  # the quadrature nodes inside it, whose weights cover it
        assert window[0] < c.recorded_t[0] and c.recorded_t[-1] < window[1]
        assert c.recorded_weight.sum() == pytest.approx(HOURS_PER_WEEK, rel=1e-12)
    inh = np.array([[inhibition(a, b, ch.dh) for a, b in row] for row in c.recorded])
    np.testing.assert_allclose(window_mean(inh, c.recorded_t, c.recorded_weight), c.inhibition[:, 1], rtol=1e-12)
    if grid == "fine":
        np.testing.assert_array_equal(window_mean(inh, c.recorded_t), time_mean(inh, c.recorded_t))


def test_a_window_recorded_on_the_quadrature_grid_must_be_covered_by_its_nodes():
    drug = load_drug("duloxetine")
    pop = draw_population(drug, PHYS, 2, seed=2, stream=ARM_DRUG)
    with pytest.raises(ValueError, match="must start and end at a dose or a week boundary"):
        run_fast(chain(drug, PHYS, CAL), pop.theta, Regimen.daily(60, days=14), 2,
                 record_windows=((HOURS_PER_WEEK + 5.0, 2 * HOURS_PER_WEEK),), grid="quad")


@pytest.mark.parametrize("name", ["duloxetine", "venlafaxine"])
def test_quadrature_fast_path_is_closer_to_the_reference_than_the_fine_one(name):
    """The fast path on the quadrature grid: the same chain as on the fine grid, integrated by
    Gauss–Legendre nodes instead of the trapezoid rule over 16 steps a day, closer to the full
    stiff model (the fine grid's ~0.5 % is mostly the trapezoid rule's bias)."""
    from painsim.reference import run_reference

    drug = load_drug(name)
    ch = chain(drug, PHYS, CAL)
    pop = draw_population(drug, PHYS, 2, seed=4, stream=ARM_DRUG)
    reg = Regimen.daily(60.0 if name == "duloxetine" else 150.0, days=14, interval=drug.dosing.interval.value)
    ref = np.array([run_reference(ch, th, reg, 2)[:, 0] for th in pop.theta])
    err = {g: np.abs(run_fast(ch, pop.theta, reg, 2, grid=g).inhibition / ref - 1.0).max() for g in ("fine", "quad")}
    assert err["quad"] < 0.5 * err["fine"] and err["quad"] < 0.007


def test_courses_of_groups_of_patients_concatenate():
    drug = load_drug("duloxetine")
    ch = chain(drug, PHYS, CAL)
    pop = draw_population(drug, PHYS, 9, seed=2, stream=ARM_DRUG)
    reg = Regimen.daily(60, days=14)
    whole = run_fast(ch, pop.theta, reg, 2, index=pop.index, seed=2, stream=ARM_DRUG)
    parts = [run_fast(ch, pop.theta[a:b], reg, 2, index=pop.index[a:b], seed=2, stream=ARM_DRUG)
             for a, b in ((0, 4), (4, 9))]
    joined = Courses.concatenate(parts)
    for f in ("inhibition", "occ_sert", "occ_net", "r_5ht", "r_ne"):
        np.testing.assert_array_equal(getattr(joined, f), getattr(whole, f))
