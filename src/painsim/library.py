"""Load and validate the drug library (``models/drugs/*.toml``) into typed, immutable specs.

Loading is strict: an unknown key, a number without a unit or a source, a unit of the wrong
dimension, a negative clearance or volume, or a source key absent from ``models/references.bib``
raises :class:`ModelFileError` naming the file, the field and what was expected. Values are
converted to painsim's canonical units (:mod:`painsim.units`) once, here.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from painsim.units import UnitError, to_canonical

__all__ = [
    "DRUG_CLASSES",
    "TARGETS",
    "Anchor",
    "DosingSpec",
    "DrugSpec",
    "ModelFileError",
    "MoietySpec",
    "OccupancySpec",
    "PKSpec",
    "UnknownDrugError",
    "Value",
    "bibliography",
    "drug_names",
    "load_drug",
    "load_library",
    "models_dir",
]

DIALECT = "painsim-drug/1"
DRUG_CLASSES = ("SNRI", "SSRI", "NRI", "TCA")
TARGETS = ("sert", "net")
OCCUPANCY_METHODS = ("pet", "pet_dose_anchor", "derived_ki", "none")
ANCHOR_AT = ("ss_mean", "ss_trough", "single_dose")


class ModelFileError(ValueError):
    """A model file that breaks the dialect (the message names file, field and fix)."""


class UnknownDrugError(KeyError):
    """A drug name that is not in the library (the message suggests the nearest name)."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


@dataclass(frozen=True)
class Value:
    """One sourced number, converted to its canonical unit.

    Attributes
    ----------
    value : float
        The number in ``unit`` (canonical).
    unit : str
        Canonical unit.
    source : tuple of str
        Bibliography keys (with optional ``:locator``).
    derived : str or None
        The calculation, when the number was computed from others.
    note : str or None
        Free-text remark.
    raw : tuple
        ``(value, unit)`` as written in the file.
    """

    value: float
    unit: str
    source: tuple[str, ...]
    derived: str | None = None
    note: str | None = None
    raw: tuple[float, str] = (float("nan"), "")

    def __float__(self) -> float:
        return self.value

    @property
    def is_derived(self) -> bool:
        return self.derived is not None

    def replace(self, value: float, *, source: str = "user") -> Value:
        """Return a copy holding a user-set ``value`` (same unit), marked as such."""
        return dataclasses.replace(self, value=float(value), source=(source,), derived=None,
                                   note=f"set by user (was {self.value:g} {self.unit})",
                                   raw=(float(value), self.unit))


@dataclass(frozen=True)
class PKSpec:
    """Pharmacokinetic parameters of one moiety (canonical units).

    ``cl``/``v``/``q``/``vp`` are on the basis named by ``cl_basis``; use :meth:`apparent`
    for the oral-apparent values the parent's PK model needs and :meth:`systemic` for a
    formed metabolite's disposition.
    """

    compartments: int
    elimination: str
    cl_basis: str
    bioavailability: Value | None
    ka: Value | None
    lag: Value | None
    cl: Value | None
    v: Value
    q: Value | None
    vp: Value | None
    vmax: Value | None
    km: Value | None
    notes: str | None = None

    def _scaled(self, factor: float) -> dict[str, float]:
        out = {"v": self.v.value * factor}
        for name in ("cl", "q", "vp", "vmax"):
            val = getattr(self, name)
            if val is not None:
                out[name] = val.value * factor
        if self.km is not None:
            out["km"] = self.km.value
        return out

    def apparent(self) -> dict[str, float]:
        """Oral-apparent parameters (CL/F, V/F, ...) in canonical units."""
        if self.cl_basis == "systemic":
            assert self.bioavailability is not None
            return self._scaled(1.0 / self.bioavailability.value)
        return self._scaled(1.0)

    def systemic(self) -> dict[str, float]:
        """Systemic disposition parameters; apparent values where F is unknown (see notes)."""
        return self._scaled(1.0)


