"""Every shipped model file loads strictly and simulates (found by discovery)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from painsim.library import bibliography, drug_names, load_drug
from painsim.occupancy import load_occupancy_fit, steady_state_occupancy
from painsim.occupancy_fit import fit_occupancy
from painsim.pk import concentrations
from painsim.regimen import Regimen

NAMES = drug_names()


def test_library_has_at_least_19_drugs_of_every_class():
    assert len(NAMES) >= 19
    classes = {load_drug(n).drug_class for n in NAMES}
    assert classes == {"SNRI", "SSRI", "NRI", "TCA"}


@pytest.mark.parametrize("name", NAMES)
def test_model_file_loads_and_simulates(name):
    drug = load_drug(name)
    assert drug.name == name
    assert drug.sources(), "a drug must cite its sources"
    assert set(drug.sources()) <= bibliography()
    dose = drug.dosing.dose_min.value
    t = np.linspace(0.0, 24.0 * 7, 50)
    c = concentrations(drug, Regimen.daily(dose, days=7, interval=drug.dosing.interval.value), t)
    assert np.all(np.isfinite(c)) and np.all(c >= -1e-9) and c[-1, 0] > 0
    occ = steady_state_occupancy(drug, dose)
    for o in occ.values():
        assert 0.0 <= o.trough <= o.mean <= o.peak < 1.0
    # a reuptake inhibitor engages at least one transporter at its usual dose
    assert max(occ["sert"].mean, occ["net"].mean) > 0.1


@pytest.mark.parametrize("name", NAMES)
def test_every_metabolite_formation_fraction_is_consistent(name):
    drug = load_drug(name)
    for m in drug.moieties:
        children = [c.formation_fraction.value for c in drug.moieties if c.formed_from == m.name]
        assert sum(children) <= 1.0 + 1e-12


def test_shipped_occupancy_fit_is_what_the_fit_produces():
    # the shipped file must be exactly what `painsim fit-occupancy` writes (date/version aside)
    shipped = load_occupancy_fit()
    fresh = fit_occupancy()
    for key in ("dialect", "scaling", "ec50"):
        assert shipped[key] == fresh[key]


def test_scaling_rule_is_finite_and_trained_on_pet():
    sc = load_occupancy_fit()["scaling"]
    assert math.isfinite(sc["s"]) and sc["s"] > 0
    assert sc["n_training"] >= 2
