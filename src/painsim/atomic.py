"""Every file painsim writes appears whole or not at all, with the user's normal permissions.

One helper for every output: :func:`atomic_path` hands a writer (``savefig``, ``to_netcdf``, a
plain ``write``) a fresh temporary path in the target's own folder — hidden, recognisable, with
the target's extension: ``.<name>.tmp-<random><suffix>`` — and, when the writer returns, flushes
the file to disk and renames it over the target (``os.replace``, atomic on POSIX and Windows). If
the writer raises, the temporary file is removed and the target is left as it was; a killed run
can leave only the hidden temporary file, never a partial target. :func:`atomic_write` is the
shorthand for text or bytes, :func:`atomic_dir` the same for a folder written in one go (a zarr
store's skeleton).

Permissions: the temporary file is created with ``os.open(..., 0o666)`` (a folder with 0o777), so
the kernel applies the process umask — and any default ACL of the folder — exactly as for a file
written with ``open(path, "w")``: 0644 under the usual umask 022. Reading the umask in Python
would mean setting it (``os.umask``), which races with other threads; ``tempfile.mkstemp``
creates 0600 files, which is why painsim's outputs were once unreadable to anyone else.

:func:`check_output_path` checks an output path before any computation (a path under a regular
file, a folder that does not exist, a folder that is not writable), raising
:class:`OutputPathError` with a one-line message; the command line prints it and exits with
status 2.

This module imports nothing from painsim: the command line and the library both use it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
from collections.abc import Iterator
from pathlib import Path

__all__ = ["OutputPathError", "atomic_dir", "atomic_path", "atomic_write", "check_output_path", "temp_name"]


class OutputPathError(OSError):
    """An output path painsim cannot write (its folder is missing, a file, or not writable)."""


def temp_name(target: Path) -> Path:
    """A fresh hidden name next to ``target`` with its extension: ``.<name>.tmp-<8 hex><suffix>``.

    Parameters
    ----------
    target : Path
        The file or folder to be written.

    Returns
    -------
    Path
        The temporary path (not created).

    Examples
    --------
    >>> temp_name(Path("out/fig.png")).name.startswith(".fig.png.tmp-")
    True
    >>> temp_name(Path("out/fig.png")).suffix
    '.png'
    """
    return target.with_name(f".{target.name}.tmp-{secrets.token_hex(4)}{target.suffix}")


def _create_temp(target: Path) -> tuple[int, Path]:
    """Create and open (write-only) a new temporary file next to ``target``, mode 0o666 & ~umask."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    for _ in range(100):
        tmp = temp_name(target)
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
        except OSError as exc:
            raise _path_error(target, exc) from None
    raise FileExistsError(f"no free temporary name next to {target}")  # pragma: no cover


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; best effort)."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary path to write ``path`` through; renamed into place when the block succeeds.

    The temporary file already exists (empty, with the user's normal permissions) in the target's
    folder; the writer may overwrite or truncate it (``fig.savefig(tmp)``,
    ``ds.to_netcdf(tmp)``). When the block ends normally its contents are flushed to disk and it
    replaces ``path``; when the block raises (or is interrupted), it is removed and ``path`` is
    untouched.

    Parameters
    ----------
    path : path-like
        The file to write; its folder must exist.

    Yields
    ------
    Path
        The temporary path, ``.<name>.tmp-<random><suffix>`` next to ``path``.

    Raises
    ------
    OutputPathError
        If the temporary file cannot be created (the folder is missing, a file, or not writable).
    """
    target = Path(path)
    fd, tmp = _create_temp(target)
    os.close(fd)
    try:
        yield tmp
        fd = os.open(tmp, os.O_RDWR | getattr(os, "O_BINARY", 0))
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)


def atomic_write(path: str | os.PathLike[str], data: str | bytes, *, encoding: str = "utf-8") -> Path:
    """Write a whole file at once: through a temporary file in the same folder and a rename.

    A reader — or an interrupted run — never sees a half-written file; the file gets the user's
    normal permissions (0666 & ~umask).

    Parameters
    ----------
    path : path-like
        The file; its folder must exist.
    data : str or bytes
        The contents; text is encoded with ``encoding`` (newlines are written as given).
    encoding : str, default "utf-8"
        For text.

    Returns
    -------
    Path
        ``path``.

    Raises
    ------
    OutputPathError
        If the folder is missing, a file, or not writable.
    """
    target = Path(path)
    raw = data.encode(encoding) if isinstance(data, str) else bytes(data)
    fd, tmp = _create_temp(target)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(raw)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(target.parent)
    return target


@contextlib.contextmanager
def atomic_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """A temporary folder to fill and rename to ``path`` (which must not exist) when the block succeeds.

    The folder has the user's normal permissions (0777 & ~umask), unlike ``tempfile.mkdtemp``'s
    0700. When the block raises, the temporary folder and its contents are removed.

    Parameters
    ----------
    path : path-like
        The folder to create; its parent must exist.

    Yields
    ------
    Path
        The temporary folder, ``.<name>.tmp-<random><suffix>`` next to ``path``.

    Raises
    ------
    OutputPathError
        If the temporary folder cannot be created.
    FileExistsError
        If ``path`` appeared in the meantime (the rename does not replace a folder).
    """
    target = Path(path)
    for _ in range(100):
        tmp = temp_name(target)
        try:
            os.mkdir(tmp, 0o777)
            break
        except FileExistsError:
            continue
        except OSError as exc:
            raise _path_error(target, exc) from None
    else:  # pragma: no cover
        raise FileExistsError(f"no free temporary name next to {target}")
    try:
        yield tmp
        if target.exists():
            raise FileExistsError(f"{target} appeared while it was being written")
        os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_dir(target.parent)


def _what(path: Path, option: str | None) -> str:
    return f"{option} {path}" if option else f"cannot write {path}"


#: the longest file name most file systems hold, bytes
_NAME_MAX = 255


def _path_error(path: Path, exc: OSError | None = None, option: str | None = None) -> OutputPathError:
    """The one-line error for an output path that cannot be written (why, found by looking)."""
    head = _what(path, option)
    folder = path.parent
    probe = folder
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        return OutputPathError(f"{head}: {probe} is a file, not a folder")
    if not folder.exists():
        return OutputPathError(f"{head}: the folder {folder} does not exist; create it or choose another")
    if path.is_dir():
        return OutputPathError(f"{head}: it is a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        return OutputPathError(f"{head}: the folder {folder} is not writable")
    why = f" ({exc.strerror or exc})" if exc is not None else ""
    return OutputPathError(f"{head}: cannot create a file in {folder}{why}")


def check_output_path(path: str | os.PathLike[str], option: str | None = None, *, folder: bool = False,
                      create_parents: bool = False) -> Path:
    """Check, before any computation, that painsim will be able to write ``path``.

    Parameters
    ----------
    path : path-like
        The output file (or, with ``folder``, a folder such as a zarr store).
    option : str, optional
        The command-line option that named it (``"--out"``), for the message.
    folder : bool, default False
        ``path`` is a folder written as a whole (a zarr store): an existing folder is fine
        (whether it is the right one is the writer's business); otherwise an existing folder at
        ``path`` is an error.
    create_parents : bool, default False
        Create missing parent folders (as the library's writers do) instead of refusing them.

    Returns
    -------
    Path
        ``path`` as a Path.

    Raises
    ------
    OutputPathError
        One line: ``"<option or 'cannot write'> <path>: <why>"`` — a parent that is a regular
        file, a folder that does not exist (unless ``create_parents``), a folder that is not
        writable, or (unless ``folder``) a folder where the file should go.
    """
    p = Path(path)
    # a name the file system cannot hold (and the temporary file's longer name) fails before looking
    too_long = any(len(os.fsencode(part)) > _NAME_MAX - 32 for part in p.parts)
    if too_long or "\x00" in str(p):
        shown = str(p) if len(str(p)) <= 60 else str(p)[:57] + "..."
        why = "a file or folder name over 220 bytes" if too_long else "a NUL character"
        raise OutputPathError(f"{_what(Path(shown), option)}: the path has {why}; choose another")
    if create_parents:
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _path_error(p, exc, option) from None
    parent = p.parent
    if not parent.is_dir() or (p.is_dir() and not folder) or not os.access(parent, os.W_OK | os.X_OK):
        raise _path_error(p, None, option)
    return p
