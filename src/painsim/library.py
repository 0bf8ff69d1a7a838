"""Load and validate the drug library (``models/drugs/*.toml``) into typed, immutable specs.

The drug files are in the dialect ``painsim-drug/1`` (``models/README.md``), read through
:mod:`painsim.modelfile`. Loading is strict: an unknown key, a field of the wrong type, a number
without a unit or a source, a unit of the wrong dimension, a negative clearance or volume, or a
source key absent from ``models/references.bib`` raises :class:`ModelFileError` naming the file,
the field and what was expected. Values are converted to painsim's canonical units
(:mod:`painsim.units`) once, here.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

# the spec types (painsim.drug_spec), UnknownDrugError and drug_names (painsim.drug_names) and Value,
# ModelFileError, models_dir and bibliography (the reader) stay importable from here, where the rest
# of painsim and users always found them
from painsim.drug_bounds import check_drug_bounds
from painsim.drug_names import Brand, UnknownDrugError, drug_names, parse_brand_names, resolve_drug_name
from painsim.drug_spec import Anchor, DosingSpec, DrugSpec, MoietySpec, OccupancySpec, PKSpec
from painsim.modelfile import (
    ModelFile,
    ModelFileError,
    Value,
    bib_keys,
    bibliography,
    models_dir,
    read_model_file,
)

__all__ = [
    "DIALECT",
    "DRUG_CLASSES",
    "TARGETS",
    "Anchor",
    "Brand",
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
    "is_shipped",
    "load_drug",
    "load_library",
    "load_user_drug",
    "models_dir",
    "parse_drug_file",
]

DIALECT = "painsim-drug/1"
DRUG_CLASSES = ("SNRI", "SSRI", "NRI", "TCA")
TARGETS = ("sert", "net")
OCCUPANCY_METHODS = ("pet", "pet_dose_anchor", "derived_ki", "none")
ANCHOR_AT = ("ss_mean", "ss_trough", "single_dose")
_NAME_RE = re.compile(r"[a-z0-9_-]+")


# --------------------------------------------------------------------------------------------
# parsing


_PK_KEYS = {"compartments", "elimination", "cl_basis", "bioavailability", "ka", "lag", "cl", "v",
            "q", "vp", "vmax", "km", "notes"}


def _pk(ctx: ModelFile, where: str, raw: Any, role: str, mw: float) -> PKSpec:
    ctx.check_keys(where, raw, _PK_KEYS, {"compartments", "elimination", "cl_basis", "v"})
    ncmt = ctx.plain(f"{where}.compartments", raw["compartments"], "integer", choices=(1, 2))
    elim = ctx.plain(f"{where}.elimination", raw["elimination"], "string", choices=("linear", "michaelis_menten"))
    basis = ctx.plain(f"{where}.cl_basis", raw["cl_basis"], "string", choices=("apparent_oral", "systemic"))
    f = ctx.fraction(f"{where}.bioavailability", raw["bioavailability"]) if "bioavailability" in raw else None
    if basis == "systemic" and f is None:
        raise ctx.fail(f"{where}.bioavailability", "required when cl_basis = 'systemic'")
    if f is not None and f.value <= 0:
        raise ctx.fail(f"{where}.bioavailability", "must be positive")
    ka = ctx.optional_value(where, raw, "ka", "rate", positive=True)
    if role == "parent" and ka is None:
        raise ctx.fail(f"{where}.ka", "the parent needs an absorption rate constant ka (1/h)")
    lag = ctx.optional_value(where, raw, "lag", "time")
    cl = ctx.optional_value(where, raw, "cl", "clearance", positive=True)
    v = ctx.sourced_value(f"{where}.v", raw["v"], "volume", positive=True)
    q = ctx.optional_value(where, raw, "q", "clearance", positive=True)
    vp = ctx.optional_value(where, raw, "vp", "volume", positive=True)
    if ncmt == 2 and (q is None or vp is None):
        raise ctx.fail(where, "a 2-compartment model needs q (L/h) and vp (L)")
    if ncmt == 1 and (q is not None or vp is not None):
        raise ctx.fail(where, "q and vp belong to 2-compartment models only (set compartments = 2)")
    vmax = ctx.optional_value(where, raw, "vmax", "amount_rate", positive=True)
    km = ctx.optional_value(where, raw, "km", "plasma_conc", mw=mw, positive=True)
    if elim == "linear" and cl is None:
        raise ctx.fail(f"{where}.cl", "linear elimination needs a clearance cl (L/h)")
    if elim == "michaelis_menten" and (vmax is None or km is None):
        raise ctx.fail(where, "michaelis_menten elimination needs vmax (mg/h) and km (ng/mL)")
    return PKSpec(compartments=ncmt, elimination=elim, cl_basis=basis, bioavailability=f, ka=ka,
                  lag=lag, cl=cl, v=v, q=q, vp=vp, vmax=vmax, km=km, notes=_notes(ctx, where, raw))


def _notes(ctx: ModelFile, where: str, table: dict[str, Any]) -> str | None:
    """The optional free-text ``notes`` of a table (checked to be a string)."""
    return ctx.plain(f"{where}.notes" if where else "notes", table.get("notes"), "string", optional=True)


def _anchors(ctx: ModelFile, where: str, raw: Any, emax: Value) -> list[Anchor]:
    anchors: list[Anchor] = []
    for j, a in enumerate(ctx.plain(f"{where}.anchors", raw, "list")):
        w = f"{where}.anchors[{j}]"
        ctx.check_keys(w, a, {"dose", "occupancy", "at", "time_after_dose", "note"}, {"dose", "occupancy", "at"})
        at = ctx.plain(f"{w}.at", a["at"], "string", choices=ANCHOR_AT)
        tad = ctx.optional_value(w, a, "time_after_dose", "time")
        if at == "single_dose" and tad is None:
            raise ctx.fail(f"{w}.time_after_dose", "a single-dose anchor needs the scan time (h)")
        occ = ctx.fraction(f"{w}.occupancy", a["occupancy"])
        if occ.value >= emax.value:
            raise ctx.fail(f"{w}.occupancy", f"{occ.value:g} is not below emax {emax.value:g}")
        anchors.append(Anchor(dose=ctx.sourced_value(f"{w}.dose", a["dose"], "daily_dose", positive=True),
                              occupancy=occ, at=at, time_after_dose=tad,
                              note=ctx.plain(f"{w}.note", a.get("note"), "string", optional=True)))
    if not anchors:
        raise ctx.fail(f"{where}.anchors", "method 'pet_dose_anchor' needs at least one anchor")
    return anchors


def _occupancy(ctx: ModelFile, where: str, raw: Any, target: str, mw: float) -> OccupancySpec:
    ctx.check_keys(where, raw, {"method", "ec50", "emax", "hill", "anchors", "notes"}, {"method"})
    method = ctx.plain(f"{where}.method", raw["method"], "string", choices=OCCUPANCY_METHODS)
    ec50 = ctx.optional_value(where, raw, "ec50", "plasma_conc", mw=mw, positive=True)
    if method == "pet" and ec50 is None:
        raise ctx.fail(f"{where}.ec50", "method 'pet' needs the PET plasma EC50 (ng/mL)")
    if method != "pet" and ec50 is not None:
        raise ctx.fail(f"{where}.ec50", f"an ec50 belongs to method 'pet' only (method is {method!r}); "
                                        "derived values are written by `painsim fit-occupancy`")
    emax = hill = None
    if method != "none":
        if "emax" not in raw or "hill" not in raw:
            raise ctx.fail(where, "needs emax (fraction) and hill (Hill exponent), each sourced")
        emax = ctx.fraction(f"{where}.emax", raw["emax"])
        hill = ctx.sourced_value(f"{where}.hill", raw["hill"], "dimensionless", positive=True)
        if emax.value <= 0:
            raise ctx.fail(f"{where}.emax", "must be positive")
    anchors: list[Anchor] = []
    if method == "pet_dose_anchor":
        anchors = _anchors(ctx, where, raw.get("anchors"), emax)
    elif "anchors" in raw:
        raise ctx.fail(f"{where}.anchors", "anchors belong to method 'pet_dose_anchor' only")
    return OccupancySpec(target=target, method=method, ec50=ec50, emax=emax, hill=hill,
                         anchors=tuple(anchors), notes=_notes(ctx, where, raw))


_MOIETY_KEYS = {"name", "role", "molecular_weight", "fu", "gaps", "pk", "formation", "affinity",
                "occupancy", "variability", "from_drug", "pgx", "notes"}
#: CYP2D6 phenotype multipliers of a metabolite (``[moieties.pgx]``): on its own clearance (``_cl``)
#: and on the clearance that forms it, fm x CL of its precursor (``_formation_cl``)
_MOIETY_PGX_KEYS = {f"cyp2d6_{p}_{what}" for p in ("pm", "im", "um") for what in ("cl", "formation_cl")}


def _moiety_pgx(ctx: ModelFile, where: str, raw: dict[str, Any], role: str) -> dict[str, Value]:
    """The phenotype multipliers of a metabolite (``[moieties.pgx]``); the parent's are ``[dosing.pgx]``."""
    if "pgx" not in raw:
        return {}
    if role == "parent":
        raise ctx.fail(f"{where}.pgx", "the parent's phenotype multipliers belong in [dosing.pgx]")
    return ctx.sourced_table(f"{where}.pgx", raw["pgx"], _MOIETY_PGX_KEYS, "dimensionless", positive=True)


