"""The command line through a subprocess, bad inputs included (DESIGN §3)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "painsim", *args], capture_output=True, text=True,
                          timeout=300)


def test_drugs_json_lists_library():
    r = run("drugs", "--json")
    assert r.returncode == 0, r.stderr
    rows = json.loads(r.stdout)
    assert len(rows) >= 19
    assert all({"name", "class"} <= set(row) for row in rows)
    dlx = next(row for row in rows if row["name"] == "duloxetine")
    assert dlx["occupancy"]["sert"][0]["method"] == "pet"


def test_drugs_table():
    r = run("drugs")
    assert r.returncode == 0 and "duloxetine" in r.stdout and "derived" in r.stdout


def test_pk_json_interface():
    r = run("pk", "--drug", "venlafaxine", "--dose", "150", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {"drug", "dose_mg_per_day", "interval_h", "moieties"} <= set(out)
    assert out["moieties"][0]["name"] == "venlafaxine"  # parent first
    for m in out["moieties"]:
        assert {"name", "cmax_ng_ml", "cmin_ng_ml", "cavg_ng_ml", "auc_tau_ng_h_ml", "t_half_h"} <= set(m)
        assert m["cmin_ng_ml"] <= m["cavg_ng_ml"] <= m["cmax_ng_ml"]


def test_occupancy_json_interface():
    r = run("occupancy", "--drug", "Duloxetine", "--dose", "60", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    for t in ("sert", "net"):
        assert 0 <= out[t]["trough"] <= out[t]["mean"] <= out[t]["peak"] < 1


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("pk", "--drug", "duloxetin", "--dose", "60"), "did you mean 'duloxetine'"),
        (("occupancy", "--drug", "aspirin", "--dose", "60"), "unknown drug 'aspirin'"),
        (("pk", "--drug", "duloxetine", "--dose", "-5"), "positive"),
        (("pk", "--drug", "duloxetine", "--dose", "0"), "positive"),
        (("pk", "--drug", "duloxetine", "--dose", "sixty"), "must be a number"),
        (("pk", "--drug", "duloxetine", "--dose", "nan"), "positive"),
        (("occupancy", "--drug", "duloxetine", "--dose", "5000"), "absurd"),
        (("pk", "--drug", "duloxetine"), "--dose"),
        (("frobnicate",), "invalid choice"),
    ],
)
def test_bad_input_exits_2_with_one_line(args, needle):
    r = run(*args)
    assert r.returncode == 2
    assert r.stdout == ""
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1, r.stderr
    assert needle in lines[0]
    assert "Traceback" not in r.stderr


@pytest.mark.xdist_group("reproduce")  # one `painsim reproduce` (tests/conftest.py) for this and the browser test
def test_reproduce_writes_outputs(reproduced):
    out, r = reproduced
    assert r.returncode == 0, r.stderr
    assert (out / "steady_state.csv").read_text().count("\n") >= 20
    assert (out / "validation.csv").read_text().count("\n") >= 50
    assert not list(out.glob(".*.tmp"))
    pngs = sorted((out / "figures").glob("*.png"))
    assert len(pngs) >= 10
    page = (out / "report.html").read_text()
    for png in pngs:
        assert f'id="{png.stem}"' in page and "<svg" in page
    assert "Mechanism claims" in page and "lunn2014_dlx60_dpn_50" in page
    # self-contained: nothing loaded from elsewhere (namespace URIs inside the SVGs are not loads)
    assert 'src="http' not in page and "<link" not in page and "<script" not in page
    assert (out / "claims.csv").read_text().count("\n") >= 5


def test_trial_json_interface():
    r = run("trial", "--drug", "duloxetine", "--dose", "60", "--weeks", "12", "--patients", "300", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    for key in ("drug", "dose_mg_per_day", "weeks", "n_per_arm", "outcome", "p_drug", "p_placebo", "nnt",
                "nnt_ci_low", "nnt_ci_high"):
        assert key in out
    assert out["n_per_arm"] == 300 and out["weeks"] == 12 and out["outcome"] == "50pct"
    # the default condition is DPN: its placebo target is physiology.toml's placebo.dpn (Frisaldi 2024,
    # 0.25), and the simulated placebo arm lies within 3 binomial SEs of it at 300 per arm (0.22)
    from painsim.physiology import load_physiology

    target = load_physiology().value("placebo.dpn").value
    assert out["condition"] == "dpn" and out["placebo_target"] == pytest.approx(target)
    assert abs(out["p_placebo"] - target) <= 3 * (target * (1 - target) / 300) ** 0.5
    # the drug beats placebo and the NNT is the reciprocal of the same run's risk difference
    assert out["p_drug"] > out["p_placebo"]
    assert out["nnt"] == pytest.approx(1 / (out["p_drug"] - out["p_placebo"]), rel=1e-12)
    # the weekly curves (rounded to 6 decimals in the JSON) end at the reported rates
    assert out["responders_by_week"]["drug"][-1] == pytest.approx(out["p_drug"], abs=1e-6)
    assert out["responders_by_week"]["placebo"][-1] == pytest.approx(out["p_placebo"], abs=1e-6)
    # the sampling-only interval is named as such; by default a 50-draw model-uncertainty interval
    assert out["nnt_ci_method"].endswith("(sampling only)") and out["model_draws"] == 50
    assert out["nnt_model_ci_low"] <= out["nnt"] <= out["nnt_model_ci_high"]
    lo, hi = out["rd_model_and_sampling"]
    assert lo <= out["p_drug"] - out["p_placebo"] <= hi
    r = run("trial", "--drug", "duloxetine", "--dose", "60", "--weeks", "4", "--patients", "50", "--json",
            "--model-draws", "0")
    assert r.returncode == 0, r.stderr
    assert "model_draws" not in json.loads(r.stdout)


def test_trial_text_and_options():
    r = run("trial", "--drug", "desipramine", "--dose", "150", "--weeks", "6", "--patients", "200",
            "--outcome", "30pct", "--condition", "phn", "--design", "crossover", "--placebo-response", "0.2")
    assert r.returncode == 0, r.stderr
    # the same run as JSON: the text reports its rates and NNT = 1/(p_drug - p_placebo)
    j = run("trial", "--drug", "desipramine", "--dose", "150", "--weeks", "6", "--patients", "200",
            "--outcome", "30pct", "--condition", "phn", "--design", "crossover", "--placebo-response", "0.2",
            "--json")
    assert j.returncode == 0, j.stderr
    out = json.loads(j.stdout)
    assert out["design"] == "crossover" and out["condition"] == "phn" and out["outcome"] == "30pct"
    lines = r.stdout.splitlines()
    assert lines[0].startswith("Desipramine 150 mg/day vs placebo, 6 weeks, crossover, phn, 200 per arm")
    assert lines[1] == (f"responders (>= 30 % pain reduction): drug {out['p_drug']:.1%}, "
                        f"placebo {out['p_placebo']:.1%}")
    nnt = 1 / (out["p_drug"] - out["p_placebo"])
    assert lines[2].startswith(f"NNT {nnt:.1f} (95 % CI {out['nnt_ci_low']:.1f}-{out['nnt_ci_high']:.1f}")
    # --placebo-response sets the placebo arm: 0.2 within 3 binomial SEs at 200 per arm (0.235)
    assert out["placebo_target"] == 0.2 and abs(out["p_placebo"] - 0.2) <= 3 * (0.2 * 0.8 / 200) ** 0.5


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("trial", "--drug", "duloxetine", "--dose", "60", "--weeks", "0"), "--weeks"),
        (("trial", "--drug", "duloxetine", "--dose", "60", "--weeks", "x"), "whole number"),
        (("trial", "--drug", "duloxetine", "--dose", "60", "--weeks", "4", "--patients", "-3"), "--patients"),
        (("trial", "--drug", "duloxetine", "--dose", "60", "--weeks", "4", "--placebo-response", "2"), "between"),
        (("trial", "--drug", "duloxetine", "--dose", "60", "--weeks", "4", "--outcome", "90pct"), "invalid choice"),
        (("trial", "--drug", "duloxetine", "--dose", "60", "--weeks", "4", "--condition", "gout"), "invalid choice"),
        (("trial", "--drug", "duloxetine", "--dose", "9000", "--weeks", "4"), "absurd"),
        (("trial", "--drug", "duloxetine", "--dose", "60", "--weeks", "4", "--model-draws", "1"), "--model-draws"),
        (("trial", "--drug", "duloxetine", "--dose", "60", "--weeks", "4", "--model-draws", "-1"), "--model-draws"),
    ],
)
def test_trial_bad_input_exits_2(args, needle):
    r = run(*args)
    assert r.returncode == 2 and r.stdout == ""
    assert len(r.stderr.strip().splitlines()) == 1 and needle in r.stderr


def test_validate_prints_table_with_training_rows(tmp_path):
    r = run("validate", "--patients", "200", "--csv", str(tmp_path / "v.csv"))
    assert r.returncode == 0, r.stderr
    assert "lunn2014_dlx60_dpn_50" in r.stdout and "train" in r.stdout and "not simulated" in r.stdout
    assert "inside" in r.stdout
    # the default 20 parameter draws: intervals with model uncertainty, and the NRIs as predictions
    assert "NNT with model unc." in r.stdout and "predictions" in r.stdout and "reboxetine" in r.stdout
    assert r.stdout.rstrip().splitlines()[-1].startswith("'train' rows were used for calibration.")
    text = (tmp_path / "v.csv").read_text()
    assert text.startswith("key,") and text.count("\n") >= 50 and "model_verdict" in text.splitlines()[0]


def test_calibrate_check_json_interface():
    """DESIGN §3: the goodness of fit of the shipped calibration, without refitting."""
    from scipy.stats import chi2

    from painsim.calibration import PARAMETERS, load_calibration

    r = run("calibrate", "--check", "--json")
    assert r.returncode == 0, r.stderr
    out = json.loads(r.stdout)
    assert {"objective", "n_targets", "n_parameters", "df", "p_value", "parameters"} <= set(out)
    assert out["df"] == out["n_targets"] - out["n_parameters"] > 0
    assert out["p_value"] == pytest.approx(chi2.sf(out["objective"], out["df"]), rel=1e-12)
    cal = load_calibration()
    for name in PARAMETERS:
        p = out["parameters"][name]
        assert p["value"] == pytest.approx(getattr(cal, name), rel=1e-12)
        assert p["ci_low"] < p["value"] < p["ci_high"]
    assert all(t["se"] > 0 and t["se_basis"] for t in out["targets"])


@pytest.mark.parametrize("args", [("calibrate", "--out", "no_such_folder/c.toml"),
                                  ("validate", "--csv", "no_such_folder/v.csv"),
                                  ("calibrate", "--check", "--out", "c.toml"),
                                  ("calibrate", "--json")])
def test_output_paths_and_options_are_checked_before_computing(args, tmp_path):
    r = subprocess.run([sys.executable, "-m", "painsim", *args], capture_output=True, text=True, timeout=60,
                       cwd=tmp_path)
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "Traceback" not in r.stderr
    assert list(tmp_path.iterdir()) == []
