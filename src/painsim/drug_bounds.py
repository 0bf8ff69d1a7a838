"""Physically possible ranges of every number in a drug file, checked when the file is loaded.

The unit and sign checks of :mod:`painsim.modelfile` let through numbers no drug has (a volume
of 1e300 L, a Hill exponent of 1e6) that make the PK and occupancy arithmetic overflow or
return nan. Each field therefore has a range here, in its canonical unit. The ranges are
deliberately generous: they must refuse only what is physically impossible or numerically
absurd, never a real drug (the shipped library sits well inside each; see the comments).
"""

from __future__ import annotations

from collections.abc import Iterator

from painsim.drug_spec import DrugSpec
from painsim.modelfile import ModelFile, Value

__all__ = ["BOUNDS", "check_drug_bounds", "drug_values"]

#: field (without the moiety) -> (low, high) in the canonical unit; both ends included
BOUNDS: dict[str, tuple[float, float]] = {
    # small-molecule drugs: lithium salts ~ 30 g/mol to ~ 2000 g/mol (cyclosporin 1203)
    "molecular_weight": (30.0, 5000.0),
    # fraction unbound: the most bound drugs have fu ~ 1e-3 (0.1 %); 1e-4 leaves room
    "fu": (1e-4, 1.0),
    "pk.bioavailability": (1e-4, 1.0),
    # absorption half-life from ~ 25 s (ka 100/h) to ~ 29 days (ka 1e-3/h)
    "pk.ka": (1e-3, 100.0),
    "pk.lag": (0.0, 48.0),
    # clearance: ~ 1 mL/h to 1e5 L/h (apparent oral CL/F of a drug with tiny F can reach ~ 1e4 L/h;
    # hepatic blood flow is ~ 90 L/h)
    "pk.cl": (1e-3, 1e5),
    "pk.q": (1e-3, 1e5),
    # volume: 0.1 L (below plasma volume) to 1e6 L (apparent V/F of the most lipophilic drugs ~ 1e5 L)
    "pk.v": (0.1, 1e6),
    "pk.vp": (0.1, 1e6),
    # saturable elimination: 1 ug/h to 100 g/h; Km 1 pg/mL to 1 mg/mL
    "pk.vmax": (1e-3, 1e5),
    "pk.km": (1e-3, 1e6),
    # binding constants: 0.1 pM (the tightest transporter ligands ~ 10 pM) to 10 mM (no binding)
    "affinity": (1e-4, 1e7),
    # plasma EC50: 0.1 pg/mL to 1 mg/mL
    "occupancy.ec50": (1e-4, 1e6),
    "occupancy.emax": (1e-3, 1.0),
    # Hill exponents of transporter PET fits are ~ 0.5-2; beyond 10 (C/EC50)^n overflows
    "occupancy.hill": (0.1, 10.0),
    "occupancy.anchors.dose": (1e-3, 1e4),
    "occupancy.anchors.occupancy": (0.0, 1.0),
    "occupancy.anchors.time_after_dose": (0.0, 1000.0),
    # between-subject CVs: 0 to 300 % (reported PK CVs stay below ~ 150 %)
    "variability": (0.0, 3.0),
    "formation.fraction": (0.0, 1.0),
    # dosing: every 30 min to every two weeks (fluoxetine weekly is 168 h)
    "dosing.interval": (0.5, 336.0),
    # 1 ug/day to 10 g/day (the largest antidepressant doses are ~ 300-375 mg/day)
    "dosing.dose_min": (1e-3, 1e4),
    "dosing.dose_max": (1e-3, 1e4),
    "dosing.dose_min_therapeutic": (1e-3, 1e4),
    # pharmacogenetic clearance multipliers: poor metabolisers ~ 0.1-0.3, ultrarapid ~ 2-3
    "dosing.pgx": (0.01, 100.0),
    # the same for a metabolite's own clearance and its formation fraction ([moieties.pgx]); the
    # formed fractions must also still sum to at most 1 (checked in check_drug_bounds)
    "pgx": (1e-3, 100.0),
}


