"""Running a sweep: the chunks that are missing, computed in order or as Dask tasks."""

from __future__ import annotations

import contextlib
import math
import os
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from painsim.atomic import check_output_path
from painsim.sweep.experiment import Experiment, load_experiment
from painsim.sweep.fields import ExperimentError
from painsim.sweep.grid import STATUS_MEANINGS, _block_shape, _tiles, sweep_context
from painsim.sweep.point import _compute_tile
from painsim.sweep.store import (
    _complete_tiles,
    _create_store,
    _dataset,
    _extra_shape,
    _open_existing,
    _quiet_zarr,
    _remove_partials,
    _StoreWriter,
    _variables,
    store_lock,
    write_netcdf,
)

#: patient-arm simulations per chunk when no chunk size is given
DEFAULT_CHUNK_PATIENTS = 10_000


@dataclass
class SweepStats:
    """What a sweep run did: chunks in the grid, already complete, computed now; wall time (s).

    Attributes
    ----------
    chunks : int
        Chunks of the grid.
    complete_before : int
        Chunks already complete in the store when the run started (resumed).
    computed : int
        Chunks computed by this run.
    patients : int
        Patient-arm simulations run by this run.
    seconds : float
        Wall time of the run, s.
    status_counts : dict of str to int
        (point, trial) cells per status meaning (:data:`STATUS_MEANINGS`).
    out : str or None
        The zarr store, if any.
    """

    chunks: int = 0
    complete_before: int = 0
    computed: int = 0
    patients: int = 0
    seconds: float = 0.0
    status_counts: dict[str, int] = field(default_factory=dict)
    out: str | None = None


