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

These trials are the training trials of the calibration (Lunn 2014, Sultan 2008 pool them); the
onset of response is not a training target.
"""

from __future__ import annotations

import numpy as np
import pytest

from painsim.calibration import load_calibration
from painsim.library import load_drug
from painsim.physiology import load_physiology
from painsim.response import trial_placebo_mu
from painsim.trial import simulate_arms, wilson_interval

from ._shared import SEED, N, finding

pytestmark = pytest.mark.validation

#: Hardy 2007: share of the sustained responders at week 12 whose first response came in week 1 or 2
HARDY_EARLY = {"duloxetine 60 mg": 0.650, "placebo": 0.402}
#: the largest size the subgroup can have: arm size x the arm's >= 30 % responder rate at week 12
HARDY_SUBGROUP_MAX = {"duloxetine 60 mg": round(344 * 0.629), "placebo": round(339 * 0.411)}


def test_hardy2007_functional_not_structural():
    f = finding("hardy2007_functional_modulation")
    assert f.values["week1_over_week12"] > 0.6
    assert f.values["week10_stopped_over_continued"] < 0.05
    assert f.supported


def early_share_of_sustained(flags: np.ndarray) -> float:
    """Among patients who respond from their first response through the last week (a sustained
    response at the end), the share whose first response came in week 1 or 2."""
    weeks = flags.shape[1]
    any_resp = flags.any(axis=1)
    first = np.where(any_resp, flags.argmax(axis=1), weeks)
    # responding in every week from the first response on: the count of responding weeks from
    # the first one equals the number of weeks left
    sustained = any_resp & (flags.sum(axis=1) == weeks - first)
    return float(np.sum(sustained & (first <= 1)) / np.sum(sustained))


def test_early_share_counts_sustained_responders_only():
    flags = np.array([[1, 1, 1, 1],   # first in week 1, sustained
                      [0, 1, 0, 1],   # not sustained
                      [0, 0, 1, 1],   # first in week 3, sustained
                      [0, 0, 0, 0],   # never
                      [0, 1, 1, 1]],  # first in week 2, sustained
                     dtype=bool)
    assert early_share_of_sustained(flags) == pytest.approx(2 / 3)


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding: the model's responses come too early. Of the sustained >= 30 % responders at week 12, "
    "those first responding in week 1 or 2 are 93 % on duloxetine 60 mg and 72 % on placebo (2000 "
    "per arm, the validation seed) against Hardy 2007's 65.0 % and 40.2 % (Wilson intervals at the "
    "largest possible subgroup, 216 and 139 patients: 58-71 % and 32-48 %; the miss holds for any "
    "subgroup of 20 or more). Among all responders at week 12 the model gives 82 % and 57 %. The "
    "drug's restored inhibition is 89 % of week 12's in week 1, and every patient's placebo "
    "response builds up on the logit scale from week 1, so the patients who will respond mostly "
    "respond at once; in the trials, response onsets spread over the weeks (on placebo too: "
    "Parsons 2015's pooled pregabalin trials)"))
def test_onset_of_response_hardy2007():
    phys, cal = load_physiology(), load_calibration()
    mu = trial_placebo_mu(phys, cal, condition="dpn", outcome="50pct", weeks=12)
    arms = simulate_arms(load_drug("duloxetine"), 60, 12, n_per_arm=N, seed=SEED, mu=mu, phys=phys, cal=cal)
    drug, placebo = arms.responders("30pct")
    for arm, flags in (("duloxetine 60 mg", drug), ("placebo", placebo)):
        n = HARDY_SUBGROUP_MAX[arm]
        lo, hi = wilson_interval(round(HARDY_EARLY[arm] * n), n)
        share = early_share_of_sustained(flags)
        assert lo <= share <= hi, f"{arm}: {share:.3f} outside {lo:.3f}-{hi:.3f}"