@dataclass(frozen=True)
class Anchor:
    """A measured occupancy at a dose, used to solve for an EC50 through the PK model."""

    dose: Value
    occupancy: Value
    at: str
    time_after_dose: Value | None = None
    note: str | None = None


@dataclass(frozen=True)
class OccupancySpec:
    """How a moiety's occupancy of one transporter is parametrised."""

    target: str
    method: str
    ec50: Value | None
    emax: Value | None
    hill: Value | None
    anchors: tuple[Anchor, ...] = ()
    notes: str | None = None


@dataclass(frozen=True)
class MoietySpec:
    """An active moiety: the parent drug or an active metabolite."""

    name: str
    role: str
    molecular_weight: Value
    fu: Value | None
    pk: PKSpec
    affinity: Mapping[str, Value]
    occupancy: Mapping[str, OccupancySpec]
    variability: Mapping[str, Value]
    formed_from: str | None = None
    formation_fraction: Value | None = None
    from_drug: str | None = None
    gaps: tuple[str, ...] = ()
    notes: str | None = None


@dataclass(frozen=True)
class DosingSpec:
    """Usual dosing of a drug."""

    interval: Value
    dose_min: Value
    dose_max: Value
    dose_min_therapeutic: Value | None
    pgx: Mapping[str, Value]
    notes: str | None = None


@dataclass(frozen=True)
class DrugSpec:
    """A drug from the library: identity, dosing and its active moieties (parent first)."""

    name: str
    display_name: str
    drug_class: str
    subclass: str | None
    references: tuple[str, ...]
    dosing: DosingSpec
    moieties: tuple[MoietySpec, ...]
    path: str = ""
    sha256: str = ""
    notes: str | None = None
    overrides: Mapping[str, float] = field(default_factory=dict)

    @property
    def parent(self) -> MoietySpec:
        return self.moieties[0]

    def moiety(self, name: str) -> MoietySpec:
        for m in self.moieties:
            if m.name == name:
                return m
        raise KeyError(f"{self.name} has no moiety {name!r}; moieties: "
                       f"{', '.join(m.name for m in self.moieties)}")

    def sources(self) -> tuple[str, ...]:
        """Every bibliography key this drug cites (sorted, without locators)."""
        keys: set[str] = set(self.references)

        def visit(obj: Any) -> None:
            if isinstance(obj, Value):
                keys.update(k.split(":")[0] for k in obj.source)
            elif dataclasses.is_dataclass(obj):
                for f in dataclasses.fields(obj):
                    visit(getattr(obj, f.name))
            elif isinstance(obj, Mapping):
                for v in obj.values():
                    visit(v)
            elif isinstance(obj, tuple):
                for v in obj:
                    visit(v)

        visit(self.dosing)
        visit(self.moieties)
        keys.discard("user")
        return tuple(sorted(keys))

    def with_value(self, path: str, value: float) -> DrugSpec:
        """Return a copy with one sourced number replaced (nothing is mutated).

        Parameters
        ----------
        path : str
            Dotted name: ``"<moiety>.pk.<param>"``, ``"<moiety>.affinity.ki_net"``,
            ``"<moiety>.occupancy.<target>.<ec50|emax|hill>"``, ``"<moiety>.fu"`` or
            ``"dosing.<field>"``. The value is in the field's canonical unit.
        value : float
            The new number.

        Examples
        --------
        >>> dlx = load_drug("duloxetine")
        >>> faster = dlx.with_value("duloxetine.pk.cl", 150.0)
        >>> faster.parent.pk.cl.value, dlx.parent.pk.cl.value
        (150.0, 114.0)
        """
        parts = path.split(".")
        if parts[0] == "dosing":
            dosing = _replace_path(self.dosing, parts[1:], value, path)
            return dataclasses.replace(self, dosing=dosing,
                                       overrides={**self.overrides, path: float(value)})
        names = [m.name for m in self.moieties]
        if parts[0] not in names:
            raise KeyError(f"{path!r}: no moiety {parts[0]!r} in {self.name} "
                           f"(moieties: {', '.join(names)})")
        i = names.index(parts[0])
        if (len(parts) == 4 and parts[1] == "occupancy" and parts[3] == "ec50"
                and parts[2] in self.moieties[i].occupancy
                and self.moieties[i].occupancy[parts[2]].ec50 is None):
            # a derived EC50 lives in models/occupancy_fit.toml: override it by name
            if self.moieties[i].occupancy[parts[2]].method == "none":
                raise KeyError(f"{path!r}: {parts[0]} does not bind {parts[2].upper()} in the model file")
            return dataclasses.replace(self, overrides={**self.overrides, path: float(value)})
        new_m = _replace_path(self.moieties[i], parts[1:], value, path)
        moieties = (*self.moieties[:i], new_m, *self.moieties[i + 1:])
        return dataclasses.replace(self, moieties=moieties,
                                   overrides={**self.overrides, path: float(value)})


