"""The fields of an experiment file, each checked on its own, and the values they give.

Every check raises :class:`ExperimentError` with a one-line message that names the file and the
key. :func:`painsim.sweep.experiment.parse_experiment` calls them table by table; the format is
documented in :mod:`painsim.sweep`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from painsim.calibration import PARAMETERS as CALIBRATION_PARAMETERS
from painsim.library import DrugSpec, Value
from painsim.physiology import SCHEMA as PHYSIOLOGY_SCHEMA
from painsim.physiology import Physiology
from painsim.response import OUTCOMES


class ExperimentError(ValueError):
    """A mistake in an experiment file or a sweep request (reported in one line, exit 2)."""


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
class SensitivitySpec:
    """The ``[sensitivity]`` table: uncertain parameters and sampling settings.

    Attributes
    ----------
    parameters : tuple of (str, float, float, str)
        (dotted name, low, high, scale ``"linear"`` or ``"log"``); bounds in the canonical unit.
    methods : tuple of str
        ``"morris"`` and/or ``"sobol"``.
    outcome : str
        Analysed responder definition (``"50pct"`` or ``"30pct"``).
    week : int or None
        Analysed week (default: the end of the trial).
    morris_trajectories : int
        Morris trajectories (``(k + 1)`` evaluations each).
    morris_levels : int
        Levels of the Morris grid.
    sobol_n : int
        Sobol' base sample (a power of 2; ``sobol_n × (k + 2)`` evaluations).
    seed : int or None
        Seed of the samplers (default: the experiment seed).
    """

    parameters: tuple[tuple[str, float, float, str], ...]  # (name, low, high, scale)
    methods: tuple[str, ...] = ("morris", "sobol")
    outcome: str = "50pct"
    week: int | None = None
    morris_trajectories: int = 8
    morris_levels: int = 4
    sobol_n: int = 32
    seed: int | None = None


_RANGE_KEYS = {"start", "stop", "num", "step", "scale"}
_SENS_KEYS = {"parameters", "methods", "outcome", "week", "morris_trajectories", "morris_levels",
              "sobol_n", "seed"}
RESERVED_DIMS = ("drug", "dose", "trial", "week", "outcome", "patient")


def _where(path: str | None) -> str:
    return f"{path}: " if path else ""


def _check_keys(table: Any, allowed: set[str], where: str, path: str | None) -> dict:
    if not isinstance(table, dict):
        raise ExperimentError(f"{_where(path)}{where}: must be a table")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ExperimentError(f"{_where(path)}{where}: unknown key {unknown[0]!r} "
                              f"(allowed: {', '.join(sorted(allowed))})")
    return table


def _int(raw: Any, where: str, path: str | None, *, minimum: int = 1, maximum: int | None = None) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise ExperimentError(f"{_where(path)}{where}: must be a whole number, got {raw!r}")
    if raw < minimum or (maximum is not None and raw > maximum):
        hi = f" and at most {maximum}" if maximum is not None else ""
        raise ExperimentError(f"{_where(path)}{where}: must be at least {minimum}{hi}, got {raw}")
    return raw


def _num(raw: Any, where: str, path: str | None) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float) or not math.isfinite(raw):
        raise ExperimentError(f"{_where(path)}{where}: must be a finite number, got {raw!r}")
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
        if not isinstance(scale, str) or scale not in ("linear", "log"):
            raise ExperimentError(f"{_where(path)}{where}.scale: must be 'linear' or 'log', got {scale!r}")
        if ("num" in raw) == ("step" in raw):
            raise ExperimentError(f"{_where(path)}{where}: give exactly one of 'num' and 'step'")
        if stop < start:
            raise ExperimentError(f"{_where(path)}{where}: stop ({stop:g}) is below start ({start:g})")
        if not math.isfinite(stop - start):  # linspace and the step count would overflow
            raise ExperimentError(f"{_where(path)}{where}: the range from {start:g} to {stop:g} is too wide")
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
                raise ExperimentError(f"{_where(path)}{where}.step: must be positive, got {step:g}")
            span = (stop - start) / step  # inf for a tiny step: compare before math.floor
            if not span < 100_000:
                raise ExperimentError(f"{_where(path)}{where}: the range has more than 100000 values")
            n = math.floor(span + 1e-9) + 1
            if n > 100_000:
                raise ExperimentError(f"{_where(path)}{where}: the range has {n} values (at most 100000)")
            arr = start + step * np.arange(n)
        # 12 significant digits: 0.15, not 0.15000000000000002 (so that .sel(x=0.15) finds it)
        vals = tuple(float(f"{v:.12g}") for v in arr)
    else:
        raise ExperimentError(f"{_where(path)}{where}: must be a list of numbers or a range table "
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


def check_parameter(name: str, raw: Any, *, specs: Mapping[str, DrugSpec], idealised: bool,
                    phys: Physiology, path: str | None) -> Parameter:
    """Check a swept (or uncertain) parameter: its dotted name, its values, the unit it is in.

    Parameters
    ----------
    name : str
        Dotted name (``drug.<moiety>.<...>``, ``physiology.<section>.<field>``,
        ``calibration.<name>``, ``occupancy.sert`` / ``occupancy.net``).
    raw : list of float or dict
        Values in the parameter's canonical unit, or a range table ``{start, stop, num | step,
        scale}``.
    specs : Mapping[str, DrugSpec]
        The experiment's drugs by name (a ``drug.`` parameter must apply to one of them).
    idealised : bool
        Whether the experiment is an idealised inhibitor (``occupancy.*`` only there).
    phys : Physiology
        Gives the unit of a ``physiology.`` parameter.
    path : str or None
        The experiment file, named in the error message.

    Returns
    -------
    Parameter
        Name, values, canonical unit, meaning and the drugs it applies to.

    Raises
    ------
    ExperimentError
        Unknown or reserved name, a value the model refuses, or a bad list or range.
    """
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
    params_raw = t.get("parameters", {})
    if not isinstance(params_raw, dict):  # before set(): a number is not iterable, a list of lists not hashable
        raise ExperimentError(f"{_where(path)}[sensitivity.parameters]: must be a table of dotted names, "
                              "e.g. \"calibration.w_ne\" = { low = 5.5, high = 22.0 }")
    if not params_raw:
        raise ExperimentError(f"{_where(path)}[sensitivity.parameters]: must name at least one parameter")
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
        if not isinstance(scale, str) or scale not in ("linear", "log") or (scale == "log" and lo <= 0):
            raise ExperimentError(f"{_where(path)}{where}: scale must be 'linear' or 'log' (log needs low > 0)")
        check_parameter(name, [lo, hi], specs=specs, idealised=idealised, phys=phys, path=path)
        params.append((name, lo, hi, scale))
    methods = t.get("methods", ["morris", "sobol"])
    if (not isinstance(methods, list) or not methods
            or any(m not in ("morris", "sobol") for m in methods)):
        raise ExperimentError(f"{_where(path)}sensitivity.methods: must be a list of 'morris' and/or 'sobol'")
    outcome = t.get("outcome", outcomes[0])
    if not isinstance(outcome, str) or outcome not in OUTCOMES:
        raise ExperimentError(f"{_where(path)}sensitivity.outcome: must be one of {', '.join(OUTCOMES)}")
    week = None if "week" not in t else _int(t["week"], "sensitivity.week", path, maximum=weeks)
    sobol_n = _int(t.get("sobol_n", 32), "sensitivity.sobol_n", path, minimum=2, maximum=1 << 16)
    if sobol_n & (sobol_n - 1):
        raise ExperimentError(f"{_where(path)}sensitivity.sobol_n: must be a power of 2, got {sobol_n}")
    return SensitivitySpec(
        parameters=tuple(params), methods=tuple(dict.fromkeys(methods)), outcome=outcome, week=week,
        morris_trajectories=_int(t.get("morris_trajectories", 8), "sensitivity.morris_trajectories", path,
                                 minimum=2, maximum=10_000),
        morris_levels=_int(t.get("morris_levels", 4), "sensitivity.morris_levels", path, minimum=2, maximum=100),
        sobol_n=sobol_n,
        seed=None if "seed" not in t else _int(t["seed"], "sensitivity.seed", path, minimum=0))