def _from_drug(ctx: ModelFile, where: str, raw: dict[str, Any], drug: str, gaps: list[str],
               formed_from: str | None, fraction: Value | None) -> MoietySpec:
    """A metabolite that takes its data from another drug file's parent (``from_drug``)."""
    other = ctx.plain(f"{where}.from_drug", raw["from_drug"], "string")
    extra = set(raw) - {"name", "role", "from_drug", "formation", "notes", "gaps", "pgx"}
    if extra:
        raise ctx.fail(f"{where}.{sorted(extra)[0]}", f"a moiety with from_drug takes its data from "
                                                      f"{other!r}; remove this key")
    try:
        # a name of the shipped library only: a path here would be read relative to the current directory
        resolved = resolve_drug_name(other)
        if isinstance(resolved, Path):
            raise UnknownDrugError(f"expected a drug of the library, got the file {other!r}")
        if resolved == drug:
            raise UnknownDrugError("a drug cannot take a moiety from itself")
        base = load_drug(resolved).parent
    except UnknownDrugError as exc:
        raise ctx.fail(f"{where}.from_drug", str(exc)) from None
    notes = _notes(ctx, where, raw)
    if base.pk.cl_basis != "systemic":
        flag = (f"disposition from {other}.toml is apparent oral (F unknown) and is used "
                f"as the systemic disposition of the formed metabolite")
        notes = f"{notes}; {flag}" if notes else flag
    pk = base.pk
    if pk.cl_basis == "systemic":
        # a formed metabolite is already in the circulation: its disposition is systemic
        pk = dataclasses.replace(pk, ka=None, lag=None)
    return dataclasses.replace(base, name=raw["name"], role=raw["role"], pk=pk, formed_from=formed_from,
                               formation_fraction=fraction, from_drug=other, gaps=tuple(gaps) + base.gaps,
                               notes=notes, pgx=_moiety_pgx(ctx, where, raw, raw["role"]))


