"""Knadler et al. 2011 (Clin Pharmacokinet 50:281), a review of duloxetine's clinical
pharmacokinetics: maximum plasma concentration ~47 ng/mL at 40 mg twice daily and ~110 ng/mL at
80 mg twice daily, ~6 h after the dose (abstract; twice-daily dosing, taken as steady state).

Held out: the drug file's CL/F and V/F are Sharma 2000's (8 healthy men). Within 25 % (``TOL``),
as the other label and review exposures.
"""

from __future__ import annotations

import pytest

from ._shared import TOL, _ss

pytestmark = pytest.mark.validation


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding: duloxetine exposure is too low. CL/F 114 L/h and V/F 1943 L (Sharma 2000, 8 healthy "
    "men) give steady-state Cmax 32.7 and 65.3 ng/mL at 40 and 80 mg twice daily against ~47 and "
    "~110 ng/mL (-30 %, -41 %); a patient-population CL/F (Lobo 2009: 40 % lower in women, 30 % "
    "lower in non-smokers) was not retrievable as a typical value"))
@pytest.mark.parametrize(("mg_twice_daily", "observed"), [(40.0, 47.0), (80.0, 110.0)])
def test_knadler2011_duloxetine_cmax_twice_daily(mg_twice_daily, observed):
    s = _ss("duloxetine", 2 * mg_twice_daily, interval=12.0)["duloxetine"]
    assert s.cmax == pytest.approx(observed, rel=TOL)