def _replace_path(obj: Any, parts: list[str], value: float, full: str) -> Any:
    if not parts:
        if not isinstance(obj, Value):
            raise KeyError(f"{full!r} does not name a number")
        return obj.replace(value)
    head, rest = parts[0], parts[1:]
    if isinstance(obj, Mapping):
        if head not in obj:
            raise KeyError(f"{full!r}: no field {head!r} (have {', '.join(obj)})")
        return {**obj, head: _replace_path(obj[head], rest, value, full)}
    if not dataclasses.is_dataclass(obj) or head not in {f.name for f in dataclasses.fields(obj)}:
        raise KeyError(f"{full!r}: no field {head!r}")
    current = getattr(obj, head)
    if current is None:
        raise KeyError(f"{full!r} is not set in the model file; it cannot be changed")
    return dataclasses.replace(obj, **{head: _replace_path(current, rest, value, full)})


# --------------------------------------------------------------------------------------------
# locating files


def models_dir() -> Path:
    """The directory holding the shipped model library."""
    return Path(str(resources.files("painsim") / "models"))


@lru_cache(maxsize=4)
def bibliography(path: str | None = None) -> frozenset[str]:
    """The set of keys in ``models/references.bib``."""
    bib = Path(path) if path else models_dir() / "references.bib"
    if not bib.exists():
        return frozenset()
    text = bib.read_text(encoding="utf-8")
    return frozenset(re.findall(r"@\w+\s*\{\s*([^,\s]+)\s*,", text))


def drug_names() -> list[str]:
    """Names of every drug in the library, sorted."""
    return sorted(p.stem for p in (models_dir() / "drugs").glob("*.toml"))