def _moiety(ctx: ModelFile, where: str, raw: Any, earlier: list[MoietySpec], drug: str) -> MoietySpec:
    ctx.check_keys(where, raw, _MOIETY_KEYS, {"name", "role"})
    name = ctx.plain(f"{where}.name", raw["name"], "string")
    role = ctx.plain(f"{where}.role", raw["role"], "string", choices=("parent", "metabolite"))
    if role == "parent" and earlier:
        raise ctx.fail(f"{where}.role", "only the first moiety may be the parent")
    if role == "metabolite" and not earlier:
        raise ctx.fail(f"{where}.role", "the first moiety must be the parent")
    gaps = ctx.plain(f"{where}.gaps", raw.get("gaps", []), "strings")
    formed_from = fraction = None
    if role == "metabolite":
        if "formation" not in raw:
            raise ctx.fail(f"{where}.formation", "a metabolite needs [formation] with 'from' and 'fraction'")
        formation = ctx.check_keys(f"{where}.formation", raw["formation"], {"from", "fraction", "notes"},
                                   {"from", "fraction"})
        formed_from = ctx.plain(f"{where}.formation.from", formation["from"], "string")
        if formed_from not in [m.name for m in earlier]:
            raise ctx.fail(f"{where}.formation.from", f"{formed_from!r} is not an earlier moiety of this file")
        if any(m.pk.elimination != "linear" for m in earlier if m.name == formed_from):
            raise ctx.fail(f"{where}.formation.from", "metabolite formation from a nonlinear parent is not supported")
        _notes(ctx, f"{where}.formation", formation)
        fraction = ctx.fraction(f"{where}.formation.fraction", formation["fraction"])
    elif "formation" in raw:
        raise ctx.fail(f"{where}.formation", "only metabolites have a formation block")
    if "from_drug" in raw:
        return _from_drug(ctx, where, raw, drug, gaps, formed_from, fraction)

    for req in ("molecular_weight", "pk"):
        if req not in raw:
            raise ctx.fail(f"{where}.{req}", "required")
    mw = ctx.sourced_value(f"{where}.molecular_weight", raw["molecular_weight"], "molecular_weight", positive=True)
    fu = ctx.fraction(f"{where}.fu", raw["fu"]) if "fu" in raw else None
    pk = _pk(ctx, f"{where}.pk", raw["pk"], role, mw.value)
    affinity = ctx.sourced_table(f"{where}.affinity", raw.get("affinity", {}), {"ki_sert", "ki_net", "ki_dat"},
                                 "molar", mw=mw.value, positive=True)
    occupancy: dict[str, OccupancySpec] = {}
    occ_raw = ctx.check_keys(f"{where}.occupancy", raw.get("occupancy", {}), set(TARGETS))
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
    variability = ctx.sourced_table(f"{where}.variability", raw.get("variability", {}), {"cl", "v", "ka"},
                                    "dimensionless")
    return MoietySpec(name=name, role=role, molecular_weight=mw, fu=fu, pk=pk, affinity=affinity,
                      occupancy=occupancy, variability=variability, formed_from=formed_from,
                      formation_fraction=fraction, gaps=tuple(gaps), notes=_notes(ctx, where, raw),
                      pgx=_moiety_pgx(ctx, where, raw, role))


