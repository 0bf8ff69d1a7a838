"""The command line with users' own model files, shipped experiments by name, warnings, help
that teaches, and nothing written into the installed package (in-process: ``painsim.cli.main``)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from painsim.cli import main
from painsim.library import load_drug, load_library, models_dir, parse_drug_file
from painsim.occupancy import occupancy_params
from painsim.occupancy_fit import with_own_ec50s


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture(autouse=True)
def _no_model_file_defaults():
    # --physiology/--calibration set these for the whole process: keep each test's to itself
    import os

    saved = {k: os.environ.pop(k, None) for k in ("PAINSIM_CALIBRATION", "PAINSIM_PHYSIOLOGY")}
    yield
    for k, v in saved.items():
        os.environ.pop(k, None)
        if v is not None:
            os.environ[k] = v


@pytest.mark.parametrize(("argv", "needle"), [
    (("trial", "--drug", "duloxetine", "--dose", "60", "--weeks", "4", "--seed", "9" * 23), "--seed"),
    (("trial", "--drug", "duloxetine", "--dose", "60", "--weeks", "4", "--missed-doses", "abc"), "--missed-doses"),
    (("trial", "--drug", "duloxetine", "--dose", "60", "--weeks", "4", "--missed-doses", "nan"), "--missed-doses"),
    (("trial", "--drug", "duloxetine", "--dose", "60", "--weeks", "4", "--calibration", "no_such.toml"),
     "no such file"),
    (("calibrate", "--out", "c.toml", "--in-place"), "not both"),
    (("calibrate", "--out", "no_such_folder/c.toml"), "does not exist"),
    (("fit-occupancy", "--out", "no_such_folder/f.toml"), "does not exist"),
    (("fit-occupancy", "--out", "."), "is a folder"),
    (("experiment", "nope"), "no claim experiment"),
    (("sweep", "no_such_experiment"), "no experiment file or shipped experiment"),
])
def test_bad_input_is_one_line_and_exit_2(capsys, tmp_path, monkeypatch, argv, needle):
    monkeypatch.chdir(tmp_path)
    code, out, err = cli(capsys, *argv)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and needle in err


def test_trial_warnings_on_stderr_and_in_json(capsys):
    code, out, err = cli(capsys, "trial", "--drug", "duloxetine", "--dose", "20", "--weeks", "2", "--patients", "12",
                         "--model-draws", "0", "--json")
    assert code == 0
    warnings = json.loads(out)["warnings"]
    assert len(warnings) == 2 and "12 patients per arm" in warnings[0] and "label range 60-120" in warnings[1]
    assert err.count("painsim: warning:") == 2
    code, out, err = cli(capsys, "trial", "--drug", "duloxetine", "--dose", "60", "--weeks", "2", "--patients", "40",
                         "--model-draws", "0", "--json")
    assert code == 0 and json.loads(out)["warnings"] == [] and err == ""


def test_own_calibration_file_changes_the_trial(capsys, tmp_path):
    shipped = (models_dir() / "calibration.toml").read_text(encoding="utf-8")
    value = re.search(r"(?m)^w_ne = \{ value = ([0-9.]+)", shipped).group(1)
    mine = tmp_path / "weak_ne.toml"
    weak_value = f"{float(value) / 24:.6g}"
    mine.write_text(shipped.replace(f"w_ne = {{ value = {value}", f"w_ne = {{ value = {weak_value}", 1),
                    encoding="utf-8")
    args = ("trial", "--drug", "reboxetine", "--dose", "8", "--weeks", "6", "--patients", "400", "--model-draws", "0",
            "--json")
    _, out, _ = cli(capsys, *args)
    _, out_mine, _ = cli(capsys, *args, "--calibration", str(mine))
    base, weak = json.loads(out), json.loads(out_mine)
    # a NET-selective drug acts through w_NE: a 24x smaller weight must cost most of its effect
    assert weak["p_drug"] - weak["p_placebo"] < 0.5 * (base["p_drug"] - base["p_placebo"])


def test_with_own_ec50s_reproduces_the_shipped_fit_for_every_shipped_drug():
    for drug in load_library().values():
        own = with_own_ec50s(drug)
        for target in ("sert", "net"):
            a, b = occupancy_params(drug, target).ec50, occupancy_params(own, target).ec50
            np.testing.assert_allclose(b, a, rtol=1e-5)  # the shipped file keeps 6 significant digits


def test_an_edited_drug_file_needs_and_gets_its_own_ec50s(tmp_path):
    text = (models_dir() / "drugs" / "venlafaxine.toml").read_text(encoding="utf-8")
    path = tmp_path / "venlafaxine.toml"
    # ten times the affinity of ODV for NET: its derived EC50 must be ten times lower
    path.write_text(text.replace('ki_net = { value = 558.4,', 'ki_net = { value = 55.84,'), encoding="utf-8")
    mine = parse_drug_file(path)
    with pytest.raises(Exception, match="outside the shipped library needs its own"):
        occupancy_params(mine, "net")
    own = occupancy_params(with_own_ec50s(mine), "net").ec50
    shipped = occupancy_params(load_drug("venlafaxine"), "net").ec50
    assert own[1] == pytest.approx(shipped[1] / 10, rel=1e-5)


def test_calibrate_and_fit_occupancy_leave_the_package_alone(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shipped = models_dir() / "occupancy_fit.toml"
    before = shipped.read_bytes()
    code, out, _ = cli(capsys, "fit-occupancy")
    assert code == 0 and (tmp_path / "occupancy_fit.toml").is_file() and "--in-place" in out
    assert shipped.read_bytes() == before
    # the written fit is the shipped one, date and version aside
    strip = re.compile(r'(?m)^(date|painsim_version) = ".*"$')
    assert strip.sub("", (tmp_path / "occupancy_fit.toml").read_text()) == strip.sub("", before.decode())


def test_experiments_lists_every_shipped_experiment(capsys):
    from painsim.experiments import CLAIM_EXPERIMENTS

    code, out, _ = cli(capsys, "experiments", "--json")
    rows = json.loads(out)
    names = {r["name"] for r in rows}
    assert code == 0 and set(CLAIM_EXPERIMENTS) <= names
    assert {"dose_sweep_snri", "selectivity_map", "sensitivity_duloxetine"} <= names
    assert all(r["description"] and r["run"].startswith("painsim ") for r in rows)
    assert next(r for r in rows if r["name"] == "sensitivity_duloxetine")["kind"] == "sensitivity"


def test_experiment_by_name_from_any_folder(capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, _ = cli(capsys, "experiment", "hardy2007_functional_modulation", "--patients", "100", "--json",
                       "--out", "res")
    assert code == 0
    finding = json.loads(out)
    # the verdict the experiment documents, from the same numbers an in-process run gives
    from painsim.experiments import load

    direct = load("hardy2007_functional_modulation").run(n_per_arm=100, seed=21)
    assert finding["experiment"] == "hardy2007_functional_modulation" and finding["verdict"] == "supported"
    assert finding["values"] == pytest.approx(direct.values, rel=1e-12)
    assert json.loads((tmp_path / "res" / "hardy2007_functional_modulation.json").read_text()) == finding


def test_shipped_sweep_experiment_by_name(tmp_path, monkeypatch):
    from painsim.cli.sweep_commands import experiment_path, shipped_experiments

    monkeypatch.chdir(tmp_path)
    assert experiment_path("dose_sweep_snri") == shipped_experiments()["dose_sweep_snri"]
    (tmp_path / "dose_sweep_snri").mkdir()  # a folder of that name is not an experiment file
    assert experiment_path("dose_sweep_snri").suffix == ".toml"


@pytest.mark.parametrize("command", ["drugs", "pk", "occupancy", "fit-occupancy", "trial", "validate", "calibrate",
                                     "reproduce", "sweep", "sensitivity", "experiments", "experiment"])
def test_help_shows_defaults_and_examples(capsys, command):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    out = capsys.readouterr().out
    assert exc.value.code == 0
    examples = out.split("examples:\n", 1)[1].splitlines()
    assert 2 <= len(examples) <= 3 and all(line.strip().startswith(f"painsim {command}") for line in examples)
    if command in ("trial", "validate", "reproduce", "experiment"):
        assert "(default: " in out
    assert "(default: None)" not in out and "(default: False)" not in out


def test_user_drug_file_path_is_not_the_shipped_library(tmp_path):
    # a copy keeps the name but not the place: the shipped fit must not be used silently
    path = tmp_path / "duloxetine.toml"
    path.write_text((models_dir() / "drugs" / "duloxetine.toml").read_text(encoding="utf-8"), encoding="utf-8")
    from painsim.library import is_shipped

    assert Path(parse_drug_file(path).path).parent == tmp_path
    assert not is_shipped(parse_drug_file(path)) and is_shipped(load_drug("duloxetine"))


def test_unvalidated_condition_or_design_warns(monkeypatch):
    # every condition and design the command line offers has a simulated reported outcome today;
    # with those rows gone the trial must say its result is unvalidated
    from painsim.cli.options import trial_warnings

    rows = [{"simulate": True, "condition": "dpn", "design": "parallel"}]
    monkeypatch.setattr("painsim.reported.load_reported_outcomes", lambda: rows)
    drug = load_drug("duloxetine")
    assert trial_warnings(drug, 60.0, 100, condition="dpn", design="parallel") == []
    got = trial_warnings(drug, 60.0, 100, condition="phn", design="crossover")
    assert len(got) == 2 and "'phn'" in got[0] and "crossover design" in got[1]
