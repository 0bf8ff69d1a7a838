"""painsim.reference: the full stiff system, one patient at a time."""

from __future__ import annotations

import numpy as np
import pytest

from painsim.calibration import load_calibration
from painsim.chain import HOURS_PER_WEEK, chain, time_mean
from painsim.library import load_drug
from painsim.physiology import load_physiology
from painsim.pk import theta
from painsim.reference import patient_course, run_reference
from painsim.regimen import Regimen

PHYS = load_physiology()
CAL = load_calibration()


def test_weekly_means_are_the_means_of_the_time_course():
    """run_reference integrates the outputs exactly; the course sampled every 15 min gives the
    same weekly means to the trapezoid rule's accuracy."""
    drug = load_drug("duloxetine")
    reg = Regimen.daily(60.0, days=14)
    weekly = run_reference(chain(drug, PHYS, CAL), theta(drug), reg, 2)
    t = np.arange(0.25, 2 * HOURS_PER_WEEK + 1e-9, 0.25)
    ds = patient_course(drug, reg, t)
    assert set(ds.data_vars) >= {"inhibition", "occupancy_sert", "occupancy_net", "ratio_5ht", "ratio_ne"}
    assert all("units" in v.attrs and "long_name" in v.attrs for v in ds.data_vars.values())
    tt = np.concatenate([[0.0], t])
    for col, name, base in ((0, "inhibition", 0.0), (1, "occupancy_sert", 0.0), (3, "ratio_5ht", 1.0)):
        y = np.concatenate([[base], ds[name].values])
        week2 = tt >= HOURS_PER_WEEK - 1e-9
        assert time_mean(y[None, week2], tt[week2])[0] == pytest.approx(weekly[1, col], rel=2e-3)


def test_bad_times_are_refused():
    with pytest.raises(ValueError, match="increasing"):
        patient_course(load_drug("duloxetine"), Regimen.daily(60.0, days=1), np.array([2.0, 1.0]))