def drug_values(drug: DrugSpec) -> Iterator[tuple[str, str, Value]]:
    """Every sourced number of ``drug``: (field as messages name it, key of :data:`BOUNDS`, value)."""
    d = drug.dosing
    for name in ("interval", "dose_min", "dose_max", "dose_min_therapeutic"):
        v = getattr(d, name)
        if v is not None:
            yield f"dosing.{name}", f"dosing.{name}", v
    for k, v in d.pgx.items():
        yield f"dosing.pgx.{k}", "dosing.pgx", v
    for m in drug.moieties:
        w = f"moieties[{m.name}]"
        yield f"{w}.molecular_weight", "molecular_weight", m.molecular_weight
        if m.fu is not None:
            yield f"{w}.fu", "fu", m.fu
        if m.formation_fraction is not None:
            yield f"{w}.formation.fraction", "formation.fraction", m.formation_fraction
        for name in ("bioavailability", "ka", "lag", "cl", "v", "q", "vp", "vmax", "km"):
            v = getattr(m.pk, name)
            if v is not None:
                yield f"{w}.pk.{name}", f"pk.{name}", v
        for k, v in m.affinity.items():
            yield f"{w}.affinity.{k}", "affinity", v
        for target, occ in m.occupancy.items():
            for name in ("ec50", "emax", "hill"):
                v = getattr(occ, name)
                if v is not None:
                    yield f"{w}.occupancy.{target}.{name}", f"occupancy.{name}", v
            for j, a in enumerate(occ.anchors):
                for name in ("dose", "occupancy", "time_after_dose"):
                    v = getattr(a, name)
                    if v is not None:
                        yield f"{w}.occupancy.{target}.anchors[{j}].{name}", f"occupancy.anchors.{name}", v
        for k, v in m.variability.items():
            yield f"{w}.variability.{k}", "variability", v
        for k, v in m.pgx.items():
            yield f"{w}.pgx.{k}", "pgx", v


def _unit(unit: str) -> str:
    return "" if unit in ("dimensionless", "1") else f" {unit}"


def check_drug_bounds(ctx: ModelFile, drug: DrugSpec) -> None:
    """Refuse a drug with a number outside its physically possible range (see :data:`BOUNDS`).

    Also refuses metabolite formation fractions that, in one CYP2D6 phenotype, sum to more than 1
    for one precursor (each ``formation.fraction`` x its ``cyp2d6_<pm|im|um>_formation_cl`` / the
    precursor's ``cyp2d6_<pm|im|um>_cl``), and
    Michaelis-Menten elimination that cannot keep up with the largest labelled dose
    (apparent Vmax at or below the dose rate): such a drug has no steady state.

    Raises
    ------
    ModelFileError
        ``<file>: <field>: expected <low>-<high> <unit>, got <value> <unit>``.
    """
    for field, key, v in drug_values(drug):
        lo, hi = BOUNDS[key]
        if not lo <= v.value <= hi:
            u = _unit(v.unit)
            raise ctx.fail(field, f"expected {lo:g}-{hi:g}{u}, got {v.value:g}{u}")
    for phenotype in ("pm", "im", "um"):
        formed: dict[str, float] = {}
        for m in drug.moieties:
            if m.formed_from is None or m.formation_fraction is None:
                continue
            key = f"cyp2d6_{phenotype}_formation_cl"
            pre = drug.moiety(m.formed_from)
            pre_pgx = drug.dosing.pgx if pre is drug.moieties[0] else pre.pgx
            pre_mult = pre_pgx[f"cyp2d6_{phenotype}_cl"].value if f"cyp2d6_{phenotype}_cl" in pre_pgx else 1.0
            fm = m.formation_fraction.value * (m.pgx[key].value / pre_mult if key in m.pgx else 1.0)
            formed[m.formed_from] = formed.get(m.formed_from, 0.0) + fm
            if formed[m.formed_from] > 1.0 + 1e-9:
                raise ctx.fail(f"moieties[{m.name}].pgx.{key}",
                               f"in a CYP2D6 {phenotype.upper()} the fractions formed from {m.formed_from} "
                               f"sum to {formed[m.formed_from]:g} (formation.fraction x this multiplier / "
                               f"{m.formed_from}'s cyp2d6_{phenotype}_cl); expected at most 1")
    parent = drug.moieties[0]
    if parent.pk.elimination == "michaelis_menten" and parent.pk.vmax is not None:
        vmax = parent.pk.apparent()["vmax"]  # the dose enters the model as an oral-apparent rate
        rate = drug.dosing.dose_max.value / 24.0
        if vmax <= rate:
            raise ctx.fail(f"moieties[{parent.name}].pk.vmax",
                           f"expected above the largest dose rate ({rate:g} mg/h = dosing.dose_max / 24 h; "
                           f"at or below it no steady state exists), got {vmax:g} mg/h")
