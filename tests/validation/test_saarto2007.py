"""Saarto & Wiffen 2007 (Cochrane Database Syst Rev CD005454): venlafaxine in neuropathic pain,
NNT 3.1 (2.2–5.1) for at least moderate relief, from small crossover trials (claim experiment
``painsim.experiments.saarto2007_venlafaxine_nnt``, at the report's population size).

The model supports the claim since duloxetine's NET occupancy is the measured one and the fit no
longer carries the TCA class (before: NNT ~2, too favourable, like the TCA rows of the review).
"""

from __future__ import annotations

import pytest

from ._shared import finding

pytestmark = pytest.mark.validation


def test_saarto2007_venlafaxine_nnt_3_1():
    assert finding("saarto2007_venlafaxine_nnt").supported
