"""Swiss paroxetine label (Fachinformation, Pharmakokinetik; reg. 56963): after 20 mg daily the
steady-state Cmax was 12-90 ng/mL (mean 41 ng/mL) and Tmax 3-7 h (mean 5 h).

Issue 10, item 5: the adult paroxetine PK (Vmax re-anchored to Sindrup 1992's EMs at 30 mg/day)
against an independent adult steady state at 20 mg/day. The typical patient (an EM/NM) against
the label's mean of an unphenotyped group, within TOL.
"""

from __future__ import annotations

import pytest

from painsim.library import load_drug
from painsim.steady_state import steady_state

from ._shared import TOL

pytestmark = pytest.mark.validation


def _ss20():
    return steady_state(load_drug("paroxetine"), 20.0)[0]


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding: steady-state Cmax at 20 mg/day 29.7 ng/mL vs the label's mean 41 ng/mL (-28 %, "
    "outside 25 %). The Vmax comes from Sindrup 1992's EM medians at 30 mg/day (Cavg 35.0 ng/mL, "
    "steady-state level 81 nmol/L = 26.7 ng/mL); the sources disagree: the label's mean peak at "
    "20 mg/day is above Sindrup's EM level at 30 mg/day. The "
    "label's group is unphenotyped (PMs and IMs raise its mean) and its range is wide (12-90)"))
def test_paroxetine_label_steady_state_cmax_at_20_mg():
    assert _ss20().cmax == pytest.approx(41.0, rel=TOL)


def test_paroxetine_label_steady_state_cmax_within_the_range():
    assert 12.0 <= _ss20().cmax <= 90.0  # model 29.7 ng/mL


def test_paroxetine_label_tmax():
    assert 3.0 <= _ss20().tmax <= 7.0  # model 3.1 h (ka 0.908 1/h fixed in Kim 2015)
