"""Finnerup et al. 2015 (Lancet Neurol 14:162): class NNTs for >= 50 % relief in neuropathic
pain, SNRIs 6.4 (5.2–8.4) and tricyclic antidepressants 3.6 (3.0–4.4).

Both are training targets of the calibration, so agreement here is consistency, not independent
validation; the TCA test also answers whether reuptake inhibition alone explains the TCA number.
"""

from __future__ import annotations

import pytest

from painsim.library import load_drug
from painsim.trial import run_trial

from ._shared import SEED, N

pytestmark = pytest.mark.validation


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding: since discontinuation entered the duloxetine training rows, the fit trades this target "
    "(z = +2.3) for Lunn 2014's duloxetine 60 mg rate: the SNRI pool comes out at NNT ~4.7, better "
    "than Finnerup 2015's 6.4 (5.2-8.4)"))
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
