"""Prozac (fluoxetine) US label, clinical pharmacology: after 40 mg/day for 30 days, plasma
fluoxetine 91–302 ng/mL and norfluoxetine 72–258 ng/mL (``label_prozac_us``).

The drug file is built from independent PK parameters; these concentrations are not used by
it. Typical patient, the day-30 mean within the range widened by 25 % (``TOL``).
"""

from __future__ import annotations

import numpy as np
import pytest

from painsim.library import load_drug
from painsim.pk import concentrations
from painsim.regimen import Regimen

from ._shared import TOL

pytestmark = pytest.mark.validation


def test_fluoxetine_40mg_30_days_label():
    # Prozac label: after 40 mg/day for 30 days, fluoxetine 91–302 and norfluoxetine 72–258 ng/mL
    drug = load_drug("fluoxetine")
    t = np.linspace(29 * 24.0, 30 * 24.0, 49)
    c = concentrations(drug, Regimen.daily(40.0, days=30), t).mean(axis=0)
    for j, (lo, hi) in enumerate([(91.0, 302.0), (72.0, 258.0)]):
        assert (1 - TOL) * lo <= c[j] <= (1 + TOL) * hi, drug.moieties[j].name
