"""Fetzima (levomilnacipran) US label, clinical pharmacology: steady-state Cmax 341 ng/mL and AUC
5196 ng.h/mL at 120 mg/day (``label_fetzima_us``).

The drug file is built from independent PK parameters (CL/F, V/F, ka or Tmax, t1/2); the label's
summary exposures are not used by it. Typical patient, within 25 % (``TOL``).
"""

from __future__ import annotations

import pytest

from ._shared import TOL, _ss

pytestmark = pytest.mark.validation


def test_levomilnacipran_120mg_label():
    # Fetzima label: 120 mg/day steady state Cmax 341 ng/mL, AUC 5196 ng.h/mL
    s = _ss("levomilnacipran", 120.0)["levomilnacipran"]
    assert s.cmax == pytest.approx(341.0, rel=TOL)
    assert s.auc_tau == pytest.approx(5196.0, rel=TOL)
