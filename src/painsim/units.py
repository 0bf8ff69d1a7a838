"""Canonical units and the one place where physical units are converted.

painsim checks units once, when a model file is loaded (with pint), and converts every value to
the canonical system below; numerical code then runs on plain float64 arrays.

=====================  ==========
quantity               canonical
=====================  ==========
time                   h
amount                 mg
volume                 L
plasma concentration   ng/mL (= µg/L)
synaptic concentration nM
daily dose             mg/day
synaptic flux          nM/h
molecular weight       g/mol
affinity (Ki)          nM
=====================  ==========
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

__all__ = [
    "CANONICAL",
    "UnitError",
    "mass_conc_to_molar",
    "molar_to_mass_conc",
    "registry",
    "to_canonical",
]

#: canonical unit of each kind of field in a model file
CANONICAL: dict[str, str] = {
    "time": "h",
    "rate": "1/h",
    "volume": "L",
    "clearance": "L/h",
    "amount_rate": "mg/h",
    "daily_dose": "mg/day",
    "molecular_weight": "g/mol",
    "dimensionless": "dimensionless",
    "molar": "nM",
    "molar_rate": "nM/h",
    "plasma_conc": "ng/mL",
}


class UnitError(ValueError):
    """A unit that cannot be parsed or has the wrong dimension."""


@lru_cache(maxsize=1)
def registry() -> Any:
    """Return the shared pint registry (created on first use; pint is slow to import)."""
    import pint

    return pint.UnitRegistry()


@lru_cache(maxsize=256)
def _parse_unit(unit: str) -> Any:
    ureg = registry()
    try:
        return ureg.parse_units(unit) if unit not in {"1", ""} else ureg.dimensionless
    except Exception as exc:  # pint raises several types for unparsable strings
        raise UnitError(f"cannot parse unit {unit!r}") from exc


def to_canonical(value: float, unit: str, kind: str, *, molecular_weight: float | None = None) -> float:
    """Convert ``value`` in ``unit`` to the canonical unit of ``kind``.

    Parameters
    ----------
    value : float
        The number as written in the model file.
    unit : str
        Its unit (pint syntax; ``"1"`` for dimensionless).
    kind : str
        A key of :data:`CANONICAL`.
    molecular_weight : float, optional
        g/mol; lets a molar concentration stand where a mass concentration is expected
        (``plasma_conc``) and vice versa (``molar``).

    Returns
    -------
    float
        The value in the canonical unit.

    Raises
    ------
    UnitError
        If the unit does not parse or has the wrong dimension.
    """
    ureg = registry()
    target = ureg.parse_units(CANONICAL[kind]) if kind != "dimensionless" else ureg.dimensionless
    src = _parse_unit(unit)
    q = value * src
    try:
        return float(q.to(target).magnitude)
    except Exception:
        pass
    if molecular_weight is not None and kind in {"plasma_conc", "molar"}:
        mw = molecular_weight * ureg("g/mol")
        try:
            if kind == "plasma_conc":
                return float((q * mw).to(target).magnitude)
            return float((q / mw).to(target).magnitude)
        except Exception:
            pass
    raise UnitError(f"unit {unit!r} is not a {kind.replace('_', ' ')} (expected e.g. {CANONICAL[kind]!r})")


def mass_conc_to_molar(c_ng_ml: float, molecular_weight: float) -> float:
    """Convert a concentration in ng/mL to nM given the molecular weight in g/mol."""
    return c_ng_ml / molecular_weight * 1000.0


def molar_to_mass_conc(c_nM: float, molecular_weight: float) -> float:
    """Convert a concentration in nM to ng/mL given the molecular weight in g/mol."""
    return c_nM * molecular_weight / 1000.0
