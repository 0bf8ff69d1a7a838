"""Every file painsim writes appears whole or not at all, with the user's normal permissions; output
paths are checked before computing; one sweep at a time writes a zarr store."""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from painsim import atomic
from painsim.atomic import OutputPathError, atomic_dir, atomic_path, atomic_write, check_output_path
from painsim.cli import main

SMALL = """
dialect = "painsim-experiment/1"
[experiment]
seed = 5
trials = 1
patients = 20
weeks = 2

[drugs.duloxetine]
doses = [60]
"""


@pytest.fixture
def umask022():
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name)


def _experiment(tmp_path: Path, text: str = SMALL, name: str = "small.toml") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


# --------------------------------------------------------------------------------------------
# permissions


def test_written_files_are_0644_under_umask_022(tmp_path, umask022):
    atomic_write(tmp_path / "a.csv", "x,y\n1,2\n")
    atomic_write(tmp_path / "b.bin", b"\x00\x01")
    with atomic_path(tmp_path / "c.txt") as tmp:
        tmp.write_text("c")
    with atomic_dir(tmp_path / "d.zarr") as tmp:
        (tmp / "zarr.json").write_text("{}")
    assert {p.name: mode(p) for p in tmp_path.iterdir()} == {"a.csv": 0o644, "b.bin": 0o644, "c.txt": 0o644,
                                                             "d.zarr": 0o755}
    assert (tmp_path / "a.csv").read_text() == "x,y\n1,2\n" and (tmp_path / "b.bin").read_bytes() == b"\x00\x01"


def test_permissions_follow_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        atomic_write(tmp_path / "a.csv", "x\n")
        atomic_write(tmp_path / "a.csv", "y\n")  # replacing a file: the new one gets the same mode
    finally:
        os.umask(old)
    assert mode(tmp_path / "a.csv") == 0o640


def test_cli_csv_is_readable_by_others(tmp_path, umask022, capsys):
    out = tmp_path / "v.csv"
    assert main(["validate", "--patients", "20", "--model-draws", "0", "--quiet", "--csv", str(out)]) == 0
    assert mode(out) == 0o644 and out.read_text().count("\n") > 5
    assert leftovers(tmp_path) == []


