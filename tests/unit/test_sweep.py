"""Sweeps: experiment files, labelled results, zarr/netCDF, resume after a kill, determinism, Dask."""

from __future__ import annotations

import io
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from painsim.calibration import load_calibration
from painsim.library import load_drug
from painsim.sweep import (
    ExperimentError,
    SweepStats,
    load_experiment,
    parse_experiment,
    run_sweep,
    write_netcdf,
)
from painsim.trial import run_trial

ROOT = Path(__file__).resolve().parents[2]
DIALECT = 'dialect = "painsim-experiment/1"\n'

TINY = """
dialect = "painsim-experiment/1"
[experiment]
seed = 11
trials = 2
patients = 40
weeks = 4
outcomes = ["50pct", "30pct"]
report_weeks = [2, 4]

[drugs.duloxetine]
doses = [60, 120]

[parameters]
"calibration.w_ne" = [8.0, 11.0]
"""

MIXED = """
dialect = "painsim-experiment/1"
[experiment]
seed = 3
trials = 1
patients = 30
weeks = 3

[drugs.duloxetine]
doses = [60]

[drugs.venlafaxine]
doses = [75, 150]
"""

IDEAL = """
dialect = "painsim-experiment/1"
[experiment]
seed = 4
trials = 2
patients = 50
weeks = 4
[idealised]
[parameters]
"occupancy.sert" = [0.0, 0.8]
"occupancy.net" = { start = 0.0, stop = 0.9, num = 3 }
"""


def _exp(tmp_path: Path, text: str, name: str = "exp.toml"):
    p = tmp_path / name
    p.write_text(text)
    return load_experiment(p)


def assert_bitwise(a: xr.Dataset, b: xr.Dataset) -> None:
    """Identical labels and attributes, and every number identical bit for bit."""
    a, b = a.load(), b.load()
    xr.testing.assert_identical(a, b)
    for name in [*a.data_vars, *a.coords]:
        x, y = np.asarray(a[name].values), np.asarray(b[name].values)
        assert x.dtype.kind == y.dtype.kind or x.dtype.kind in "OTU", name
        if x.dtype.kind in "fiu":
            assert x.dtype == y.dtype and x.tobytes() == y.tobytes(), name
        else:
            assert x.tolist() == y.tolist(), name


def run_cli(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "painsim", *args], capture_output=True, text=True,
                          timeout=300, env=env, **kw)


# --------------------------------------------------------------------------------------------
# experiment files


def test_parse_ranges_units_and_routing(tmp_path):
    exp = _exp(tmp_path, """
dialect = "painsim-experiment/1"
[experiment]
weeks = 4
[drugs.duloxetine]
doses = { start = 30, stop = 120, step = 30 }
[drugs.venlafaxine]
doses = [75]
[parameters]
"drug.duloxetine.pk.cl" = { start = 57, stop = 228, num = 3, scale = "log" }
"physiology.serotonin.feedback_gain" = { start = 0.1, stop = 0.3, num = 3 }
"calibration.tau_p" = [3.0, 4.0]
""")
    assert exp.drugs[0].doses == (30.0, 60.0, 90.0, 120.0)
    cl, gain, tau = exp.parameters
    assert cl.values == pytest.approx((57.0, 114.0, 228.0)) and cl.units == "L/h"
    assert cl.applies_to == ("duloxetine",)  # venlafaxine has no duloxetine moiety
    assert gain.values == (0.1, 0.2, 0.3)  # rounded: .sel(gain=0.2) finds it
    assert tau.units == "week"
    assert exp.report_weeks == (1, 2, 3, 4) and exp.outcomes == ("50pct",)


