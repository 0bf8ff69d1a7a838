"""Fuzz the model-file loaders with mutated copies of the shipped drug and experiment files.

Each example copies one shipped file to a temporary directory and damages it: flipped or inserted
bytes, deleted lines, deleted keys, a value of the wrong type (table or list -> number, number ->
string, ...) or an extreme number (0, -1, 1e300, nan, inf, a whole number beyond 64 bits). The
loader must then either refuse the file with its own one-line error naming the file
(:class:`~painsim.modelfile.ModelFileError` for drug files, :class:`~painsim.sweep.ExperimentError`
for experiment files) or load it; a drug file that loads must give finite, non-negative
steady-state concentrations and occupancies in [0, 1] without a RuntimeWarning.

The default run is reproducible (``derandomize=True``: the same examples every run); the slow
variant draws more.
"""

from __future__ import annotations

import copy
import json
import math
import tempfile
import tomllib
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from painsim.library import load_drug, models_dir
from painsim.modelfile import ModelFileError
from painsim.occupancy import steady_state_occupancy
from painsim.occupancy_fit import with_own_ec50s
from painsim.steady_state import steady_state
from painsim.sweep import ExperimentError, load_experiment

DRUG_FILES = sorted((models_dir() / "drugs").glob("*.toml"))
EXPERIMENT_FILES = sorted((Path(__file__).resolve().parents[2] / "experiments").glob("*.toml"))

#: replacement values: wrong types and extreme numbers
EXTREMES: list[Any] = [0, -1, 0.0, -1.0, 1e300, -1e300, 1e-300, math.nan, math.inf, -math.inf, 10**30,
                       "x", "", True, [], [1.0], {}, {"value": 1.0}]


# --------------------------------------------------------------------------------------------
# a small TOML writer (the standard library only reads TOML): everything as inline values


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k, ensure_ascii=False)} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(str(value))  # dates and times: written as strings


