"""painsim.chain: what every simulation path shares — the time grid, the dose schedule, the
recording rule of weekly means."""

from __future__ import annotations

import numpy as np
import pytest

from painsim.chain import GRADED_STEPS, HOURS_PER_WEEK, common_lag, dose_grid, schedule, time_mean, week_nodes
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