@pytest.mark.parametrize(("text", "needle"), [
    ("[experiment]\nweeks = 4\nfoo = 1\n[drugs.duloxetine]\ndoses = [60]\n", "unknown key 'foo'"),
    ("[experiment]\nweeks = 4\n[drugs.nosuchdrug]\ndoses = [60]\n", "nosuchdrug"),
    ("[experiment]\nweeks = 4\n[drugs.duloxetine]\ndoses = [60]\nspeed = 2\n", "unknown key 'speed'"),
    ("[experiment]\nweeks = 4\n[drugs.duloxetine]\ndoses = [60]\n[parameters]\n\"physiology.serotonin.nope\" = [1]\n",
     "physiology has no parameter"),
    ("[experiment]\nweeks = 4\n[drugs.duloxetine]\ndoses = [60]\n[parameters]\n\"calibration.w_xx\" = [1]\n",
     "unknown calibrated parameter"),
    ("[experiment]\nweeks = 4\n[drugs.duloxetine]\ndoses = [60]\n[parameters]\n\"drug.venlafaxine.pk.cl\" = [1]\n",
     "no drug of the experiment has a moiety"),
    ("[experiment]\nweeks = 4\n[drugs.duloxetine]\ndoses = [60]\n[parameters]\n\"drug.duloxetine.pk.nope\" = [1]\n",
     "no field 'nope'"),
    ("[experiment]\nweeks = 4\n[drugs.duloxetine]\ndoses = [60]\n[parameters]\n\"foo.bar\" = [1]\n",
     "unknown parameter"),
    ("[experiment]\nweeks = 4\n[drugs.duloxetine]\ndoses = [60]\n[parameters]\n\"occupancy.sert\" = [0.5]\n",
     "idealised"),
    ("[experiment]\nweeks = 4\n[drugs.duloxetine]\ndoses = { start = 120, stop = 60, step = 30 }\n", "below start"),
    ("[experiment]\nweeks = 4\n[drugs.duloxetine]\ndoses = { start = 60, stop = 120, step = -1 }\n",
     "must be positive"),
    ("[experiment]\nweeks = 4\n[drugs.duloxetine]\ndoses = { start = 60, stop = 120, num = 0 }\n", "at least 1"),
    ("[experiment]\nweeks = 4\n[drugs.duloxetine]\ndoses = []\n", "empty"),
    ("[experiment]\nweeks = 4\n[drugs.duloxetine]\ndoses = [60, 60]\n", "repeat"),
    ("[experiment]\nweeks = 4\n[drugs.duloxetine]\ndoses = [6000]\n", "10x the label maximum"),
    ("[experiment]\nweeks = 4\n[idealised]\n[parameters]\n\"occupancy.net\" = [0.5, 1.2]\n", "[0, 1)"),
    ("[experiment]\nweeks = 2\nplacebo_response = 1.3\n[drugs.duloxetine]\ndoses = [60]\n",
     "must lie strictly between 0 and 1"),
    ("[experiment]\nweeks = 4\n", "exactly one of [drugs]"),
    ("[experiment\nweeks = 4\n", "not valid TOML"),
])
def test_bad_experiments_are_one_line_errors(text, needle):
    with pytest.raises(ExperimentError) as info:
        parse_experiment(DIALECT + text, "bad.toml")
    msg = str(info.value)
    assert needle in msg and "\n" not in msg


@pytest.mark.parametrize(("text", "needle"), [
    ("[experiment]\nweeks = 4\n[drugs.duloxetine]\ndoses = [60]\n", "bad.toml: dialect: missing"),
    ('dialect = "painsim-experiment/2"\n[experiment]\nweeks = 4\n', "newer than this painsim reads"),
    ('dialect = "painsim-drug/1"\n[experiment]\nweeks = 4\n', "expected 'painsim-experiment/1'"),
])
def test_experiment_files_declare_their_dialect(text, needle):
    with pytest.raises(ExperimentError) as info:
        parse_experiment(text, "bad.toml")
    assert needle in str(info.value) and "\n" not in str(info.value)


