"""The grid of a sweep: its axes, its chunks, and the model objects at one grid point.

The grid is (drug, dose, one axis per swept parameter) followed by the replicate ``trial`` axis.
It is cut into rectangular chunks (*tiles*), each computed by one task and written as one zarr
chunk of every result variable; each (point, trial) cell ends with a status code.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from painsim.calibration import Calibration
from painsim.library import DrugSpec, load_drug
from painsim.physiology import Physiology
from painsim.sweep.experiment import DrugEntry, Experiment

#: status codes of a (point, trial): -1 is the store's fill value (not computed yet); they live
#: here, below the Dataset and provenance modules that both name them
STATUS_OK, STATUS_NONFINITE, STATUS_INFEASIBLE, STATUS_NOT_APPLICABLE = 0, 1, 2, 3
STATUS_MEANINGS = {
    -1: "not_computed",
    STATUS_OK: "ok",
    STATUS_NONFINITE: "non_finite_model_output",
    STATUS_INFEASIBLE: "infeasible_parameters",
    STATUS_NOT_APPLICABLE: "not_applicable",
}
"""Status code of a (point, trial) → meaning: the ``flag_values`` / ``flag_meanings`` of ``status``."""


@dataclass(frozen=True)
class GridAxis:
    """One axis of the grid: a dimension of the results and its coordinate.

    Attributes
    ----------
    name : str
        Dimension name (``drug``, ``dose``, a dotted parameter name, ``trial``).
    values : tuple
        Coordinate values, in ``units``.
    units : str
        Unit of the values (``"1"`` for labels, indices and fractions).
    long_name : str
        What the axis is (the coordinate's ``long_name`` attribute).
    attrs : Mapping[str, Any]
        Further coordinate attributes (``applies_to`` of a drug parameter).
    """

    name: str
    values: tuple
    units: str
    long_name: str
    attrs: Mapping[str, Any] = field(default_factory=dict)


def _axes(exp: Experiment) -> list[GridAxis]:
    """The grid axes (drug, dose, swept parameters) followed by the trial axis."""
    axes = []
    if exp.idealised is not None:
        axes.append(GridAxis("drug", (exp.idealised.label,), "1",
                             "reuptake inhibitor (idealised: fixed occupancies, no pharmacokinetics)"))
    else:
        axes.append(GridAxis("drug", tuple(d.name for d in exp.drugs), "1", "reuptake inhibitor"))
        lists = [d.doses for d in exp.drugs]
        if all(x == lists[0] for x in lists):
            axes.append(GridAxis("dose", lists[0], "mg/day", "target daily dose"))
        else:
            k = max(len(x) for x in lists)
            axes.append(GridAxis("dose", tuple(range(k)), "1",
                                 "dose level (index into each drug's dose list; mg/day in dose_mg_per_day)"))
    for p in exp.parameters:
        attrs = {"applies_to": ", ".join(p.applies_to)} if p.applies_to else {}
        axes.append(GridAxis(p.name, p.values, p.units, p.long_name, attrs))
    axes.append(GridAxis("trial", tuple(range(exp.trials)), "1",
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
class SweepContext:
    """What a worker needs to compute any chunk of a sweep (pickled once to every Dask worker).

    Attributes
    ----------
    exp : Experiment
        The experiment.
    axes : tuple of GridAxis
        The grid axes (drug, dose, swept parameters) followed by the ``trial`` axis.
    drugs : Mapping[str, DrugSpec]
        The experiment's drugs by name, as loaded (no swept value applied).
    phys : Physiology
        The experiment's physiology (no swept value applied).
    cal : Calibration
        The experiment's calibration (no swept value applied).
    """

    exp: Experiment
    axes: tuple[GridAxis, ...]
    drugs: Mapping[str, DrugSpec]
    phys: Physiology
    cal: Calibration


def sweep_context(exp: Experiment) -> SweepContext:
    """Load the model objects of an experiment once, for every grid point and worker.

    Parameters
    ----------
    exp : Experiment
        A parsed experiment.

    Returns
    -------
    SweepContext
        The experiment with its grid axes, drugs, physiology and calibration.
    """
    drugs = {d.name: exp.specs.get(d.name) or load_drug(d.name) for d in exp.drugs}
    return SweepContext(exp=exp, axes=tuple(_axes(exp)), drugs=drugs, phys=exp.physiology(), cal=exp.calibration())


@dataclass(frozen=True)
class ResolvedPoint:
    """The model objects of one grid point (the swept values applied).

    Attributes
    ----------
    drug : DrugSpec or None
        The drug; None for an idealised inhibitor.
    entry : DrugEntry or None
        The drug's entry in the experiment (doses, titration, interval); None when idealised.
    dose : float
        Target daily dose, mg/day (NaN for an idealised inhibitor).
    phys : Physiology
        The physiology.
    cal : Calibration
        The calibration.
    occ : tuple of float
        SERT and NET occupancy of an idealised inhibitor (fractions, 0 ≤ occ < 1); (0, 0) for a drug.
    """

    drug: DrugSpec | None
    entry: DrugEntry | None
    dose: float
    phys: Physiology
    cal: Calibration
    occ: tuple[float, float]


def resolve_point(ctx: SweepContext, drug_name: str | None, dose: float, params: Mapping[str, float]) -> ResolvedPoint:
    """Apply the parameter values of one grid point to the drug, physiology and calibration.

    Parameters
    ----------
    ctx : SweepContext
        From :func:`sweep_context`.
    drug_name : str or None
        A drug of the experiment; None for an idealised inhibitor.
    dose : float
        Target daily dose, mg/day (NaN for an idealised inhibitor).
    params : Mapping[str, float]
        Dotted parameter name → value in the parameter's canonical unit. A ``drug.<moiety>.…``
        value is applied only when the drug has that moiety.

    Returns
    -------
    ResolvedPoint
        New model objects; those of ``ctx`` are unchanged.

    Raises
    ------
    KeyError, ValueError
        A value the model objects refuse (the point is infeasible).
    """
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
    return ResolvedPoint(drug, entry, dose, phys, cal, (occ[0], occ[1]))


def _point(ctx: SweepContext, index: Sequence[int]) -> tuple[str | None, float, dict[str, float]]:
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
