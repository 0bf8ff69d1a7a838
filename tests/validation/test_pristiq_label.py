"""Pristiq (desvenlafaxine) label: steady-state Cmax 376 ng/mL and AUC 6747 ng.h/mL at
100 mg/day; the drug file cites the same numbers from the Destiq label text (``label_destiq_my``).

The drug file is built from independent PK parameters (CL/F, V/F, ka or Tmax, t1/2); the label's
summary exposures are not used by it. Typical patient, within 25 % (``TOL``).
"""

from __future__ import annotations

import pytest

from ._shared import TOL, _ss

pytestmark = pytest.mark.validation


def test_desvenlafaxine_100mg_label():
    # Pristiq label (as in shared reference): 100 mg/day steady state Cmax 376 ng/mL, AUC 6747 ng.h/mL
    s = _ss("desvenlafaxine", 100.0)["desvenlafaxine"]
    assert s.cmax == pytest.approx(376.0, rel=TOL)
    assert s.auc_tau == pytest.approx(6747.0, rel=TOL)
