"""The seed article's mechanism claims, one experiment each (``painsim.experiments``), at the
report's population size. A claim the model does not support is a strict xfail that still
asserts the claim: a finding, reported in the claims table, that fails loudly if the model
changes so that it starts to agree.
"""

from __future__ import annotations

import math

import pytest

from painsim.experiments import load

pytestmark = pytest.mark.validation
N, SEED = 2000, 21


def finding(name: str):
    return load(name).run(n_per_arm=N, seed=SEED)


def test_takano2006_occupancy_while_dosing_and_synaptic_rise():
    f = finding("takano2006_duloxetine_sert")
    # the points while dosing (6 h, 25 h) within ±10 pp of PET; transmitters accumulate
    assert abs(f.values["sert_single_6h"] - 0.818) <= 0.10
    assert abs(f.values["sert_repeated_6h"] - 0.843) <= 0.10
    assert abs(f.values["sert_single_25h"] - 0.719) <= 0.10
    assert f.values["ratio_5ht_week2"] > 1.2 and f.values["ratio_ne_week2"] > 1.0
    assert f.supported


def test_sindrup2005_noradrenergic_component_is_essential():
    f = finding("sindrup2005_noradrenergic_component")
    assert f.values["difference_no_net"] < 0.5 * f.values["difference_full"]
    # without SERT the drug keeps most of its effect: the NE arm carries the analgesia
    assert f.values["difference_no_sert"] > 0.5 * f.values["difference_full"]
    assert f.supported


@pytest.mark.xfail(strict=True, reason=(
    "finding: not balanced in the model. At 60 mg/day duloxetine occupies ~85 % of SERT (PET EC50, "
    "Takano 2006) but only ~13 % of NET (no human NET PET; EC50 derived from Ki 7.5 nM, fu 0.04 and the "
    "fitted in-vivo/in-vitro rule). 'Balanced' holds for neither the binding ratio (9.4) nor occupancy"))
def test_bymaster2001_duloxetine_is_balanced():
    assert finding("bymaster2001_duloxetine_balance").supported


def test_goldstein2005_onset_week_1_sustained_to_12():
    f = finding("goldstein2005_duloxetine_onset")
    for dose in ("60", "120"):
        assert f.values[f"difference_week1_{dose}mg"] > 0
        assert f.values[f"min_power_{dose}mg"] > 0.5
    assert f.supported


@pytest.mark.xfail(strict=True, reason=(
    "finding: the old crossover 'at least moderate relief' outcomes are predicted too favourable "
    "(venlafaxine 150 mg NNT ~2 vs 3.1, 2.2-5.1), as for the TCA rows of the same review"))
def test_saarto2007_venlafaxine_nnt_3_1():
    assert finding("saarto2007_venlafaxine_nnt").supported


def test_hardy2007_functional_not_structural():
    f = finding("hardy2007_functional_modulation")
    assert f.values["week1_over_week12"] > 0.6
    assert f.values["week10_stopped_over_continued"] < 0.05
    assert f.supported


def test_sindrup2005_ssris_weaker_than_snris():
    f = finding("sindrup2005_ssri_vs_snri")
    ssri = [v for k, v in f.values.items() if k.split("_", 1)[1] in
            ("paroxetine", "citalopram", "escitalopram", "sertraline", "fluoxetine")]
    assert len(ssri) == 5 and all(math.isfinite(v) for v in ssri)
    assert max(ssri) < min(f.values["difference_duloxetine"], f.values["difference_venlafaxine"])
    assert f.supported