def test_figures_netcdf_and_calibration_are_0644(tmp_path, umask022):
    from painsim.calibrate import write_calibration
    from painsim.figures.style import new_figure, save
    from painsim.sweep import write_netcdf

    fig, ax = new_figure()
    ax.plot([0, 1], [0, 1])
    paths = save(fig, tmp_path / "fig")
    assert sorted(p.name for p in paths) == ["fig.pdf", "fig.png", "fig.svg"]
    assert (tmp_path / "fig.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    ds = xr.Dataset({"a": ("x", np.arange(3.0))})
    write_netcdf(ds, tmp_path / "a.nc")
    assert xr.open_dataset(tmp_path / "a.nc", engine="h5netcdf").load().identical(ds)
    write_calibration({"generated_by": "test", "w_ne": 1.0}, tmp_path / "c.toml")
    assert 'dialect = "painsim-calibration/1"\ngenerated_by = "test"\nw_ne = 1.0' in (tmp_path / "c.toml").read_text()
    assert {p.name: mode(p) for p in tmp_path.iterdir()} == {
        "fig.svg": 0o644, "fig.pdf": 0o644, "fig.png": 0o644, "a.nc": 0o644, "c.toml": 0o644}


def test_sweep_store_and_netcdf_are_readable_by_others(tmp_path, umask022):
    from painsim.sweep import lock_path, run_sweep

    store = tmp_path / "s.zarr"
    run_sweep(_experiment(tmp_path), out=store, netcdf=tmp_path / "s.nc")
    assert mode(store) == 0o755 and mode(tmp_path / "s.nc") == 0o644
    assert all(mode(p) == (0o755 if p.is_dir() else 0o644) for p in store.rglob("*"))
    assert not lock_path(store).exists()  # released at the end
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------------------------
# whole or not at all


def test_a_writer_that_fails_halfway_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old,complete\n")
    with pytest.raises(RuntimeError, match="halfway"), atomic_path(target) as tmp:
        tmp.write_text("new,half")
        raise RuntimeError("halfway")
    assert target.read_text() == "old,complete\n"
    assert leftovers(tmp_path) == []
    with pytest.raises(KeyboardInterrupt), atomic_dir(tmp_path / "store.zarr") as tmp:
        (tmp / "zarr.json").write_text("{")
        raise KeyboardInterrupt
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv"]


def test_a_full_disk_during_a_command_leaves_no_partial_file(tmp_path, monkeypatch):
    """`painsim validate --csv` with the write failing (ENOSPC) after half the bytes."""
    target = tmp_path / "v.csv"
    target.write_text("old,complete\n")
    real_fdopen = os.fdopen

    class HalfFile:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, data):
            self.fh.write(data[:len(data) // 2])
            self.fh.flush()
            raise OSError(errno.ENOSPC, "No space left on device")

    def fdopen(fd, mode="r", *a, **kw):
        fh = real_fdopen(fd, mode, *a, **kw)
        return HalfFile(fh) if "w" in mode else fh

    monkeypatch.setattr(atomic.os, "fdopen", fdopen)
    with pytest.raises(OSError, match="No space"):
        main(["validate", "--patients", "20", "--model-draws", "0", "--quiet", "--csv", str(target)])
    assert target.read_text() == "old,complete\n"
    assert leftovers(tmp_path) == []


def test_a_figure_that_fails_to_render_leaves_no_file(tmp_path, monkeypatch):
    from painsim.figures.style import new_figure, save

    fig, _ = new_figure()

    def broken(path, **kw):
        Path(path).write_bytes(b"<svg half")
        raise ValueError("renderer failed")

    monkeypatch.setattr(fig, "savefig", broken)
    with pytest.raises(ValueError, match="renderer"):
        save(fig, tmp_path / "fig", formats=("svg",))
    assert list(tmp_path.iterdir()) == []


KILLED_WRITER = """
import sys, time
from painsim.atomic import atomic_path
with atomic_path(sys.argv[1]) as tmp, open(tmp, "w") as fh:
    for i in range(100_000):
        fh.write(f"{i},{'x' * 100}\\n")
        fh.flush()
        time.sleep(0.001)
"""


def test_a_run_killed_while_writing_leaves_no_partial_file(tmp_path):
    target = tmp_path / "out.csv"
    target.write_text("old,complete\n")
    proc = subprocess.Popen([sys.executable, "-c", KILLED_WRITER, str(target)])
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            tmps = [p for p in tmp_path.iterdir() if p.name.startswith(".out.csv.tmp-")]
            if tmps and tmps[0].stat().st_size > 10_000:
                break
            time.sleep(0.02)
        else:
            pytest.fail("the writer never got going")
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert target.read_text() == "old,complete\n"
    # what a kill can leave: one hidden temporary file, recognisable by its name, with the extension
    left = [p.name for p in tmp_path.iterdir() if p != target]
    assert len(left) == 1 and left[0].startswith(".out.csv.tmp-") and left[0].endswith(".csv")


# --------------------------------------------------------------------------------------------
# output paths checked before computing


def test_check_output_path(tmp_path, monkeypatch):
    (tmp_path / "file").write_text("x")
    (tmp_path / "dir").mkdir()
    assert check_output_path(tmp_path / "new.csv") == tmp_path / "new.csv"
    assert check_output_path(tmp_path / "dir", folder=True) == tmp_path / "dir"
    cases = [(tmp_path / "file" / "x.nc", "file is a file, not a folder"),
             (tmp_path / "file" / "sub" / "x.nc", "file is a file, not a folder"),
             (tmp_path / "nodir" / "x.nc", "folder " + str(tmp_path / "nodir") + " does not exist"),
             (tmp_path / "dir", "it is a folder")]
    for path, why in cases:
        with pytest.raises(OutputPathError, match="^--out .*: .*" + why.replace(".", r"\.")):
            check_output_path(path, "--out")
    with pytest.raises(OutputPathError, match=r"^cannot write .*file is a file"):
        check_output_path(tmp_path / "file" / "sub" / "x.nc", create_parents=True)
    assert check_output_path(tmp_path / "a" / "b" / "x.nc", create_parents=True).parent.is_dir()
    monkeypatch.setattr(atomic.os, "access", lambda *a, **k: False)  # (the tests may run as root)
    with pytest.raises(OutputPathError, match="is not writable"):
        check_output_path(tmp_path / "new.csv")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_is_refused(tmp_path):
    ro = tmp_path / "ro"
    ro.mkdir(mode=0o555)
    with pytest.raises(OutputPathError, match="is not writable"):
        check_output_path(ro / "x.csv", "--csv")


@pytest.mark.parametrize(("args", "needle"), [
    (("--netcdf", "{file}/x.nc"), "--netcdf {file}/x.nc: {file} is a file, not a folder"),
    (("--netcdf", "nodir/x.nc"), "--netcdf nodir/x.nc: the folder nodir does not exist"),
    (("--out", "{file}/x.zarr"), "--out {file}/x.zarr: {file} is a file, not a folder"),
    (("--out", "nodir/x.zarr"), "--out nodir/x.zarr: the folder nodir does not exist"),
])
def test_sweep_output_paths_are_checked_before_the_sweep(args, needle, tmp_path, monkeypatch, capsys):
    exp = _experiment(tmp_path)
    (tmp_path / "f").write_text("x")
    monkeypatch.chdir(tmp_path)

    def no_sweep(*a, **k):
        raise AssertionError("the sweep ran")

    monkeypatch.setattr("painsim.sweep.run_sweep", no_sweep)
    assert main(["sweep", str(exp), "--quiet", *[a.format(file="f") for a in args]]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"painsim: error: {needle.format(file='f')}") and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f", "small.toml"]


def test_sweep_netcdf_under_a_file_is_one_line_and_exit_2(tmp_path):
    exp = _experiment(tmp_path)
    (tmp_path / "f").write_text("x")
    r = subprocess.run([sys.executable, "-m", "painsim", "sweep", str(exp), "--quiet", "--netcdf", "f/x.nc"],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert r.returncode == 2 and r.stderr == "painsim: error: --netcdf f/x.nc: f is a file, not a folder\n"
    assert r.stdout == "" and sorted(p.name for p in tmp_path.iterdir()) == ["f", "small.toml"]


@pytest.mark.parametrize("out", ["{file}/o.toml", "nodir/o.toml"])
def test_fit_occupancy_out_is_checked_before_fitting(out, tmp_path, monkeypatch, capsys):
    (tmp_path / "f").write_text("x")
    monkeypatch.chdir(tmp_path)

    def no_fit():
        raise AssertionError("the fit ran")

    monkeypatch.setattr("painsim.occupancy_fit.fit_occupancy", no_fit)
    assert main(["fit-occupancy", "--out", out.format(file="f")]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"painsim: error: --out {out.format(file='f')}: ") and err.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


# --------------------------------------------------------------------------------------------
# one sweep at a time per store


def _lock(path: Path, pid: int, host: str | None = None) -> str:
    text = json.dumps({"pid": pid, "host": host or socket.gethostname(), "since": "2026-01-01T00:00:00+00:00",
                       "token": "0" * 16}) + "\n"
    path.write_text(text)
    return text


def test_a_store_being_written_is_refused_with_one_line(tmp_path, capsys):
    from painsim.sweep import lock_path

    exp, store = _experiment(tmp_path), tmp_path / "s.zarr"
    lock = lock_path(store)
    text = _lock(lock, os.getpid())  # this very process: alive
    assert main(["sweep", str(exp), "--quiet", "--out", str(store)]) == 2
    assert capsys.readouterr().err == (
        f"painsim: error: {store} is being written by another painsim sweep (pid {os.getpid()} since "
        f"2026-01-01T00:00:00+00:00); wait for it or remove {lock} if that run is dead\n")
    assert lock.read_text() == text and not store.exists()
    _lock(lock, 1, host="elsewhere.example")  # another host: whether it runs cannot be told
    assert main(["sweep", str(exp), "--quiet", "--out", str(store)]) == 2
    assert "(pid 1 on elsewhere.example since" in capsys.readouterr().err


def test_the_library_refuses_a_locked_store_and_releases_its_lock_on_error(tmp_path):
    from painsim.sweep import ExperimentError, StoreLockedError, lock_path, run_sweep, store_lock

    exp, store = _experiment(tmp_path), tmp_path / "s.zarr"
    with store_lock(store) as lock:
        assert json.loads(lock.read_text())["pid"] == os.getpid()
        with pytest.raises(StoreLockedError, match="is being written by another painsim sweep"):
            run_sweep(exp, out=store)
    assert not lock.exists()
    (tmp_path / "plain").mkdir()
    with pytest.raises(ExperimentError, match="not a painsim sweep store"):
        run_sweep(exp, out=tmp_path / "plain")
    assert not lock_path(tmp_path / "plain").exists()


def test_a_stale_lock_of_a_dead_run_is_taken_over(tmp_path, capsys):
    from painsim.sweep import lock_path

    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    exp, store = _experiment(tmp_path), tmp_path / "s.zarr"
    _lock(lock_path(store), dead.pid)
    assert main(["sweep", str(exp), "--quiet", "--out", str(store)]) == 0
    err = capsys.readouterr().err
    assert f"was left by pid {dead.pid}" in err and "taking it over" in err
    assert not lock_path(store).exists() and (store / "zarr.json").exists()
    assert leftovers(tmp_path) == []


def test_two_sweeps_of_one_store_at_once(tmp_path, capsys):
    """A second sweep of a store another process is writing stops at once; the first is unharmed."""
    from painsim.sweep import lock_path

    exp = _experiment(tmp_path, SMALL.replace("trials = 1", "trials = 400"))
    store = tmp_path / "s.zarr"
    first = subprocess.Popen([sys.executable, "-m", "painsim", "sweep", str(exp), "--quiet", "--chunk-size", "1",
                              "--out", str(store)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 120
        while not (store / "status").exists():
            assert first.poll() is None, first.communicate()
            assert time.monotonic() < deadline, "the first sweep never started writing"
            time.sleep(0.05)
        assert main(["sweep", str(exp), "--quiet", "--out", str(store)]) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"painsim: error: {store} is being written by another painsim sweep "
                              f"(pid {first.pid} since ") and err.count("\n") == 1
        assert first.poll() is None  # still running, its lock in place
        assert json.loads(lock_path(store).read_text())["pid"] == first.pid
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    # what a kill leaves: the lock of a dead pid, which the next sweep takes over (test above)
    assert json.loads(lock_path(store).read_text())["pid"] == first.pid
