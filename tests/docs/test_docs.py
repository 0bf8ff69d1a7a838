"""The documentation site builds with warnings as errors, and the tutorial's script runs.

The site build (``mkdocs build --strict``) also checks the API reference: mkdocstrings/griffe
report docstring problems as warnings, which the strict build turns into a failure.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from html import unescape
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TUTORIAL_SCRIPT = ROOT / "docs" / "tutorial" / "change_one_parameter.py"
TOML_EXPERIMENTS = ("dose_sweep_snri", "selectivity_map", "sensitivity_duloxetine")


def _env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "src"), *filter(None, [env.get("PYTHONPATH")])])
    env["NO_MKDOCS_2_WARNING"] = "1"  # mkdocs-material's banner about MkDocs 2.0 (not a build warning)
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    proc = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
                          cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=600)
    if proc.returncode != 0:
        print(proc.stdout)
        print(proc.stderr, file=sys.stderr)
    assert proc.returncode == 0, f"mkdocs build --strict failed:\n{proc.stderr[-5000:]}"
    return out


def _page(site: Path, name: str) -> str:
    path = site / name / "index.html" if name else site / "index.html"
    assert path.is_file(), f"{path.relative_to(site)} was not built"
    return path.read_text(encoding="utf-8")


def _hooks():
    spec = importlib.util.spec_from_file_location("painsim_docs_hooks", ROOT / "docs" / "hooks.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------------------------
# the site


def test_site_builds_strict_with_every_page(site: Path):
    for name in ("", "getting-started", "tutorial", "explore", "model", "parameters", "gallery", "benchmarks", "api"):
        _page(site, name)
    for module in ("library", "regimen", "pk", "occupancy", "synapse", "dorsal_horn", "population",
                   "simulate", "trial", "validate", "sweep", "sensitivity", "kernels", "figures"):
        assert f'id="painsim.{module}"' in _page(site, f"api/{module}"), module


def test_api_reference_documents_the_curated_api(site: Path):
    top = _page(site, "api")
    for name in ("run_trial", "load_drug", "DrugSpec.with_value", "Regimen", "patient_course"):
        assert f'id="painsim.{name}"' in top, name
    assert 'id="painsim.trial.run_trial"' in _page(site, "api/trial")


def test_tutorial_page_shows_the_tested_script(site: Path):
    html = _page(site, "tutorial")
    assert "duloxetine.occupancy.net.ec50" in html  # the snippet was included
    assert "responders.png" in html
    assert (site / "tutorial" / "change_one_parameter.py").read_text() == TUTORIAL_SCRIPT.read_text()


def test_explore_page_has_the_teachers_guide_and_a_screenshot(site: Path):
    html = _page(site, "explore")
    text = unescape(re.sub(r"<[^>]+>", "", html))  # code blocks are highlighted span by span
    assert "For teachers" in text and "painsim explore --port 8765 --no-browser" in text
    assert "explore-screenshot" not in html or (site / "explore-screenshot.png").is_file()
    if os.environ.get("PAINSIM_REQUIRE_BROWSER", "").strip() not in ("", "0"):  # CI has Chromium: the shot is taken
        shot = (site / "explore-screenshot.png").read_bytes()
        assert shot[:8] == b"\x89PNG\r\n\x1a\n" and len(shot) > 20_000
        assert 'src="../explore-screenshot.png"' in html


def test_gallery_lists_every_experiment(site: Path):
    html = _page(site, "gallery")
    text = unescape(re.sub(r"<[^>]+>", "", html))  # code blocks are highlighted span by span
    for name in TOML_EXPERIMENTS:
        assert f'id="toml-{name}"' in html, name
        assert f"painsim sweep experiments/{name}.toml" in text
    assert "painsim sensitivity experiments/sensitivity_duloxetine.toml" in text
    modules = ROOT / "src" / "painsim" / "experiments"
    for path in sorted(modules.glob("*.py")) if modules.is_dir() else []:
        if not path.name.startswith("_"):
            assert f"python -m painsim.experiments.{path.stem}" in text, path.name


def test_parameters_page_lists_every_value_of_the_model_files(site: Path):
    """Every value table (value + unit) of the physiology and drug files has a row with its source."""
    import tomllib

    text = unescape(re.sub(r"<[^>]+>", "", _page(site, "parameters")))
    models = ROOT / "src" / "painsim" / "models"
    phys = tomllib.loads((models / "physiology.toml").read_text())
    n_phys = 0
    for section, table in phys.items():
        for key, v in table.items() if isinstance(table, dict) else ():
            if isinstance(v, dict) and "value" in v and "unit" in v:
                n_phys += 1
                assert f"{section}.{key}" in text, f"{section}.{key}"
    assert n_phys > 15
    assert "Mena et al. 2024 (mena2024)" in text  # a source resolved to author and year
    for path in sorted((models / "drugs").glob("*.toml")):
        drug = tomllib.loads(path.read_text())
        parent = drug["moieties"][0]["name"]
        assert f"{parent}.pk." in text, path.name


# --------------------------------------------------------------------------------------------
# the gallery hook on its own (no painsim import; missing folders; a linked experiments folder)


def _fake_repo(root: Path, *, link: bool) -> None:
    pkg = root / "src" / "painsim" / "experiments"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text('"""Experiments."""\nCLAIM_EXPERIMENTS = ("b_second", "a_first")\n')
    (pkg / "_helper.py").write_text('"""Not an experiment."""\n')
    (pkg / "a_first.py").write_text(
        '"""Smith 2001: a title that is wrapped\nover two lines.\n\nSource: Smith (``smith2001``).\n"""\n'
        'CLAIM: str = ("A claim " "in two parts.")\nSOURCES: tuple[str, ...] = ("smith2001",)\n')
    (pkg / "b_second.py").write_text('"""Jones 2002: one line."""\nCLAIM = "Another."\nSOURCES = ("jones2002",)\n')
    (pkg / "sweep_one.toml").write_text('# What it shows: a * b_c.\n#\n# Sources: smith2001.\n#\n# Run:  painsim sweep'
                                        ' experiments/sweep_one.toml (fast)\n\n[experiment]\nname = "sweep_one"\n'
                                        'description = "One sweep"\nweeks = 4\n[drugs.duloxetine]\ndoses = [60]\n')
    if link:
        (root / "experiments").symlink_to(pkg, target_is_directory=True)
    models = root / "models"
    models.mkdir()
    (models / "references.bib").write_text(
        "@article{smith2001,\n  author = {Smith, A. and Doe, B.},\n  title = {A {Study}},\n  year = {2001},\n}\n")


@pytest.mark.parametrize("link", [False, True])
def test_gallery_hook_reads_files_without_importing(tmp_path: Path, link: bool):
    hooks = _hooks()
    _fake_repo(tmp_path, link=link)
    md = hooks.gallery_markdown(tmp_path)
    assert md.count("{#toml-sweep_one}") == 1  # found once even through the link
    where = "experiments" if link else "src/painsim/experiments"
    assert f"painsim sweep {where}/sweep_one.toml" in md
    assert "a \\* b\\_c" in md and "(fast)" in md
    assert "Smith 2001: a title that is wrapped over two lines {#module-a_first}" in md
    assert "A claim in two parts." in md and "python -m painsim.experiments.a_first" in md
    assert "`smith2001`: Smith, A. et al. (2001). *A Study*." in md
    assert "`jones2002` (not in models/references.bib)" in md
    assert md.index("module-b_second") < md.index("module-a_first")  # the order of CLAIM_EXPERIMENTS
    assert "_helper" not in md


def test_gallery_hook_without_experiment_folders(tmp_path: Path):
    md = _hooks().gallery_markdown(tmp_path)
    assert "No experiment files found" in md and "None yet" in md


# --------------------------------------------------------------------------------------------
# the tutorial's script


def test_tutorial_script_is_short():
    lines = TUTORIAL_SCRIPT.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 20, f"{len(lines)} lines"
    tutorial = (ROOT / "docs" / "tutorial.md").read_text(encoding="utf-8")
    assert '--8<-- "docs/tutorial/change_one_parameter.py"' in tutorial


def test_tutorial_script_runs_and_writes_its_figure(tmp_path: Path):
    proc = subprocess.run([sys.executable, str(TUTORIAL_SCRIPT), "40"], cwd=tmp_path,
                          env=_env(MPLBACKEND="Agg"), capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-5000:]
    png = tmp_path / "responders.png"
    assert png.is_file() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    out = proc.stdout.splitlines()
    assert len(out) == 2 and out[0].startswith("as in the library:") and out[1].startswith("NET EC50 halved:")
