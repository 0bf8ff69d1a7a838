"""Shared fixtures. Randomness in tests is seeded; hypothesis runs with a fixed profile."""

from __future__ import annotations

import contextlib
import importlib
import os
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

# figures (and the doctests of src/painsim, collected with the tests) never need a display
os.environ.setdefault("MPLBACKEND", "Agg")

from hypothesis import HealthCheck, settings

settings.register_profile(
    "painsim",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("PAINSIM_HYPOTHESIS_PROFILE", "painsim"))

SRC_PACKAGE = Path(__file__).resolve().parents[1] / "src" / "painsim"


def pytest_collection(session) -> None:
    """Doctests of src/painsim run against the painsim the tests import, never a mix of two copies.

    pytest's importlib mode (pyproject.toml) takes a module that is already in sys.modules and
    otherwise loads the file under src/. The tests import the installed painsim (CI installs it
    non-editably), so without this a module no test happened to import would come from src/ while
    its imports come from site-packages. Importing every submodule of the importable painsim first
    makes all doctests use that one copy (the src/ one under PYTHONPATH=src).
    """
    here = session.config.invocation_params.dir
    paths = [(here / str(arg).split("::", 1)[0]).resolve() for arg in session.config.args]
    if not any(p == SRC_PACKAGE or p in SRC_PACKAGE.parents or SRC_PACKAGE in p.parents for p in paths):
        return
    try:
        import painsim
    except ImportError:
        return
    for info in pkgutil.walk_packages(painsim.__path__, "painsim."):
        if info.name.rpartition(".")[2] != "__main__":
            with contextlib.suppress(Exception):  # a broken module is reported by its own collection
                importlib.import_module(info.name)


@pytest.fixture(scope="session")
def reproduced(tmp_path_factory) -> tuple[Path, subprocess.CompletedProcess]:
    """One `painsim reproduce --patients 100` run (~1 min on 2 cores), shared by the CLI test and
    the browser test: (output folder, completed process)."""
    out = tmp_path_factory.mktemp("reproduce") / "out"
    r = subprocess.run([sys.executable, "-m", "painsim", "reproduce", "--out", str(out), "--patients", "100"],
                       capture_output=True, text=True, timeout=900, env=dict(os.environ, MPLBACKEND="Agg"))
    return out, r
