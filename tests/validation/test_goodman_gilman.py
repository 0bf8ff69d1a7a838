"""Goodman & Gilman's The Pharmacological Basis of Therapeutics, 12th ed. (Brunton, Chabner &
Knollmann 2010), Appendix II: venlafaxine 75 mg every 8 h, steady-state Cmax 167 ng/mL
(venlafaxine) and 397 ng/mL (O-desmethylvenlafaxine) (``goodmangilman2010``).

The drug file is built from independent PK parameters; these summary exposures are not used by
it. Typical patient, within 25 % (``TOL``). With ODV's disposition from the venlafaxine label
(apparent CL 0.4 L/h/kg, Vss 5.7 L/kg; ``label_venlafaxine_us``) the ODV peak is 327 ng/mL
(-18 %); with the earlier Taft 1997 values (t1/2 5.3 h) it was 283 ng/mL (-29 %), a finding
this test kept as a strict xfail until the label values replaced them.
"""

from __future__ import annotations

import pytest

from ._shared import TOL, _ss

pytestmark = pytest.mark.validation


def test_venlafaxine_75mg_tid_goodman_gilman():
    # Goodman & Gilman 12th ed. App. II: 75 mg every 8 h, steady-state Cmax VEN 167, ODV 397 ng/mL
    ss = _ss("venlafaxine", 225.0, interval=8.0)
    assert ss["venlafaxine"].cmax == pytest.approx(167.0, rel=TOL)
    odv = next(v for k, v in ss.items() if k != "venlafaxine")
    assert odv.cmax == pytest.approx(397.0, rel=TOL)
