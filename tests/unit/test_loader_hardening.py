"""Loaders check types and physically possible ranges before using a value (one-line errors)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from painsim.calibration import parse_calibration
from painsim.drug_bounds import BOUNDS, drug_values
from painsim.library import ModelFileError, load_drug, load_library, models_dir
from painsim.modelfile import parse_model_text
from painsim.physiology import parse_physiology
from painsim.reported import load_reported_outcomes
from painsim.sweep import ExperimentError, parse_experiment

DRUGS = models_dir() / "drugs"


def _edit(tmp_path: Path, drug: str, old: str, new: str) -> Path:
    path = tmp_path / f"{drug}.toml"
    shutil.copy(DRUGS / f"{drug}.toml", path)
    text = path.read_text(encoding="utf-8")
    assert re.search(old, text, re.M), old
    path.write_text(re.sub(old, new, text, count=1, flags=re.M), encoding="utf-8")
    return path


def test_every_shipped_number_is_inside_its_bound() -> None:
    for drug in load_library().values():
        for field, key, v in drug_values(drug):
            lo, hi = BOUNDS[key]
            assert lo <= v.value <= hi, (drug.name, field, v.value)


@pytest.mark.parametrize(("old", "new", "message"), [
    (r'^v = \{ value = [0-9.]+, unit = "L"', 'v = { value = 1e300, unit = "L"',
     "moieties[duloxetine].pk.v: expected 0.1-1e+06 L, got 1e+300 L"),
    (r'^cl = \{ value = [0-9.]+', "cl = { value = 1e-9", "moieties[duloxetine].pk.cl: expected 0.001-100000 L/h"),
    (r'^ka = \{ value = [0-9.]+', "ka = { value = 1e6", "moieties[duloxetine].pk.ka: expected 0.001-100 1/h"),
    (r'^molecular_weight = \{ value = [0-9.]+', "molecular_weight = { value = 1e9",
     "moieties[duloxetine].molecular_weight: expected 30-5000 g/mol"),
    (r'^dose_max = \{ value = [0-9.]+', "dose_max = { value = 1e7", "dosing.dose_max: expected 0.001-10000 mg/day"),
    (r'^interval = \{ value = [0-9.]+', "interval = { value = 1e-3", "dosing.interval: expected 0.5-336 h"),
])
def test_extreme_drug_numbers_are_refused(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(ModelFileError) as err:
        load_drug(_edit(tmp_path, "duloxetine", old, new))
    assert message in str(err.value) and "\n" not in str(err.value)


def test_hill_exponent_bounded(tmp_path: Path) -> None:
    path = _edit(tmp_path, "paroxetine", r'^hill = \{ value = 1.0', "hill = { value = 1e6")
    with pytest.raises(ModelFileError, match=r"occupancy.sert.hill: expected 0.1-10, got 1e\+06"):
        load_drug(path)


def test_saturable_elimination_must_keep_up_with_the_largest_dose(tmp_path: Path) -> None:
    path = _edit(tmp_path, "paroxetine", r'^vmax = \{ value = 8.66', "vmax = { value = 2.0")
    with pytest.raises(ModelFileError, match=r"pk.vmax: expected above the largest dose rate \(2.08333 mg/h"):
        load_drug(path)


def test_huge_whole_number_is_refused_by_the_reader() -> None:
    with pytest.raises(ModelFileError, match=r"x.toml: a.b\[1\]: a whole number outside the 64-bit range"):
        parse_model_text('dialect = "painsim-drug/1"\na = { b = [1, 1' + "0" * 30 + "] }", "x.toml", "painsim-drug/1")


def test_non_utf8_and_deleted_keys_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "duloxetine.toml"
    path.write_bytes((DRUGS / "duloxetine.toml").read_bytes().replace(b"Duloxetine", b"Dul\xffoxetine", 1))
    with pytest.raises(ModelFileError, match=r"duloxetine.toml: encoding: not UTF-8 \(byte 0xff on line \d+\)"):
        load_drug(path)
    path = _edit(tmp_path, "duloxetine", r"^\[dosing\]\n(.*\n)*?(?=\[\[moieties\]\])", "")
    with pytest.raises(ModelFileError, match=r"duloxetine.toml: top level: missing required key 'dosing'"):
        load_drug(path)


_EXPERIMENT = """dialect = "painsim-experiment/1"
[experiment]
weeks = 4
patients = 10
{extra}
[drugs.duloxetine]
doses = [60]
{sens}
"""


@pytest.mark.parametrize(("extra", "sens", "message"), [
    ('outcomes = [{ a = 1 }]', "", "experiment.outcomes: must be a list of"),
    ('placebo_outcome = ["50pct"]', "", "experiment.placebo_outcome: must be one of"),
    ('condition = ["dpn"]', "", "experiment.condition: must be one of"),
    ("", "[sensitivity]\nparameters = 1.5", "[sensitivity.parameters]: must be a table"),
    ("", "[sensitivity]\nparameters = [[1, 2]]", "[sensitivity.parameters]: must be a table"),
    ("", "[sensitivity]\noutcome = { x = 1 }\n[sensitivity.parameters]\n\"calibration.w_ne\" = { low = 1, high = 2 }",
     "sensitivity.outcome: must be one of"),
    ('physiology = "' + "p" * 400 + '"', "", "experiment.physiology: file"),
    ("", "[parameters]\n\"calibration.w_ne\" = { start = -1e308, stop = 1e308, num = 3 }", "is too wide"),
    ("", "[parameters]\n\"calibration.w_ne\" = { start = 0, stop = 1, step = 1e-300 }", "more than 100000 values"),
    ("seed = 1" + "0" * 30, "", "experiment.seed: a whole number outside the 64-bit range"),
])
def test_experiment_wrong_types_give_the_loaders_error(extra: str, sens: str, message: str) -> None:
    with pytest.raises(ExperimentError) as err:
        parse_experiment(_EXPERIMENT.format(extra=extra, sens=sens), "exp.toml")
    assert message in str(err.value) and str(err.value).startswith("exp.toml: ")


def test_experiment_drug_by_brand() -> None:
    exp = parse_experiment(_EXPERIMENT.format(extra="", sens="").replace("drugs.duloxetine", "drugs.Cymbalta"),
                           "exp.toml")
    assert [d.name for d in exp.drugs] == ["duloxetine"]


def test_experiment_out_of_scope_drug() -> None:
    with pytest.raises(ExperimentError, match=r"drugs.pregabalin: pregabalin is outside painsim's scope"):
        parse_experiment(_EXPERIMENT.format(extra="", sens="").replace("drugs.duloxetine", "drugs.pregabalin"),
                         "exp.toml")


def test_calibration_covariance_must_be_finite(tmp_path: Path) -> None:
    text = (models_dir() / "calibration.toml").read_text(encoding="utf-8")
    assert "ln_covariance" in text
    path = tmp_path / "calibration.toml"
    path.write_text(re.sub(r"(ln_covariance = \[\s*\[)\s*[-0-9.e+]+", r"\1 inf", text, count=1), encoding="utf-8")
    with pytest.raises(ModelFileError, match=r"calibration.toml: ln_covariance: expected a symmetric 4x4 matrix of "
                                             r"finite numbers"):
        parse_calibration(path)


@pytest.mark.parametrize("loader", [parse_physiology, parse_calibration, load_reported_outcomes])
def test_other_loaders_refuse_wrong_types_and_bytes(tmp_path: Path, loader) -> None:
    name = {parse_physiology: "physiology.toml", parse_calibration: "calibration.toml",
            load_reported_outcomes: "reported_outcomes.toml"}[loader]
    data = (models_dir() / name).read_bytes()
    path = tmp_path / name
    for damaged in (data + b"\nzzz = 1" + b"0" * 30 + b"\n", data.replace(b"\n", b"\n\xfe", 1),
                    data.replace(b"value = ", b"value = \"", 1) if b"value = " in data
                    else data.replace(b"simulate = true", b"simulate = 1", 1)):
        path.write_bytes(damaged)
        with pytest.raises(ModelFileError) as err:
            loader(path)
        assert str(err.value).startswith(f"{path}: ") and "\n" not in str(err.value)
