"""Chen, Blier et al. 2022 (Int J Neuropsychopharmacol 25:283; PMC9017767, abstract read) and
Blier et al. 2007 (Int J Neuropsychopharmacol 10:41, abstract read): NET inhibition in humans by
the attenuation of the i.v. tyramine pressor response.

Chen 2022, forced titration in 32 patients with major depression: atomoxetine (25-80 mg/day)
inhibited the pressor response dose-dependently from the lowest dose, venlafaxine from 225 mg/day
(not at 75 or 150 mg/day), and paroxetine (20-50 mg/day) left it unaltered throughout.
Blier 2007, healthy men, the last 5 days of 7: desipramine 100 mg/day abolished the response;
paroxetine 20 mg/day and venlafaxine 150 and 300 mg/day left it unaltered.

Issue 10, item 5. No sourced NET-occupancy threshold for the tyramine test was found, so only
the ordering is asserted: whatever the threshold, every regimen that left the response unaltered
must occupy less NET than every regimen that inhibited it in the same study. The typical patient
at steady state (time-averaged occupancy; the titration steps' durations were not read, and
Blier's 7 days are close to steady state for these drugs). Venlafaxine 300 mg/day is "unaltered"
in Blier 2007 but inside the inhibiting range of Chen 2022 (from 225 mg/day): the two studies
disagree there, and it is left out of the Chen ordering.
"""

from __future__ import annotations

import pytest

from painsim.library import load_drug
from painsim.occupancy import steady_state_occupancy

pytestmark = pytest.mark.validation


def _net(name: str, mg_per_day: float) -> float:
    return steady_state_occupancy(load_drug(name), mg_per_day)["net"].mean


CHEN_UNALTERED = [("paroxetine", d) for d in (20.0, 30.0, 40.0, 50.0)] + [("venlafaxine", 75.0), ("venlafaxine", 150.0)]
CHEN_INHIBITED = [("atomoxetine", 25.0), ("atomoxetine", 80.0), ("venlafaxine", 225.0), ("venlafaxine", 300.0)]


@pytest.mark.parametrize("dose", [20.0, 30.0, 40.0, 50.0])
def test_chen2022_paroxetine_below_every_regimen_that_inhibited(dose):
    """Paroxetine 20 / 30 / 40 / 50 mg/day: 3.8 / 5.9 / 8.2 / 10.6 % against the lowest inhibiting
    regimen, atomoxetine 25 mg/day, 21.5 % (venlafaxine 225 mg/day 43.4 %)."""
    lowest_inhibiting = min(_net(n, d) for n, d in CHEN_INHIBITED)
    assert _net("paroxetine", dose) < lowest_inhibiting


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding: venlafaxine 150 mg/day (tyramine response unaltered) occupies 33.8 % of NET in the "
    "model, more than atomoxetine 25 mg/day (inhibited) at 21.5 %; venlafaxine 75 mg/day 20.4 %. "
    "No single NET-occupancy threshold separates Chen 2022's groups: either venlafaxine/ODV's "
    "Ki-derived NET EC50s are too low or atomoxetine's (Ki 5 nM, fu 0.02, secondary source) too "
    "high; the atomoxetine NET PET of Logan 2007 (25-100 mg) was not used"))
def test_chen2022_unaltered_regimens_below_inhibiting_ones():
    assert max(_net(n, d) for n, d in CHEN_UNALTERED) < min(_net(n, d) for n, d in CHEN_INHIBITED)


def test_chen2022_venlafaxine_threshold_between_150_and_225_mg():
    """The within-drug part of the ordering (dose monotonic, a check of the PK only)."""
    assert _net("venlafaxine", 150.0) < _net("venlafaxine", 225.0)


def test_blier2007_desipramine_above_every_unaltered_regimen():
    """Desipramine 100 mg/day (abolished the response) 88.1 % against paroxetine 20 mg/day 3.8 %,
    venlafaxine 150 / 300 mg/day 33.8 / 50.5 %."""
    unaltered = [("paroxetine", 20.0), ("venlafaxine", 150.0), ("venlafaxine", 300.0)]
    assert _net("desipramine", 100.0) > max(_net(n, d) for n, d in unaltered)
