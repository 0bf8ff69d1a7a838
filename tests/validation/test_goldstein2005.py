"""Goldstein et al. 2005 (Pain 116:109): duloxetine 60 and 120 mg/day separate from placebo on
weekly 24-h average pain from week 1 and stay separated to week 12 in painful diabetic
neuropathy (Wernicke et al. 2006, Neurology 67:1411, the same).

Two checks: the duloxetine 60 mg trial separates on responders and mean pain at every week, and
the claim experiment ``painsim.experiments.goldstein2005_duloxetine_onset`` (would a trial of
Goldstein's size see it at week 1 and after).
"""

from __future__ import annotations

import numpy as np
import pytest

from ._shared import N, finding

pytestmark = pytest.mark.validation


def test_onset_within_week_1_and_sustained_to_week_12(dlx60):
    # Goldstein 2005 / Wernicke 2006: separation from placebo at week 1, sustained to week 12
    from painsim.trial import newcombe_interval

    for w in range(12):
        k1 = round(dlx60.responders_drug[w] * N)
        k2 = round(dlx60.responders_placebo[w] * N)
        lo, _ = newcombe_interval(k1, N, k2, N)
        assert lo > 0, f"no separation at week {w + 1}"
    diff = dlx60.pain_placebo.mean(axis=0) - dlx60.pain_drug.mean(axis=0)
    assert diff[0] > 0 and np.all(diff > 0)


def test_goldstein2005_onset_week_1_sustained_to_12():
    f = finding("goldstein2005_duloxetine_onset")
    for dose in ("60", "120"):
        assert f.values[f"difference_week1_{dose}mg"] > 0
        assert f.values[f"min_power_{dose}mg"] > 0.5
    assert f.supported
