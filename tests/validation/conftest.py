"""Fixtures shared by the per-source validation files."""

from __future__ import annotations

import pytest

from painsim.library import load_drug
from painsim.trial import run_trial

from ._shared import SEED, N


@pytest.fixture(scope="session")
def dlx60():
    """Duloxetine 60 mg/day, 12 weeks, N per arm: one trial for Lunn 2014, Goldstein 2005 and Sultan 2008."""
    return run_trial(load_drug("duloxetine"), 60, 12, n_per_arm=N, seed=SEED)
