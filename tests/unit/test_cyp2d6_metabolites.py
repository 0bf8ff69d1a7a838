"""CYP2D6 phenotype effects on metabolites: ``[moieties.pgx]`` (issue 10, item 4).

A metabolite's own clearance takes ``cyp2d6_<pm|im|um>_cl``; the clearance that forms it
(``fm x CL_precursor``) takes ``cyp2d6_<pm|im|um>_formation_cl``, and without that key it follows
the precursor's clearance (fm unchanged, as before).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from painsim.library import ModelFileError, Value, load_drug, load_library, parse_drug_file
from painsim.physiology import load_physiology
from painsim.pk import concentrations, theta, theta_index
from painsim.population import draw_population
from painsim.regimen import Regimen

PHYS = load_physiology()
_FREQ = {0: "population.cyp2d6_pm", 1: "population.cyp2d6_im", 3: "population.cyp2d6_um"}


def _everyone(code: int):
    """Physiology in which every patient has CYP2D6 phenotype ``code`` (0 PM, 1 IM, 2 NM, 3 UM)."""
    phys = PHYS
    for key in _FREQ.values():
        phys = phys.with_value(key, 0.0)
    return phys if code == 2 else phys.with_value(_FREQ[code], 1.0)


def _theta(drug, code: int, n: int = 4) -> np.ndarray:
    pop = draw_population(drug, _everyone(code), n, seed=3, stream=1)
    assert (pop.cyp2d6 == code).all()
    return pop.theta


def test_poor_metaboliser_scales_nortriptyline_clearance_and_keeps_its_formation_clearance():
    ami = load_drug("amitriptyline")  # no variability in the file: theta is the typical one x phenotype
    th0 = theta(ami)
    pm, nm = _theta(ami, 0), _theta(ami, 2)
    np.testing.assert_allclose(nm, np.repeat(th0[None], 4, axis=0))
    cl0, cl1, fm1 = theta_index("cl"), theta_index("cl", 1), theta_index("fm", 1)
    assert pm[0, cl0] == pytest.approx(0.644 * th0[cl0])
    assert pm[0, cl1] == pytest.approx(0.325 * th0[cl1])
    # NT is formed by CYP2C19: the formation clearance fm x CL_AT is that of an NM
    assert pm[0, fm1] * pm[0, cl0] == pytest.approx(th0[fm1] * th0[cl0])
    assert pm[0, fm1] == pytest.approx(0.25 / 0.644)


@pytest.mark.parametrize(("code", "cl_nt"), [(1, 0.284), (3, 1.11)])
def test_intermediate_and_ultrarapid_nortriptyline(code, cl_nt):
    ami = load_drug("amitriptyline")
    th0, th = theta(ami), _theta(ami, code)
    assert th[0, theta_index("cl", 1)] == pytest.approx(cl_nt * th0[theta_index("cl", 1)])
    assert th[0, theta_index("fm", 1)] * th[0, theta_index("cl")] == pytest.approx(
        th0[theta_index("fm", 1)] * th0[theta_index("cl")])


def test_desipramine_formed_from_imipramine_and_given_as_a_drug():
    imi, dmi = load_drug("imipramine"), load_drug("desipramine")
    th0 = theta(imi)
    pm = draw_population(imi, _everyone(0), 2000, seed=3, stream=1).theta
    nm = draw_population(imi, _everyone(2), 2000, seed=3, stream=1).theta
    # same patients, same variability draws: only the phenotype differs
    np.testing.assert_allclose(pm[:, theta_index("cl", 1)], 0.147 * nm[:, theta_index("cl", 1)])
    np.testing.assert_allclose(pm[:, theta_index("fm", 1)], th0[theta_index("fm", 1)])  # no imipramine PM value
    np.testing.assert_allclose(pm[:, theta_index("cl")], nm[:, theta_index("cl")])
    own_pm = draw_population(dmi, _everyone(0), 50, seed=3, stream=1).theta
    own_nm = draw_population(dmi, _everyone(2), 50, seed=3, stream=1).theta
    np.testing.assert_allclose(own_pm[:, theta_index("cl")], 0.147 * own_nm[:, theta_index("cl")])


def test_a_normal_metaboliser_and_a_drug_without_multipliers_are_unchanged():
    ven = load_drug("venlafaxine")
    pm, nm = _theta(ven, 0, 200), _theta(ven, 2, 200)
    np.testing.assert_array_equal(pm, nm)  # venlafaxine has no PM multiplier at all (a gap)


def test_formation_clearance_multiplier_scales_the_metabolite_steady_state_exactly():
    """At steady state AUC_metabolite / AUC_parent = CL_formation / CL_metabolite (mass balance): the
    metabolic ratio scales with the formation-clearance multiplier, the metabolite itself with that
    multiplier times the parent's exposure ratio."""
    ven = load_drug("venlafaxine")
    odv = ven.moieties[1]
    src = ("shams2006",)
    pgx = {"cyp2d6_pm_formation_cl": Value(0.1, "dimensionless", src),
           "cyp2d6_pm_cl": Value(1.0, "dimensionless", src)}
    dosing = dataclasses.replace(ven.dosing, pgx={"cyp2d6_pm_cl": Value(0.25, "dimensionless", src)})
    drug = dataclasses.replace(ven, dosing=dosing, moieties=(ven.parent, dataclasses.replace(odv, pgx=pgx)))
    pm, nm = _theta(drug, 0, 1)[0], _theta(drug, 2, 1)[0]
    assert pm[theta_index("cl")] == pytest.approx(0.25 * nm[theta_index("cl")])
    assert pm[theta_index("fm", 1)] == pytest.approx(nm[theta_index("fm", 1)] * 0.1 / 0.25)
    t = np.arange(0.0, 24.0 * 20, 0.25)
    reg = Regimen.daily(150.0, days=20)
    last = t >= 24.0 * 19
    c_pm = concentrations(drug, reg, t, th=pm)[last].mean(axis=0)
    c_nm = concentrations(drug, reg, t, th=nm)[last].mean(axis=0)
    assert c_pm[0] / c_nm[0] == pytest.approx(4.0, rel=2e-3)  # parent: 1 / 0.25
    assert (c_pm[1] / c_pm[0]) / (c_nm[1] / c_nm[0]) == pytest.approx(0.1, rel=2e-3)  # ODV/VEN ratio
    assert c_pm[1] / c_nm[1] == pytest.approx(0.1 * 4.0, rel=2e-3)  # ODV: 0.1 x CL_f, 4 x C_VEN


