"""Lunn, Hughes & Wiffen 2014 (Cochrane Database Syst Rev CD007115): duloxetine 60 mg/day in
painful diabetic neuropathy over 12 weeks, 44.5 % vs 25.7 % patients with >= 50 % pain relief,
NNT 5 (4–7).

A training target of the calibration. Its trials were analysed with the last observation
carried forward (``analysis = "locf"`` in ``models/reported_outcomes.toml``), so the virtual trial
is too: 11 % of the duloxetine arm and 5 % of the placebo arm leave for adverse events. (Before
duloxetine's NET occupancy was the measured one and the TCAs left the training set, the fit gave
NNT 6.4-7.1 with p_drug ~37-40 %, outside these bands.)
"""

from __future__ import annotations

import pytest

from painsim.library import load_drug
from painsim.trial import run_trial

from ._shared import SEED, N

pytestmark = pytest.mark.validation


@pytest.fixture(scope="module")
def dlx60():
    return run_trial(load_drug("duloxetine"), 60, 12, n_per_arm=N, seed=SEED, analysis="locf")


def test_duloxetine_60mg_dpn_12_weeks_rates_near_lunn2014(dlx60):
    # Lunn 2014 (training): 44.5 % vs 25.7 % >= 50 % responders; the issue asks for rates "near"
    # the reported ones (here: within 7 pp, ~3 SE of the pooled trials)
    assert dlx60.p_drug == pytest.approx(0.445, abs=0.07)
    assert dlx60.p_placebo == pytest.approx(0.257, abs=0.03)


def test_duloxetine_60mg_dpn_12_weeks_nnt_inside_lunn2014(dlx60):
    # at this seed the sampled NNT is 7.0, inside by a hair: sampling, not the model's expectation
    # (the finding below); at 4000 per arm and seed 1 it is 6.1
    assert 4.0 <= dlx60.nnt <= 7.0


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding: the calibration's expected LOCF responder rate of duloxetine 60 mg is 39.4 % against "
    "Lunn 2014's 25.7 % on placebo, NNT 7.3, just outside 4-7: the >= 50 % shortfall of the "
    "calibration (z -2.2). Sampled trials fall on either side (2000 per arm, the validation seed: "
    "NNT 7.0; 4000 per arm, seed 1: 6.1); without imputation (the CLI default) NNT 5.4 at 4000 per arm"))
def test_expected_nnt_inside_lunn2014():
    from painsim.calibrate import check_calibration

    expected = {t["key"]: t["simulated"] for t in check_calibration()["targets"]}
    nnt = 1.0 / (expected["lunn2014_dlx60_dpn_50:p_drug"] - 0.257)
    assert 4.0 <= nnt <= 7.0
