"""Hardy et al. 2007 (Pain Med 8:397): pooled diaries of three duloxetine trials in painful
diabetic neuropathy separate from placebo on day 1–4 — relief by functional modulation, not
structural repair (claim experiment ``painsim.experiments.hardy2007_functional_modulation``:
inhibition in week 1 against week 12, and after stopping).
"""

from __future__ import annotations

import pytest

from ._shared import finding

pytestmark = pytest.mark.validation


def test_hardy2007_functional_not_structural():
    f = finding("hardy2007_functional_modulation")
    assert f.values["week1_over_week12"] > 0.6
    assert f.values["week10_stopped_over_continued"] < 0.05
    assert f.supported
