"""The explorer without a browser: the app object builds without a server, every view renders for a
drug of each class, mechanism switches act through the public API, bad input is refused with a
message (never a traceback), and the "as a script" export reproduces the page's numbers."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pn = pytest.importorskip("panel")
# Panel 1.9 announces that widgets' `name` and `button_type` become `label` and `color` in 2.0; the
# explorer keeps the spelling that works from Panel 1.4 on
pytestmark = pytest.mark.filterwarnings("ignore::PendingDeprecationWarning")

from painsim.explore.model import KNOCKOUT_EC50, VIEWS, ExplorerModel, Settings, SettingsError  # noqa: E402
from painsim.explore.script import as_script  # noqa: E402
from painsim.explore.views import CAPTIONS, render, view_figure  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
#: one drug per class: SNRI, SSRI, NRI, TCA (a TCA with an active metabolite)
CLASS_DRUGS = ("duloxetine", "escitalopram", "reboxetine", "amitriptyline")
N = 100  # patients per arm: enough to draw, fast


@pytest.fixture(scope="module")
def model() -> ExplorerModel:
    return ExplorerModel()


def _env(**extra: str) -> dict[str, str]:
    """The environment of a child process that imports the painsim under test."""
    path = os.pathsep.join([str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])])
    return dict(os.environ, PYTHONPATH=path, **extra)


def _png(data: bytes) -> None:
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 10_000


@pytest.mark.parametrize("drug", CLASS_DRUGS)
@pytest.mark.parametrize("view", list(VIEWS))
def test_each_view_renders_for_each_class(model, drug, view):
    s = model.defaults(drug).replace(view=view, n_per_arm=N, compare="venlafaxine")
    res = model.compute(s)
    fig = view_figure(res)
    axes = fig.get_axes()
    assert axes and all(ax.get_xlabel() for ax in axes), "every axis is labelled"
    _png(render(fig, "png"))
    assert render(fig, "svg").lstrip().startswith((b"<?xml", b"<svg"))
    # the comparison drug is drawn too (dashed), except in the NNT view, which lists it as a row
    if view != "nnt":
        assert any(line.get_linestyle() == "--" for ax in axes for line in ax.get_lines())
    assert len(CAPTIONS[view].split(". ")) == 2, "a caption is two sentences"


def test_app_builds_without_a_server(model):
    from painsim.explore.app import build_app

    app = build_app(model)
    assert isinstance(app.layout, pn.layout.Panel)
    assert app.summary.object.startswith("**Week 12: Duloxetine 60 mg/day")
    assert "NNT" in app.summary.object and app.figure.object is not None
    assert not app.error.visible
    before = app.results.main.trial.p_drug
    app.net.value = False  # a watched widget: the page redraws
    assert app.settings.net_effect is False
    assert app.results.main.trial.p_drug < before
    app.view.value = "occupancy"
    assert app.results.main.dose_curve is not None and "occupancy" in app.caption.object.lower()


def test_dose_controls_change_the_nnt(model):
    import param

    from painsim.explore.app import build_app

    app = build_app(model)
    nnt0 = app.results.main.trial.nnt
    with param.edit_constant(app.dose):
        app.dose.value = 120.0
        app.dose.value_throttled = 120.0
    assert app.settings.dose == 120.0 and app.results.main.trial.nnt != nnt0
    assert app.dose_text.value == "120"  # the typed entry follows the slider
    app.dose_text.value = "30"
    assert app.settings.dose == 30.0 and app.dose.value == 30.0
    app.drug.value = "reboxetine"  # the dose follows the drug: its reference dose, its slider range
    assert app.settings.dose == 8.0 and app.dose.end == 24.0


def test_mechanism_switches_use_the_public_knobs(model):
    s = model.defaults("duloxetine").replace(n_per_arm=N)
    assert model.edits(s) == ()
    drug, phys, cal = model.inputs(s.replace(net_effect=False, desensitisation=False, w_ne=2.0, gain_5ht=0.5))
    assert drug.overrides["duloxetine.occupancy.net.ec50"] == KNOCKOUT_EC50
    assert phys["serotonin.desensitisation_tau"] == 1e12 and phys["serotonin.feedback_gain"] == 0.5
    assert cal.w_ne == 2.0
    # both moieties of amitriptyline lose their NET effect; a drug that does not bind SERT has nothing to remove
    ami = model.edits(model.defaults("amitriptyline").replace(net_effect=False))
    assert {e.path for e in ami} == {"amitriptyline.occupancy.net.ec50", "nortriptyline.occupancy.net.ec50"}
    # only the moieties that bind a transporter get an edit
    import painsim

    for name in ("reboxetine", "escitalopram", "venlafaxine"):
        binds = [m.name for m, how in zip(model.drug(name).moieties, painsim.occupancy_params(model.drug(name), "net")
                                          .method, strict=True) if how != "none"]
        edits = model.edits(model.defaults(name).replace(net_effect=False))
        assert [e.path for e in edits] == [f"{m}.occupancy.net.ec50" for m in binds]
    # a weaker NET block lowers NET occupancy
    base = model.compute(s.replace(view="occupancy")).main.occ_day["net"].mean()
    weak = model.compute(s.replace(view="occupancy", net_ec50_factor=3.0)).main.occ_day["net"].mean()
    assert weak < base


def test_the_explorer_uses_only_the_public_api():
    """Every painsim name the explorer's modules import is public: in painsim.__all__, the explorer's
    own, or one of the few named here (the reader of the reported outcomes, the figure style)."""
    import ast

    import painsim

    allowed = {"painsim.reported.load_reported_outcomes", "painsim.figures.style.CLASS_COLOURS",
               "painsim.figures.style.PALETTE", "painsim.figures.style.TARGET_COLOURS", "painsim.figures.style.style"}
    for path in sorted((ROOT / "src" / "painsim" / "explore").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("painsim"):
                for alias in node.names:
                    name = f"{node.module}.{alias.name}"
                    ok = (alias.name in painsim.__all__ or name in allowed or node.module.startswith("painsim.explore"))
                    assert ok, f"{path.name} imports {name}, not public API"
            elif isinstance(node, ast.Import):
                assert not any(a.name.startswith("painsim") for a in node.names), path.name


def test_out_of_range_settings_are_refused(model):
    s = model.defaults("duloxetine")
    for bad in (s.replace(dose=0.0), s.replace(dose=241.0), s.replace(dose=float("nan")), s.replace(n_per_arm=10),
                s.replace(weeks=0), s.replace(drug="aspirin"), s.replace(w_ne=-1.0), s.replace(net_ec50_factor=0.0)):
        with pytest.raises(SettingsError):
            model.check(bad)


def test_typed_entries_are_refused_next_to_the_control(model):
    from painsim.explore.app import build_app

    app = build_app(model)
    good = app.settings
    for key, widget, text in (("patients", app.patients, "lots"), ("patients", app.patients, "10"),
                              ("seed", app.seed, "-1"), ("dose", app.dose_text, "1e9"), ("dose", app.dose_text, "")):
        widget.value = text
        assert app.msg[key].object.startswith("refused:"), (key, text)
        assert "\n" not in app.msg[key].object and app.settings == good
    app.patients.value = "200"
    assert app.msg["patients"].object == "" and app.settings.n_per_arm == 200


def test_a_failure_is_one_line_in_the_page(model, monkeypatch):
    from painsim.explore.app import build_app

    app = build_app(model)

    def broken(*_a, **_k):
        raise RuntimeError("kernel exploded\nwith a second line")

    monkeypatch.setattr(app.model, "compute", broken)
    app.condition.value = "phn"
    assert app.error.visible
    assert app.error.object.startswith("could not redraw (RuntimeError: kernel exploded)")
    assert "Traceback" not in app.error.object and "\n" not in app.error.object


def test_exports(model):
    from painsim.explore.app import build_app

    app = build_app(model, Settings(n_per_arm=N))
    _png(app._export("png").getvalue())
    assert b"<svg" in app._export("svg").getvalue()
    text = app._export_script().getvalue().decode()
    compile(text, "painsim_explore.py", "exec")


@pytest.mark.parametrize("view", list(VIEWS))
def test_script_of_each_view_runs(model, view, tmp_path, monkeypatch):
    s = model.defaults("amitriptyline").replace(view=view, n_per_arm=40, sert_effect=False)
    monkeypatch.chdir(tmp_path)
    exec(compile(as_script(model, s), f"script_{view}.py", "exec"), {"__name__": "__main__"})
    assert (tmp_path / f"painsim_{view}.png").stat().st_size > 5_000


def test_script_reproduces_the_page(model, tmp_path):
    """The exported script, run as a separate program, prints the page's trial result exactly."""
    s = model.defaults("duloxetine").replace(view="synapse", n_per_arm=N, seed=7, net_effect=False, gain_5ht=0.3,
                                             w_ne=10.0, desensitisation=False, outcome="30pct", condition="phn")
    res = model.compute(s)
    script = tmp_path / "painsim_explore.py"
    script.write_text(as_script(model, s))
    r = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=_env(MPLBACKEND="Agg"), capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    p_drug, p_placebo, nnt = r.stdout.split()
    t = res.main.trial
    assert (float(p_drug), float(p_placebo)) == (t.p_drug, t.p_placebo)
    assert (None if nnt == "None" else float(nnt)) == t.nnt
    assert (tmp_path / "painsim_synapse.png").is_file()
    assert "import painsim" in script.read_text() and "painsim.explore" not in script.read_text()