def test_cli_bad_input_exit_2_nothing_written(tmp_path):
    out = tmp_path / "res.zarr"
    r = run_cli("sweep", str(tmp_path / "missing.toml"), "--out", str(out))
    assert r.returncode == 2 and r.stderr.count("\n") == 1 and "not found" in r.stderr
    bad = tmp_path / "bad.toml"
    bad.write_text(DIALECT + "[experiment]\nweeks = 4\n[drugs.duloxetine]\ndoses = [60]\n"
                   "[parameters]\n\"calibration.x\" = [1]\n")
    r = run_cli("sweep", str(bad), "--out", str(out))
    assert r.returncode == 2 and r.stderr.startswith("painsim: error:") and r.stderr.count("\n") == 1
    good = tmp_path / "good.toml"
    good.write_text(TINY)
    r = run_cli("sweep", str(good), "--out", str(out), "--chunk-size", "0")
    assert r.returncode == 2 and r.stderr.count("\n") == 1
    r = run_cli("sweep", str(good), "--out", str(out), "--workers", "2", "--scheduler", "tcp://127.0.0.1:1")
    assert r.returncode == 2
    assert set(tmp_path.iterdir()) == {bad, good}  # no store, no temporary left behind


def test_shipped_experiments_load_and_say_what_they_show():
    files = sorted((ROOT / "experiments").glob("*.toml"))
    names = {f.stem for f in files}
    assert {"dose_sweep_snri", "selectivity_map", "sensitivity_duloxetine"} <= names
    for f in files:
        exp = load_experiment(f)
        text = f.read_text()
        assert "What it shows" in text and "Sources" in text, f.name
        assert exp.description
    snri = load_experiment(ROOT / "experiments" / "dose_sweep_snri.toml")
    assert [d.name for d in snri.drugs] == ["duloxetine", "venlafaxine", "milnacipran"]
    assert all(3 <= len(d.doses) <= 6 for d in snri.drugs)
    assert (snri.weeks, snri.patients, snri.trials) == (12, 1000, 3)
    sel = load_experiment(ROOT / "experiments" / "selectivity_map.toml")
    assert [p.name for p in sel.parameters] == ["occupancy.sert", "occupancy.net"]
    for p in sel.parameters:
        assert p.values[0] == 0.0 and p.values[-1] == 0.95
    assert load_experiment(ROOT / "experiments" / "sensitivity_duloxetine.toml").sensitivity is not None


# --------------------------------------------------------------------------------------------
# the results


def test_sweep_reproduces_run_trial_exactly(tmp_path):
    exp = _exp(tmp_path, TINY)
    ds = run_sweep(exp)
    dlx = load_drug("duloxetine")
    for dose in (60.0, 120.0):
        for w_ne in (8.0, 11.0):
            cal = load_calibration().with_values(w_ne=w_ne)
            for r in range(2):
                pt = ds.sel(drug="duloxetine", dose=dose, trial=r, week=4).sel({"calibration.w_ne": w_ne})
                assert int(pt.status) == 0
                for outcome in ("50pct", "30pct"):
                    ref = run_trial(dlx, dose, 4, n_per_arm=40, seed=11 + r, outcome=outcome, cal=cal)
                    o = pt.sel(outcome=outcome)
                    assert float(o.p_drug) == ref.p_drug and float(o.p_placebo) == ref.p_placebo
                    nnt = float(o.nnt)
                    assert (math.isnan(nnt) and ref.nnt is None) or nnt == ref.nnt
                    lo = float(o.nnt_ci_low)
                    assert (math.isnan(lo) and ref.nnt_ci_low is None) or lo == ref.nnt_ci_low
                assert float(pt.pain_drug_mean) == ref.pain_drug[:, 3].mean()
                assert float(pt.pain_placebo_mean) == ref.pain_placebo[:, 3].mean()


def test_sweep_with_a_placebo_response_reproduces_run_trial(tmp_path):
    text = TINY.replace('report_weeks = [2, 4]', 'placebo_response = 0.3\nplacebo_outcome = "30pct"')
    ds = run_sweep(_exp(tmp_path, text.replace('outcomes = ["50pct", "30pct"]', 'outcomes = ["30pct"]')))
    ref = run_trial(load_drug("duloxetine"), 120, 4, n_per_arm=40, seed=12, outcome="30pct", placebo_response=0.3,
                    cal=load_calibration().with_values(w_ne=11.0))
    pt = ds.sel(drug="duloxetine", dose=120, trial=1, week=4, outcome="30pct").sel({"calibration.w_ne": 11.0})
    assert (float(pt.p_drug), float(pt.p_placebo)) == (ref.p_drug, ref.p_placebo)


