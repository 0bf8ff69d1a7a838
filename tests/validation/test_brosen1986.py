"""Brøsen et al. 1986 (Eur J Clin Pharmacol 30:679): imipramine 100 mg/day at steady state in
patients phenotyped with sparteine/debrisoquine. Mean imipramine 169 and desipramine 212 nmol/L
in 28 extensive metabolisers; in two poor metabolisers imipramine 455 and 302 nmol/L,
desipramine 1148 and 1721 nmol/L.

Held out: the desipramine PM multiplier comes from another study (Brøsen 1993, oral desipramine).
The published interval is that of the two PMs' ratios to the EM mean (PM/EM: desipramine
5.4-8.1, imipramine 1.8-2.7); the model's ratio is the typical PM over the typical NM.

The desipramine check passes partly because a gap cancels: imipramine's own PM clearance is not
modelled. Adding it (about 1/2.2 from these two patients) with unchanged N-demethylation would
raise the desipramine formed by 2.2x and put the ratio near 15, above the interval; the EMs here
were partly phenoconverted (imipramine doubled their sparteine and debrisoquine ratios).
"""

from __future__ import annotations

import pytest

from painsim.library import load_drug
from painsim.steady_state import steady_state

from ._phenotype import NM, PM, phenotype_theta

pytestmark = pytest.mark.validation

EM_MEAN = {"imipramine": 169.0, "desipramine": 212.0}  # nmol/L, n = 28
PMS = {"imipramine": (455.0, 302.0), "desipramine": (1148.0, 1721.0)}  # nmol/L, the two PMs


def _ratio(moiety: str) -> float:
    imi = load_drug("imipramine")
    pm = {s.name: s.cavg for s in steady_state(imi, 100.0, th=phenotype_theta(imi, PM))}
    nm = {s.name: s.cavg for s in steady_state(imi, 100.0, th=phenotype_theta(imi, NM))}
    return pm[moiety] / nm[moiety]


def test_brosen1986_desipramine_in_poor_metabolisers():
    lo, hi = (c / EM_MEAN["desipramine"] for c in sorted(PMS["desipramine"]))
    assert lo <= _ratio("desipramine") <= hi  # 5.42-8.12; model 1 / 0.147 = 6.8


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "gap: imipramine's own CYP2D6 PM clearance is not in imipramine.toml (no single-dose value "
    "retrieved; these two patients are held out), so the model's PM imipramine level equals the "
    "NM one (ratio 1.0) against 1.8-2.7 in Brosen's two PMs"))
def test_brosen1986_imipramine_in_poor_metabolisers():
    lo, hi = (c / EM_MEAN["imipramine"] for c in sorted(PMS["imipramine"]))
    assert lo <= _ratio("imipramine") <= hi
