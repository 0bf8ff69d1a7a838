"""Sindrup & Jensen 1999 (Pain 83:389): SSRIs in neuropathic pain, class NNT 6.7 for >= 50 %
relief (no interval reported).

A training target of the calibration: the pooled simulated SSRI NNT (paroxetine, citalopram,
fluoxetine, 40 mg/day, 6 weeks) must lie within 5–12.
"""

from __future__ import annotations

import pytest

from painsim.library import load_drug
from painsim.trial import run_trial

from ._shared import SEED, N

pytestmark = pytest.mark.validation


def test_ssri_class_nnt_consistent_with_sindrup1999():
    # training target 6.7 (no interval reported): accept the simulated pool within 5-12
    rd = 0.0
    for name in ("paroxetine", "citalopram", "fluoxetine"):
        r = run_trial(load_drug(name), 40, 6, n_per_arm=N, seed=SEED)
        rd += (r.p_drug - r.p_placebo) / 3
    assert 5.0 <= 1.0 / rd <= 12.0
