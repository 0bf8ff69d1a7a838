"""Goodman & Gilman's The Pharmacological Basis of Therapeutics, 12th ed. (Brunton, Chabner &
Knollmann 2010), Appendix II: venlafaxine 75 mg every 8 h, steady-state Cmax 167 ng/mL
(venlafaxine) and 397 ng/mL (O-desmethylvenlafaxine) (``goodmangilman2010``).

The drug file is built from independent PK parameters; these summary exposures are not used by
it. Typical patient, within 25 % (``TOL``). The model does not reproduce the ODV peak: a strict
xfail that still asserts the published value, reported as a finding.
"""

from __future__ import annotations

import pytest

from ._shared import TOL, _ss

pytestmark = pytest.mark.validation


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding: ODV disposition from Taft 1997 (V 181 L, CL 23.5 L/h) gives t1/2 5.3 h against "
    "the observed 10.3 h, so the ODV peak is 283 vs 397 ng/mL (-29 %); VEN itself is within 25 %"))
def test_venlafaxine_75mg_tid_goodman_gilman():
    # Goodman & Gilman 12th ed. App. II: 75 mg every 8 h, steady-state Cmax VEN 167, ODV 397 ng/mL
    ss = _ss("venlafaxine", 225.0, interval=8.0)
    assert ss["venlafaxine"].cmax == pytest.approx(167.0, rel=TOL)
    odv = next(v for k, v in ss.items() if k != "venlafaxine")
    assert odv.cmax == pytest.approx(397.0, rel=TOL)
