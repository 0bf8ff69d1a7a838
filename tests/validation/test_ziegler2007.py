"""Ziegler et al. 2007 (Diabetes Care 30:664): in three pooled duloxetine DPNP trials, "Significant
interactions for both pain measures were observed in baseline pain subgroups (Brief Pain Inventory
average pain, ≥6 and <6). Duloxetine was more effective in the subgroup with more pain."

The pain measures are changes in pain scores (NRS points). In the model pain is proportional to
baseline pain, so the drug's absolute effect grows with it while the responder fraction does not
depend on it: the test checks the absolute effect, the measure Ziegler analysed, in a 12-week trial of
duloxetine 60 mg analysed by LOCF as those trials were.
"""

from __future__ import annotations

import pytest

from ._shared import dpn_trial

pytestmark = pytest.mark.validation


def test_duloxetine_effect_larger_with_more_baseline_pain_ziegler2007():
    arms = dpn_trial("duloxetine", 60.0)
    effect = {}
    for name, high in (("high", True), ("low", False)):
        sel_d = (arms.drug.baseline >= 6) == high
        sel_p = (arms.placebo.baseline >= 6) == high
        change_d = (arms.drug.baseline - arms.pain_drug[:, -1])[sel_d].mean()
        change_p = (arms.placebo.baseline - arms.pain_placebo[:, -1])[sel_p].mean()
        effect[name] = change_d - change_p  # NRS points, drug minus placebo
    # both subgroups are populated (the baseline distribution has mean 5.9 and minimum 4)
    assert 0.2 < (arms.drug.baseline >= 6).mean() < 0.8
    assert effect["high"] > effect["low"] > 0.0