def test_labels_units_and_provenance(tmp_path):
    ds = run_sweep(_exp(tmp_path, TINY))
    assert ds["p_drug"].dims == ("drug", "dose", "calibration.w_ne", "trial", "outcome", "week")
    assert ds["pain_drug_mean"].dims == ("drug", "dose", "calibration.w_ne", "trial", "week")
    assert ds["status"].dims == ("drug", "dose", "calibration.w_ne", "trial")
    assert ds["dose"].attrs["units"] == "mg/day" and ds["calibration.w_ne"].values.tolist() == [8.0, 11.0]
    assert ds["seed"].values.tolist() == [11, 12]
    for name, var in ds.variables.items():
        assert var.attrs.get("units") and var.attrs.get("long_name"), name
    a = ds.attrs
    for key in ("painsim_version", "experiment_file", "experiment_sha256", "experiment_text", "seed",
                "physiology_file", "physiology_sha256", "calibration_file", "calibration_sha256",
                "calibration_w_ne", "drug_sha256_duloxetine", "drug_file_duloxetine"):
        assert key in a, key
    assert a["seed"] == 11 and len(a["drug_sha256_duloxetine"]) == 64
    assert a["calibration_w_ne"] == load_calibration().w_ne
    # occupancy and inhibition rise with the dose
    occ = ds.occupancy_net_mean.sel(week=4).mean(["trial", "calibration.w_ne"]).sel(drug="duloxetine")
    assert float(occ.sel(dose=120)) > float(occ.sel(dose=60)) > 0


def test_per_drug_dose_lists_and_status(tmp_path):
    ds = run_sweep(_exp(tmp_path, MIXED))
    assert ds["dose"].values.tolist() == [0, 1]  # dose levels when the lists differ
    table = ds["dose_mg_per_day"]
    assert table.sel(drug="venlafaxine").values.tolist() == [75.0, 150.0]
    assert float(table.sel(drug="duloxetine", dose=0)) == 60.0 and np.isnan(table.sel(drug="duloxetine", dose=1))
    st = ds["status"]
    assert int(st.sel(drug="duloxetine", dose=1, trial=0)) == 3  # not applicable
    assert np.isnan(ds.p_drug.sel(drug="duloxetine", dose=1)).all()
    assert (st.sel(drug="venlafaxine") == 0).all()
    # an infeasible placebo model at one point (a placebo responder rate of 1): status 2, the
    # other points computed
    exp = _exp(tmp_path, TINY.replace('"calibration.w_ne" = [8.0, 11.0]', '"physiology.placebo.dpn" = [0.25, 1.0]'),
               "placebo.toml")
    ds = run_sweep(exp)
    assert (ds.status.sel({"physiology.placebo.dpn": 1.0}) == 2).all()
    assert (ds.status.sel({"physiology.placebo.dpn": 0.25}) == 0).all()
    assert np.isnan(ds.p_drug.sel({"physiology.placebo.dpn": 1.0})).all()


def test_keep_patients_and_netcdf(tmp_path):
    exp = _exp(tmp_path, TINY.replace("report_weeks = [2, 4]", "report_weeks = [2, 4]\nkeep_patients = true"))
    ds = run_sweep(exp)
    assert ds["pain_drug"].dims[-2:] == ("patient", "week") and ds.sizes["patient"] == 40
    np.testing.assert_allclose(ds.pain_drug.mean("patient"), ds.pain_drug_mean, rtol=1e-12)
    # the same patients (common random numbers) at every dose: baseline and sensitivity agree
    b = ds.baseline_drug.isel(trial=0)
    assert (b == b.isel(drug=0, dose=0, **{"calibration.w_ne": 0})).all()
    write_netcdf(ds, tmp_path / "r.nc")
    with xr.open_dataset(tmp_path / "r.nc", engine="h5netcdf") as back:
        assert_bitwise(ds, back)