def map_tasks(fn: Callable[[Any, Any], Any], ctx: Any, items: Sequence[Any], on_result: Callable[[int, Any], None], *,
              scheduler: Any = None, workers: int | None = None) -> None:
    """Apply ``fn(ctx, item)`` to every item, locally in order or as Dask tasks; results to ``on_result``.

    On Dask, ``ctx`` is sent once to every worker and at most two tasks per worker are in flight,
    so that finished results are handed to ``on_result`` (and written) while the others run.

    Parameters
    ----------
    fn : callable
        ``fn(ctx, item) -> result``; importable by the workers (a module-level function).
    ctx : object
        Shared by every call (picklable for Dask).
    items : sequence
        One task each.
    on_result : callable
        ``on_result(index of the item, result)``: in order locally, in order of completion on Dask.
    scheduler : str or dask.distributed.Client, optional
        Run on this Dask scheduler (``tcp://HOST:PORT``) or client.
    workers : int, optional
        Start a local Dask cluster with this many worker processes (one thread each, the CPUs
        shared among them for numba).

    Raises
    ------
    ExperimentError
        A scheduler address that is not one, or one that cannot be reached.
    """
    if scheduler is None and not workers:
        for i, item in enumerate(items):
            on_result(i, fn(ctx, item))
        return
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError:  # pragma: no cover - a core dependency
        raise ExperimentError("Dask runs need dask.distributed: pip install 'dask[distributed]'") from None
    cluster = None
    own_client = True
    if scheduler is not None and not isinstance(scheduler, str):
        client, own_client = scheduler, False
    elif scheduler is not None:
        if not scheduler.startswith(("tcp://", "tls://", "inproc://", "ws://", "wss://")):
            raise ExperimentError(f"--scheduler must be an address like tcp://HOST:PORT, got {scheduler!r}")
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise ExperimentError(f"cannot connect to the Dask scheduler at {scheduler} ({exc})") from None
    else:
        threads = max(1, (os.cpu_count() or 1) // int(workers or 1))
        cluster = LocalCluster(n_workers=int(workers or 1), threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address=None,
                               env={"NUMBA_NUM_THREADS": str(threads)})
        client = Client(cluster)
    try:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
        ctx_future = client.scatter(ctx, broadcast=True)
        window = 2 * n_workers
        pending = iter(enumerate(items))
        index_of = {}
        ac = as_completed()

        def submit_next() -> bool:
            try:
                i, item = next(pending)
            except StopIteration:
                return False
            fut = client.submit(fn, ctx_future, item, pure=False)
            index_of[fut.key] = i
            ac.add(fut)
            return True

        for _ in range(window):
            if not submit_next():
                break
        for fut in ac:
            result = fut.result()
            i = index_of.pop(fut.key)
            fut.release()
            on_result(i, result)
            submit_next()
    finally:
        if own_client:
            client.close()
        if cluster is not None:
            cluster.close()


def _default_chunk_size(exp: Experiment) -> int:
    arms = 1 if exp.idealised is not None else 2
    return max(1, DEFAULT_CHUNK_PATIENTS // (exp.patients * arms))


def run_sweep(experiment: Experiment | str | os.PathLike[str], *, out: str | os.PathLike[str] | None = None,
              chunk_size: int | None = None, scheduler: Any = None, workers: int | None = None,
              quiet: bool = True, netcdf: str | os.PathLike[str] | None = None, overwrite: bool = False,
              stats: SweepStats | None = None):
    """Run an experiment's grid of virtual trials.

    Parameters
    ----------
    experiment : Experiment or path
        From :func:`load_experiment` (or the path of a TOML file).
    out : path, optional
        A zarr store. Each chunk is written when it finishes; a store left by an interrupted run
        of the same experiment is resumed (only missing chunks are computed).
    chunk_size : int, optional
        (point, trial) pairs per chunk (default: about 10 000 simulated patients per chunk).
        Ignored when resuming a store (its chunking is kept). Results do not depend on it.
    scheduler : str or dask.distributed.Client, optional
        Run the chunks as Dask tasks on this scheduler (``tcp://HOST:PORT``).
    workers : int, optional
        Start a local ``dask.distributed`` cluster with this many worker processes.
    quiet : bool
        No progress bar (the bar is shown on a terminal only).
    netcdf : path, optional
        Also write the finished Dataset to this netCDF-4 file (h5netcdf, written atomically).
    overwrite : bool
        Replace an existing store at ``out`` instead of resuming it.
    stats : SweepStats, optional
        Filled with what the run did (chunks, resumed, computed, patients/s).

    Returns
    -------
    xarray.Dataset
        Dims ``drug``, ``dose`` (absent for an idealised inhibitor), one per swept parameter (its
        dotted name), ``trial``, ``outcome``, ``week`` and ``patient`` (``keep_patients``). Every
        variable and coordinate has ``units`` and ``long_name``; provenance is in ``attrs``.
        With ``out`` the Dataset is read back from the store (lazy, Dask-backed).

    Raises
    ------
    painsim.atomic.OutputPathError
        Before anything is computed, if ``out`` or ``netcdf`` cannot be written (a parent is a
        regular file, or the folder is not writable; missing folders are created).
    StoreLockedError
        If another sweep is writing the store ``out`` (its lock file ``<out>.lock``, see
        :func:`painsim.sweep.store.store_lock`).
    """
    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment)
    if chunk_size is not None and (isinstance(chunk_size, bool) or int(chunk_size) < 1):
        raise ExperimentError(f"chunk size must be a positive whole number, got {chunk_size!r}")
    if workers is not None and int(workers) < 1:
        raise ExperimentError(f"--workers must be at least 1, got {workers!r}")
    stats = SweepStats() if stats is None else stats
    t0 = time.perf_counter()
    ctx = sweep_context(exp)
    sizes = tuple(len(a.values) for a in ctx.axes)
    block = _block_shape(sizes, chunk_size or _default_chunk_size(exp))
    # the output paths are checked before anything is computed, and one sweep at a time writes a store
    if netcdf is not None:
        check_output_path(netcdf, create_parents=True)
    guard = contextlib.ExitStack()
    if out is not None:
        out = check_output_path(out, folder=True, create_parents=True)
        guard.enter_context(store_lock(out))
    with guard:
        return _run_locked(exp, ctx, sizes, block, out, scheduler=scheduler, workers=workers, quiet=quiet,
                           netcdf=netcdf, overwrite=overwrite, stats=stats, t0=t0)


def _run_locked(exp: Experiment, ctx: Any, sizes: tuple[int, ...], block: tuple[int, ...], out: Path | None, *,
                scheduler: Any, workers: int | None, quiet: bool, netcdf: Any, overwrite: bool,
                stats: SweepStats, t0: float):
    """The body of :func:`run_sweep`, once the output paths are checked and the store is locked."""
    import xarray as xr

    from painsim.progress import Progress

    writer = None
    memory: dict[str, np.ndarray] | None = None
    if out is not None:
        if out.exists() and overwrite:
            if not (out / "zarr.json").exists():
                raise ExperimentError(f"{out} exists and is not a zarr store; not overwriting it")
            shutil.rmtree(out)
        if out.exists():
            block = _open_existing(out, ctx)
            _remove_partials(out)
        else:
            _create_store(out, ctx, block)
    tiles = _tiles(sizes, block)
    if out is not None:
        done = _complete_tiles(out, tiles)
        writer = _StoreWriter(out, _variables(exp))
    else:
        done = [False] * len(tiles)
        memory = {k: np.full(sizes + _extra_shape(exp, dims), -1 if k == "status" else np.nan, dtype=dt)
                  for k, (dims, dt, _, _) in _variables(exp).items()}
    todo = [t for t, d in zip(tiles, done, strict=True) if not d]
    stats.chunks, stats.complete_before = len(tiles), len(tiles) - len(todo)
    stats.out = None if out is None else str(out)
    arms = 1 if (exp.design == "crossover") else 2
    bar = Progress(len(todo), f"sweep {exp.name}", enabled=not quiet, unit="chunks")
    start = time.perf_counter()

    def on_result(i: int, buf: dict[str, np.ndarray]) -> None:
        tile = todo[i]
        if writer is not None:
            writer.write(tile, buf)
        else:
            assert memory is not None
            for name, arr in buf.items():
                memory[name][tile] = arr
        units = math.prod(s.stop - s.start for s in tile)
        stats.computed += 1
        stats.patients += units * exp.patients * arms
        rate = stats.patients / max(time.perf_counter() - start, 1e-9)
        bar.update(note=f"{rate:,.0f} patients/s")

    with bar:
        map_tasks(_compute_tile, ctx, todo, on_result, scheduler=scheduler, workers=workers)
    if out is not None:
        with _quiet_zarr():
            ds = xr.open_zarr(str(out))
    else:
        assert memory is not None
        ds = _dataset(ctx, memory)
    status = np.asarray(ds["status"].values)
    stats.status_counts = {STATUS_MEANINGS[k]: int((status == k).sum()) for k in STATUS_MEANINGS
                           if (status == k).any()}
    if netcdf is not None:
        write_netcdf(ds, netcdf)
    stats.seconds = time.perf_counter() - t0
    return ds
