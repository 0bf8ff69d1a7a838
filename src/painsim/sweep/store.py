"""The results of a sweep: the labelled Dataset, its zarr store (written chunk by chunk), netCDF.

How the store makes a sweep safe to kill and resume is described in :mod:`painsim.sweep`
("Crash safety and determinism").
"""

from __future__ import annotations

import contextlib
import datetime
import json
import os
import re
import secrets
import socket
import sys
import time
import warnings
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from painsim.atomic import OutputPathError, atomic_dir, atomic_path
from painsim.response import OUTCOMES
from painsim.sweep.experiment import Experiment
from painsim.sweep.fields import ExperimentError
from painsim.sweep.grid import STATUS_MEANINGS, SweepContext
from painsim.sweep.provenance import provenance_attrs


def _variables(exp: Experiment) -> dict[str, tuple[tuple[str, ...], Any, str, str]]:
    """name → (dims after the grid and trial dims, dtype, units, long_name)."""
    ow, w = ("outcome", "week"), ("week",)
    v: dict[str, tuple[tuple[str, ...], Any, str, str]] = {
        "p_drug": (ow, np.float64, "1", "responder fraction in the drug arm"),
        "p_placebo": (ow, np.float64, "1", "responder fraction in the placebo arm"),
        "nnt": (ow, np.float64, "1", "number needed to treat, 1/(p_drug - p_placebo) "
                                     "(NaN where the drug is not better than placebo)"),
        "nnt_ci_low": (ow, np.float64, "1", "lower 95 % bound of the NNT (inverted Newcombe hybrid-score "
                                            "interval; NaN where the interval of the difference includes 0)"),
        "nnt_ci_high": (ow, np.float64, "1", "upper 95 % bound of the NNT (inverted Newcombe hybrid-score "
                                             "interval; NaN where the interval of the difference includes 0)"),
        "pain_drug_mean": (w, np.float64, "1", "mean weekly pain score of the drug arm (0-10 NRS)"),
        "pain_placebo_mean": (w, np.float64, "1", "mean weekly pain score of the placebo arm (0-10 NRS)"),
        "inhibition_mean": (w, np.float64, "1", "restored descending inhibition I (-1..1), drug-arm mean "
                                                "of the weekly means"),
        "occupancy_sert_mean": (w, np.float64, "1", "SERT occupancy (fraction), drug-arm mean of the weekly means"),
        "occupancy_net_mean": (w, np.float64, "1", "NET occupancy (fraction), drug-arm mean of the weekly means"),
        "ratio_5ht_mean": (w, np.float64, "1", "spinal extracellular 5-HT relative to baseline, drug-arm mean"),
        "ratio_ne_mean": (w, np.float64, "1", "spinal extracellular NE relative to baseline, drug-arm mean"),
    }
    if exp.keep_patients:
        pw, p = ("patient", "week"), ("patient",)
        v.update({
            "pain_drug": (pw, np.float64, "1", "weekly pain score of each drug-arm patient (0-10 NRS)"),
            "pain_placebo": (pw, np.float64, "1", "weekly pain score of each placebo-arm patient (0-10 NRS)"),
            "inhibition": (pw, np.float64, "1", "weekly mean restored descending inhibition of each drug-arm patient"),
            "occupancy_sert": (pw, np.float64, "1", "weekly mean SERT occupancy of each drug-arm patient"),
            "occupancy_net": (pw, np.float64, "1", "weekly mean NET occupancy of each drug-arm patient"),
            "baseline_drug": (p, np.float64, "1", "baseline pain of each drug-arm patient (0-10 NRS)"),
            "baseline_placebo": (p, np.float64, "1", "baseline pain of each placebo-arm patient (0-10 NRS)"),
            "sensitivity": (p, np.float64, "1", "sensitivity to restored inhibition of each drug-arm patient"),
        })
    v["status"] = ((), np.int8, "1", "status of the simulated trial: "
                   + ", ".join(f"{k} {m}" for k, m in STATUS_MEANINGS.items()))
    return v


def _extra_shape(exp: Experiment, dims: tuple[str, ...]) -> tuple[int, ...]:
    sizes = {"outcome": len(exp.outcomes), "week": len(exp.report_weeks), "patient": exp.patients}
    return tuple(sizes[d] for d in dims)


