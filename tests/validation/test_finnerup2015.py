"""Finnerup et al. 2015 (Lancet Neurol 14:162): class NNTs for >= 50 % relief in neuropathic
pain, SNRIs 6.4 (5.2–8.4) and tricyclic antidepressants 3.6 (3.0–4.4).

The SNRI class is a training target of the calibration, so agreement there is consistency, not
independent validation. The TCA class is not: once duloxetine's NET occupancy is the measured one
(Moriguchi 2017), the TCAs exceed the reuptake model (src/painsim/calibrate.py), and the TCA test
answers whether reuptake inhibition alone explains their number.
"""

from __future__ import annotations

import pytest

from painsim.library import load_drug
from painsim.trial import run_trial

from ._shared import SEED, N

pytestmark = pytest.mark.validation


def test_snri_class_nnt_inside_finnerup2015():
    # training: SNRI class NNT 6.4 (5.2-8.4), 9:5 duloxetine:venlafaxine, mixed conditions
    rd = 0.0
    for name, dose, wt in (("duloxetine", 60, 9 / 14), ("venlafaxine", 150, 5 / 14)):
        r = run_trial(load_drug(name), dose, 12, n_per_arm=N, seed=SEED, condition="mixed")
        rd += wt * (r.p_drug - r.p_placebo)
    assert 5.2 <= 1.0 / rd <= 8.4


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding: reuptake inhibition alone does not explain the TCA class NNT 3.6 (3.0-4.4). Amitriptyline "
    "75 mg/day (SERT and NET occupancy partly from nortriptyline) gives NNT ~24 with the weights that "
    "carry duloxetine, the SNRI class and the SSRIs; sodium-channel block at free plasma levels is "
    "~1-2 % (tests/validation/test_tca_sodium_channel.py), so no cited mechanism closes the gap"))
def test_tca_amitriptyline_reuptake_alone_vs_finnerup2015():
    # Finnerup 2015 TCA class NNT 3.6 (3.0-4.4), a validation row: does reuptake inhibition alone
    # explain it? amitriptyline 75 mg/day for 6 weeks, as the row is simulated
    r = run_trial(load_drug("amitriptyline"), 75, 6, n_per_arm=N, seed=SEED, condition="mixed")
    assert 3.0 <= r.nnt <= 4.4
