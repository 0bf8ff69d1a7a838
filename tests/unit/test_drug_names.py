"""Drug names: brands with their sources, out-of-scope drugs, unsafe names and users' own drug files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from painsim.drug_names import MAX_NAME, OUT_OF_SCOPE, brand_index, resolve_drug_name
from painsim.library import ModelFileError, UnknownDrugError, bibliography, load_drug, load_library, models_dir
from painsim.steady_state import steady_state

DRUGS = models_dir() / "drugs"

#: brand -> drug: the brands that have a citable label in models/references.bib
BRANDS = {"Cymbalta": "duloxetine", "Savella": "milnacipran", "Fetzima": "levomilnacipran",
          "Lexapro": "escitalopram", "Celexa": "citalopram", "Paxil": "paroxetine", "Zoloft": "sertraline",
          "Prozac": "fluoxetine", "Pamelor": "nortriptyline", "Anafranil": "clomipramine",
          "Strattera": "atomoxetine", "Ludiomil": "maprotiline", "Luvox": "fluvoxamine",
          "Effexor": "venlafaxine", "Effexor XR": "venlafaxine", "Pristiq": "desvenlafaxine",
          "Norpramin": "desipramine"}


@pytest.mark.parametrize("brand", sorted(BRANDS))
def test_brand_resolves_case_insensitively(brand: str) -> None:
    for form in (brand, brand.lower(), brand.upper(), f"  {brand} "):
        assert load_drug(form).name == BRANDS[brand]


def test_every_brand_cites_an_entry_that_names_it() -> None:
    bib = (models_dir() / "references.bib").read_text(encoding="utf-8")
    seen = {}
    for drug in load_library().values():
        for b in drug.brand_names:
            assert b.source in bibliography()
            entry = re.search(r"@\w+\{" + re.escape(b.source) + r",(.*?)\n\}", bib, re.S)
            assert entry and b.name.lower() in entry.group(1).lower(), (b.name, b.source)
            seen[b.name] = drug.name
    assert seen == BRANDS
    assert brand_index() == {k.lower(): v for k, v in BRANDS.items()}


@pytest.mark.parametrize("name", ["pregabalin", "Gabapentin", "tramadol", "tapentadol", "morphine",
                                  "oxycodone", "ibuprofen", "naproxen", "diclofenac", "carbamazepine",
                                  "lidocaine", "capsaicin"])
def test_out_of_scope_drugs_say_so(name: str) -> None:
    assert name.lower() in OUT_OF_SCOPE
    with pytest.raises(UnknownDrugError) as err:
        load_drug(name)
    assert str(err.value) == f"{name.lower()} is outside painsim's scope (not a monoamine reuptake inhibitor)"


def test_unknown_drug_keeps_its_suggestion() -> None:
    with pytest.raises(UnknownDrugError, match=r"unknown drug 'duloxetin'; did you mean 'duloxetine'\?"):
        load_drug("duloxetin")
    with pytest.raises(UnknownDrugError, match=r"did you mean 'cymbalta' \(duloxetine\)"):
        load_drug("cymbalt")
    with pytest.raises(UnknownDrugError, match="unknown drug 'aspirin'"):
        load_drug("aspirin")


@pytest.mark.parametrize("name", ["x" * 300, "a" * (MAX_NAME + 1), "../drugs/duloxetine", "a/b", "a\\b",
                                  "dulox\0etine", "/etc/passwd"])
def test_unsafe_names_never_reach_the_file_system(name: str) -> None:
    with pytest.raises(UnknownDrugError) as err:
        load_drug(name)
    assert "\n" not in str(err.value) and len(str(err.value)) < 300


def test_non_string_name_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="a drug name must be a string or a path"):
        load_drug(3)  # type: ignore[arg-type]


def _copy(tmp_path: Path, name: str = "my_duloxetine.toml") -> Path:
    dst = tmp_path / name
    shutil.copy(DRUGS / "duloxetine.toml", dst)
    return dst


def test_user_drug_file_with_edited_clearance(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    text = path.read_text(encoding="utf-8")
    old = re.search(r"^cl = \{ value = ([0-9.]+), unit = \"L/h\"", text, re.M)
    assert old is not None
    cl = float(old.group(1))
    path.write_text(text.replace(old.group(0), old.group(0).replace(old.group(1), str(2 * cl)), 1),
                    encoding="utf-8")
    base, mine = load_drug("duloxetine"), load_drug(str(path))
    assert mine.name == "duloxetine" and mine.path == str(path)
    assert mine.parent.pk.cl.value == pytest.approx(2 * base.parent.pk.cl.value)
    ratio = steady_state(base, 60.0)[0].cavg / steady_state(mine, 60.0)[0].cavg
    assert ratio == pytest.approx(2.0, rel=1e-9)  # Cavg = F·dose/(CL·tau): inverse in CL/F
    assert load_drug(path).parent.pk.cl.value == mine.parent.pk.cl.value  # a Path works as well


def test_user_drug_file_relative_to_the_current_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _copy(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert load_drug("my_duloxetine.toml").name == "duloxetine"


def test_user_drug_file_is_read_again_after_an_edit(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    first = load_drug(path)
    path.write_text(path.read_text(encoding="utf-8").replace('display_name = "Duloxetine"',
                                                             'display_name = "Mine"'), encoding="utf-8")
    assert load_drug(path).display_name == "Mine" != first.display_name


def test_user_drug_file_may_cite_its_own_bibliography(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace('references = ["', 'references = ["mylab2024", "', 1),
                    encoding="utf-8")
    with pytest.raises(ModelFileError, match=r"my_duloxetine.toml: drug.references: source key 'mylab2024'"):
        load_drug(path)
    (tmp_path / "references.bib").write_text("@misc{mylab2024,\n  title = {My lab notes},\n}\n", encoding="utf-8")
    assert "mylab2024" in load_drug(path).references


@pytest.mark.parametrize("what", ["missing", "directory"])
def test_user_drug_file_missing_or_directory(tmp_path: Path, what: str) -> None:
    path = tmp_path / "nothing.toml"
    if what == "directory":
        path.mkdir()
    with pytest.raises(ModelFileError) as err:
        load_drug(str(path))
    msg = str(err.value)
    assert "\n" not in msg and msg.startswith(f"{path}: file: ")
    assert ("not found" if what == "missing" else "is a directory") in msg


def test_user_drug_file_is_checked_as_strictly(tmp_path: Path) -> None:
    path = _copy(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("[moieties.pk]", "[moieties.pk]\nbogus = 1", 1),
                    encoding="utf-8")
    with pytest.raises(ModelFileError, match=r"moieties\[duloxetine\].pk: unknown key 'bogus'"):
        load_drug(path)


def test_brand_names_are_validated(tmp_path: Path) -> None:
    path = _copy(tmp_path, "duloxetine.toml")
    text = path.read_text(encoding="utf-8")
    cases = {
        'brand_names = [{ name = "Cymbalta", source = "nosuchkey" }]': r"drug.brand_names\[0\].source: source key",
        'brand_names = [{ name = "Cymbalta" }]': r"drug.brand_names\[0\]: missing required key 'source'",
        'brand_names = "Cymbalta"': r"drug.brand_names: expected a list",
        'brand_names = [{ name = "Venlafaxine", source = "label_cymbalta_eu" }]': "a drug's name, not a brand",
        'brand_names = [{ name = "a/b", source = "label_cymbalta_eu" }]': "without '/'",
    }
    for line, pattern in cases.items():
        path.write_text(re.sub(r"^brand_names = .*$", line, text, flags=re.M), encoding="utf-8")
        with pytest.raises(ModelFileError, match=pattern):
            load_drug(path)


def test_resolve_returns_a_path_for_toml_names() -> None:
    assert resolve_drug_name("x/y.TOML") == Path("x/y.TOML")
    assert resolve_drug_name("Cymbalta") == "duloxetine"
