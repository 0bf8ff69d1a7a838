"""Goldstein et al. 2005 (Pain 116:109): duloxetine 60 and 120 mg/day separate from placebo on
weekly 24-h average pain from week 1 and stay separated to week 12 in painful diabetic
neuropathy (Wernicke et al. 2006, Neurology 67:1411, the same).

Two checks: the duloxetine 60 mg trial (placebo responders present from week 1) separates on
responders at week 1 and, at Goldstein's size (~114 per arm), significantly on mean pain at every
week; and the claim experiment ``painsim.experiments.goldstein2005_duloxetine_onset`` (would a trial of
Goldstein's size see it at week 1 and after).
"""

from __future__ import annotations

import numpy as np
import pytest

from painsim.trial import Z95

from ._shared import N, finding

pytestmark = pytest.mark.validation


# Goldstein's trial: 457 patients in four arms, ~114 per arm (the claim experiment's N_TRIAL);
# "separation" there is a significant difference in weekly mean 24-h average pain (0-10 NRS) at
# two-sided alpha = 0.05. The paper's week-1 difference is not stated in the sources we hold, so the
# check is the significance it reports, not a size.
N_GOLDSTEIN = 114


def test_onset_within_week_1_and_sustained_to_week_12(dlx60):
    # Goldstein 2005 / Wernicke 2006: separation from placebo at week 1, sustained to week 12
    # The placebo arm must respond at week 1 for the week-1 comparison to test anything (since the
    # logit-scale placebo build-up it does: 7.6 % responders at week 1 vs 14.4 % on duloxetine,
    # seed 21); its binomial SE at N is ~0.6 pp, so 3 % is > 7 SE below the simulated rate.
    assert dlx60.responders_placebo[0] > 0.03
    # responders: the week-1 risk difference (6.8 pp at seed 21) is real at the simulation's size,
    # more than 3 of its own sampling SEs (~1.0 pp)
    p1, p0 = dlx60.responders_drug[0], dlx60.responders_placebo[0]
    se_rd = np.sqrt((p1 * (1 - p1) + p0 * (1 - p0)) / N)
    assert p1 - p0 > 3 * se_rd, f"week-1 responders {p1:.3f} vs {p0:.3f}, SE {se_rd:.4f}"
    # mean pain: at every week the placebo - drug difference exceeds 1.96 SEs of a trial of
    # Goldstein's size (SE from the simulated arms' SDs); week 1: 1.01 NRS points, SE 0.23
    diff = dlx60.pain_placebo.mean(axis=0) - dlx60.pain_drug.mean(axis=0)
    se = np.sqrt((dlx60.pain_placebo.var(axis=0, ddof=1) + dlx60.pain_drug.var(axis=0, ddof=1)) / N_GOLDSTEIN)
    z = diff / se
    assert z.shape == (12,)
    assert np.all(z > Z95), f"weeks without significant separation at {N_GOLDSTEIN}/arm: {np.flatnonzero(z <= Z95) + 1}"


def test_goldstein2005_onset_week_1_sustained_to_12():
    f = finding("goldstein2005_duloxetine_onset")
    for dose in ("60", "120"):
        # expected significant at Goldstein's size at week 1 and in the weakest week (power > 50 %
        # is an expected z above 1.96)
        assert f.values[f"power_week1_{dose}mg"] > 0.5
        assert f.values[f"min_power_{dose}mg"] > 0.5
    assert f.supported
