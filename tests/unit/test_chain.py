"""painsim.chain: what every simulation path shares — the time grid, the dose schedule, the
recording rule of weekly means."""

from __future__ import annotations

import numpy as np
import pytest

from painsim.chain import (
    GRADED_STEPS,
    HOURS_PER_WEEK,
    QUAD_PANELS,
    common_lag,
    dose_grid,
    quadrature_grid,
    schedule,
    time_mean,
    week_nodes,
)
from painsim.pk import theta_index
from painsim.regimen import Regimen


def test_dose_grid_has_every_dose_and_week_end_and_short_steps_after_doses():
    dose_t, _, t_end = schedule(Regimen.daily(60.0, days=14, interval=12.0), 2, lag=1.0)
    assert dose_t[0] == 1.0 and dose_t[-1] == 1.0 + 12.0 * 27
    t, step_index, hs, dose_node = dose_grid(dose_t, t_end)
    assert t[0] == 0.0 and t[-1] == t_end and np.all(np.diff(t) > 0)
    np.testing.assert_allclose(t[dose_node], dose_t)
    np.testing.assert_allclose(t[week_nodes(t, 2)], [HOURS_PER_WEEK, 2 * HOURS_PER_WEEK])
    steps = hs[step_index]
    np.testing.assert_allclose(np.diff(t), steps, atol=1e-9)
    for k in dose_node[:-1]:
        np.testing.assert_allclose(steps[k:k + len(GRADED_STEPS)], GRADED_STEPS)


def test_the_recording_rule_is_exact_for_piecewise_linear_courses():
    t = np.array([0.0, 0.5, 2.0, 3.0, 7.0])
    y = np.vstack([np.full(5, 2.5), 3.0 * t + 1.0])
    np.testing.assert_allclose(time_mean(y, t), [2.5, 3.0 * 3.5 + 1.0], rtol=1e-15)


def test_patients_of_one_simulation_share_their_lag():
    th = np.zeros((3, 9))
    th[:, theta_index("lag")] = 2.0
    assert common_lag(th) == 2.0
    th[1, theta_index("lag")] = 0.0
    with pytest.raises(ValueError, match="share the absorption lag"):
        common_lag(th)


@pytest.mark.parametrize("regimen", [Regimen.daily(60.0, days=14, interval=12.0),
                                     Regimen.daily(20.0, days=14, titration=((3, 40.0), (8, 60.0))),
                                     Regimen.daily(150.0, days=14, interval=8.0)])
def test_quadrature_grid_integrates_each_week_and_panels_follow_the_doses(regimen):
    dose_t, _, t_end = schedule(regimen, 2, lag=2.5)
    dose_t = np.delete(dose_t, [4, 5])  # missed doses and irregular intervals: panels follow the actual doses
    g = quadrature_grid(dose_t, t_end)
    t, wgt, slot = g["t"], g["weight"], g["slot"]
    assert t[0] == 0.0 and t[-1] == t_end and np.all(np.diff(t) > 0)
    np.testing.assert_allclose(np.diff(t), g["hs"][g["step_index"]], atol=1e-9)
    # doses and week ends are event nodes (weight 0): only the PK is stepped there
    np.testing.assert_allclose(t[g["dose_node"]], dose_t)
    assert np.all(wgt[g["dose_node"]] == 0.0) and np.all(slot[wgt == 0.0] == -1) and np.all(slot[wgt > 0] >= 0)
    assert np.all(wgt[week_nodes(t, 2)] == 0.0)
    # the weights of a week sum to its length, and integrate what a panel's Gauss rule must exactly:
    # a polynomial of degree 2n - 1 in each panel; here, any quadratic over the week
    for w in range(2):
        inside = (t > w * HOURS_PER_WEEK) & (t < (w + 1) * HOURS_PER_WEEK)
        np.testing.assert_allclose(wgt[inside].sum(), HOURS_PER_WEEK, rtol=1e-13)
        a, b = w * HOURS_PER_WEEK, (w + 1) * HOURS_PER_WEEK
        np.testing.assert_allclose((wgt[inside] * t[inside] ** 2).sum(), (b**3 - a**3) / 3, rtol=1e-12)
    # the nodes of a full dosing interval: each panel's Gauss nodes, numbered from the dose, as
    # many as the panels for the interval's length give
    k = g["dose_node"][1]
    length = dose_t[2] - dose_t[1]
    panels = next(p for longest, p in QUAD_PANELS if length <= longest)
    per_interval = sum(row[1] for row in panels)
    assert slot[k + 1] == 0 and slot[k + per_interval] == per_interval - 1 and wgt[k + per_interval + 1] == 0.0


def test_a_long_interval_gets_the_last_panels_nodes_every_day():
    """One dose, then two weeks without: after the first day, the last panel's nodes every day
    (desensitisation relaxes over node weights, which must not be days long), on the same slots
    day after day (the warm start of the synapse's Newton solve)."""
    t_end = 2 * HOURS_PER_WEEK
    g = quadrature_grid(np.array([1.5]), t_end)
    t, wgt, slot = g["t"], g["weight"], g["slot"]
    inside = wgt > 0
    first = next(p for longest, p in QUAD_PANELS if longest == np.inf)
    per_day = first[-1][1]
    for day in (*range(1, 6), *range(7, 13)):  # whole days after the first (day 6 holds the week's end)
        a, b = 1.5 + 24.0 * day, 1.5 + 24.0 * (day + 1)
        here = inside & (t > a) & (t < b)
        assert here.sum() == per_day and wgt[here].max() < 24.0 / 2
        np.testing.assert_allclose(wgt[here].sum(), 24.0, rtol=1e-13)
    assert slot.max() < 3 * per_day + first[0][1]
    np.testing.assert_allclose(wgt.sum(), t_end, rtol=1e-13)