def _dataset(ctx: SweepContext, data: Mapping[str, Any]):
    """Assemble the labelled Dataset around arrays (numpy or dask) of every variable."""
    import xarray as xr

    exp = ctx.exp
    grid_dims = tuple(a.name for a in ctx.axes)
    coords: dict[str, Any] = {}
    for a in ctx.axes:
        vals = np.array(a.values, dtype=object) if a.name == "drug" else np.asarray(a.values)
        coords[a.name] = xr.Variable((a.name,), vals, {"units": a.units, "long_name": a.long_name, **a.attrs})
    coords["seed"] = xr.Variable(("trial",), np.array([exp.seed + r for r in range(exp.trials)], dtype=np.int64),
                                 {"units": "1", "long_name": "random seed of the replicate trial"})
    if exp.idealised is None:
        table = np.full((len(exp.drugs), len(ctx.axes[1].values)), np.nan)
        shared = all(d.doses == exp.drugs[0].doses for d in exp.drugs)
        for i, d in enumerate(exp.drugs):
            for j in range(table.shape[1]):
                if shared or j < len(d.doses):
                    table[i, j] = d.doses[j]
        coords["dose_mg_per_day"] = xr.Variable(("drug", "dose"), table, {
            "units": "mg/day", "long_name": "target daily dose (NaN where a drug has fewer doses)"})
    coords["outcome"] = xr.Variable(("outcome",), np.array(exp.outcomes, dtype=object), {
        "units": "1", "long_name": "responder definition (reduction of pain from baseline)"})
    coords["threshold"] = xr.Variable(("outcome",), np.array([OUTCOMES[o] for o in exp.outcomes]), {
        "units": "1", "long_name": "responder threshold (fractional reduction from baseline)"})
    coords["week"] = xr.Variable(("week",), np.asarray(exp.report_weeks, dtype=np.int64), {
        "units": "week", "long_name": "week of the trial (weekly means over days 7(w-1)..7w)"})
    if exp.keep_patients:
        coords["patient"] = xr.Variable(("patient",), np.arange(exp.patients, dtype=np.int64), {
            "units": "1", "long_name": "patient index within each arm (its identity in the random stream)"})
    variables = {}
    for name, (dims, _, units, long_name) in _variables(exp).items():
        attrs = {"units": units, "long_name": long_name}
        if name == "status":
            attrs["flag_values"] = [int(k) for k in STATUS_MEANINGS]
            attrs["flag_meanings"] = " ".join(STATUS_MEANINGS.values())
        variables[name] = xr.Variable(grid_dims + dims, data[name], attrs)
    return xr.Dataset(variables, coords=coords, attrs=provenance_attrs(ctx))


def _template(ctx: SweepContext, block: tuple[int, ...]):
    """The Dataset with lazy (dask) fill-valued arrays chunked like the sweep chunks."""
    import dask.array as da

    exp = ctx.exp
    sizes = tuple(len(a.values) for a in ctx.axes)
    data = {}
    encoding = {}
    for name, (dims, dt, _, _) in _variables(exp).items():
        extra = _extra_shape(exp, dims)
        fill = -1 if name == "status" else np.nan
        data[name] = da.full(sizes + extra, fill, dtype=dt, chunks=block + extra)
        encoding[name] = {"chunks": block + extra}
        if name == "status":
            encoding[name]["fill_value"] = -1
    return _dataset(ctx, data), encoding


@contextlib.contextmanager
def _quiet_zarr() -> Iterator[None]:
    import zarr

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", zarr.errors.ZarrUserWarning)
        yield


def _open_existing(out: Path, ctx: SweepContext) -> tuple[int, ...]:
    """Check that an existing store belongs to this experiment; return its chunk shape."""
    import zarr

    try:
        with _quiet_zarr():
            group = zarr.open_group(str(out), mode="r")
            fp = group.attrs.get("painsim_fingerprint")
            status = group["status"]
            chunks = tuple(int(c) for c in status.chunks)
    except Exception:
        raise ExperimentError(f"{out} exists and is not a painsim sweep store; choose another --out "
                              "or remove it") from None
    if fp != provenance_attrs(ctx)["painsim_fingerprint"]:
        raise ExperimentError(f"{out} holds a different sweep (another experiment text, model file or "
                              "painsim version); use --overwrite, remove it, or choose another --out")
    sizes = tuple(len(a.values) for a in ctx.axes)
    if tuple(status.shape) != sizes:
        raise ExperimentError(f"{out}: the store's grid does not match the experiment; use --overwrite")
    return chunks


def _create_store(out: Path, ctx: SweepContext, block: tuple[int, ...]) -> None:
    """Write the store's metadata and coordinates to a temporary directory, then rename it."""
    template, encoding = _template(ctx, block)
    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_dir(out) as tmp, _quiet_zarr():
        template.to_zarr(str(tmp), mode="w", compute=False, encoding=encoding, consolidated=True)


def _remove_partials(out: Path) -> int:
    """Delete the temporary files of chunk writes a kill interrupted (zarr: ``<key>.<uuid>.partial``)."""
    n = 0
    for p in out.rglob("*.partial"):
        if p.is_file() and re.fullmatch(r".*\.[0-9a-f]{32}\.partial", p.name):
            p.unlink(missing_ok=True)
            n += 1
    return n


def _complete_tiles(out: Path, tiles: list[tuple[slice, ...]]) -> list[bool]:
    """A chunk is complete when its status chunk (written last) holds no fill value."""
    import zarr

    with _quiet_zarr():
        status = zarr.open_array(str(out), path="status", mode="r")[...]
    return [bool((status[t] >= 0).all()) for t in tiles]


