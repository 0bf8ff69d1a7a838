"""One reader for every model file: each declares its dialect, and every error has one form.

For every kind of model file the package reads (drug, physiology, calibration, occupancy fit,
reported outcomes): the shipped files load through the reader, and a missing dialect, another
kind's dialect, a future version, bytes that are not UTF-8, invalid TOML and a field of the wrong
type each give a one-line :class:`ModelFileError` that starts with the file and names the field.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from painsim.calibration import DIALECT as CALIBRATION_DIALECT
from painsim.calibration import parse_calibration
from painsim.library import DIALECT as DRUG_DIALECT
from painsim.library import ModelFileError as LibraryModelFileError
from painsim.library import drug_names, load_drug, parse_drug_file
from painsim.modelfile import (
    ModelFile,
    ModelFileError,
    Value,
    models_dir,
    parse_dialect,
    parse_model_text,
    read_model_file,
)
from painsim.occupancy import load_occupancy_fit
from painsim.occupancy_fit import DIALECT as OCCUPANCY_FIT_DIALECT
from painsim.physiology import DIALECT as PHYSIOLOGY_DIALECT
from painsim.physiology import parse_physiology
from painsim.reported import DIALECT as REPORTED_DIALECT
from painsim.reported import load_reported_outcomes

SRC = Path(__file__).resolve().parents[2] / "src" / "painsim"


@dataclass(frozen=True)
class Kind:
    """One kind of model file: where the shipped one is, its dialect and its loader."""

    name: str
    file: str  # relative to models/
    dialect: str
    load: Callable[[Path], object]
    #: (regex on the shipped text, replacement, field named in the error, expected words)
    wrong_type: tuple[tuple[str, str, str, str], ...]


KINDS = [
    Kind("drug", "drugs/duloxetine.toml", DRUG_DIALECT, parse_drug_file, (
        (r"(?m)^references = \[.*\]$", "references = 3", "drug.references",
         "expected a list of strings, got the whole number 3"),
        (r"(?m)^cl = \{.*\}$", "cl = 1.0", "moieties[duloxetine].pk.cl", "inline table"),
        (r"(?m)^compartments = 1$", "compartments = true", "moieties[duloxetine].pk.compartments",
         "expected a whole number, got true"),
    )),
    Kind("physiology", "physiology.toml", PHYSIOLOGY_DIALECT, parse_physiology, (
        (r"(?m)^km = \{.*\}$", 'km = "0.06 uM"', "serotonin.km", "inline table"),
        (r"(?m)^\[placebo\]$", "placebo = 0.3\n[other]", "top level", "unknown key 'other'"),
    )),
    Kind("calibration", "calibration.toml", CALIBRATION_DIALECT, parse_calibration, (
        (r"(?m)^w_ne = \{ value = [0-9.]+", 'w_ne = { value = "11.2"', "parameters.w_ne.value",
         "expected a number, got the string '11.2'"),
        (r"(?m)^sigma_p = \{.*\}$", "sigma_p = 2.26", "parameters.sigma_p", "expected a table, got the number 2.26"),
        (r'(?m)^(tau_p = \{ value = [0-9.]+, (?:ci_low = [0-9.]+, ci_high = [0-9.]+, )?unit = )"week"', r'\1"day"',
         "parameters.tau_p.unit",
         "expected 'week', got 'day'"),
        (r"(?m)^seed = 2026$", 'seed = "2026"', "seed", "expected a whole number"),
        (r"(?m)^ln_covariance = \[\[[-0-9.e]+,", "ln_covariance = [[-1.0,", "ln_covariance",
         "symmetric 4x4 matrix"),
    )),
    Kind("occupancy fit", "occupancy_fit.toml", OCCUPANCY_FIT_DIALECT, lambda p: load_occupancy_fit.__wrapped__(p), (
        (r"(?m)^value = ([0-9.]+)$", r'value = "\1"', "ec50[0].value", "expected a number"),
        (r'(?m)^target = "net"$', 'target = "dat"', "ec50[0].target", "expected 'sert' or 'net', got 'dat'"),
        (r"(?m)^s = [0-9.]+$", "s = -1.0", "scaling.s", "must be positive"),
    )),
    Kind("reported outcomes", "reported_outcomes.toml", REPORTED_DIALECT, load_reported_outcomes, (
        (r"(?m)^simulate = true$", 'simulate = "yes"', "outcome[finnerup2015_tca_np_50].simulate",
         "expected true or false, got the string 'yes'"),
        (r"(?m)^weeks = 6$", "weeks = 6.5", "outcome[finnerup2015_tca_np_50].weeks", "expected a whole number"),
        (r"(?m)^nnt_ci = \[3.0, 4.4\]$", "nnt_ci = [4.4, 3.0]", "outcome[finnerup2015_tca_np_50].nnt_ci",
         "low <= high"),
        (r'(?m)^condition = "mixed"$', 'condition = "migraine"', "outcome[finnerup2015_tca_np_50].condition",
         "expected one of"),
        (r'(?m)^arms = \[\{ drug = "amitriptyline"', 'arms = [{ drug = "aspirin"',
         "outcome[finnerup2015_tca_np_50].arms[0].drug", "not in the drug library"),
    )),
]
IDS = [k.name for k in KINDS]


def _shipped(kind: Kind) -> Path:
    return models_dir() / kind.file


def _copy(tmp_path: Path, kind: Kind, text: str | bytes) -> Path:
    p = tmp_path / Path(kind.file).name  # a drug file's stem must stay the drug's name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    return p


def _refused(kind: Kind, path: Path, field: str, *expect: str) -> str:
    with pytest.raises(ModelFileError) as err:
        kind.load(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: {field}: "), msg
    for words in expect:
        assert words in msg, msg
    assert "\n" not in msg
    return msg


def _with_dialect(kind: Kind, line: str) -> str:
    text = _shipped(kind).read_text(encoding="utf-8")
    old = f'dialect = "{kind.dialect}"'
    assert text.count(old) == 1, "the shipped file declares its dialect once"
    return text.replace(old, line)


# --------------------------------------------------------------------------------------------
# the shipped files


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_shipped_file_declares_its_dialect_and_loads(kind: Kind):
    data, doc = read_model_file(_shipped(kind), kind.dialect)
    assert doc["dialect"] == kind.dialect and data
    assert kind.load(_shipped(kind))


@pytest.mark.parametrize("name", drug_names())
def test_every_shipped_drug_file_loads_through_the_reader(name: str):
    path = models_dir() / "drugs" / f"{name}.toml"
    assert read_model_file(path, DRUG_DIALECT)[1]["drug"]["name"] == name
    assert load_drug(name).name == name


def test_every_dialect_is_named_by_the_rule():
    dialects = [parse_dialect(k.dialect) for k in KINDS]
    assert [d.kind for d in dialects] == ["drug", "physiology", "calibration", "occupancy-fit",
                                           "reported-outcomes"]
    assert all(d.version == 1 for d in dialects)


# --------------------------------------------------------------------------------------------
# the same errors for every kind


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_missing_dialect(kind: Kind, tmp_path: Path):
    path = _copy(tmp_path, kind, _with_dialect(kind, ""))
    _refused(kind, path, "dialect", "missing", f'dialect = "{kind.dialect}"')


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_dialect_of_another_kind(kind: Kind, tmp_path: Path):
    other = next(k for k in KINDS if k is not kind).dialect
    path = _copy(tmp_path, kind, _with_dialect(kind, f'dialect = "{other}"'))
    _refused(kind, path, "dialect", f"expected {kind.dialect!r}, got {other!r}",
             f"not {parse_dialect(kind.dialect).kind!r}")


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_malformed_dialect(kind: Kind, tmp_path: Path):
    path = _copy(tmp_path, kind, _with_dialect(kind, 'dialect = "painsim"'))
    _refused(kind, path, "dialect", f"expected {kind.dialect!r}, got 'painsim'", "painsim-<kind>/<version>")
    path = _copy(tmp_path, kind, _with_dialect(kind, "dialect = 1"))
    _refused(kind, path, "dialect", "got the whole number 1")


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_future_version(kind: Kind, tmp_path: Path):
    future = kind.dialect.replace("/1", "/2")
    path = _copy(tmp_path, kind, _with_dialect(kind, f'dialect = "{future}"'))
    _refused(kind, path, "dialect", "version 2 is newer than this painsim reads (version 1)", "upgrade painsim")


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_bytes_that_are_not_utf8(kind: Kind, tmp_path: Path):
    data = _shipped(kind).read_bytes()
    bad = data.replace(b"dialect", b"\xff\xfe dialect", 1)  # Latin-1 / UTF-16 debris
    path = _copy(tmp_path, kind, bad)
    line = data[:data.index(b"dialect")].count(b"\n") + 1
    _refused(kind, path, "encoding", f"not UTF-8 (byte 0xff on line {line})", "save the file as UTF-8")


@pytest.mark.parametrize("kind", KINDS, ids=IDS)
def test_invalid_toml(kind: Kind, tmp_path: Path):
    text = _shipped(kind).read_text(encoding="utf-8") + "\n[[[\n"
    path = _copy(tmp_path, kind, text)
    _refused(kind, path, "syntax", "not valid TOML (")


@pytest.mark.parametrize("kind", [k for k in KINDS if k.name != "occupancy fit"],
                         ids=[n for n in IDS if n != "occupancy fit"])
def test_missing_file(kind: Kind, tmp_path: Path):
    _refused(kind, tmp_path / Path(kind.file).name, "file", "not found")


def test_missing_occupancy_fit_is_empty(tmp_path: Path):
    assert load_occupancy_fit.__wrapped__(str(tmp_path / "occupancy_fit.toml")) == {}


def test_directory_is_not_a_model_file(tmp_path: Path):
    d = tmp_path / "physiology.toml"
    d.mkdir()
    with pytest.raises(ModelFileError, match=re.escape(f"{d}: file: is a directory")):
        read_model_file(d, PHYSIOLOGY_DIALECT)


@pytest.mark.parametrize(
    ("kind", "case"),
    [(k, c) for k in KINDS for c in k.wrong_type],
    ids=[f"{k.name}:{c[2]}" for k in KINDS for c in k.wrong_type],
)
def test_field_of_the_wrong_type(kind: Kind, case: tuple[str, str, str, str], tmp_path: Path):
    pattern, replacement, field, expect = case
    text, n = re.subn(pattern, replacement, _shipped(kind).read_text(encoding="utf-8"), count=1)
    assert n == 1, f"the shipped {kind.file} no longer matches {pattern!r}"
    _refused(kind, _copy(tmp_path, kind, text), field, expect)


# --------------------------------------------------------------------------------------------
# the reader's parts


def test_shipped_paths_are_shown_relative_to_the_package():
    f = ModelFile(models_dir() / "physiology.toml")
    assert str(f.fail("serotonin.km", "required")) == "models/physiology.toml: serotonin.km: required"


def test_parse_model_text_checks_the_dialect_without_a_file():
    doc = parse_model_text('\ufeffdialect = "painsim-experiment/1"\nx = 1\n', "exp.toml", "painsim-experiment/1")
    assert doc == {"dialect": "painsim-experiment/1", "x": 1}  # a byte-order mark is tolerated
    with pytest.raises(ModelFileError, match=r"^exp\.toml: dialect: expected 'painsim-experiment/1'"):
        parse_model_text('dialect = "painsim-experiment/3"\n', "exp.toml", "painsim-experiment/1")


def test_parse_dialect():
    assert parse_dialect("painsim-reported-outcomes/12").version == 12
    assert str(parse_dialect("painsim-occupancy-fit/1")) == "painsim-occupancy-fit/1"
    for bad in ("painsim-drug", "painsim-drug/0", "painsim-Drug/1", "other-drug/1", "painsim-drug/1.1"):
        with pytest.raises(ValueError, match="painsim-<kind>/<version>"):
            parse_dialect(bad)


@pytest.mark.parametrize(
    ("raw", "kind", "expect"),
    [
        (True, "number", "expected a number, got true"),
        (3, "string", "expected a string, got the whole number 3"),
        ({"a": 1}, "list", "expected a list, got a table"),
        ([1, "a"], "numbers", "expected a list of numbers, got a list of 2"),
        (["a", 1], "strings", "expected a list of strings"),
        ([{}, 1], "tables", "expected a list of tables"),
        (1.5, "integer", "expected a whole number, got the number 1.5"),
        (float("inf"), "number", "must be finite"),
        (None, "string", "missing: a string is required"),
    ],
)
def test_plain_fields_are_type_checked(raw, kind: str, expect: str):
    with pytest.raises(ModelFileError) as err:
        ModelFile("f.toml").plain("a.b", raw, kind)
    assert str(err.value).startswith(f"f.toml: a.b: {expect}")


def test_plain_fields_pass_through():
    f = ModelFile("f.toml")
    assert f.plain("a", 2, "integer", choices=(1, 2)) == 2
    assert f.plain("a", None, "string", optional=True) is None
    assert f.plain("a", [1, 2.5], "numbers", positive=True) == [1, 2.5]
    with pytest.raises(ModelFileError, match="expected 1 or 2, got 3"):
        f.plain("a", 3, "integer", choices=(1, 2))


def test_sourced_value_checks_source_type():
    f = ModelFile("f.toml", bib=frozenset({"smith2001"}))
    assert isinstance(f.sourced_value("x", {"value": 1, "unit": "h", "source": "smith2001"}, "time"), Value)
    with pytest.raises(ModelFileError, match=r"^f\.toml: x: 'source' must be a key or a list of keys$"):
        f.sourced_value("x", {"value": 1, "unit": "h", "source": 3}, "time")
    with pytest.raises(ModelFileError, match=r"^f\.toml: x: 'range' must be two numbers"):
        f.sourced_value("x", {"value": 1, "unit": "h", "source": "smith2001", "range": [1]}, "time")


def test_library_reexports_the_reader_names():
    assert LibraryModelFileError is ModelFileError
    from painsim.library import Value as LibraryValue
    from painsim.library import bibliography
    from painsim.library import models_dir as library_models_dir

    assert LibraryValue is Value and library_models_dir is models_dir and bibliography()


# --------------------------------------------------------------------------------------------
# no module reaches into the reader's or the library's private names


def _private_uses(tree: ast.AST) -> list[str]:
    guarded = {"painsim.library", "painsim.modelfile"}
    aliases: set[str] = set()  # local names bound to a guarded module
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in guarded:
            found += [f"from {node.module} import {a.name}" for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.ImportFrom) and node.module == "painsim":
            aliases |= {a.asname or a.name for a in node.names if f"painsim.{a.name}" in guarded}
        elif isinstance(node, ast.Import):
            aliases |= {a.asname for a in node.names if a.name in guarded and a.asname}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            base = ast.unparse(node.value)
            if base in aliases or base in guarded:
                found.append(f"{base}.{node.attr}")
    return found


def test_no_module_imports_a_private_name_of_the_reader_or_the_library():
    offenders = {}
    for path in sorted(SRC.rglob("*.py")):
        uses = _private_uses(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        if uses:
            offenders[str(path.relative_to(SRC))] = uses
    assert not offenders, offenders


def test_the_private_name_check_finds_offenders():
    code = ("from painsim.library import _Ctx, load_drug\nimport painsim.modelfile as mf\nmf._describe(1)\n"
            "from painsim import library\nlibrary._suggest('x')\n")
    assert _private_uses(ast.parse(code)) == ["from painsim.library import _Ctx", "mf._describe",
                                              "library._suggest"]