def test_shipped_library_loads_and_every_moiety_multiplier_is_sourced_and_dimensionless():
    lib = load_library()
    found = 0
    for drug in lib.values():
        for m in drug.moieties[1:]:
            for key, v in m.pgx.items():
                found += 1
                assert v.unit == "dimensionless", (drug.name, m.name, key)
                assert v.source and "user" not in v.source, (drug.name, m.name, key)
    assert found >= 7  # nortriptyline (amitriptyline) x 6, desipramine (imipramine) x 1


_FILE = """
dialect = "painsim-drug/1"
[drug]
name = "testdrug"
display_name = "Test"
class = "SNRI"
references = ["src"]
[dosing]
interval = { value = 24, unit = "h", source = "src" }
dose_min = { value = 10, unit = "mg/day", source = "src" }
dose_max = { value = 100, unit = "mg/day", source = "src" }
[dosing.pgx]
cyp2d6_pm_cl = { value = 0.5, unit = "1", source = "src" }
[[moieties]]
name = "testdrug"
role = "parent"
molecular_weight = { value = 300, unit = "g/mol", source = "src" }
PARENT_PGX
[moieties.pk]
compartments = 1
elimination = "linear"
cl_basis = "apparent_oral"
ka = { value = 1.0, unit = "1/h", source = "src" }
cl = { value = 20, unit = "L/h", source = "src" }
v = { value = 200, unit = "L", source = "src" }
[[moieties]]
name = "metab"
role = "metabolite"
molecular_weight = { value = 286, unit = "g/mol", source = "src" }
[moieties.formation]
from = "testdrug"
fraction = { value = 0.4, unit = "1", source = "src" }
[moieties.pk]
compartments = 1
elimination = "linear"
cl_basis = "apparent_oral"
cl = { value = 10, unit = "L/h", source = "src" }
v = { value = 100, unit = "L", source = "src" }
[moieties.pgx]
METAB_PGX
"""


def _write(tmp_path: Path, metab: str, parent: str = "") -> Path:
    p = tmp_path / "testdrug.toml"
    p.write_text(_FILE.replace("METAB_PGX", metab).replace("PARENT_PGX", parent))
    return p


def test_metabolite_pgx_parses(tmp_path):
    d = parse_drug_file(_write(tmp_path, 'cyp2d6_pm_cl = { value = 0.3, unit = "1", source = "src" }\n'
                                         'cyp2d6_pm_formation_cl = { value = 1, unit = "1", source = "src" }'),
                        bib=frozenset({"src"}))
    assert d.moiety("metab").pgx["cyp2d6_pm_cl"].value == 0.3
    assert d.sources() == ("src",)


@pytest.mark.parametrize(("metab", "parent", "expect"), [
    ('cyp2d6_pm_vmax = { value = 0.3, unit = "1", source = "src" }', "",
     "moieties[metab].pgx: unknown key 'cyp2d6_pm_vmax'"),
    ('cyp2d6_pm_cl = { value = 0.3, unit = "1" }', "", "source"),
    ('cyp2d6_pm_cl = { value = 0.3, source = "src" }', "", "unit"),
    ('cyp2d6_pm_cl = { value = 0.3, unit = "h", source = "src" }', "", "cyp2d6_pm_cl"),
    ('cyp2d6_pm_cl = { value = 1e-6, unit = "1", source = "src" }', "", "expected 0.001-100"),
    # 0.4 x 2.0 / 0.5 = 1.6 of the parent's clearance would form the metabolite
    ('cyp2d6_pm_formation_cl = { value = 2.0, unit = "1", source = "src" }', "", "sum to 1.6"),
    ("", '[moieties.pgx]\ncyp2d6_pm_cl = { value = 0.5, unit = "1", source = "src" }', "[dosing.pgx]"),
])
def test_bad_moiety_pgx_fails_with_one_line(tmp_path, metab, parent, expect):
    with pytest.raises(ModelFileError) as exc:
        parse_drug_file(_write(tmp_path, metab, parent), bib=frozenset({"src"}))
    msg = str(exc.value)
    assert "\n" not in msg and "testdrug.toml" in msg
    assert expect in msg, msg