class _StoreWriter:
    def __init__(self, out: Path, names: Iterable[str]):
        import zarr

        with _quiet_zarr():
            self.arrays = {n: zarr.open_array(str(out), path=n, mode="r+") for n in names}

    def write(self, tile: tuple[slice, ...], buf: Mapping[str, np.ndarray]) -> None:
        for name, arr in self.arrays.items():
            if name != "status":
                arr[tile] = buf[name]
        self.arrays["status"][tile] = buf["status"]  # last: marks the chunk complete


def write_netcdf(ds, path: str | os.PathLike[str]) -> Path:
    """Write a sweep Dataset to a netCDF-4 file (h5netcdf), atomically (:func:`painsim.atomic.atomic_path`)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(p) as tmp:
        ds.load().to_netcdf(tmp, engine="h5netcdf")
    return p


# --------------------------------------------------------------------------------------------
# one writer per store


class StoreLockedError(ExperimentError):
    """Another painsim sweep is writing the same zarr store."""


def lock_path(out: str | os.PathLike[str]) -> Path:
    """The lock file of a store: ``<store>.lock`` beside it (so that it also covers creating and
    ``--overwrite``-removing the store folder)."""
    out = Path(out)
    return out.with_name(out.name + ".lock")


def _read_lock(lock: Path) -> dict | None:
    """The holder recorded in a lock file (None: no lock file; {}: unreadable)."""
    for _ in range(20):  # the holder writes its line just after creating the file
        try:
            text = lock.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError:
            return {}
        try:
            info = json.loads(text)
            if isinstance(info, dict):
                return info
        except ValueError:
            pass
        time.sleep(0.05)
    return {}


def _pid_alive(pid: Any) -> bool | None:
    """Whether process ``pid`` of this host runs (None: cannot tell)."""
    if os.name != "posix" or not isinstance(pid, int) or pid <= 0:
        return None  # on Windows os.kill(pid, 0) would terminate the process
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return None
    return True


def _locked_error(out: Path, lock: Path, info: dict) -> StoreLockedError:
    pid = info.get("pid", "?")
    host = info.get("host")
    where = f" on {host}" if host and host != socket.gethostname() else ""
    return StoreLockedError(f"{out} is being written by another painsim sweep (pid {pid}{where} since "
                            f"{info.get('since', '?')}); wait for it or remove {lock} if that run is dead")


@contextlib.contextmanager
def store_lock(out: str | os.PathLike[str]) -> Iterator[Path]:
    """Hold the exclusive write lock of a sweep store for the duration of the block.

    The lock is the file ``<store>.lock``, created with ``O_CREAT | O_EXCL`` and holding the pid,
    host and start time of the writer; it is removed when the block ends, normally or by an
    exception. A lock left by a killed run (its pid no longer runs on this host) is taken over,
    with a note on stderr; any other existing lock is refused.

    Parameters
    ----------
    out : path-like
        The zarr store; its folder must exist.

    Yields
    ------
    Path
        The lock file.

    Raises
    ------
    StoreLockedError
        If another sweep holds the lock: ``"<store> is being written by another painsim sweep
        (pid N since T); wait for it or remove <lock> if that run is dead"``.
    """
    out = Path(out)
    lock = lock_path(out)
    me = {"pid": os.getpid(), "host": socket.gethostname(),
          "since": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
          "token": secrets.token_hex(8)}
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    for _ in range(10):
        try:
            fd = os.open(lock, flags, 0o666)
        except FileExistsError:
            info = _read_lock(lock)
            if info is None:
                continue  # released in the meantime: try again
            if not (info.get("host") == me["host"] and _pid_alive(info.get("pid")) is False):
                raise _locked_error(out, lock, info) from None
            # left by a dead run on this host: move it aside, and check it is the one judged dead
            aside = lock.with_name(f".{lock.name}.stale-{me['token']}")
            try:
                os.rename(lock, aside)
            except FileNotFoundError:
                continue
            moved = _read_lock(aside)
            if moved != info:  # a live writer's lock, created in between: put it back
                with contextlib.suppress(OSError):
                    os.link(aside, lock)
                with contextlib.suppress(OSError):
                    os.unlink(aside)
                raise _locked_error(out, lock, moved or {}) from None
            os.unlink(aside)
            print(f"painsim: note: {lock} was left by pid {info.get('pid')} (since {info.get('since', '?')}), "
                  "which no longer runs; taking it over", file=sys.stderr)
            continue
        except OSError as exc:
            raise OutputPathError(f"cannot create the lock file {lock} ({exc.strerror or exc})") from None
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(me) + "\n")
        break
    else:
        raise _locked_error(out, lock, _read_lock(lock) or {})
    try:
        yield lock
    finally:
        if (_read_lock(lock) or {}).get("token") == me["token"]:
            with contextlib.suppress(OSError):
                os.unlink(lock)
