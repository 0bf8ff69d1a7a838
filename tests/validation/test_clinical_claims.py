"""What the model must show (issue: causal chain) — clinical anchors and the mechanism claims
of the seed article. Claims the model does not support stay as strict xfails: they are findings,
reported in `painsim validate` and the docs, not hidden.

Populations: 2000 per arm (responder-rate SE ~1 pp), fixed seeds.
"""

from __future__ import annotations

import numpy as np
import pytest

from painsim.library import load_drug
from painsim.trial import run_trial

pytestmark = pytest.mark.validation
N = 2000
SEED = 21


@pytest.fixture(scope="module")
def dlx60():
    return run_trial(load_drug("duloxetine"), 60, 12, n_per_arm=N, seed=SEED)


@pytest.mark.xfail(strict=True, reason=(
    "finding: the calibrated model gives duloxetine 60 mg ~38 % vs ~25 % responders (expected "
    "NNT ~7.7, this seed 7.6), below Lunn 2014's 44.5 % (z = -2.6 in the fit): the same weights "
    "must also carry the flat 60-vs-120 mg contrast and the SNRI/SSRI/TCA class NNTs"))
def test_duloxetine_60mg_dpn_12_weeks_lunn2014(dlx60):
    # Lunn 2014 (training): 44.5 % vs 25.7 % >= 50 % responders, NNT 5 (4-7); the issue asks
    # for an NNT inside 4-7 and rates "near" the reported ones (here: within 7 pp, ~3 SE of the
    # pooled trials)
    assert 4.0 <= dlx60.nnt <= 7.0
    assert dlx60.p_drug == pytest.approx(0.445, abs=0.07)
    assert dlx60.p_placebo == pytest.approx(0.257, abs=0.03)


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


@pytest.mark.xfail(strict=True, reason=(
    "finding: the model has a dose-response that the trials do not show (Sultan 2008: NNT 5.8 at "
    "60 mg, 5.7 at 120 mg). Duloxetine's derived NET occupancy rises from ~13 % to ~23 %, and "
    "the NE weight that fits the other targets turns that into more responders"))
def test_120mg_no_better_than_60mg_sultan2008(dlx60):
    r120 = run_trial(load_drug("duloxetine"), 120, 12, n_per_arm=N, seed=SEED)
    assert r120.p_drug - dlx60.p_drug < 0.03


def test_ssri_class_nnt_consistent_with_sindrup1999():
    # training target 6.7 (no interval reported): accept the simulated pool within 5-12
    rd = 0.0
    for name in ("paroxetine", "citalopram", "fluoxetine"):
        r = run_trial(load_drug(name), 40, 6, n_per_arm=N, seed=SEED)
        rd += (r.p_drug - r.p_placebo) / 3
    assert 5.0 <= 1.0 / rd <= 12.0


def test_snri_class_nnt_inside_finnerup2015():
    # training: SNRI class NNT 6.4 (5.2-8.4), 9:5 duloxetine:venlafaxine, mixed conditions
    rd = 0.0
    for name, dose, wt in (("duloxetine", 60, 9 / 14), ("venlafaxine", 150, 5 / 14)):
        r = run_trial(load_drug(name), dose, 12, n_per_arm=N, seed=SEED, condition="mixed")
        rd += wt * (r.p_drug - r.p_placebo)
    assert 5.2 <= 1.0 / rd <= 8.4


def test_tca_amitriptyline_reuptake_alone_vs_finnerup2015():
    # Finnerup 2015 TCA class NNT 3.6 (3.0-4.4) is a training target; the issue asks to report
    # whether reuptake inhibition alone explains it. With the calibrated weights it does:
    # amitriptyline 75 mg/day (its NET occupancy, partly from nortriptyline) lands inside the
    # interval without any added mechanism.
    r = run_trial(load_drug("amitriptyline"), 75, 6, n_per_arm=N, seed=SEED, condition="mixed")
    assert 3.0 <= r.nnt <= 4.4
