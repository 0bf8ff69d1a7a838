"""Hardy et al. 2007 (Pain Med 8:397): pooled analyses of the three Lilly duloxetine trials in
painful diabetic neuropathy (Goldstein 2005, Raskin 2005, Wernicke 2006).

- Diaries separate from placebo on day 1–4 — relief by functional modulation, not structural
  repair (claim experiment ``painsim.experiments.hardy2007_functional_modulation``: inhibition in
  week 1 against week 12, and after stopping).
- The onset of response (abstract): "Within the group with a sustained response at Week 12, the
  proportion of patients first exhibiting a response at Weeks 1 or 2 was higher in the duloxetine
  groups (60 mg QD, 65.0%; 60 mg BID, 62.0%) when compared with the placebo group (40.2%)"
  (response: ≥ 30 % reduction of the weekly mean of 24-h average pain). The abstract gives no
  interval and no size of the subgroup. Its pooled arms had 344 (60 mg QD: 114 + 114 + 116) and
  339 (placebo: 115 + 108 + 116) patients (Skljarevski 2012, table 4); the subgroup is at most the
  arm's responders at week 12 (Lunn 2014's rates for the same trials, 62.9 % and 41.1 %), so the
  Wilson interval with that size is the narrowest the data allow.

These trials are the training trials of the calibration (Lunn 2014, Sultan 2008 pool them), and the
placebo arm's share is a training target (:mod:`painsim.calibrate`, which sets the mean onset of the
placebo response with it); the duloxetine arm's share is not fitted.
"""

from __future__ import annotations

import pytest

from painsim.response import early_share
from painsim.trial import wilson_interval

from ._shared import dpn_trial, finding

pytestmark = pytest.mark.validation

#: Hardy 2007: share of the sustained responders at week 12 on duloxetine 60 mg once daily whose
#: first response came in week 1 or 2 (the placebo arm's 40.2 % is painsim.calibrate's target)
HARDY_EARLY_DULOXETINE = 0.650
#: the largest size the subgroup can have: arm size x the arm's >= 30 % responder rate at week 12
HARDY_SUBGROUP_MAX = round(344 * 0.629)


def test_hardy2007_functional_not_structural():
    f = finding("hardy2007_functional_modulation")
    assert f.values["week1_over_week12"] > 0.6
    assert f.values["week10_stopped_over_continued"] < 0.05
    assert f.supported


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding: on duloxetine the model's responders still respond a little too early. Of the "
    "sustained >= 30 % responders at week 12, 73 % first respond in week 1 or 2 (2000 per arm, the "
    "validation seed; among all week-12 responders 71 %) against Hardy 2007's 65.0 %: outside the "
    "Wilson interval at the largest subgroup the arm allows (216 patients: 58-71 %), inside for a "
    "subgroup of about 110 or fewer (the abstract gives no size). The placebo arm's share (41 %) is "
    "the calibration's training target (40.2 %), so this drug-arm share is the out-of-fit check of "
    "the per-patient placebo onset. Before the onset was per patient (2026-12-08) the model gave "
    "93 % and 72 % on placebo"))
def test_onset_of_response_on_duloxetine_hardy2007():
    drug, _ = dpn_trial("duloxetine", 60.0).responders("30pct")
    n = HARDY_SUBGROUP_MAX
    lo, hi = wilson_interval(round(HARDY_EARLY_DULOXETINE * n), n)
    share = early_share(drug, 2)
    assert lo <= share <= hi, f"duloxetine 60 mg: {share:.3f} outside {lo:.3f}-{hi:.3f}"
