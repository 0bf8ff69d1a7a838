"""Experiments as data: grids of virtual trials → a labelled :class:`xarray.Dataset` (zarr, netCDF).

An *experiment* is a TOML file (see ``experiments/`` for commented examples)::

    [experiment]
    seed = 2026            # replicate trial r uses seed + r: the same patients at every grid point
    trials = 3             # replicate trials per grid point
    patients = 1000        # per arm
    weeks = 12
    outcomes = ["50pct", "30pct"]
    report_weeks = [4, 8, 12]          # default: every week

    [drugs.duloxetine]
    doses = [30, 60, 90, 120]          # mg/day; or { start = 30, stop = 120, step = 30 }

    [parameters]                        # any model parameter by its dotted name
    "calibration.w_ne" = { start = 5.0, stop = 20.0, num = 4 }
    "physiology.serotonin.feedback_gain" = [0.5, 1.0]

Keys (every other key is refused):

- ``[experiment]``: ``weeks`` (required), ``seed`` (1), ``trials`` (1), ``patients`` per arm (500),
  ``outcomes`` (``["50pct"]``; also ``"30pct"``), ``report_weeks`` (every week), ``condition``
  (``"dpn"``, ``"phn"``, ``"central"``, ``"mixed"``), ``placebo_response`` (the placebo arm's
  expected responder fraction for ``placebo_outcome`` at the end of the trial; default: the
  condition's rate), ``placebo_outcome`` (``"50pct"``), ``design`` (``"parallel"`` or
  ``"crossover"``), ``missed_doses`` (probability, 0), ``variability`` (true),
  ``keep_patients`` (false), ``physiology`` / ``calibration`` (other model files, paths relative
  to the experiment file), ``name``, ``description``;
- ``[drugs.<name>]``: ``doses`` (mg/day; a list or a range), ``titration`` (``[[day, fraction of
  the target dose], ...]``, first step on day 0), ``interval`` (h); drugs with different dose
  lists share a ``dose`` axis of dose *levels* and the coordinate ``dose_mg_per_day(drug, dose)``
  (NaN and status "not_applicable" where a drug has fewer doses);
- ``[idealised]`` (instead of ``[drugs]``): ``label``, ``sert``, ``net`` (occupancies used when
  they are not swept);
- ``[parameters]``: dotted name → list of values or range ``{ start, stop, num | step,
  scale = "linear" | "log" }`` (canonical units of ``models/README.md``);
- ``[sensitivity]``: read by :mod:`painsim.sensitivity`.

A *point* of the grid is (drug, dose, one value of every swept parameter). At each point and for
each replicate trial the two-arm trial of :func:`painsim.trial.run_trial` is simulated (same
populations, same placebo model, same responder and NNT rules) and reduced to endpoints:
responder fractions per arm, NNT and its interval for every outcome at every reported week, mean
pain per arm, mean occupancy, inhibition and transmitter ratios per week, a status code, and —
with ``keep_patients = true`` — the per-patient arrays.

Dotted parameter names are routed to the object that owns them:

- ``drug.<moiety>.<...>`` → :meth:`painsim.library.DrugSpec.with_value` (``drug.duloxetine.pk.cl``,
  ``drug.venlafaxine.occupancy.net.ec50``; ``drug.dosing.<field>`` applies to every drug; a moiety
  parameter applies to the drugs that have that moiety and leaves the others unchanged);
- ``physiology.<section>.<field>`` → :meth:`painsim.physiology.Physiology.with_value`;
- ``calibration.<name>`` → :meth:`painsim.calibration.Calibration.with_values`;
- ``occupancy.sert`` / ``occupancy.net`` → the occupancies of an *idealised inhibitor*
  (``[idealised]`` instead of ``[drugs]``): constant transporter occupancy from day 0, no PK,
  fed to the same synapse and dorsal-horn stage functions (:func:`fixed_occupancy_course`) — the
  "selectivity map".

Crash safety and determinism
----------------------------
The grid (plus the ``trial`` axis) is cut into rectangular *chunks*; each chunk is exactly one
zarr chunk of every result array, so no two chunks share a file. The store's metadata (shapes,
coordinates, provenance) is written first, to a temporary directory renamed into place. A chunk's
arrays are written when it finishes (every zarr chunk file is written to a temporary name and
renamed by zarr), and its ``status`` chunk is written *last*: a chunk whose status is present is
complete, one whose status is still the fill value (−1) is recomputed on the next run. Rerunning
the same command therefore computes only the missing chunks, and since every number depends only
on (parameters, seed + r, patient index) — never on the chunk, the thread count or the scheduler —
the finished store is bit-identical to an uninterrupted run.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import math
import os
import re
import shutil
import tempfile
import time
import tomllib
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numba as nb
import numpy as np

from painsim.calibration import PARAMETERS as CALIBRATION_PARAMETERS
from painsim.calibration import Calibration, load_calibration
from painsim.dorsal_horn import dorsal_horn_params, inhibition
from painsim.library import DrugSpec, ModelFileError, UnknownDrugError, Value, load_drug, models_dir
from painsim.physiology import SCHEMA as PHYSIOLOGY_SCHEMA
from painsim.physiology import Physiology, load_physiology
from painsim.population import ARM_DRUG, ARM_PLACEBO, Population, draw_population
from painsim.regimen import InvalidRegimenError
from painsim.simulate import HOURS_PER_WEEK, N_OUT, Courses
from painsim.synapse import qss_ratio, slow_step, synapse_params
from painsim.trial import (
    CONDITIONS,
    OUTCOMES,
    drug_courses,
    nnt_with_ci,
    placebo_response_arr,
    trial_placebo_mu,
)

__all__ = [
    "STATUS_MEANINGS",
    "Experiment",
    "ExperimentError",
    "Parameter",
    "SweepStats",
    "fixed_occupancy_course",
    "load_experiment",
    "parse_experiment",
    "run_sweep",
]

#: status codes of a (point, trial): -1 is the store's fill value (not computed yet)
STATUS_OK, STATUS_NONFINITE, STATUS_INFEASIBLE, STATUS_NOT_APPLICABLE = 0, 1, 2, 3
STATUS_MEANINGS = {
    -1: "not_computed",
    STATUS_OK: "ok",
    STATUS_NONFINITE: "non_finite_model_output",
    STATUS_INFEASIBLE: "infeasible_parameters",
    STATUS_NOT_APPLICABLE: "not_applicable",
}
#: patient-arm simulations per chunk when no chunk size is given
DEFAULT_CHUNK_PATIENTS = 10_000
IDEALISED_STEP_H = 1.0


class ExperimentError(ValueError):
    """A mistake in an experiment file or a sweep request (reported in one line, exit 2)."""


# --------------------------------------------------------------------------------------------
# the experiment


@dataclass(frozen=True)
class Parameter:
    """One swept model parameter.

    Attributes
    ----------
    name : str
        Dotted name (also the dimension name in the results).
    values : tuple of float
        Values in the parameter's canonical unit.
    units : str
    long_name : str
    applies_to : tuple of str
        Drugs a ``drug.<moiety>.…`` parameter changes (empty otherwise).
    """

    name: str
    values: tuple[float, ...]
    units: str
    long_name: str
    applies_to: tuple[str, ...] = ()


@dataclass(frozen=True)
class DrugEntry:
    """A drug of an experiment: its doses (mg/day), titration and dosing interval."""

    name: str
    doses: tuple[float, ...]
    titration: tuple[tuple[float, float], ...] = ()  # (day, fraction of the target dose)
    interval: float | None = None


@dataclass(frozen=True)
class Idealised:
    """An idealised inhibitor: fixed SERT/NET occupancy from day 0, no pharmacokinetics."""

    label: str = "idealised"
    sert: float = 0.0
    net: float = 0.0


@dataclass(frozen=True)
class SensitivitySpec:
    """The ``[sensitivity]`` table: uncertain parameters and sampling settings."""

    parameters: tuple[tuple[str, float, float, str], ...]  # (name, low, high, scale)
    methods: tuple[str, ...] = ("morris", "sobol")
    outcome: str = "50pct"
    week: int | None = None
    morris_trajectories: int = 8
    morris_levels: int = 4
    sobol_n: int = 32
    seed: int | None = None


@dataclass(frozen=True)
class Experiment:
    """A parsed experiment file (see the module docstring for the format)."""

    name: str
    description: str
    text: str
    path: str | None
    seed: int
    trials: int
    patients: int
    weeks: int
    report_weeks: tuple[int, ...]
    outcomes: tuple[str, ...]
    condition: str
    placebo_response: float | None
    placebo_outcome: str
    design: str
    missed_doses: float
    variability: bool
    keep_patients: bool
    drugs: tuple[DrugEntry, ...]
    idealised: Idealised | None
    parameters: tuple[Parameter, ...]
    physiology_path: str | None = None
    calibration_path: str | None = None
    sensitivity: SensitivitySpec | None = None
    specs: Mapping[str, DrugSpec] = field(default_factory=dict, repr=False, compare=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def physiology(self) -> Physiology:
        return load_physiology(self.physiology_path)

    def calibration(self) -> Calibration:
        return load_calibration(self.calibration_path)


_TOP_KEYS = {"experiment", "drugs", "idealised", "parameters", "sensitivity"}
_EXPERIMENT_KEYS = {"name", "description", "seed", "trials", "patients", "weeks", "outcomes",
                    "report_weeks", "condition", "placebo_response", "placebo_outcome", "design",
                    "missed_doses", "variability", "keep_patients", "physiology", "calibration"}
_DRUG_KEYS = {"doses", "titration", "interval"}
_IDEALISED_KEYS = {"label", "sert", "net"}
_RANGE_KEYS = {"start", "stop", "num", "step", "scale"}
_SENS_KEYS = {"parameters", "methods", "outcome", "week", "morris_trajectories", "morris_levels",
              "sobol_n", "seed"}
RESERVED_DIMS = ("drug", "dose", "trial", "week", "outcome", "patient")


def _where(path: str | None) -> str:
    return f"{path}: " if path else ""


def _check_keys(table: Any, allowed: set[str], where: str, path: str | None) -> dict:
    if not isinstance(table, dict):
        raise ExperimentError(f"{_where(path)}{where} must be a table")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ExperimentError(f"{_where(path)}unknown key {unknown[0]!r} in {where} "
                              f"(allowed: {', '.join(sorted(allowed))})")
    return table


def _int(raw: Any, where: str, path: str | None, *, minimum: int = 1, maximum: int | None = None) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ExperimentError(f"{_where(path)}{where} must be a whole number, got {raw!r}")
    if raw < minimum or (maximum is not None and raw > maximum):
        hi = f" and at most {maximum}" if maximum is not None else ""
        raise ExperimentError(f"{_where(path)}{where} must be at least {minimum}{hi}, got {raw}")
    return raw


def _num(raw: Any, where: str, path: str | None) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise ExperimentError(f"{_where(path)}{where} must be a finite number, got {raw!r}")
    return float(raw)


def _values(raw: Any, where: str, path: str | None) -> tuple[float, ...]:
    """A list of numbers or a range table ``{start, stop, num|step, scale}`` → values."""
    if isinstance(raw, list):
        if not raw:
            raise ExperimentError(f"{_where(path)}{where}: the list of values is empty")
        vals = tuple(_num(v, f"{where}[{i}]", path) for i, v in enumerate(raw))
    elif isinstance(raw, dict):
        _check_keys(raw, _RANGE_KEYS, where, path)
        if "start" not in raw or "stop" not in raw:
            raise ExperimentError(f"{_where(path)}{where}: a range needs 'start' and 'stop'")
        start, stop = _num(raw["start"], f"{where}.start", path), _num(raw["stop"], f"{where}.stop", path)
        scale = raw.get("scale", "linear")
        if scale not in ("linear", "log"):
            raise ExperimentError(f"{_where(path)}{where}.scale must be 'linear' or 'log', got {scale!r}")
        if ("num" in raw) == ("step" in raw):
            raise ExperimentError(f"{_where(path)}{where}: give exactly one of 'num' and 'step'")
        if stop < start:
            raise ExperimentError(f"{_where(path)}{where}: stop ({stop:g}) is below start ({start:g})")
        if "num" in raw:
            num = _int(raw["num"], f"{where}.num", path, maximum=100_000)
            if num == 1 and stop != start:
                raise ExperimentError(f"{_where(path)}{where}: num = 1 needs start == stop")
            if scale == "log":
                if start <= 0:
                    raise ExperimentError(f"{_where(path)}{where}: a log range needs start > 0")
                arr = np.geomspace(start, stop, num)
            else:
                arr = np.linspace(start, stop, num)
        else:
            if scale == "log":
                raise ExperimentError(f"{_where(path)}{where}: a log range is given by 'num', not 'step'")
            step = _num(raw["step"], f"{where}.step", path)
            if step <= 0:
                raise ExperimentError(f"{_where(path)}{where}.step must be positive, got {step:g}")
            n = math.floor((stop - start) / step + 1e-9) + 1
            if n > 100_000:
                raise ExperimentError(f"{_where(path)}{where}: the range has {n} values (at most 100000)")
            arr = start + step * np.arange(n)
        # 12 significant digits: 0.15, not 0.15000000000000002 (so that .sel(x=0.15) finds it)
        vals = tuple(float(f"{v:.12g}") for v in arr)
    else:
        raise ExperimentError(f"{_where(path)}{where} must be a list of numbers or a range table "
                              "{ start, stop, num | step }")
    if len(set(vals)) != len(vals):
        raise ExperimentError(f"{_where(path)}{where}: values repeat")
    return vals


def _drug_value_unit(drug: DrugSpec, rest: str) -> str:
    """Canonical unit of a DrugSpec dotted path (``"<moiety>.pk.cl"``, ``"dosing.interval"``)."""
    parts = rest.split(".")
    obj: Any = drug.dosing if parts[0] == "dosing" else drug.moiety(parts[0])
    for head in parts[1:]:
        obj = obj.get(head) if isinstance(obj, Mapping) else getattr(obj, head, None)
        if obj is None:
            break
    if isinstance(obj, Value):
        return obj.unit
    if parts[-1] == "ec50":
        return "ng/mL"
    return "1"


def _parameter(name: str, raw: Any, *, specs: Mapping[str, DrugSpec], idealised: bool,
               phys: Physiology, path: str | None) -> Parameter:
    where = f"parameters.{name!r}"
    if name in RESERVED_DIMS:
        raise ExperimentError(f"{_where(path)}{where}: {name!r} is reserved; sweep doses in [drugs]")
    vals = _values(raw, where, path)
    head, _, rest = name.partition(".")
    if head == "occupancy":
        if rest not in ("sert", "net") or not idealised:
            raise ExperimentError(f"{_where(path)}{where}: occupancy.sert / occupancy.net are the "
                                  "occupancies of an idealised inhibitor; they need an [idealised] table")
        if any(not 0.0 <= v < 1.0 for v in vals):
            raise ExperimentError(f"{_where(path)}{where}: occupancies must lie in [0, 1)")
        return Parameter(name, vals, "1", f"{rest.upper()} occupancy of the idealised inhibitor")
    if head == "drug":
        if idealised:
            raise ExperimentError(f"{_where(path)}{where}: an idealised inhibitor has no drug parameters")
        if not rest:
            raise ExperimentError(f"{_where(path)}{where}: give drug.<moiety>.<field>")
        first = rest.split(".")[0]
        applies = tuple(n for n, d in specs.items()
                        if first == "dosing" or first in {m.name for m in d.moieties})
        if not applies:
            raise ExperimentError(f"{_where(path)}{where}: no drug of the experiment has a moiety "
                                  f"{first!r} (drugs: {', '.join(specs)})")
        for n in applies:
            try:
                specs[n].with_value(rest, vals[0])
            except KeyError as exc:
                raise ExperimentError(f"{_where(path)}{where}: {exc.args[0]}") from None
        unit = _drug_value_unit(specs[applies[0]], rest)
        return Parameter(name, vals, unit, f"{rest} (drug model file)", applies)
    if head == "physiology":
        try:
            phys.with_value(rest, vals[0])
            sec, fld = rest.split(".", 1)
        except (KeyError, ValueError):
            known = ", ".join(f"{s}.{f}" for s, fs in PHYSIOLOGY_SCHEMA.items() for f in fs)
            raise ExperimentError(f"{_where(path)}{where}: physiology has no parameter {rest!r} "
                                  f"(known: {known})") from None
        from painsim.units import CANONICAL

        old = phys.sections.get(sec, {}).get(fld)
        unit = old.unit if old is not None else CANONICAL[PHYSIOLOGY_SCHEMA[sec][fld]]
        return Parameter(name, vals, unit, f"{rest} (models/physiology.toml)")
    if head == "calibration":
        if rest not in CALIBRATION_PARAMETERS:
            raise ExperimentError(f"{_where(path)}{where}: unknown calibrated parameter {rest!r} "
                                  f"(known: {', '.join(CALIBRATION_PARAMETERS)})")
        unit, meaning = CALIBRATION_PARAMETERS[rest]
        if rest in ("sigma_p", "tau_p") and any(v <= 0 for v in vals):
            raise ExperimentError(f"{_where(path)}{where}: {rest} must be positive")
        return Parameter(name, vals, unit, meaning)
    raise ExperimentError(f"{_where(path)}{where}: unknown parameter {name!r} (expected drug.<moiety>.<field>, "
                          "physiology.<section>.<field>, calibration.<name>, occupancy.sert or occupancy.net)")


def _sensitivity(raw: Any, *, specs: Mapping[str, DrugSpec], idealised: bool, phys: Physiology,
                 outcomes: tuple[str, ...], weeks: int, path: str | None) -> SensitivitySpec:
    t = _check_keys(raw, _SENS_KEYS, "[sensitivity]", path)
    params_raw = _check_keys(t.get("parameters", {}), set(t.get("parameters", {})), "[sensitivity.parameters]",
                             path)
    if not params_raw:
        raise ExperimentError(f"{_where(path)}[sensitivity.parameters] must name at least one parameter")
    params = []
    for name, b in params_raw.items():
        where = f"sensitivity.parameters.{name!r}"
        _check_keys(b, {"low", "high", "scale"}, where, path)
        if "low" not in b or "high" not in b:
            raise ExperimentError(f"{_where(path)}{where}: give low and high")
        lo, hi = _num(b["low"], f"{where}.low", path), _num(b["high"], f"{where}.high", path)
        if not lo < hi:
            raise ExperimentError(f"{_where(path)}{where}: low ({lo:g}) must be below high ({hi:g})")
        scale = b.get("scale", "linear")
        if scale not in ("linear", "log") or (scale == "log" and lo <= 0):
            raise ExperimentError(f"{_where(path)}{where}: scale must be 'linear' or 'log' (log needs low > 0)")
        _parameter(name, [lo, hi], specs=specs, idealised=idealised, phys=phys, path=path)
        params.append((name, lo, hi, scale))
    methods = t.get("methods", ["morris", "sobol"])
    if (not isinstance(methods, list) or not methods
            or any(m not in ("morris", "sobol") for m in methods)):
        raise ExperimentError(f"{_where(path)}sensitivity.methods must be a list of 'morris' and/or 'sobol'")
    outcome = t.get("outcome", outcomes[0])
    if outcome not in OUTCOMES:
        raise ExperimentError(f"{_where(path)}sensitivity.outcome must be one of {', '.join(OUTCOMES)}")
    week = None if "week" not in t else _int(t["week"], "sensitivity.week", path, maximum=weeks)
    sobol_n = _int(t.get("sobol_n", 32), "sensitivity.sobol_n", path, minimum=2, maximum=1 << 16)
    if sobol_n & (sobol_n - 1):
        raise ExperimentError(f"{_where(path)}sensitivity.sobol_n must be a power of 2, got {sobol_n}")
    return SensitivitySpec(
        parameters=tuple(params), methods=tuple(dict.fromkeys(methods)), outcome=outcome, week=week,
        morris_trajectories=_int(t.get("morris_trajectories", 8), "sensitivity.morris_trajectories", path,
                                 minimum=2, maximum=10_000),
        morris_levels=_int(t.get("morris_levels", 4), "sensitivity.morris_levels", path, minimum=2, maximum=100),
        sobol_n=sobol_n,
        seed=None if "seed" not in t else _int(t["seed"], "sensitivity.seed", path, minimum=0))


def parse_experiment(text: str, path: str | None = None) -> Experiment:
    """Parse and validate the text of an experiment file (raises :class:`ExperimentError`).

    Relative ``physiology``/``calibration`` paths are resolved against the file's directory.
    """
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ExperimentError(f"{_where(path)}not valid TOML ({exc})") from None
    _check_keys(doc, _TOP_KEYS, "the top level", path)
    if "experiment" not in doc:
        raise ExperimentError(f"{_where(path)}missing the [experiment] table")
    e = _check_keys(doc["experiment"], _EXPERIMENT_KEYS, "[experiment]", path)
    if "weeks" not in e:
        raise ExperimentError(f"{_where(path)}experiment.weeks is required")
    weeks = _int(e["weeks"], "experiment.weeks", path, maximum=104)
    report = e.get("report_weeks")
    if report is None:
        report_weeks = tuple(range(1, weeks + 1))
    else:
        if not isinstance(report, list) or not report:
            raise ExperimentError(f"{_where(path)}experiment.report_weeks must be a non-empty list of weeks")
        report_weeks = tuple(_int(w, "experiment.report_weeks[]", path, maximum=weeks) for w in report)
        if list(report_weeks) != sorted(set(report_weeks)):
            raise ExperimentError(f"{_where(path)}experiment.report_weeks must increase without repeats")
    outcomes = e.get("outcomes", ["50pct"])
    if not isinstance(outcomes, list) or not outcomes or any(o not in OUTCOMES for o in outcomes):
        raise ExperimentError(f"{_where(path)}experiment.outcomes must be a list of {', '.join(OUTCOMES)}")
    if len(set(outcomes)) != len(outcomes):
        raise ExperimentError(f"{_where(path)}experiment.outcomes repeat")
    condition = e.get("condition", "dpn")
    if condition not in CONDITIONS:
        raise ExperimentError(f"{_where(path)}experiment.condition must be one of {', '.join(CONDITIONS)}, "
                              f"got {condition!r}")
    placebo = e.get("placebo_response")
    if placebo is not None:
        placebo = _num(placebo, "experiment.placebo_response", path)
        if not 0.0 < placebo < 1.0:
            raise ExperimentError(f"{_where(path)}experiment.placebo_response must lie strictly between 0 and 1")
    placebo_outcome = e.get("placebo_outcome", "50pct")
    if placebo_outcome not in OUTCOMES:
        raise ExperimentError(f"{_where(path)}experiment.placebo_outcome must be one of {', '.join(OUTCOMES)}")
    design = e.get("design", "parallel")
    if design not in ("parallel", "crossover"):
        raise ExperimentError(f"{_where(path)}experiment.design must be 'parallel' or 'crossover'")
    missed = _num(e.get("missed_doses", 0.0), "experiment.missed_doses", path)
    if not 0.0 <= missed < 1.0:
        raise ExperimentError(f"{_where(path)}experiment.missed_doses must lie in [0, 1)")
    for flag in ("variability", "keep_patients"):
        if not isinstance(e.get(flag, False), bool):
            raise ExperimentError(f"{_where(path)}experiment.{flag} must be true or false")
    base = Path(path).parent if path else Path.cwd()
    files: dict[str, str | None] = {}
    for key in ("physiology", "calibration"):
        raw = e.get(key)
        if raw is None:
            files[key] = None
            continue
        if not isinstance(raw, str):
            raise ExperimentError(f"{_where(path)}experiment.{key} must be a file path")
        p = (base / raw) if not Path(raw).is_absolute() else Path(raw)
        if not p.is_file():
            raise ExperimentError(f"{_where(path)}experiment.{key}: file {raw!r} not found")
        files[key] = str(p)
    try:
        phys = load_physiology(files["physiology"])
        load_calibration(files["calibration"])
    except ModelFileError as exc:
        raise ExperimentError(str(exc)) from None

    has_drugs, has_ideal = "drugs" in doc, "idealised" in doc
    if has_drugs == has_ideal:
        raise ExperimentError(f"{_where(path)}give exactly one of [drugs] (drugs and doses) and [idealised] "
                              "(an inhibitor with fixed occupancies)")
    specs: dict[str, DrugSpec] = {}
    drugs: list[DrugEntry] = []
    idealised = None
    if has_drugs:
        table = doc["drugs"]
        if not isinstance(table, dict) or not table:
            raise ExperimentError(f"{_where(path)}[drugs] must name at least one drug, e.g. [drugs.duloxetine]")
        for name, raw in table.items():
            try:
                spec = load_drug(name)
            except UnknownDrugError as exc:
                raise ExperimentError(f"{_where(path)}drugs.{name}: {exc}") from None
            except ModelFileError as exc:
                raise ExperimentError(str(exc)) from None
            d = _check_keys(raw, _DRUG_KEYS, f"[drugs.{name}]", path)
            if "doses" not in d:
                raise ExperimentError(f"{_where(path)}drugs.{name}.doses is required (mg/day)")
            doses = _values(d["doses"], f"drugs.{name}.doses", path)
            limit = 10.0 * spec.dosing.dose_max.value
            for dose in doses:
                if not 0.0 < dose <= limit:
                    raise ExperimentError(f"{_where(path)}drugs.{name}.doses: {dose:g} mg/day is outside "
                                          f"(0, {limit:g}] (10x the label maximum)")
            titration: tuple[tuple[float, float], ...] = ()
            if "titration" in d:
                steps = d["titration"]
                ok = isinstance(steps, list) and steps and all(
                    isinstance(s, list) and len(s) == 2 for s in steps)
                if not ok:
                    raise ExperimentError(f"{_where(path)}drugs.{name}.titration must be a list of "
                                          "[day, fraction of the target dose] pairs")
                titration = tuple((_num(a, f"drugs.{name}.titration day", path),
                                   _num(b, f"drugs.{name}.titration fraction", path)) for a, b in steps)
                days = [s[0] for s in titration]
                if titration[0][0] != 0 or days != sorted(set(days)) or any(f <= 0 for _, f in titration):
                    raise ExperimentError(f"{_where(path)}drugs.{name}.titration: steps start on day 0, "
                                          "increase in day and have positive fractions")
            interval = None
            if "interval" in d:
                interval = _num(d["interval"], f"drugs.{name}.interval", path)
                if interval <= 0:
                    raise ExperimentError(f"{_where(path)}drugs.{name}.interval must be positive (h)")
            specs[spec.name] = spec
            drugs.append(DrugEntry(spec.name, doses, titration, interval))
    else:
        t = _check_keys(doc["idealised"], _IDEALISED_KEYS, "[idealised]", path)
        label = t.get("label", "idealised")
        if not isinstance(label, str) or not label:
            raise ExperimentError(f"{_where(path)}idealised.label must be a non-empty string")
        occ = {}
        for k in ("sert", "net"):
            occ[k] = _num(t.get(k, 0.0), f"idealised.{k}", path)
            if not 0.0 <= occ[k] < 1.0:
                raise ExperimentError(f"{_where(path)}idealised.{k} must lie in [0, 1)")
        idealised = Idealised(label, occ["sert"], occ["net"])
    params_raw = doc.get("parameters", {})
    if not isinstance(params_raw, dict):
        raise ExperimentError(f"{_where(path)}[parameters] must be a table of dotted names")
    params = tuple(_parameter(n, v, specs=specs, idealised=idealised is not None, phys=phys, path=path)
                   for n, v in params_raw.items())
    outcomes_t = tuple(outcomes)
    sens = None
    if "sensitivity" in doc:
        sens = _sensitivity(doc["sensitivity"], specs=specs, idealised=idealised is not None, phys=phys,
                            outcomes=outcomes_t, weeks=weeks, path=path)
    name = e.get("name", Path(path).stem if path else "experiment")
    description = e.get("description", "")
    if not isinstance(name, str) or not isinstance(description, str):
        raise ExperimentError(f"{_where(path)}experiment.name and experiment.description must be strings")
    exp = Experiment(
        name=name, description=description, text=text, path=path,
        seed=_int(e.get("seed", 1), "experiment.seed", path, minimum=0, maximum=2**62),
        trials=_int(e.get("trials", 1), "experiment.trials", path, maximum=100_000),
        patients=_int(e.get("patients", 500), "experiment.patients", path, maximum=10_000_000),
        weeks=weeks, report_weeks=report_weeks, outcomes=outcomes_t, condition=condition,
        placebo_response=placebo, placebo_outcome=placebo_outcome, design=design, missed_doses=missed,
        variability=e.get("variability", True), keep_patients=e.get("keep_patients", False),
        drugs=tuple(drugs), idealised=idealised, parameters=params,
        physiology_path=files["physiology"], calibration_path=files["calibration"], sensitivity=sens,
        specs=specs)
    _check_placebo(exp, phys)
    return exp


def _check_placebo(exp: Experiment, phys: Physiology) -> None:
    """Refuse an experiment whose placebo model cannot be set up at the base parameters."""
    swept = {p.name for p in exp.parameters}
    if "calibration.tau_p" in swept or any(n.startswith("physiology.placebo.") for n in swept):
        return  # checked point by point (status 2 where infeasible)
    try:
        _mu(exp, phys, exp.calibration())
    except ValueError as exc:
        raise ExperimentError(f"{_where(exp.path)}{exc}") from None


def load_experiment(path: str | os.PathLike[str]) -> Experiment:
    """Read and validate an experiment file.

    Parameters
    ----------
    path : path
        A TOML experiment file (format: this module's docstring; examples in ``experiments/``).

    Returns
    -------
    Experiment

    Raises
    ------
    ExperimentError
        Missing or unreadable file, unknown key, unknown drug or dotted parameter, bad range,
        dose outside (0, 10 × label maximum] mg/day, … — a one-line message naming the problem.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExperimentError(f"{p}: experiment file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ExperimentError(f"{p}: cannot read the experiment file ({exc})") from None
    return parse_experiment(text, str(p))


# --------------------------------------------------------------------------------------------
# the idealised inhibitor


@nb.njit(cache=True)
def _fixed_course(occ_s, occ_n, p5, pne, dh, weeks, h, n_per_week):
    """Weekly means (weeks, 5) of I, occupancies and ratios at constant occupancy (see below)."""
    out = np.empty((weeks, N_OUT))
    d5 = 0.0
    dne = 0.0
    r5 = qss_ratio(occ_s, d5, p5, 1.0)
    rne = qss_ratio(occ_n, dne, pne, 1.0)
    prev = np.empty(N_OUT)
    cur = np.empty(N_OUT)
    prev[0] = inhibition(r5, rne, dh)
    prev[1] = occ_s
    prev[2] = occ_n
    prev[3] = r5
    prev[4] = rne
    for w in range(weeks):
        acc = np.zeros(N_OUT)
        for _ in range(n_per_week):
            # the fast path's step: QSS at the step's end, then exact relaxation of D over the step
            r5, rne, d5, dne = slow_step(occ_s, occ_n, r5, rne, d5, dne, h, p5, pne)
            cur[0] = inhibition(r5, rne, dh)
            cur[1] = occ_s
            cur[2] = occ_n
            cur[3] = r5
            cur[4] = rne
            for q in range(N_OUT):
                acc[q] += 0.5 * h * (prev[q] + cur[q])
                prev[q] = cur[q]
        for q in range(N_OUT):
            out[w, q] = acc[q] / (n_per_week * h)
    return out


def fixed_occupancy_course(occ_sert: float, occ_net: float, weeks: int, *, phys: Physiology | None = None,
                           cal: Calibration | None = None, step_h: float = IDEALISED_STEP_H) -> np.ndarray:
    """The chain of an idealised inhibitor that holds SERT and NET occupancy constant from t = 0.

    No pharmacokinetics: the occupancies are fed to the same stage functions as the fast path
    (:func:`painsim.synapse.qss_ratio` for the synapse at quasi-steady state,
    :func:`painsim.synapse.desens_target` for the autoreceptor desensitisation, stepped by exact
    relaxation over steps of ``step_h`` hours, and :func:`painsim.dorsal_horn.inhibition`).

    Parameters
    ----------
    occ_sert, occ_net : float
        Transporter occupancies (fractions, 0 ≤ occ < 1).
    weeks : int
        Duration, weeks.
    step_h : float
        Step of the desensitisation state, h (must divide 168).

    Returns
    -------
    ndarray, shape (weeks, 5)
        Weekly means of the restored inhibition I (−1…1), SERT and NET occupancy (fractions),
        and the 5-HT and NE ratios c/c0 (the columns of :class:`painsim.simulate.Courses`).

    Examples
    --------
    >>> out = fixed_occupancy_course(0.0, 0.0, 2)
    >>> bool(abs(out[:, 0]).max() < 1e-12)      # no occupancy, no restored inhibition
    True
    """
    if not (0.0 <= occ_sert < 1.0 and 0.0 <= occ_net < 1.0):
        raise ValueError("occupancies must lie in [0, 1)")
    n = HOURS_PER_WEEK / step_h
    if step_h <= 0 or abs(n - round(n)) > 1e-9:
        raise ValueError(f"step_h must divide {HOURS_PER_WEEK:g} h, got {step_h!r}")
    phys = load_physiology() if phys is None else phys
    cal = load_calibration() if cal is None else cal
    return _fixed_course(float(occ_sert), float(occ_net), synapse_params(phys, "serotonin"),
                         synapse_params(phys, "norepinephrine"), dorsal_horn_params(phys, cal.w_ne, cal.w_5ht),
                         int(weeks), float(step_h), round(n))


def _patients(phys: Physiology, n: int, seed: int, stream: int) -> Population:
    """The drug-independent draws (sensitivity, placebo deviate, baseline) of one arm.

    The same patients as :func:`painsim.population.draw_population` (the PK vector is unused).
    """
    from painsim.population import _draw_basics

    idx = np.arange(n, dtype=np.int64)
    freq = {k: phys.get(f"population.{k}", 0.0) or 0.0 for k in ("cyp2d6_pm", "cyp2d6_im", "cyp2d6_um", "smokers")}
    sens, z, base, cyp, smoke = _draw_basics(
        seed, stream, idx, phys["dorsal_horn.s_max"], phys["population.baseline_pain_min"],
        phys["population.baseline_pain_mean"], freq["cyp2d6_pm"], freq["cyp2d6_im"],
        freq["cyp2d6_um"], freq["smokers"])
    return Population(seed=seed, stream=stream, index=idx, theta=np.zeros((n, 0)), sensitivity=sens,
                      placebo_z=z, baseline=base, cyp2d6=cyp, smoker=smoke)


# --------------------------------------------------------------------------------------------
# grid, chunks and one trial at one point


@dataclass(frozen=True)
class _Axis:
    name: str
    values: tuple
    units: str
    long_name: str
    attrs: Mapping[str, Any] = field(default_factory=dict)


def _axes(exp: Experiment) -> list[_Axis]:
    """The grid axes (drug, dose, swept parameters) followed by the trial axis."""
    axes = []
    if exp.idealised is not None:
        axes.append(_Axis("drug", (exp.idealised.label,), "1",
                          "reuptake inhibitor (idealised: fixed occupancies, no pharmacokinetics)"))
    else:
        axes.append(_Axis("drug", tuple(d.name for d in exp.drugs), "1", "reuptake inhibitor"))
        lists = [d.doses for d in exp.drugs]
        if all(x == lists[0] for x in lists):
            axes.append(_Axis("dose", lists[0], "mg/day", "target daily dose"))
        else:
            k = max(len(x) for x in lists)
            axes.append(_Axis("dose", tuple(range(k)), "1",
                              "dose level (index into each drug's dose list; mg/day in dose_mg_per_day)"))
    for p in exp.parameters:
        attrs = {"applies_to": ", ".join(p.applies_to)} if p.applies_to else {}
        axes.append(_Axis(p.name, p.values, p.units, p.long_name, attrs))
    axes.append(_Axis("trial", tuple(range(exp.trials)), "1",
                      "replicate trial (uses seed + trial: the same patients at every grid point)"))
    return axes


def _block_shape(sizes: Sequence[int], chunk_size: int) -> tuple[int, ...]:
    """Chunk shape holding at most ``chunk_size`` (point, trial) units, filled from the last axis."""
    block = [1] * len(sizes)
    remaining = max(1, int(chunk_size))
    for i in reversed(range(len(sizes))):
        b = min(sizes[i], remaining)
        block[i] = b
        if b < sizes[i]:
            break
        remaining //= sizes[i]
    return tuple(block)


def _tiles(sizes: Sequence[int], block: Sequence[int]) -> list[tuple[slice, ...]]:
    ranges = [range(0, n, b) for n, b in zip(sizes, block, strict=True)]
    return [tuple(slice(s, min(s + b, n)) for s, b, n in zip(starts, block, sizes, strict=True))
            for starts in itertools.product(*ranges)]


@dataclass(frozen=True)
class _Context:
    """What a worker needs to compute any chunk (pickled to Dask workers)."""

    exp: Experiment
    axes: tuple[_Axis, ...]
    drugs: Mapping[str, DrugSpec]
    phys: Physiology
    cal: Calibration


def _context(exp: Experiment) -> _Context:
    drugs = {d.name: exp.specs.get(d.name) or load_drug(d.name) for d in exp.drugs}
    return _Context(exp=exp, axes=tuple(_axes(exp)), drugs=drugs, phys=exp.physiology(), cal=exp.calibration())


@dataclass(frozen=True)
class _Resolved:
    """The model objects of one grid point."""

    drug: DrugSpec | None
    entry: DrugEntry | None
    dose: float
    phys: Physiology
    cal: Calibration
    occ: tuple[float, float]


def _resolve(ctx: _Context, drug_name: str | None, dose: float, params: Mapping[str, float]) -> _Resolved:
    """Apply parameter values to the drug, physiology and calibration (KeyError/ValueError if invalid)."""
    exp = ctx.exp
    phys, cal = ctx.phys, ctx.cal
    entry = next((d for d in exp.drugs if d.name == drug_name), None)
    drug = ctx.drugs[drug_name] if entry is not None else None
    occ = [exp.idealised.sert, exp.idealised.net] if exp.idealised is not None else [0.0, 0.0]
    cal_kw = {}
    for name, value in params.items():
        head, _, rest = name.partition(".")
        if head == "drug":
            assert drug is not None
            first = rest.split(".")[0]
            if first == "dosing" or first in {m.name for m in drug.moieties}:
                drug = drug.with_value(rest, value)
        elif head == "physiology":
            phys = phys.with_value(rest, value)
        elif head == "calibration":
            cal_kw[rest] = value
        elif head == "occupancy":
            occ[0 if rest == "sert" else 1] = value
        else:  # pragma: no cover - validated on load
            raise KeyError(name)
    if cal_kw:
        cal = cal.with_values(**cal_kw)
    return _Resolved(drug, entry, dose, phys, cal, (occ[0], occ[1]))


def _point(ctx: _Context, index: Sequence[int]) -> tuple[str | None, float, dict[str, float]]:
    """(drug, dose mg/day or NaN, parameter values) of a grid index (without the trial axis)."""
    exp = ctx.exp
    if exp.idealised is not None:
        drug_name, dose, i = None, math.nan, 1
    else:
        entry = exp.drugs[index[0]]
        drug_name, i = entry.name, 2
        # a drug with a shorter dose list is padded (status: not applicable)
        dose = entry.doses[index[1]] if index[1] < len(entry.doses) else math.nan
    params = {p.name: p.values[index[i + k]] for k, p in enumerate(exp.parameters)}
    return drug_name, dose, params


def _mu(exp: Experiment, phys: Physiology, cal: Calibration) -> float:
    """Placebo location μ exactly as :func:`painsim.trial.run_trial` sets it.

    One placebo distribution per trial serves every outcome: ``placebo_response`` (if given) is
    the expected responder fraction for ``placebo_outcome`` at the end of the trial.
    """
    return trial_placebo_mu(phys, cal, condition=exp.condition, outcome=exp.placebo_outcome, weeks=exp.weeks,
                            placebo_response=exp.placebo_response)


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


def _simulate_trial(ctx: _Context, res: _Resolved, trial: int, mu: float,
                    ideal_course: np.ndarray | None) -> tuple[dict[str, np.ndarray], int]:
    """One two-arm trial at one grid point, reduced to the endpoints of :func:`_variables`.

    The arithmetic is that of :func:`painsim.trial.run_trial` (populations, courses, pain,
    responders, Newcombe NNT), evaluated at every reported week and outcome.
    """
    exp = ctx.exp
    n, seed = exp.patients, exp.seed + trial
    weeks = exp.weeks
    week_idx = np.arange(1, weeks + 1, dtype=float)
    cols = np.asarray(exp.report_weeks, dtype=np.int64) - 1
    if res.drug is not None:
        drug_pop = draw_population(res.drug, res.phys, n, seed=seed, stream=ARM_DRUG, variability=exp.variability)
        entry = res.entry
        assert entry is not None
        titration = ()
        start = res.dose
        if entry.titration:
            start = res.dose * entry.titration[0][1]
            titration = tuple((day, res.dose * f) for day, f in entry.titration[1:])
        courses = drug_courses(res.drug, start, weeks, drug_pop, phys=res.phys, cal=res.cal,
                               titration=titration, p_miss=exp.missed_doses, interval=entry.interval)
        if exp.design == "parallel":
            pl_pop = draw_population(res.drug, res.phys, n, seed=seed, stream=ARM_PLACEBO, variability=False)
        else:
            pl_pop = drug_pop
    else:
        assert ideal_course is not None
        drug_pop = _patients(res.phys, n, seed, ARM_DRUG)
        pl_pop = drug_pop if exp.design == "crossover" else _patients(res.phys, n, seed, ARM_PLACEBO)
        courses = Courses.from_array(np.broadcast_to(ideal_course[None, :, :], (n, weeks, N_OUT)))
    pain_d = (drug_pop.baseline[:, None] * (1.0 - placebo_response_arr(drug_pop, mu, week_idx, res.cal))
              * (1.0 - drug_pop.sensitivity[:, None] * courses.inhibition))
    pain_p = pl_pop.baseline[:, None] * (1.0 - placebo_response_arr(pl_pop, mu, week_idx, res.cal))
    rel_d = 1.0 - pain_d / drug_pop.baseline[:, None]
    rel_p = 1.0 - pain_p / pl_pop.baseline[:, None]
    n_o, n_w = len(exp.outcomes), len(cols)
    out: dict[str, np.ndarray] = {k: np.full((n_o, n_w), np.nan) for k in
                                  ("p_drug", "p_placebo", "nnt", "nnt_ci_low", "nnt_ci_high")}
    for i, o in enumerate(exp.outcomes):
        threshold = OUTCOMES[o]
        k_d = (rel_d[:, cols] >= threshold - 1e-12).sum(axis=0)
        k_p = (rel_p[:, cols] >= threshold - 1e-12).sum(axis=0)
        for j in range(n_w):
            k1, k2 = int(k_d[j]), int(k_p[j])
            out["p_drug"][i, j] = k1 / n
            out["p_placebo"][i, j] = k2 / n
            nnt, lo, hi = nnt_with_ci(k1, n, k2, n)
            out["nnt"][i, j] = math.nan if nnt is None else nnt
            out["nnt_ci_low"][i, j] = math.nan if lo is None else lo
            out["nnt_ci_high"][i, j] = math.nan if hi is None else hi
    out["pain_drug_mean"] = pain_d[:, cols].mean(axis=0)
    out["pain_placebo_mean"] = pain_p[:, cols].mean(axis=0)
    for key, arr in (("inhibition", courses.inhibition), ("occupancy_sert", courses.occ_sert),
                     ("occupancy_net", courses.occ_net), ("ratio_5ht", courses.r_5ht), ("ratio_ne", courses.r_ne)):
        out[f"{key}_mean"] = arr[:, cols].mean(axis=0)
    if exp.keep_patients:
        out["pain_drug"] = pain_d[:, cols]
        out["pain_placebo"] = pain_p[:, cols]
        out["inhibition"] = np.ascontiguousarray(courses.inhibition[:, cols])
        out["occupancy_sert"] = np.ascontiguousarray(courses.occ_sert[:, cols])
        out["occupancy_net"] = np.ascontiguousarray(courses.occ_net[:, cols])
        out["baseline_drug"] = drug_pop.baseline
        out["baseline_placebo"] = pl_pop.baseline
        out["sensitivity"] = drug_pop.sensitivity
    finite = all(np.isfinite(courses_arr).all() for courses_arr in
                 (courses.inhibition, courses.occ_sert, courses.occ_net, pain_d))
    return out, STATUS_OK if finite else STATUS_NONFINITE


def _compute_tile(ctx: _Context, tile: tuple[slice, ...]) -> dict[str, np.ndarray]:
    """Compute one chunk: arrays of shape (chunk shape) + (extra dims) for every variable."""
    exp = ctx.exp
    variables = _variables(exp)
    shape = tuple(s.stop - s.start for s in tile)
    buf = {k: np.full(shape + _extra_shape(exp, dims), -1 if k == "status" else np.nan, dtype=dt)
           for k, (dims, dt, _, _) in variables.items()}
    grid_tile, trial_slice = tile[:-1], tile[-1]
    for local in np.ndindex(*shape[:-1]):
        index = tuple(s.start + i for s, i in zip(grid_tile, local, strict=True))
        drug_name, dose, params = _point(ctx, index)
        if exp.idealised is None and not math.isfinite(dose):
            buf["status"][local] = STATUS_NOT_APPLICABLE
            continue
        try:
            res = _resolve(ctx, drug_name, dose, params)
            mu = _mu(exp, res.phys, res.cal)
            ideal = None
            if res.drug is None:
                ideal = fixed_occupancy_course(res.occ[0], res.occ[1], exp.weeks, phys=res.phys, cal=res.cal)
        except (KeyError, ValueError, InvalidRegimenError, ModelFileError):
            buf["status"][local] = STATUS_INFEASIBLE
            continue
        for k, trial in enumerate(range(trial_slice.start, trial_slice.stop)):
            try:
                values, status = _simulate_trial(ctx, res, trial, mu, ideal)
            except (ValueError, InvalidRegimenError, FloatingPointError, ZeroDivisionError):
                buf["status"][(*local, k)] = STATUS_INFEASIBLE
                continue
            for name, arr in values.items():
                buf[name][(*local, k)] = arr
            buf["status"][(*local, k)] = status
    return buf


# --------------------------------------------------------------------------------------------
# the Dataset: template, provenance, store


def _file_sha256(path: str | os.PathLike[str] | None) -> str:
    if not path:
        return ""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def _shown_path(path: str | os.PathLike[str] | None) -> str:
    """A model file's path as provenance: ``models/…`` for the shipped library (wherever the package
    is installed, so that the same sweep gives identical attributes from a checkout or a wheel);
    absolute otherwise. The files are identified by their sha256 next to it."""
    if not path:
        return ""
    p = Path(path).resolve()
    try:
        return str(Path("models") / p.relative_to(models_dir().resolve()))
    except ValueError:
        return str(p)


def _provenance(ctx: _Context) -> dict[str, Any]:
    """Flat provenance attributes (strings and numbers: they survive zarr and netCDF)."""
    from painsim import __version__

    exp = ctx.exp
    attrs: dict[str, Any] = {
        "title": f"painsim sweep: {exp.name}",
        "description": exp.description,
        "painsim_version": __version__,
        "model_path": "fast path (exact linear PK, quasi-steady-state synapse, stepped desensitisation)"
                      if exp.idealised is None else
                      "idealised inhibitor (fixed occupancies; quasi-steady-state synapse, stepped desensitisation)",
        "experiment_name": exp.name,
        "experiment_file": exp.path or "",
        "experiment_sha256": exp.sha256,
        "experiment_text": exp.text,
        "seed": exp.seed,
        "seed_rule": "replicate trial r uses seed + r; drug arm stream 1, placebo arm stream 2",
        "n_per_arm": exp.patients,
        "weeks": exp.weeks,
        "design": exp.design,
        "condition": exp.condition,
        "placebo_response": "condition default" if exp.placebo_response is None else exp.placebo_response,
        "placebo_outcome": exp.placebo_outcome,
        "missed_doses": exp.missed_doses,
        "variability": int(exp.variability),
        "physiology_file": _shown_path(ctx.phys.path),
        "physiology_sha256": ctx.phys.sha256 or _file_sha256(ctx.phys.path),
        "calibration_file": _shown_path(ctx.cal.path),
        "calibration_sha256": _file_sha256(ctx.cal.path),
        "occupancy_fit_sha256": _file_sha256(models_dir() / "occupancy_fit.toml"),
    }
    for k in CALIBRATION_PARAMETERS:
        attrs[f"calibration_{k}"] = float(getattr(ctx.cal, k))
    for name, d in ctx.drugs.items():
        attrs[f"drug_file_{name}"] = _shown_path(d.path)
        attrs[f"drug_sha256_{name}"] = d.sha256
    for d in ctx.exp.drugs:
        if d.titration:
            attrs[f"titration_{d.name}"] = json.dumps([list(s) for s in d.titration])
        if d.interval is not None:
            attrs[f"interval_h_{d.name}"] = d.interval
    if exp.idealised is not None:
        attrs["idealised_sert_default"] = exp.idealised.sert
        attrs["idealised_net_default"] = exp.idealised.net
    attrs["status_flag_meanings"] = json.dumps({str(k): v for k, v in STATUS_MEANINGS.items()})
    # the science, not where the files lie: a moved checkout still resumes its stores
    fp = {k: v for k, v in attrs.items() if not k.endswith("_file") and not k.startswith("drug_file_")}
    attrs["painsim_fingerprint"] = hashlib.sha256(json.dumps(fp, sort_keys=True).encode()).hexdigest()
    return attrs


def _dataset(ctx: _Context, data: Mapping[str, Any]):
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
    return xr.Dataset(variables, coords=coords, attrs=_provenance(ctx))


@dataclass
class SweepStats:
    """What a sweep run did: chunks in the grid, already complete, computed now; wall time (s)."""

    chunks: int = 0
    complete_before: int = 0
    computed: int = 0
    patients: int = 0
    seconds: float = 0.0
    status_counts: dict[str, int] = field(default_factory=dict)
    out: str | None = None


def _template(ctx: _Context, block: tuple[int, ...]):
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


def _open_existing(out: Path, ctx: _Context) -> tuple[int, ...]:
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
    if fp != _provenance(ctx)["painsim_fingerprint"]:
        raise ExperimentError(f"{out} holds a different sweep (another experiment text, model file or "
                              "painsim version); use --overwrite, remove it, or choose another --out")
    sizes = tuple(len(a.values) for a in ctx.axes)
    if tuple(status.shape) != sizes:
        raise ExperimentError(f"{out}: the store's grid does not match the experiment; use --overwrite")
    return chunks


def _create_store(out: Path, ctx: _Context, block: tuple[int, ...]) -> None:
    """Write the store's metadata and coordinates to a temporary directory, then rename it."""
    template, encoding = _template(ctx, block)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=out.parent, prefix=f".{out.name}.", suffix=".partial"))
    try:
        with _quiet_zarr():
            template.to_zarr(str(tmp), mode="w", compute=False, encoding=encoding, consolidated=True)
        os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


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


