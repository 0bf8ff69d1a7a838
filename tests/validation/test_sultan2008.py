"""Sultan, Gaskell, Derry & Moore 2008 (BMC Neurol 8:29): in painful diabetic neuropathy
duloxetine 120 mg/day is no better than 60 mg/day (NNT 5.7 against 5.8 for >= 50 % relief).

A training target of the calibration (the 120-vs-60 mg contrast). The model does not reproduce
it: a strict xfail that still asserts the claim, reported as a finding. Both doses are analysed
as their trials were (LOCF, with each dose's sourced discontinuation for adverse events).
"""

from __future__ import annotations

import pytest

from painsim.library import load_drug
from painsim.trial import run_trial

from ._shared import SEED, N

pytestmark = pytest.mark.validation


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding: the model has a dose-response that the trials do not show (Sultan 2008: NNT 5.8 at "
    "60 mg, 5.7 at 120 mg). Analysed by LOCF with the doses' discontinuation (10 % vs 17 % here), 120 mg "
    "still gains ~5.7 pp (3 pp allowed): duloxetine's NET occupancy rises from 31 % to 46 % and its "
    "SERT occupancy from 87 % to 93 %, and the weights turn that into more responders"))
def test_120mg_no_better_than_60mg_sultan2008():
    r60, r120 = (run_trial(load_drug("duloxetine"), dose, 12, n_per_arm=N, seed=SEED, analysis="locf")
                 for dose in (60, 120))
    assert r120.p_drug - r60.p_drug < 0.03