def test_zarr_equals_api_and_chunk_size_does_not_matter(tmp_path):
    exp = _exp(tmp_path, TINY)
    mem = run_sweep(exp)
    st1, st3 = SweepStats(), SweepStats()
    z1 = run_sweep(exp, out=tmp_path / "c1.zarr", chunk_size=1, stats=st1)
    z3 = run_sweep(exp, out=tmp_path / "c3.zarr", chunk_size=3, stats=st3)
    assert st1.chunks == 8 and st3.chunks == 4 and st1.computed == 8
    assert_bitwise(mem, z1)
    assert_bitwise(mem, z3)
    assert_bitwise(mem, xr.open_zarr(tmp_path / "c1.zarr"))
    # a finished store: a rerun computes nothing and gives the same
    again = SweepStats()
    assert_bitwise(mem, run_sweep(exp, out=tmp_path / "c1.zarr", stats=again))
    assert again.computed == 0 and again.complete_before == 8


def test_resume_recomputes_only_incomplete_chunks(tmp_path):
    """A crash mid-chunk leaves data without its status chunk: the rerun redoes that chunk only."""
    import zarr

    exp = _exp(tmp_path, TINY)
    store = tmp_path / "s.zarr"
    ref = run_sweep(exp, out=store, chunk_size=2).load()
    status_files = sorted(p for p in (store / "status" / "c").rglob("*") if p.is_file())
    assert len(status_files) == 4
    mtimes = {p: p.stat().st_mtime_ns for p in status_files}
    # simulate two interrupted chunks: garbage data written, status never written
    for p in status_files[1:3]:
        p.unlink()
    g = zarr.open_group(str(store), mode="r+")
    g["p_drug"][0, 0, 1] = 0.123  # the chunks (dose 0, w_ne 1) and (dose 1, w_ne 0)
    g["nnt"][0, 1, 0] = -5.0
    stats = SweepStats()
    back = run_sweep(exp, out=store, chunk_size=1, stats=stats)  # the store's chunking is kept
    assert stats.complete_before == 2 and stats.computed == 2
    assert_bitwise(ref, back)
    for p in (status_files[0], status_files[3]):
        assert p.stat().st_mtime_ns == mtimes[p]  # complete chunks untouched


def test_store_of_another_experiment_is_refused(tmp_path):
    store = tmp_path / "x.zarr"
    run_sweep(_exp(tmp_path, TINY), out=store)
    other = _exp(tmp_path, TINY.replace("seed = 11", "seed = 12"), "other.toml")
    with pytest.raises(ExperimentError, match="different sweep"):
        run_sweep(other, out=store)
    ds = run_sweep(other, out=store, overwrite=True)
    assert ds.attrs["seed"] == 12
    (tmp_path / "plain").mkdir()
    with pytest.raises(ExperimentError, match="not a painsim sweep store"):
        run_sweep(other, out=tmp_path / "plain")


# --------------------------------------------------------------------------------------------
# the idealised inhibitor


def test_idealised_selectivity_grid(tmp_path):
    ds = run_sweep(_exp(tmp_path, IDEAL))
    assert "dose" not in ds.dims and ds["drug"].values.tolist() == ["idealised"]
    inh = ds.inhibition_mean.sel(week=4).isel(drug=0, trial=0)
    assert float(inh.sel({"occupancy.sert": 0.0, "occupancy.net": 0.0})) == 0.0
    assert float(inh.sel({"occupancy.sert": 0.0, "occupancy.net": 0.9})) > 0.5  # NE drives inhibition
    p = ds.p_drug.sel(outcome="50pct", week=4).mean("trial").isel(drug=0)
    assert (p.diff("occupancy.net") >= 0).all()
    # the placebo arm does not depend on the drug: identical everywhere
    pp = ds.p_placebo.isel(drug=0)
    assert (pp == pp.isel({"occupancy.sert": 0, "occupancy.net": 0})).all()