# --------------------------------------------------------------------------------------------
# execution: local or Dask


def _map(fn: Callable[[Any, Any], Any], ctx: Any, items: Sequence[Any], on_result: Callable[[int, Any], None], *,
         scheduler: Any = None, workers: int | None = None) -> None:
    """Apply ``fn(ctx, item)`` to every item, locally in order or as Dask tasks; results to ``on_result``."""
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
    """
    import xarray as xr

    from painsim.progress import Progress

    exp = experiment if isinstance(experiment, Experiment) else load_experiment(experiment)
    if chunk_size is not None and (isinstance(chunk_size, bool) or int(chunk_size) < 1):
        raise ExperimentError(f"chunk size must be a positive whole number, got {chunk_size!r}")
    if workers is not None and int(workers) < 1:
        raise ExperimentError(f"--workers must be at least 1, got {workers!r}")
    stats = SweepStats() if stats is None else stats
    t0 = time.perf_counter()
    ctx = _context(exp)
    sizes = tuple(len(a.values) for a in ctx.axes)
    block = _block_shape(sizes, chunk_size or _default_chunk_size(exp))
    writer = None
    memory: dict[str, np.ndarray] | None = None
    if out is not None:
        out = Path(out)
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
        _map(_compute_tile, ctx, todo, on_result, scheduler=scheduler, workers=workers)
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


def write_netcdf(ds, path: str | os.PathLike[str]) -> Path:
    """Write a sweep Dataset to a netCDF-4 file (h5netcdf), atomically (temporary file + rename)."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=p.parent, prefix=f".{p.name}.", suffix=".tmp")
    os.close(fd)
    try:
        ds.load().to_netcdf(tmp, engine="h5netcdf")
        os.replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return p
