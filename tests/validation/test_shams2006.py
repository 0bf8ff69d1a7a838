"""Shams et al. 2006 (J Clin Pharm Ther 31:493): serum O-desmethylvenlafaxine/venlafaxine ratio
in 100 patients on venlafaxine: median 1.8, 10th-90th percentile 0.3-5.2; every patient below
0.3 was a genotyped CYP2D6 poor metaboliser (n = 4).

The model's ratio is that of the steady-state mean concentrations (ng/mL; independent of dose
and formulation under linear PK). The serum sampling time was not read (at the trough of the
12-hourly tablet the typical ratio is 8.3, above the 90th percentile).
"""

from __future__ import annotations

import pytest

from painsim.library import load_drug
from painsim.steady_state import steady_state

from ._phenotype import NM, PM, phenotype_theta

pytestmark = pytest.mark.validation


def _odv_over_ven(code: int) -> float:
    ven = load_drug("venlafaxine")
    ss = steady_state(ven, 150.0, th=phenotype_theta(ven, code))
    return ss[1].cavg / ss[0].cavg


def test_shams2006_normal_metaboliser_ratio_within_the_patients_10th_90th_percentile():
    assert 0.3 <= _odv_over_ven(NM) <= 5.2  # model 3.1


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "gap: venlafaxine.toml has no CYP2D6 PM multipliers (neither venlafaxine clearance nor ODV "
    "formation clearance retrieved), so a PM's ODV/VEN ratio is the NM's 3.1, not < 0.3"))
def test_shams2006_poor_metabolisers_ratio_below_0_3():
    assert _odv_over_ven(PM) < 0.3
