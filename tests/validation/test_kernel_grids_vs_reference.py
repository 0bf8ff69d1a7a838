"""Every time grid of the population kernel against the full stiff reference, one drug per class.

Issue 13's accuracy criterion for a kernel grid that may become the default: weekly mean
inhibition within 0.7 % (relative) of :func:`painsim.reference.run_reference` at weeks 1 and 12,
and the same responder flags (≥ 50 % and ≥ 30 % pain reduction, the observation model of
:mod:`painsim.response`), for one drug of each class — including the fast-absorbed twice-daily
venlafaxine IR and milnacipran and the long-lived fluoxetine. Most of today's 0.56–0.62 % is
the quasi-steady-state synapse, not the grid, so the budget left to a grid is small.

The reference costs ~0.5 s per patient over 12 weeks: a handful of patients per drug, each
solved once and shared by every grid (``slow``).
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from painsim import kernels
from painsim.calibration import load_calibration
from painsim.chain import chain
from painsim.library import load_drug
from painsim.physiology import load_physiology
from painsim.population import ARM_DRUG, draw_population
from painsim.reference import run_reference
from painsim.regimen import Regimen
from painsim.response import OUTCOMES, responders, trial_placebo_mu, within_patient_sd
from painsim.trial import arm_pain

pytestmark = [pytest.mark.validation, pytest.mark.slow]
PHYS = load_physiology()
CAL = load_calibration()
N = 20
WEEKS = 12
SEED = 13
#: issue 13: weekly inhibition within 0.7 % of the reference (the fine grid: 0.56–0.62 %)
RTOL = 0.007
#: near zero inhibition a relative budget means nothing (placebo-like drugs at week 1)
ATOL = 1e-4

#: one drug per class, at its usual dosing interval: (name, mg/day, interval h)
CASES = [
    ("duloxetine", 60.0, 24.0),     # SNRI, once daily, slow absorption
    ("venlafaxine", 150.0, 12.0),   # SNRI IR, twice daily, fast absorption, active metabolite
    ("venlafaxine", 150.0, 8.0),    # the same, three times daily
    ("milnacipran", 100.0, 12.0),   # SNRI, twice daily
    ("fluoxetine", 20.0, 24.0),     # SSRI, long half-life, active metabolite
    ("reboxetine", 8.0, 12.0),      # NRI, twice daily, fast absorption
    ("amitriptyline", 75.0, 24.0),  # TCA, active metabolite (nortriptyline)
]
GRIDS = ["fine", "quad"]


@functools.cache
def _setup(name: str, mg_per_day: float, interval: float):
    drug = load_drug(name)
    pop = draw_population(drug, PHYS, N, seed=SEED, stream=ARM_DRUG)
    ch = chain(drug, PHYS, CAL)
    reg = Regimen.daily(mg_per_day, days=7 * WEEKS, interval=interval)
    ref = np.array([run_reference(ch, th, reg, WEEKS) for th in pop.theta])[:, :, 0]
    return pop, ch, reg, ref


def _flags(inh: np.ndarray, pop) -> np.ndarray:
    """Responder flags by the trial's observation model (:func:`painsim.trial.arm_pain`): the
    placebo location a DPN trial gets and each patient's week-to-week variability. (Without the
    variability, one flag in 480 differed in four cases under the 2026-12-08 calibration, each a
    reference reduction within 1.2e-4 of its threshold, e.g. 0.30008; with it, none on the quad
    grid.)"""
    mu = trial_placebo_mu(PHYS, CAL, condition="dpn", outcome="50pct", weeks=WEEKS)
    scores = arm_pain(pop, inh, mu, CAL, noise_sd=within_patient_sd(PHYS), on_drug=True)
    return np.stack([responders(scores, pop.baseline, OUTCOMES[o]) for o in ("50pct", "30pct")])


#: known misses of the old grid, kept as findings
FINE_TRAPEZOID_BIAS = pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding: the fine grid's trapezoid bias over the daily profile reaches 0.77 % and 0.89 % of "
    "venlafaxine IR's week-1 and week-12 inhibition and 0.78 % of duloxetine's week-12 inhibition (one "
    "of 20 patients; 0.7 % allowed) since the calibration weights 5-HT more (w_5HT 2.94, was 1.07) and "
    "duloxetine is absorbed after a 2-h lag; the quad grid, the default, stays within budget"))


def _params():
    for case in CASES:
        for grid in GRIDS:
            miss = case[0] in ("venlafaxine", "duloxetine") and grid == "fine"
            yield pytest.param(*case, grid, marks=[FINE_TRAPEZOID_BIAS] if miss else [])


@pytest.mark.parametrize(("name", "mg_per_day", "interval", "grid"), list(_params()))
def test_kernel_grid_matches_the_stiff_reference(name, mg_per_day, interval, grid):
    pop, ch, reg, ref = _setup(name, mg_per_day, interval)
    inh = kernels.run_population(ch, pop.theta, reg, WEEKS, outputs=("inhibition",), index=pop.index, seed=SEED,
                                 stream=ARM_DRUG, grid=grid)["weekly"][:, :, 0]
    for w in (0, WEEKS - 1):
        np.testing.assert_allclose(inh[:, w], ref[:, w], rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name} {mg_per_day} mg/day every {interval} h, week {w + 1}, grid {grid}")
    np.testing.assert_array_equal(_flags(inh, pop), _flags(ref, pop))