def _suggest(name: str) -> str:
    close = difflib.get_close_matches(name.lower(), drug_names(), n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else ""


# --------------------------------------------------------------------------------------------
# parsing


class _Ctx:
    """Parsing context: the file name and the bibliography, for error messages."""

    def __init__(self, path: Path, bib: frozenset[str]):
        self.path = path
        self.bib = bib

    def fail(self, where: str, what: str) -> ModelFileError:
        try:
            shown = self.path.relative_to(models_dir().parent)
        except ValueError:
            shown = self.path
        return ModelFileError(f"{shown}: {where}: {what}")


_VALUE_KEYS = {"value", "unit", "source", "derived", "note", "range"}


def _check_keys(ctx: _Ctx, where: str, table: Any, allowed: set[str], required: set[str] = frozenset()) -> None:
    if not isinstance(table, dict):
        raise ctx.fail(where, f"expected a table, got {type(table).__name__}")
    unknown = set(table) - allowed
    if unknown:
        raise ctx.fail(where, f"unknown key {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(allowed))})")
    missing = set(required) - set(table)
    if missing:
        raise ctx.fail(where, f"missing required key {sorted(missing)[0]!r}")


def _value(ctx: _Ctx, where: str, raw: Any, kind: str, *, mw: float | None = None,
           nonnegative: bool = True, positive: bool = False) -> Value:
    if not isinstance(raw, dict):
        raise ctx.fail(where, "a number must be an inline table "
                              "{ value = ..., unit = \"...\", source = \"key\" }")
    _check_keys(ctx, where, raw, _VALUE_KEYS)
    if "value" not in raw or isinstance(raw["value"], bool) or not isinstance(raw["value"], int | float):
        raise ctx.fail(where, "missing or non-numeric 'value'")
    if "unit" not in raw or not isinstance(raw["unit"], str):
        raise ctx.fail(where, "missing 'unit' (every number needs one; \"1\" if dimensionless)")
    src = raw.get("source")
    if src is None or src == "" or src == []:
        raise ctx.fail(where, "missing 'source' (a key of models/references.bib)")
    sources = (src,) if isinstance(src, str) else tuple(src)
    if not all(isinstance(s, str) and s for s in sources):
        raise ctx.fail(where, "'source' must be a key or a list of keys")
    for s in sources:
        key = s.split(":")[0]
        if key not in ctx.bib:
            raise ctx.fail(where, f"source key {key!r} is not in models/references.bib; add an entry")
    for opt in ("derived", "note"):
        if opt in raw and not isinstance(raw[opt], str):
            raise ctx.fail(where, f"'{opt}' must be a string")
    number = float(raw["value"])
    try:
        canon = to_canonical(number, raw["unit"], kind, molecular_weight=mw)
    except UnitError as exc:
        raise ctx.fail(where, str(exc)) from None
    if canon != canon or canon in (float("inf"), float("-inf")):
        raise ctx.fail(where, "value must be finite")
    if nonnegative and canon < 0:
        raise ctx.fail(where, f"value must not be negative (got {number:g} {raw['unit']})")
    if positive and canon <= 0:
        raise ctx.fail(where, f"value must be positive (got {number:g} {raw['unit']})")
    from painsim.units import CANONICAL

    return Value(value=canon, unit=CANONICAL[kind], source=sources, derived=raw.get("derived"),
                 note=raw.get("note"), raw=(number, raw["unit"]))


def _opt(ctx: _Ctx, where: str, table: dict, key: str, kind: str, **kw: Any) -> Value | None:
    return _value(ctx, f"{where}.{key}", table[key], kind, **kw) if key in table else None


def _fraction(ctx: _Ctx, where: str, raw: Any, *, allow_above_one: bool = False) -> Value:
    v = _value(ctx, where, raw, "dimensionless")
    if not allow_above_one and v.value > 1.0:
        raise ctx.fail(where, f"a fraction must lie in [0, 1] (got {v.value:g})")
    return v


_PK_KEYS = {"compartments", "elimination", "cl_basis", "bioavailability", "ka", "lag", "cl", "v",
            "q", "vp", "vmax", "km", "notes"}


def _pk(ctx: _Ctx, where: str, raw: Any, role: str, mw: float) -> PKSpec:
    _check_keys(ctx, where, raw, _PK_KEYS, {"compartments", "elimination", "cl_basis", "v"})
    ncmt = raw["compartments"]
    if ncmt not in (1, 2):
        raise ctx.fail(f"{where}.compartments", f"expected 1 or 2, got {ncmt!r}")
    elim = raw["elimination"]
    if elim not in ("linear", "michaelis_menten"):
        raise ctx.fail(f"{where}.elimination", f"expected 'linear' or 'michaelis_menten', got {elim!r}")
    basis = raw["cl_basis"]
    if basis not in ("apparent_oral", "systemic"):
        raise ctx.fail(f"{where}.cl_basis", f"expected 'apparent_oral' or 'systemic', got {basis!r}")
    f = _fraction(ctx, f"{where}.bioavailability", raw["bioavailability"]) if "bioavailability" in raw else None
    if basis == "systemic" and f is None:
        raise ctx.fail(f"{where}.bioavailability", "required when cl_basis = 'systemic'")
    if f is not None and f.value <= 0:
        raise ctx.fail(f"{where}.bioavailability", "must be positive")
    ka = _opt(ctx, where, raw, "ka", "rate", positive=True)
    if role == "parent" and ka is None:
        raise ctx.fail(f"{where}.ka", "the parent needs an absorption rate constant ka (1/h)")
    lag = _opt(ctx, where, raw, "lag", "time")
    cl = _opt(ctx, where, raw, "cl", "clearance", positive=True)
    v = _value(ctx, f"{where}.v", raw["v"], "volume", positive=True)
    q = _opt(ctx, where, raw, "q", "clearance", positive=True)
    vp = _opt(ctx, where, raw, "vp", "volume", positive=True)
    if ncmt == 2 and (q is None or vp is None):
        raise ctx.fail(where, "a 2-compartment model needs q (L/h) and vp (L)")
    if ncmt == 1 and (q is not None or vp is not None):
        raise ctx.fail(where, "q and vp belong to 2-compartment models only (set compartments = 2)")
    vmax = _opt(ctx, where, raw, "vmax", "amount_rate", positive=True)
    km = _opt(ctx, where, raw, "km", "plasma_conc", mw=mw, positive=True)
    if elim == "linear" and cl is None:
        raise ctx.fail(f"{where}.cl", "linear elimination needs a clearance cl (L/h)")
    if elim == "michaelis_menten" and (vmax is None or km is None):
        raise ctx.fail(where, "michaelis_menten elimination needs vmax (mg/h) and km (ng/mL)")
    return PKSpec(compartments=ncmt, elimination=elim, cl_basis=basis, bioavailability=f, ka=ka,
                  lag=lag, cl=cl, v=v, q=q, vp=vp, vmax=vmax, km=km, notes=raw.get("notes"))


def _occupancy(ctx: _Ctx, where: str, raw: Any, target: str, mw: float) -> OccupancySpec:
    _check_keys(ctx, where, raw, {"method", "ec50", "emax", "hill", "anchors", "notes"}, {"method"})
    method = raw["method"]
    if method not in OCCUPANCY_METHODS:
        raise ctx.fail(f"{where}.method", f"expected one of {', '.join(OCCUPANCY_METHODS)}, got {method!r}")
    ec50 = _opt(ctx, where, raw, "ec50", "plasma_conc", mw=mw, positive=True)
    if method == "pet" and ec50 is None:
        raise ctx.fail(f"{where}.ec50", "method 'pet' needs the PET plasma EC50 (ng/mL)")
    if method != "pet" and ec50 is not None:
        raise ctx.fail(f"{where}.ec50", f"an ec50 belongs to method 'pet' only (method is {method!r}); "
                                        "derived values are written by `painsim fit-occupancy`")
    emax = hill = None
    if method != "none":
        if "emax" not in raw or "hill" not in raw:
            raise ctx.fail(where, "needs emax (fraction) and hill (Hill exponent), each sourced")
        emax = _fraction(ctx, f"{where}.emax", raw["emax"])
        hill = _value(ctx, f"{where}.hill", raw["hill"], "dimensionless", positive=True)
        if emax.value <= 0:
            raise ctx.fail(f"{where}.emax", "must be positive")
    anchors: list[Anchor] = []
    if method == "pet_dose_anchor":
        raw_anchors = raw.get("anchors")
        if not raw_anchors:
            raise ctx.fail(f"{where}.anchors", "method 'pet_dose_anchor' needs at least one anchor")
        for j, a in enumerate(raw_anchors):
            w = f"{where}.anchors[{j}]"
            _check_keys(ctx, w, a, {"dose", "occupancy", "at", "time_after_dose", "note"},
                        {"dose", "occupancy", "at"})
            if a["at"] not in ANCHOR_AT:
                raise ctx.fail(f"{w}.at", f"expected one of {', '.join(ANCHOR_AT)}, got {a['at']!r}")
            tad = _opt(ctx, w, a, "time_after_dose", "time")
            if a["at"] == "single_dose" and tad is None:
                raise ctx.fail(f"{w}.time_after_dose", "a single-dose anchor needs the scan time (h)")
            occ = _fraction(ctx, f"{w}.occupancy", a["occupancy"])
            if emax is not None and occ.value >= emax.value:
                raise ctx.fail(f"{w}.occupancy", f"{occ.value:g} is not below emax {emax.value:g}")
            anchors.append(Anchor(dose=_value(ctx, f"{w}.dose", a["dose"], "daily_dose", positive=True),
                                  occupancy=occ, at=a["at"], time_after_dose=tad, note=a.get("note")))
    elif "anchors" in raw:
        raise ctx.fail(f"{where}.anchors", "anchors belong to method 'pet_dose_anchor' only")
    return OccupancySpec(target=target, method=method, ec50=ec50, emax=emax, hill=hill,
                         anchors=tuple(anchors), notes=raw.get("notes"))


_MOIETY_KEYS = {"name", "role", "molecular_weight", "fu", "gaps", "pk", "formation", "affinity",
                "occupancy", "variability", "from_drug", "notes"}


def _moiety(ctx: _Ctx, where: str, raw: Any, earlier: list[MoietySpec], drug: str) -> MoietySpec:
    _check_keys(ctx, where, raw, _MOIETY_KEYS, {"name", "role"})
    name, role = raw["name"], raw["role"]
    if role not in ("parent", "metabolite"):
        raise ctx.fail(f"{where}.role", f"expected 'parent' or 'metabolite', got {role!r}")
    if role == "parent" and earlier:
        raise ctx.fail(f"{where}.role", "only the first moiety may be the parent")
    if role == "metabolite" and not earlier:
        raise ctx.fail(f"{where}.role", "the first moiety must be the parent")
    formed_from = fraction = None
    if role == "metabolite":
        if "formation" not in raw:
            raise ctx.fail(f"{where}.formation", "a metabolite needs [formation] with 'from' and 'fraction'")
        _check_keys(ctx, f"{where}.formation", raw["formation"], {"from", "fraction", "notes"},
                    {"from", "fraction"})
        formed_from = raw["formation"]["from"]
        if formed_from not in [m.name for m in earlier]:
            raise ctx.fail(f"{where}.formation.from", f"{formed_from!r} is not an earlier moiety of this file")
        if any(m.pk.elimination != "linear" for m in earlier if m.name == formed_from):
            raise ctx.fail(f"{where}.formation.from", "metabolite formation from a nonlinear parent is not supported")
        fraction = _fraction(ctx, f"{where}.formation.fraction", raw["formation"]["fraction"])
    elif "formation" in raw:
        raise ctx.fail(f"{where}.formation", "only metabolites have a formation block")

    if "from_drug" in raw:
        other = raw["from_drug"]
        extra = set(raw) - {"name", "role", "from_drug", "formation", "notes", "gaps"}
        if extra:
            raise ctx.fail(f"{where}.{sorted(extra)[0]}", f"a moiety with from_drug takes its data from "
                                                      f"{other!r}; remove this key")
        if other == drug:
            raise ctx.fail(f"{where}.from_drug", "a drug cannot take a moiety from itself")
        try:
            src = load_drug(other)
        except UnknownDrugError as exc:
            raise ctx.fail(f"{where}.from_drug", str(exc)) from None
        base = src.parent
        notes = raw.get("notes")
        if base.pk.cl_basis != "systemic":
            flag = (f"disposition from {other}.toml is apparent oral (F unknown) and is used "
                    f"as the systemic disposition of the formed metabolite")
            notes = f"{notes}; {flag}" if notes else flag
        pk = base.pk
        if pk.cl_basis == "systemic":
            # a formed metabolite is already in the circulation: its disposition is systemic
            pk = dataclasses.replace(pk, ka=None, lag=None)
        return dataclasses.replace(base, name=name, role=role, pk=pk, formed_from=formed_from,
                                   formation_fraction=fraction, from_drug=other,
                                   gaps=tuple(raw.get("gaps", ())) + base.gaps, notes=notes)

    for req in ("molecular_weight", "pk"):
        if req not in raw:
            raise ctx.fail(f"{where}.{req}", "required")
    mw = _value(ctx, f"{where}.molecular_weight", raw["molecular_weight"], "molecular_weight", positive=True)
    fu = _fraction(ctx, f"{where}.fu", raw["fu"]) if "fu" in raw else None
    pk = _pk(ctx, f"{where}.pk", raw["pk"], role, mw.value)
    affinity: dict[str, Value] = {}
    if "affinity" in raw:
        _check_keys(ctx, f"{where}.affinity", raw["affinity"], {"ki_sert", "ki_net", "ki_dat", "notes"})
        for k, v in raw["affinity"].items():
            if k != "notes":
                affinity[k] = _value(ctx, f"{where}.affinity.{k}", v, "molar", mw=mw.value, positive=True)
    occupancy: dict[str, OccupancySpec] = {}
    occ_raw = raw.get("occupancy", {})
    _check_keys(ctx, f"{where}.occupancy", occ_raw, set(TARGETS))
    for target in TARGETS:
        if target in occ_raw:
            occupancy[target] = _occupancy(ctx, f"{where}.occupancy.{target}", occ_raw[target], target, mw.value)
        else:
            occupancy[target] = OccupancySpec(target=target, method="none", ec50=None, emax=None, hill=None)
        spec = occupancy[target]
        ki = affinity.get(f"ki_{target}")
        if spec.method == "derived_ki" and (ki is None or fu is None):
            raise ctx.fail(f"{where}.occupancy.{target}.method",
                           f"'derived_ki' needs affinity.ki_{target} and fu")
    variability: dict[str, Value] = {}
    if "variability" in raw:
        _check_keys(ctx, f"{where}.variability", raw["variability"], {"cl", "v", "ka", "notes"})
        for k, v in raw["variability"].items():
            if k != "notes":
                variability[k] = _value(ctx, f"{where}.variability.{k}", v, "dimensionless")
    gaps = raw.get("gaps", [])
    if not isinstance(gaps, list) or not all(isinstance(g, str) for g in gaps):
        raise ctx.fail(f"{where}.gaps", "expected a list of strings")
    return MoietySpec(name=name, role=role, molecular_weight=mw, fu=fu, pk=pk, affinity=affinity,
                      occupancy=occupancy, variability=variability, formed_from=formed_from,
                      formation_fraction=fraction, gaps=tuple(gaps), notes=raw.get("notes"))


_PGX_KEYS = {"cyp2d6_pm_cl", "cyp2d6_im_cl", "cyp2d6_um_cl", "cyp1a2_smoker_cl"}


def _dosing(ctx: _Ctx, raw: Any) -> DosingSpec:
    where = "dosing"
    _check_keys(ctx, where, raw, {"interval", "dose_min", "dose_max", "dose_min_therapeutic", "pgx", "notes"},
                {"interval", "dose_min", "dose_max"})
    interval = _value(ctx, f"{where}.interval", raw["interval"], "time", positive=True)
    dmin = _value(ctx, f"{where}.dose_min", raw["dose_min"], "daily_dose", positive=True)
    dmax = _value(ctx, f"{where}.dose_max", raw["dose_max"], "daily_dose", positive=True)
    if dmax.value < dmin.value:
        raise ctx.fail(f"{where}.dose_max", f"is below dose_min ({dmax.value:g} < {dmin.value:g} mg/day)")
    dther = _opt(ctx, where, raw, "dose_min_therapeutic", "daily_dose", positive=True)
    pgx: dict[str, Value] = {}
    if "pgx" in raw:
        _check_keys(ctx, f"{where}.pgx", raw["pgx"], _PGX_KEYS | {"notes"})
        for k, v in raw["pgx"].items():
            if k != "notes":
                pgx[k] = _value(ctx, f"{where}.pgx.{k}", v, "dimensionless", positive=True)
    return DosingSpec(interval=interval, dose_min=dmin, dose_max=dmax, dose_min_therapeutic=dther,
                      pgx=pgx, notes=raw.get("notes"))


def _read_toml(ctx: _Ctx, path: Path) -> tuple[bytes, dict]:
    """The bytes (for the file's hash) and the parsed document of a model file."""
    try:
        data = path.read_bytes()
        return data, tomllib.loads(data.decode("utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ctx.fail("syntax", f"not valid TOML ({exc})") from None
    except OSError as exc:
        raise ctx.fail("file", f"cannot read ({exc.strerror})") from None


def parse_drug_file(path: Path, bib: frozenset[str] | None = None) -> DrugSpec:
    """Parse and validate one drug file.

    Raises
    ------
    ModelFileError
        Naming the file, the field and what was expected.
    """
    ctx = _Ctx(path, bibliography() if bib is None else bib)
    data, doc = _read_toml(ctx, path)
    _check_keys(ctx, "top level", doc, {"dialect", "drug", "dosing", "moieties"},
                {"dialect", "drug", "dosing", "moieties"})
    if doc["dialect"] != DIALECT:
        raise ctx.fail("dialect", f"expected {DIALECT!r}, got {doc['dialect']!r}")
    d = doc["drug"]
    _check_keys(ctx, "drug", d, {"name", "display_name", "class", "subclass", "references", "notes"},
                {"name", "display_name", "class", "references"})
    if d["name"] != path.stem:
        raise ctx.fail("drug.name", f"{d['name']!r} must equal the file name {path.stem!r}")
    if d["class"] not in DRUG_CLASSES:
        raise ctx.fail("drug.class", f"expected one of {', '.join(DRUG_CLASSES)}, got {d['class']!r}")
    refs = d["references"]
    if not isinstance(refs, list) or not refs:
        raise ctx.fail("drug.references", "expected a non-empty list of bibliography keys")
    for r in refs:
        if r.split(":")[0] not in ctx.bib:
            raise ctx.fail("drug.references", f"source key {r!r} is not in models/references.bib")
    dosing = _dosing(ctx, doc["dosing"])
    if not isinstance(doc["moieties"], list) or not doc["moieties"]:
        raise ctx.fail("moieties", "expected at least one [[moieties]] table (the parent)")
    moieties: list[MoietySpec] = []
    for i, m in enumerate(doc["moieties"]):
        label = m.get("name", i) if isinstance(m, dict) else i
        moieties.append(_moiety(ctx, f"moieties[{label}]", m, moieties, d["name"]))
    names = [m.name for m in moieties]
    if len(set(names)) != len(names):
        raise ctx.fail("moieties", "moiety names must be unique")
    return DrugSpec(name=d["name"], display_name=d["display_name"], drug_class=d["class"],
                    subclass=d.get("subclass"), references=tuple(refs), dosing=dosing,
                    moieties=tuple(moieties), path=str(path), sha256=hashlib.sha256(data).hexdigest(),
                    notes=d.get("notes"))


@lru_cache(maxsize=64)
def load_drug(name: str) -> DrugSpec:
    """Load one drug from the shipped library.

    Parameters
    ----------
    name : str
        Drug name (case-insensitive), e.g. ``"duloxetine"``.

    Raises
    ------
    UnknownDrugError
        If there is no such drug (the message suggests the nearest name).
    ModelFileError
        If the file breaks the dialect.
    """
    key = name.strip().lower()
    path = models_dir() / "drugs" / f"{key}.toml"
    if not re.fullmatch(r"[a-z0-9_-]+", key) or not path.exists():
        raise UnknownDrugError(f"unknown drug {name!r}{_suggest(key)} "
                               f"(`painsim drugs` lists the {len(drug_names())} available)")
    return parse_drug_file(path)


def load_library() -> dict[str, DrugSpec]:
    """Load every drug of the library, keyed by name."""
    return {n: load_drug(n) for n in drug_names()}
