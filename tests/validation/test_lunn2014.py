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


def test_duloxetine_60mg_dpn_12_weeks_lunn2014():
    dlx60 = run_trial(load_drug("duloxetine"), 60, 12, n_per_arm=N, seed=SEED, analysis="locf")
    # Lunn 2014 (training): 44.5 % vs 25.7 % >= 50 % responders, NNT 5 (4-7); the issue asks
    # for an NNT inside 4-7 and rates "near" the reported ones (here: within 7 pp, ~3 SE of the
    # pooled trials)
    assert 4.0 <= dlx60.nnt <= 7.0
    assert dlx60.p_drug == pytest.approx(0.445, abs=0.07)
    assert dlx60.p_placebo == pytest.approx(0.257, abs=0.03)
