"""Venlafaxine label (``label_venlafaxine_us``): O-desmethylvenlafaxine half-life 11 ± 2 h, and the
steady-state ODV/venlafaxine ratio of Gex-Fabry 2002 (median 2.4-2.9 in ng/mL) as a check.

The drug file takes ODV's apparent clearance and volume from this label (0.4 L/h/kg, 5.7 L/kg),
so the half-life is a consistency check of the file and of ``painsim pk``'s ``t_half_h``; the
tolerance is the label's ± 2 h SD widened to the 8-14 h the model-credibility issue names.
The ratio is not an input of the file: it follows from the label's two clearances.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from ._shared import _ss

pytestmark = pytest.mark.validation


def test_odv_half_life_from_painsim_pk():
    out = subprocess.run([sys.executable, "-m", "painsim", "pk", "--drug", "venlafaxine", "--dose", "150", "--json"],
                         capture_output=True, text=True, check=True)
    odv = next(m for m in json.loads(out.stdout)["moieties"] if m["name"] == "o-desmethylvenlafaxine")
    assert 8.0 <= odv["t_half_h"] <= 14.0


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding: the label's mean clearances (venlafaxine 1.3, ODV 0.4 L/h/kg) give a steady-state "
    "ODV/VEN ratio of 3.09 (ng/mL) for the typical patient, above the median 2.4-2.9 of Gex-Fabry "
    "2002's patients; CYP2D6 phenotypes (not applied to ODV formation) would lower a population median"))
def test_odv_to_venlafaxine_ratio_gexfabry2002():
    ss = _ss("venlafaxine", 150.0)
    ratio = ss["o-desmethylvenlafaxine"].cavg / ss["venlafaxine"].cavg
    assert 2.4 <= ratio <= 2.9
