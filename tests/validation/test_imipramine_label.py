"""Swiss imipramine label (Fachinformation, Pharmakokinetik): after 10 days of 3 x 50 mg/day the
mean steady-state plasma concentrations were 33-85 ng/mL imipramine and 43-109 ng/mL desipramine.

Issue 10, item 6: the imipramine -> desipramine fraction against the label's desipramine levels.
The typical patient's steady-state mean (independent of the dosing interval under linear PK).
"""

from __future__ import annotations

import pytest

from painsim.library import load_drug
from painsim.steady_state import steady_state

pytestmark = pytest.mark.validation


def _cavg() -> dict[str, float]:
    return {s.name: s.cavg for s in steady_state(load_drug("imipramine"), 150.0, interval=8.0)}


def test_imipramine_label_imipramine_level():
    assert 33.0 <= _cavg()["imipramine"] <= 85.0  # model 39.9 ng/mL


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding (documented in imipramine.toml): formation fraction 0.36 (healthy single dose, "
    "Abernethy 1984) with desipramine CL/F 111 L/h gives a desipramine level of 19 ng/mL at "
    "150 mg/day, below the label's 43-109; reaching 43 would need a fraction > 0.8 at this "
    "clearance (or the lower, nonlinear desipramine clearance of patients)"))
def test_imipramine_label_desipramine_level():
    assert 43.0 <= _cavg()["desipramine"] <= 109.0