_PGX_KEYS = {"cyp2d6_pm_cl", "cyp2d6_im_cl", "cyp2d6_um_cl", "cyp1a2_smoker_cl"}


def _dosing(ctx: ModelFile, raw: Any) -> DosingSpec:
    where = "dosing"
    ctx.check_keys(where, raw, {"interval", "dose_min", "dose_max", "dose_min_therapeutic", "pgx", "notes"},
                   {"interval", "dose_min", "dose_max"})
    interval = ctx.sourced_value(f"{where}.interval", raw["interval"], "time", positive=True)
    dmin = ctx.sourced_value(f"{where}.dose_min", raw["dose_min"], "daily_dose", positive=True)
    dmax = ctx.sourced_value(f"{where}.dose_max", raw["dose_max"], "daily_dose", positive=True)
    if dmax.value < dmin.value:
        raise ctx.fail(f"{where}.dose_max", f"is below dose_min ({dmax.value:g} < {dmin.value:g} mg/day)")
    dther = ctx.optional_value(where, raw, "dose_min_therapeutic", "daily_dose", positive=True)
    pgx = ctx.sourced_table(f"{where}.pgx", raw.get("pgx", {}), _PGX_KEYS, "dimensionless", positive=True)
    return DosingSpec(interval=interval, dose_min=dmin, dose_max=dmax, dose_min_therapeutic=dther,
                      pgx=pgx, notes=_notes(ctx, where, raw))


