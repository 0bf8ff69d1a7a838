"""The loader refuses every malformed model file with one message naming file, field and fix."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from painsim.library import ModelFileError, parse_drug_file

BIB = frozenset({"src"})

GOOD = """
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
[[moieties]]
name = "testdrug"
role = "parent"
molecular_weight = { value = 300, unit = "g/mol", source = "src" }
fu = { value = 0.1, unit = "1", source = "src" }
[moieties.pk]
compartments = 1
elimination = "linear"
cl_basis = "apparent_oral"
ka = { value = 1.0, unit = "1/h", source = "src" }
cl = { value = 20, unit = "L/h", source = "src" }
v = { value = 200, unit = "L", source = "src" }
[moieties.affinity]
ki_sert = { value = 1.0, unit = "nM", source = "src:table2" }
[moieties.occupancy.sert]
method = "pet"
ec50 = { value = 3.0, unit = "ng/mL", source = "src" }
emax = { value = 1, unit = "1", source = "src" }
hill = { value = 1, unit = "1", source = "src" }
"""


def _load(tmp_path: Path, text: str):
    p = tmp_path / "testdrug.toml"
    p.write_text(text)
    return parse_drug_file(p, bib=BIB)


def test_good_file_loads_with_canonical_units(tmp_path):
    d = _load(tmp_path, GOOD.replace('cl = { value = 20, unit = "L/h"', 'cl = { value = 20000, unit = "mL/h"'))
    assert d.parent.pk.cl.value == pytest.approx(20.0)
    assert d.parent.pk.cl.unit == "L/h"
    assert d.parent.affinity["ki_sert"].source == ("src:table2",)
    assert d.sources() == ("src",)


@pytest.mark.parametrize(
    ("old", "new", "field", "expect"),
    [
        ('fu = { value = 0.1, unit = "1", source = "src" }',
         'fu = { value = 0.1, unit = "1", source = "src" }\ncolour = "red"', "moieties[testdrug]",
         "unknown key 'colour'"),
        ('cl = { value = 20, unit = "L/h", source = "src" }', 'cl = { value = 20, source = "src" }',
         "moieties[testdrug].pk.cl", "missing 'unit'"),
        ('cl = { value = 20, unit = "L/h", source = "src" }', 'cl = { value = 20, unit = "L/h" }',
         "moieties[testdrug].pk.cl", "missing 'source'"),
        ('cl = { value = 20, unit = "L/h", source = "src" }', 'cl = { value = 20, unit = "L", source = "src" }',
         "moieties[testdrug].pk.cl", "is not a clearance"),
        ('cl = { value = 20, unit = "L/h", source = "src" }', 'cl = { value = -20, unit = "L/h", source = "src" }',
         "moieties[testdrug].pk.cl", "must not be negative"),
        ('v = { value = 200, unit = "L", source = "src" }', 'v = { value = 200, unit = "L", source = "nobody1999" }',
         "moieties[testdrug].pk.v", "'nobody1999' is not in models/references.bib"),
        ('ka = { value = 1.0, unit = "1/h", source = "src" }', 'ka = { value = 1.0, unit = "blorp", source = "src" }',
         "moieties[testdrug].pk.ka", "cannot parse unit"),
        ('cl = { value = 20, unit = "L/h", source = "src" }', 'cl = 20', "moieties[testdrug].pk.cl", "inline table"),
        ('class = "SNRI"', 'class = "SARI"', "drug.class", "expected one of"),
        ('ec50 = { value = 3.0, unit = "ng/mL", source = "src" }', '', "moieties[testdrug].occupancy.sert.ec50",
         "needs the PET plasma EC50"),
        ('fu = { value = 0.1, unit = "1", source = "src" }', 'fu = { value = 1.5, unit = "1", source = "src" }',
         "moieties[testdrug].fu", "fraction"),
        ('dose_max = { value = 100, unit = "mg/day", source = "src" }',
         'dose_max = { value = 100, unit = "mg", source = "src" }', "dosing.dose_max", "is not a daily dose"),
        ('compartments = 1', 'compartments = 2', "moieties[testdrug].pk", "needs q"),
        ('dialect = "painsim-drug/1"', 'dialect = "other"', "dialect", "expected 'painsim-drug/1'"),
        ('name = "testdrug"\ndisplay', 'name = "other"\ndisplay', "drug.name", "must equal the file name"),
    ],
)
def test_bad_file_is_refused_naming_file_and_field(tmp_path, old, new, field, expect):
    assert old in GOOD
    with pytest.raises(ModelFileError) as err:
        _load(tmp_path, GOOD.replace(old, new, 1))
    msg = str(err.value)
    assert "testdrug.toml" in msg
    assert f": {field}:" in msg
    assert expect in msg
    assert "\n" not in msg


def test_invalid_toml_is_refused(tmp_path):
    with pytest.raises(ModelFileError, match=re.escape("not valid TOML")):
        _load(tmp_path, GOOD + "\n[[[")


def test_with_value_returns_new_object(tmp_path):
    d = _load(tmp_path, GOOD)
    e = d.with_value("testdrug.pk.cl", 40.0)
    assert d.parent.pk.cl.value == 20.0 and e.parent.pk.cl.value == 40.0
    assert e.parent.pk.cl.note.startswith("set by user")
    with pytest.raises(KeyError, match="no moiety"):
        d.with_value("other.pk.cl", 1.0)
    with pytest.raises(KeyError, match="no field"):
        d.with_value("testdrug.pk.clearance", 1.0)
