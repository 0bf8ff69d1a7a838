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
    placebo location a DPN trial gets, each patient's placebo onset and week-to-week variability.
    (Without the variability, one flag in 480 differed in four cases under the first 2026-12-08
    calibration, each a reference reduction within 1.2e-4 of its threshold, e.g. 0.30008; with
    it, none on the quad grid; with the per-patient placebo onset, see KNIFE_EDGE.)"""
    mu = trial_placebo_mu(PHYS, CAL, condition="dpn", outcome="50pct", weeks=WEEKS)
    scores = arm_pain(pop, inh, mu, CAL, noise_sd=within_patient_sd(PHYS), on_drug=True)
    return np.stack([responders(scores, pop.baseline, OUTCOMES[o]) for o in ("50pct", "30pct")])


#: known misses of the old grid, kept as findings
FINE_TRAPEZOID_BIAS = pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding: the fine grid's trapezoid bias over the daily profile reaches 0.91 % (twice daily) and "
    "0.83 % (three times daily) of venlafaxine IR's weekly inhibition and 0.82 % of duloxetine's at "
    "weeks 1 or 12 (the worst of 20 patients; 0.7 % allowed; 0.77-0.89 % under the previous "
    "calibration) since the calibration weights 5-HT more (w_5HT ~3, was 1.07) and duloxetine is "
    "absorbed after a 2-h lag; the quad grid, the default, stays within budget (0.23 % at most)"))


#: responder flags that differ between a grid and the reference
KNIFE_EDGE = {
    ("duloxetine", "fine"): pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
        "finding: 1 flag in 480 differs on the fine grid (the quad grid has none): patient 0, "
        "week 6, >= 30 %: a reference reduction of 0.30028 against 0.29878 on the fine grid, whose "
        "weekly inhibition there is 0.73 % below the reference (its trapezoid bias, over the 0.7 % "
        "budget: FINE_TRAPEZOID_BIAS). A flag comparison counts the patients whose reduction lies "
        "within the grid's error of a threshold, so such a patient turns up in some samples and not "
        "in others: under the calibration fitted with the first version of the per-patient placebo "
        "onset (2026-12-08), the quad grid had one here (0.29991 against 0.30011) and milnacipran's "
        "fine grid two")),
}


def _params():
    for case in CASES:
        for grid in GRIDS:
            miss = case[0] in ("venlafaxine", "duloxetine") and grid == "fine"
            yield pytest.param(*case, grid, marks=[FINE_TRAPEZOID_BIAS] if miss else [])


def _flag_params():
    for case in CASES:
        for grid in GRIDS:
            mark = KNIFE_EDGE.get((case[0], grid))
            yield pytest.param(*case, grid, marks=[mark] if mark else [])


def _kernel_inhibition(name, mg_per_day, interval, grid):
    pop, ch, reg, ref = _setup(name, mg_per_day, interval)
    inh = kernels.run_population(ch, pop.theta, reg, WEEKS, outputs=("inhibition",), index=pop.index, seed=SEED,
                                 stream=ARM_DRUG, grid=grid)["weekly"][:, :, 0]
    return pop, inh, ref


@pytest.mark.parametrize(("name", "mg_per_day", "interval", "grid"), list(_params()))
def test_kernel_grid_matches_the_stiff_reference(name, mg_per_day, interval, grid):
    _, inh, ref = _kernel_inhibition(name, mg_per_day, interval, grid)
    for w in (0, WEEKS - 1):
        np.testing.assert_allclose(inh[:, w], ref[:, w], rtol=RTOL, atol=ATOL,
                                   err_msg=f"{name} {mg_per_day} mg/day every {interval} h, week {w + 1}, grid {grid}")


@pytest.mark.parametrize(("name", "mg_per_day", "interval", "grid"), list(_flag_params()))
def test_kernel_grid_responder_flags_match_the_stiff_reference(name, mg_per_day, interval, grid):
    pop, inh, ref = _kernel_inhibition(name, mg_per_day, interval, grid)
    np.testing.assert_array_equal(_flags(inh, pop), _flags(ref, pop))
