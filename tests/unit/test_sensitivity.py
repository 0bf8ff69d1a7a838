"""Morris and Sobol' sensitivity (SALib) through the sweep's trial simulation."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from painsim.sensitivity import parse_parameter_flag, run_sensitivity, sensitivity_json, write_sensitivity
from painsim.sweep import ExperimentError, load_experiment, run_sweep

TEXT = """
dialect = "painsim-experiment/1"
[experiment]
seed = 5
patients = 200
weeks = 4

[drugs.duloxetine]
doses = [60]

[sensitivity]
morris_trajectories = 2
sobol_n = 4
seed = 3

[sensitivity.parameters]
"calibration.w_ne" = { low = 2.0, high = 20.0 }
"drug.dosing.dose_max" = { low = 100.0, high = 200.0 }
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    path = tmp_path_factory.mktemp("sens") / "sens.toml"
    path.write_text(TEXT)
    return path, run_sensitivity(path)


def test_indices_shape_labels_and_an_inert_parameter(result):
    _, ds = result
    assert ds.sizes["parameter"] == 2 and ds["output"].values.tolist() == ["p_drug", "difference", "nnt"]
    assert ds.sizes["morris_run"] == 2 * 3 and ds.sizes["sobol_run"] == 4 * 4
    for name, var in ds.variables.items():
        assert var.attrs.get("units") and var.attrs.get("long_name"), name
    mu = ds.morris_mu_star.sel(output="difference")
    # dose_max does not enter the simulation: no elementary effect, no Sobol' index
    assert float(mu.sel(parameter="drug.dosing.dose_max")) == 0.0
    assert float(mu.sel(parameter="calibration.w_ne")) > 0.0
    st = ds.sobol_ST.sel(output="difference")
    assert float(st.sel(parameter="drug.dosing.dose_max")) == 0.0 and float(st.sel(parameter="calibration.w_ne")) > 0
    assert ds.attrs["evaluations"] == 6 + 16 and ds.attrs["drug"] == "duloxetine"


def test_samples_run_through_the_sweep_simulation(result, tmp_path):
    path, ds = result
    x = ds.morris_X.isel(morris_run=0)
    w_ne = float(x.sel(parameter="calibration.w_ne"))
    text = path.read_text().split("[sensitivity]")[0] + f'[parameters]\n"calibration.w_ne" = [{w_ne!r}]\n'
    (tmp_path / "one.toml").write_text(text)
    sweep = run_sweep(load_experiment(tmp_path / "one.toml"))
    pt = sweep.sel(outcome="50pct", week=4).isel(drug=0, dose=0, trial=0).isel({"calibration.w_ne": 0})
    y = ds.morris_Y.isel(morris_run=0)
    assert float(y.sel(output="p_drug")) == float(pt.p_drug)
    assert float(y.sel(output="difference")) == float(pt.p_drug) - float(pt.p_placebo)


def test_deterministic_and_writes_json_and_netcdf(result, tmp_path):
    path, ds = result
    again = run_sensitivity(path)
    xr.testing.assert_identical(ds, again)
    write_sensitivity(ds, tmp_path / "s.json")
    doc = json.loads((tmp_path / "s.json").read_text())
    assert doc == sensitivity_json(ds)
    assert set(doc["outputs"]["difference"]["calibration.w_ne"]) == {"morris", "sobol"}
    write_sensitivity(ds, tmp_path / "s.nc")
    with xr.open_dataset(tmp_path / "s.nc", engine="h5netcdf") as back:
        xr.testing.assert_identical(ds, back.load())
    with pytest.raises(ExperimentError):
        write_sensitivity(ds, tmp_path / "s.csv")


def test_flags_and_bad_requests(result, tmp_path):
    path, _ = result
    assert parse_parameter_flag("calibration.w_ne=5:20") == ("calibration.w_ne", 5.0, 20.0, "linear")
    assert parse_parameter_flag("drug.duloxetine.pk.cl=50:200:log")[3] == "log"
    for bad in ("w_ne", "calibration.w_ne=5", "calibration.w_ne=20:5", "x=a:b", "x=0:1:log"):
        with pytest.raises(ExperimentError):
            parse_parameter_flag(bad)
    with pytest.raises(ExperimentError, match="power of 2"):
        run_sensitivity(path, sobol_n=6)
    with pytest.raises(ExperimentError, match="unknown calibrated"):
        run_sensitivity(path, parameters=[("calibration.nope", 0.0, 1.0, "linear")])
    two = tmp_path / "two.toml"
    two.write_text(TEXT.replace("doses = [60]", "doses = [60, 120]"))
    with pytest.raises(ExperimentError, match="one drug with one dose"):
        run_sensitivity(two)


def test_cli(result, tmp_path):
    path, ds = result
    r = subprocess.run([sys.executable, "-m", "painsim", "sensitivity", str(path), "--method", "morris",
                        "--json"], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    morris = doc["outputs"]["difference"]["calibration.w_ne"]["morris"]
    assert morris["mu_star"] == pytest.approx(float(ds.morris_mu_star.sel(output="difference",
                                                                         parameter="calibration.w_ne")))
    r = subprocess.run([sys.executable, "-m", "painsim", "sensitivity", str(path), "--param", "nonsense"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    out = tmp_path / "x.txt"
    r = subprocess.run([sys.executable, "-m", "painsim", "sensitivity", str(path), "--out", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and not out.exists()


def test_shipped_sensitivity_experiment_is_valid():
    exp = load_experiment(Path(__file__).resolve().parents[2] / "experiments" / "sensitivity_duloxetine.toml")
    assert exp.sensitivity is not None and len(exp.sensitivity.parameters) >= 4
    assert set(exp.sensitivity.methods) == {"morris", "sobol"}
    assert np.log2(exp.sensitivity.sobol_n).is_integer()