def test_a_users_drug_file(tmp_path):
    """`painsim explore --drug FILE`: offered after the library under its file's name, and its script
    loads the file the same way (its derived EC50s recomputed from the file)."""
    import shutil

    from painsim.cli.options import load_cli_drug
    from painsim.library import models_dir

    path = tmp_path / "my_duloxetine.toml"
    shutil.copy(models_dir() / "drugs" / "duloxetine.toml", path)
    model = ExplorerModel({"duloxetine (my_duloxetine.toml)": load_cli_drug(str(path))})
    assert model.drug_names()[-1] == "duloxetine (my_duloxetine.toml)" and "duloxetine" in model.drug_names()
    s = Settings(drug="duloxetine (my_duloxetine.toml)", dose=60.0, n_per_arm=N, view="nnt")
    res = model.compute(s)
    assert res.main.reported, "the reported NNTs of the drug the file describes"
    text = as_script(model, s)
    assert "with_own_ec50s(painsim.load_drug(" in text
    ns: dict = {"__name__": "__main__"}
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(text, "script.py", "exec"), ns)
    finally:
        os.chdir(cwd)
    assert ns["trial"].p_drug == res.main.trial.p_drug


def test_dose_curve_starts_at_zero_and_rises(model):
    res = model.compute(model.defaults("duloxetine").replace(view="occupancy", n_per_arm=N))
    doses, occ = res.main.dose_curve
    assert doses[0] == 0.0 and occ["sert"][0] == 0.0 and doses[-1] == 240.0
    assert np.all(np.diff(occ["sert"]) > 0)


def test_cli_refuses_a_bad_port_in_one_line():
    import socket

    from painsim.cli import main

    r = subprocess.run([sys.executable, "-m", "painsim", "explore", "--port", "70000", "--no-browser"],
                       capture_output=True, text=True, env=_env(), timeout=120)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "--port" in r.stderr
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        taken = s.getsockname()[1]
        assert main(["explore", "--port", str(taken), "--no-browser"]) == 2
