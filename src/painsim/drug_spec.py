"""The drug specs: typed, immutable records of a drug file (built by :mod:`painsim.library`).

Every number is a :class:`~painsim.sourced.Value` in painsim's canonical unit (:mod:`painsim.units`);
:meth:`DrugSpec.with_value` returns a copy with one number changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field

from painsim.drug_names import Brand
from painsim.sourced import Value, cited_keys, replace_value

__all__ = ["Anchor", "DosingSpec", "DrugSpec", "MoietySpec", "OccupancySpec", "PKSpec"]


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
    #: CYP2D6 phenotype multipliers of a metabolite (``[moieties.pgx]``, dimensionless):
    #: ``cyp2d6_<pm|im|um>_cl`` on its own clearance, ``cyp2d6_<pm|im|um>_formation_cl`` on the
    #: clearance that forms it (``formation_fraction`` x the precursor's clearance); the parent's
    #: own multipliers are :attr:`DosingSpec.pgx`
    pgx: Mapping[str, Value] = field(default_factory=dict)


@dataclass(frozen=True)
class DosingSpec:
    """Usual dosing of a drug."""

    interval: Value
    dose_min: Value
    dose_max: Value
    dose_min_therapeutic: Value | None
    pgx: Mapping[str, Value]
    notes: str | None = None

    @property
    def reference_dose(self) -> float:
        """The dose the tables, figures and predictions use, mg/day: the minimum therapeutic dose,
        or the minimum dose where the file lists none."""
        return float((self.dose_min_therapeutic or self.dose_min).value)


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
    #: brand names with the bibliography key that names each (``[drug] brand_names``)
    brand_names: tuple[Brand, ...] = ()

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
        keys = cited_keys(self.dosing, self.moieties) | set(self.references) | {b.source for b in self.brand_names}
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
        >>> from painsim.library import load_drug
        >>> dlx = load_drug("duloxetine")
        >>> faster = dlx.with_value("duloxetine.pk.cl", 150.0)
        >>> faster.parent.pk.cl.value, dlx.parent.pk.cl.value
        (150.0, 94.7)
        """
        parts = path.split(".")
        if parts[0] == "dosing":
            dosing = replace_value(self.dosing, parts[1:], value, name=path)
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
        new_m = replace_value(self.moieties[i], parts[1:], value, name=path)
        moieties = (*self.moieties[:i], new_m, *self.moieties[i + 1:])
        return dataclasses.replace(self, moieties=moieties,
                                   overrides={**self.overrides, path: float(value)})