def dump_toml(doc: dict[str, Any]) -> str:
    """``doc`` as TOML text, the dialect first (every top-level key as one inline value)."""
    keys = sorted(doc, key=lambda k: k != "dialect")
    return "\n".join(f"{json.dumps(k)} = {_toml(doc[k])}" for k in keys) + "\n"


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path (dict keys and list indices) into ``node``, outermost first."""
    out = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for k, v in items:
        out.append((*prefix, k))
        out.extend(_paths(v, (*prefix, k)))
    return out


def _get(doc: Any, path: tuple) -> Any:
    for k in path:
        doc = doc[k]
    return doc


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _set(doc: Any, path: tuple, value: Any, delete: bool) -> None:
    for k in path[:-1]:
        doc = doc[k]
    if delete:
        del doc[path[-1]]
    else:
        doc[path[-1]] = value


# --------------------------------------------------------------------------------------------
# mutations


@st.composite
def structural(draw: st.DrawFn, text: str) -> str:
    """1-3 key deletions or replacements by a wrong type or an extreme number."""
    doc = tomllib.loads(text)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p != ("dialect",)]
        numbers = [p for p in paths if _is_number(_get(doc, p))]
        if numbers and draw(st.booleans()):
            paths = numbers  # half the time a number: most of what a loader checks
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for k in path[:-1]:
            parent = parent[k]
        old = parent[path[-1]]
        choices = list(EXTREMES)
        if _is_number(old):
            # near the old value too: the ranges must hold where the types are right
            choices += [old * 1e3, old * 1e-3, -old, str(old)]
        kind = draw(st.sampled_from(["delete", "replace"]))
        # a copy: a later mutation may reach inside the new value, and EXTREMES must stay as it is
        _set(doc, path, copy.deepcopy(draw(st.sampled_from(choices))), delete=kind == "delete")
    return dump_toml(doc)


@st.composite
def textual(draw: st.DrawFn, data: bytes) -> bytes:
    """Byte damage: flipped, inserted or deleted bytes, or deleted lines."""
    kind = draw(st.sampled_from(["flip", "insert", "cut", "lines"]))
    if kind == "lines":
        lines = data.split(b"\n")
        drop = set(draw(st.lists(st.integers(0, len(lines) - 1), min_size=1, max_size=4)))
        return b"\n".join(line for i, line in enumerate(lines) if i not in drop)
    pos = draw(st.integers(0, len(data) - 1))
    if kind == "flip":
        return data[:pos] + bytes([draw(st.integers(0, 255))]) + data[pos + 1:]
    if kind == "insert":
        return data[:pos] + draw(st.binary(min_size=1, max_size=4)) + data[pos:]
    return data[:pos] + data[pos + draw(st.integers(1, 8)):]


@st.composite
def mutated(draw: st.DrawFn, files: list[Path]) -> tuple[str, bytes]:
    src = draw(st.sampled_from(files))
    data = src.read_bytes()
    if draw(st.booleans()):
        out = draw(structural(data.decode("utf-8"))).encode("utf-8")
    else:
        out = draw(textual(data))
    return src.name, out


# --------------------------------------------------------------------------------------------
# the checks


def _one_line_naming(exc: Exception, path: Path) -> None:
    msg = str(exc)
    assert "\n" not in msg, msg
    assert path.name in msg, msg


def check_drug(name: str, data: bytes) -> None:
    """Load a mutated drug file: the loader's error, or a model whose numbers make sense."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            drug = load_drug(path)
        except ModelFileError as exc:
            _one_line_naming(exc, path)
            return
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        for dose in (drug.dosing.dose_min.value, drug.dosing.dose_max.value):
            for ss in steady_state(drug, dose, n_grid=200):
                for c in (ss.cmax, ss.cmin, ss.cavg):
                    assert math.isfinite(c) and c >= 0.0, (name, dose, ss)
            # a user's file gets EC50s computed from itself, as `--drug FILE` does
            occ = steady_state_occupancy(with_own_ec50s(drug), dose)
            for o in occ.values():
                for x in (o.trough, o.mean, o.peak):
                    assert np.isfinite(x) and 0.0 <= x <= 1.0, (name, dose, o)


def check_experiment(name: str, data: bytes) -> None:
    """Load a mutated experiment file: its loader's error, or an experiment."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        with warnings.catch_warnings():
            warnings.simplefilter("error", RuntimeWarning)
            try:
                exp = load_experiment(path)
            except ExperimentError as exc:
                _one_line_naming(exc, path)
                return
    for p in exp.parameters:
        assert all(math.isfinite(v) for v in p.values), p
    for d in exp.drugs:
        assert all(0.0 < v and math.isfinite(v) for v in d.doses), d


_FAST = settings(max_examples=1200, deadline=None, derandomize=True, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_FAST_EXP = settings(_FAST, max_examples=600)
_SLOW = settings(_FAST, max_examples=5000, derandomize=False)


@_FAST
@given(mutated(DRUG_FILES))
def test_fuzz_drug_files(case: tuple[str, bytes]) -> None:
    check_drug(*case)


@_FAST_EXP
@given(mutated(EXPERIMENT_FILES))
def test_fuzz_experiment_files(case: tuple[str, bytes]) -> None:
    check_experiment(*case)


@pytest.mark.slow
@_SLOW
@given(mutated(DRUG_FILES))
def test_fuzz_drug_files_long(case: tuple[str, bytes]) -> None:
    check_drug(*case)


@pytest.mark.slow
@_SLOW
@given(mutated(EXPERIMENT_FILES))
def test_fuzz_experiment_files_long(case: tuple[str, bytes]) -> None:
    check_experiment(*case)


def test_writer_round_trips_every_shipped_file() -> None:
    """The fuzz's TOML writer reproduces every shipped file's document (so mutations are the only change)."""
    for src in [*DRUG_FILES, *EXPERIMENT_FILES]:
        doc = tomllib.loads(src.read_text(encoding="utf-8"))
        assert tomllib.loads(dump_toml(doc)) == doc, src.name