def test_progress_bar_on_a_terminal(tmp_path, monkeypatch):
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    err = Tty()
    monkeypatch.setattr(sys, "stderr", err)
    run_sweep(_exp(tmp_path, TINY), chunk_size=2, quiet=False)
    text = err.getvalue()
    assert "4/4" in text and "patients/s" in text and "ETA" in text and "chunks/s" in text


# --------------------------------------------------------------------------------------------
# determinism across processes, threads and schedulers; kill and resume


def _env(**extra: str) -> dict:
    env = dict(os.environ)
    src = str(ROOT / "src")
    env["PYTHONPATH"] = src + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    env.update(extra)
    return env


def test_bit_identical_for_numba_threads_1_and_2(tmp_path):
    f = tmp_path / "t.toml"
    f.write_text(TINY)
    stores = []
    for n in ("1", "2"):
        out = tmp_path / f"threads{n}.zarr"
        r = run_cli("sweep", str(f), "--out", str(out), "--quiet", env=_env(NUMBA_NUM_THREADS=n))
        assert r.returncode == 0, r.stderr
        stores.append(xr.open_zarr(out))
    assert_bitwise(stores[0], stores[1])
    assert_bitwise(stores[0], run_sweep(load_experiment(f)))


def test_killed_sweep_resumes_bit_identical(tmp_path):
    text = """
dialect = "painsim-experiment/1"
[experiment]
seed = 21
trials = 2
patients = 300
weeks = 8
[drugs.duloxetine]
doses = [30, 60, 90, 120]
"""
    f = tmp_path / "kill.toml"
    f.write_text(text)
    store = tmp_path / "kill.zarr"
    cmd = [sys.executable, "-m", "painsim", "sweep", str(f), "--out", str(store), "--chunk-size", "1", "--quiet"]
    proc = subprocess.Popen(cmd, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    status_dir = store / "status" / "c"
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and proc.poll() is None:
            if status_dir.exists() and any(p.is_file() for p in status_dir.rglob("*")):
                break
            time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.communicate(timeout=60)
    done = {p: p.stat().st_mtime_ns for p in status_dir.rglob("*") if p.is_file() and ".partial" not in p.name}
    assert 1 <= len(done) < 8, "the kill should land after the first and before the last chunk"
    r = run_cli("sweep", str(f), "--out", str(store), "--chunk-size", "1", "--quiet", env=_env())
    assert r.returncode == 0, r.stderr
    assert f"computed {8 - len(done)}, {len(done)} already complete" in r.stdout
    for p, mtime in done.items():
        assert p.stat().st_mtime_ns == mtime  # completed chunks were not recomputed
    assert_bitwise(run_sweep(load_experiment(f)), xr.open_zarr(store))
    assert not list(store.rglob("*.partial"))  # writes a kill interrupted are cleaned up


def test_dask_local_cluster_gives_the_same_dataset(tmp_path):
    from dask.distributed import LocalCluster

    exp = _exp(tmp_path, TINY)
    local = run_sweep(exp)
    with LocalCluster(n_workers=2, processes=True, host="127.0.0.1", threads_per_worker=1,
                      dashboard_address=None) as cluster:
        stats = SweepStats()
        remote = run_sweep(exp, out=tmp_path / "dask.zarr", chunk_size=2, scheduler=cluster.scheduler_address,
                           stats=stats)
        assert stats.computed == 4
        assert_bitwise(local, remote)
    # `painsim sweep --workers 2` starts its own local cluster
    f = tmp_path / "exp.toml"
    r = run_cli("sweep", str(f), "--out", str(tmp_path / "w.zarr"), "--workers", "2", "--chunk-size", "3",
                "--quiet", env=_env())
    assert r.returncode == 0, r.stderr
    assert_bitwise(local, xr.open_zarr(tmp_path / "w.zarr"))
