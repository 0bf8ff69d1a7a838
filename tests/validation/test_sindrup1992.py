"""Sindrup et al. 1992 (Clin Pharmacol Ther; abstract read): paroxetine 30 mg single dose and
30 mg/day for 2 weeks in 9 extensive (EM) and 8 poor (PM) metabolisers of sparteine (CYP2D6).
Medians: AUCss,tau 2550 (EM) and 4410 (PM) nmol*h/L; steady-state plasma concentration 81 (EM)
and 151 (PM) nmol/L; plasma t1/2 16 (EM) and 41 (PM) h; single-dose AUC 550 (EM) and
3910 (PM) nmol*h/L. Linear PK in PMs, nonlinear in EMs.

Issue 10, item 5 (adult paroxetine PK). Training: the EM AUCss,tau sets Vmax and the PM AUCss,tau
sets the CYP2D6 PM multiplier (paroxetine.toml); those two are consistency checks. Held out: the
steady-state concentrations, the half-lives and the single-dose AUCs. The abstract does not say
when the "steady-state plasma concentration" was sampled (81 nmol/L is below AUCss,tau/24 =
106 nmol/L), so it is asserted to lie between the model's steady-state trough and peak. The
typical patient of each phenotype (the drug file's multipliers), molar with MW 329.37 g/mol.
"""

from __future__ import annotations

import numpy as np
import pytest

from painsim.library import load_drug
from painsim.pk import concentrations
from painsim.regimen import Regimen
from painsim.steady_state import steady_state

from ._phenotype import NM, PM, phenotype_theta
from ._shared import TOL

pytestmark = pytest.mark.validation

MW = 329.37  # g/mol, paroxetine base (paroxetine.toml)
NMOL = 1000.0 / MW  # ng/mL -> nmol/L
PUBLISHED = {  # medians
    NM: {"auc_ss": 2550.0, "css": 81.0, "t_half": 16.0, "auc_single": 550.0},
    PM: {"auc_ss": 4410.0, "css": 151.0, "t_half": 41.0, "auc_single": 3910.0},
}


def _ss(code: int):
    drug = load_drug("paroxetine")
    return steady_state(drug, 30.0, th=phenotype_theta(drug, code))[0]


@pytest.mark.parametrize("code", [NM, PM], ids=["EM", "PM"])
def test_sindrup1992_auc_at_steady_state(code):
    """Training (Vmax and the PM multiplier were solved for these): EM 2550, PM 4410 nmol*h/L."""
    assert _ss(code).auc_tau * NMOL == pytest.approx(PUBLISHED[code]["auc_ss"], rel=0.01)


@pytest.mark.parametrize("code", [NM, PM], ids=["EM", "PM"])
def test_sindrup1992_steady_state_level_within_the_dosing_interval(code):
    """Held out: EM 81 nmol/L within the model's 70-141 nmol/L; PM 151 within 145-217."""
    s = _ss(code)
    assert s.cmin * NMOL <= PUBLISHED[code]["css"] <= s.cmax * NMOL


@pytest.mark.parametrize("code", [NM, PM], ids=["EM", "PM"])
def test_sindrup1992_half_life_at_steady_state(code):
    """Held out: EM 16 h (model 19.7 h, +23 %), PM 41 h (model 34.1 h, -17 %); the model's value
    is the local half-life at the steady-state mean, ln2 V (Km + Cavg)/Vmax."""
    assert _ss(code).t_half == pytest.approx(PUBLISHED[code]["t_half"], rel=TOL)


def _single_dose_auc(code: int) -> float:
    drug = load_drug("paroxetine")
    t = np.linspace(0.0, 480.0, 9601)
    c = concentrations(drug, Regimen(dose=30.0, n_doses=1), t, th=phenotype_theta(drug, code))[:, 0]
    return float(np.sum(0.5 * (c[1:] + c[:-1]) * np.diff(t))) * NMOL


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding (gap in paroxetine.toml): one-compartment Michaelis-Menten elimination anchored at "
    "steady state over-predicts the first dose in EMs: single-dose AUC 2320 vs 550 nmol*h/L "
    "(x4.2). The published 7-fold EM/PM single-dose ratio against 1.7-fold at steady state needs "
    "a saturable first pass (or a high-affinity CYP2D6 pathway with Km far below 206 ng/mL, "
    "which pure MM cannot combine with a Vmax above the 50 mg/day dose rate)"))
def test_sindrup1992_em_single_dose_auc():
    assert _single_dose_auc(NM) == pytest.approx(PUBLISHED[NM]["auc_single"], rel=TOL)


def test_sindrup1992_pm_single_dose_auc():
    """Held out: PM 3910 nmol*h/L (model 3630, -7 %)."""
    assert _single_dose_auc(PM) == pytest.approx(PUBLISHED[PM]["auc_single"], rel=TOL)
