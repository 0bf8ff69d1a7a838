"""The production grids' own error: weekly inhibition on each grid against the "dense" check grid.

Issue 13 asks the default grid ("quad") to match the full model at least as well as the old
"fine" grid. tests/validation/test_kernel_grids_vs_reference.py checks 20 patients per drug against
the stiff reference (the grid's error plus the quasi-steady-state approximation's). This module
looks at the grid's error alone, over many more patients: the same fast path on the "dense" grid
(48 graded nodes a day; 400 a day change weekly inhibition by < 0.015 %) is the yardstick, and a
patient is over budget where weeks 1 or 12 are off by more than the issue's 0.7 %.

Seed 11 is not the sample the quad panels were chosen on (seed 7, 400 patients), so this is an
out-of-sample check of the panel design. Rare fast clearers (a trough near zero, a sharp peak
after duloxetine's 2-h lag, low weekly inhibition) are where a few nodes a day do worst.
"""

from __future__ import annotations

import functools

import numpy as np
import pytest

from painsim.calibration import load_calibration
from painsim.chain import chain
from painsim.library import load_drug
from painsim.physiology import load_physiology
from painsim.population import ARM_DRUG, draw_population
from painsim.regimen import Regimen
from painsim.simulate import run_fast

pytestmark = [pytest.mark.validation, pytest.mark.slow]
N = 1000
SEED = 11
WEEKS = 12
#: issue 13's accuracy budget for weekly inhibition (relative)
RTOL = 0.007
P_MISS = (0.0, 0.2)


@functools.cache
def _errors(p_miss: float) -> dict[str, np.ndarray]:
    """Relative error of weekly inhibition in weeks 1 and 12, per patient, for "fine" and "quad"."""
    drug, phys = load_drug("duloxetine"), load_physiology()
    pop = draw_population(drug, phys, N, seed=SEED, stream=ARM_DRUG)
    ch = chain(drug, phys, load_calibration())
    reg = Regimen.daily(60.0, days=7 * WEEKS)

    def weekly(grid: str) -> np.ndarray:
        c = run_fast(ch, pop.theta, reg, WEEKS, grid=grid, index=pop.index, seed=SEED, stream=ARM_DRUG,
                     p_miss=p_miss)
        return c.inhibition[:, [0, WEEKS - 1]]

    dense = weekly("dense")
    assert np.all(dense > 0.01)  # a relative budget needs inhibition well away from 0
    return {g: np.abs(weekly(g) / dense - 1.0).max(axis=1) for g in ("fine", "quad")}


@pytest.mark.parametrize("p_miss", P_MISS)
def test_quad_puts_fewer_patients_over_the_budget_than_fine(p_miss):
    err = _errors(p_miss)
    over = {g: int((e > RTOL).sum()) for g, e in err.items()}
    # measured: fine 51 (10 with 20 % missed doses) of 1000, quad 1 (1); 79 (17) and 1 (1) under the
    # calibration before 2026-12-08
    assert over["quad"] <= over["fine"], over


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding: on the quad grid 1 of 1000 duloxetine 60 mg patients (seed 11; a fast clearer with "
    "weekly inhibition ~0.13 at full adherence, ~0.06 with 20 % missed doses) is 1.75 % off the dense grid in "
    "weekly inhibition, over the 0.7 % budget (seed 23 had one at 2.2 % under the previous calibration). The "
    "fine grid's worst is 0.84 % (51 of 1000 over). Six nodes a day, fixed for all patients, do not resolve "
    "the sharpest lagged peaks"))
@pytest.mark.parametrize("p_miss", P_MISS)
def test_every_patient_within_the_budget_on_quad(p_miss):
    err = _errors(p_miss)["quad"]
    assert err.max() <= RTOL, f"worst {100 * err.max():.2f} %, {(err > RTOL).sum()} of {N} over"