def parse_drug_file(path: str | os.PathLike[str], bib: frozenset[str] | None = None, *,
                    name_from_file: bool = True, bib_name: str = "models/references.bib") -> DrugSpec:
    """Parse and validate one drug file (dialect :data:`DIALECT`).

    Parameters
    ----------
    path : str or path-like
        The file.
    bib : frozenset of str, optional
        The bibliography keys sources may cite (default: ``models/references.bib``).
    name_from_file : bool
        Require ``[drug] name`` to equal the file's stem (the rule of the shipped library, whose
        file names are the drug names); a user's file may have any name.
    bib_name : str
        How messages name the bibliography.

    Raises
    ------
    ModelFileError
        Naming the file, the field and what was expected.
    """
    ctx = ModelFile(path, bib, bib_name)
    data, doc = read_model_file(path, DIALECT)
    top = {"dialect", "drug", "dosing", "moieties"}
    ctx.check_keys("top level", doc, top, top)
    d = ctx.check_keys("drug", doc["drug"], {"name", "display_name", "class", "subclass", "references", "notes",
                                             "brand_names"}, {"name", "display_name", "class", "references"})
    name = ctx.plain("drug.name", d["name"], "string")
    if name_from_file and name != Path(path).stem:
        raise ctx.fail("drug.name", f"{name!r} must equal the file name {Path(path).stem!r}")
    if not _NAME_RE.fullmatch(name):
        raise ctx.fail("drug.name", f"expected lower-case letters, digits, '-' and '_', got {name!r}")
    ctx.plain("drug.display_name", d["display_name"], "string")
    ctx.plain("drug.class", d["class"], "string", choices=DRUG_CLASSES)
    ctx.plain("drug.subclass", d.get("subclass"), "string", optional=True)
    refs = ctx.plain("drug.references", d["references"], "strings")
    if not refs:
        raise ctx.fail("drug.references", "expected a non-empty list of bibliography keys")
    ctx.source_keys("drug.references", refs)
    brands = parse_brand_names(ctx, d.get("brand_names", []))
    dosing = _dosing(ctx, doc["dosing"])
    if not ctx.plain("moieties", doc["moieties"], "tables"):
        raise ctx.fail("moieties", "expected at least one [[moieties]] table (the parent)")
    moieties: list[MoietySpec] = []
    for i, m in enumerate(doc["moieties"]):
        label = m["name"] if isinstance(m.get("name"), str) else i
        moieties.append(_moiety(ctx, f"moieties[{label}]", m, moieties, name))
    names = [m.name for m in moieties]
    if len(set(names)) != len(names):
        raise ctx.fail("moieties", "moiety names must be unique")
    spec = DrugSpec(name=name, display_name=d["display_name"], drug_class=d["class"],
                    subclass=d.get("subclass"), references=tuple(refs), dosing=dosing,
                    moieties=tuple(moieties), path=str(path), sha256=hashlib.sha256(data).hexdigest(),
                    notes=_notes(ctx, "drug", d), brand_names=brands)
    check_drug_bounds(ctx, spec)
    return spec


def load_drug(name: str | os.PathLike[str]) -> DrugSpec:
    """Load one drug: from the shipped library by name or brand, or from a user's drug file.

    Parameters
    ----------
    name : str or path-like
        Drug name or brand name (case-insensitive), e.g. ``"duloxetine"`` or ``"Cymbalta"``; or
        a path ending in ``.toml`` (relative to the current directory): a drug file of your own
        in the same dialect, read as strictly. Its sources may cite ``models/references.bib``
        or a ``references.bib`` next to the file.

    Raises
    ------
    UnknownDrugError
        No such drug (the message suggests the nearest name), a drug outside painsim's scope, or
        a name too long or holding a path separator.
    ModelFileError
        If the file is missing or breaks the dialect.

    Examples
    --------
    >>> load_drug("Cymbalta").name
    'duloxetine'
    """
    if isinstance(name, str) and not name.strip().lower().endswith(".toml"):
        return _load_named(name)  # cached: simulations look drugs up by name in their loops
    target = resolve_drug_name(name)
    if isinstance(target, Path):
        return load_user_drug(target)
    return _load_named(target)


def is_shipped(drug: DrugSpec) -> bool:
    """Whether ``drug`` was read from the shipped library (or built in code, without a file),
    as opposed to a user's own drug file."""
    if not drug.path:
        return True
    return Path(drug.path).resolve().parent == (models_dir() / "drugs").resolve()


@lru_cache(maxsize=256)
def _load_named(name: str) -> DrugSpec:
    target = resolve_drug_name(name)
    if isinstance(target, Path):  # pragma: no cover - load_drug sends paths elsewhere
        raise TypeError(target)
    return _load_shipped(target)


@lru_cache(maxsize=64)
def _load_shipped(name: str) -> DrugSpec:
    return parse_drug_file(models_dir() / "drugs" / f"{name}.toml")


def load_user_drug(path: str | os.PathLike[str]) -> DrugSpec:
    """Load a user's drug file (not cached: the file may be edited between calls).

    Its ``source`` keys may cite the shipped bibliography or a ``references.bib`` in the same
    directory (the union of both).

    Raises
    ------
    ModelFileError
        Missing file, a directory, or a file that breaks the dialect.
    """
    p = Path(path)
    bib = bibliography()
    bib_name = "models/references.bib"
    local = p.parent / "references.bib"
    if local.is_file():
        bib = bib | bib_keys(local)
        bib_name = f"models/references.bib or {local}"
    return parse_drug_file(p, bib, name_from_file=False, bib_name=bib_name)


def load_library() -> dict[str, DrugSpec]:
    """Load every drug of the library, keyed by name."""
    return {n: load_drug(n) for n in drug_names()}
