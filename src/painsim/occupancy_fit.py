"""Fit the occupancy parameters that the literature gives only indirectly.

Run by ``painsim fit-occupancy``; the result is ``models/occupancy_fit.toml`` (dialect
``painsim-occupancy-fit/1``, read by :func:`painsim.occupancy.load_occupancy_fit`), which the
shipped package reads and which must equal what this module produces (a test checks it).

Procedure (training data: the PET numbers named in each drug file, nothing else):

1. **PET dose anchors.** For each moiety whose occupancy of a transporter is
   ``pet_dose_anchor`` and which is the only moiety of its drug binding that transporter, the
   EC50 (total plasma, ng/mL) is the value for which the model — this drug file's PK for the
   typical patient, then :func:`painsim.occupancy.occupancy` — reproduces the measured
   occupancies at the anchor doses (least squares over the anchors; the steady-state mean is the
   time average over a dosing interval, the trough the end of the interval, a single dose the
   scan time after one administration of the anchor's one-day dose).
2. **In-vivo/in-vitro scaling rule.** For every moiety with a PET-based EC50 (measured, or from
   step 1) and a human Ki and unbound fraction, ``r = EC50_u / Ki`` with
   ``EC50_u = fu · EC50`` in nM. The rule is ``EC50 = s · Ki / fu`` with
   ``s = exp(mean(log r))`` (geometric mean); its spread and leave-one-out errors are written
   with it.
3. **Derived EC50s.** Every ``derived_ki`` moiety gets ``s · Ki / fu``.
4. **Remaining anchors.** Anchored moieties of drugs with several binding moieties are solved
   as in step 1 with the other moieties' EC50s fixed.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from pathlib import Path

import numpy as np

from painsim.library import TARGETS, Anchor, DrugSpec, MoietySpec, load_library, models_dir
from painsim.occupancy import FIT_DIALECT, occupancy
from painsim.units import mass_conc_to_molar, molar_to_mass_conc

__all__ = ["DIALECT", "dumps", "fit_occupancy", "with_own_ec50s", "write_occupancy_fit"]

DIALECT = FIT_DIALECT


def _anchor_conc(drug: DrugSpec, anchor: Anchor) -> np.ndarray:
    """Concentration profile(s) the anchor's occupancy is compared with, shape (k, n_moieties)."""
    from painsim.pk import concentrations
    from painsim.regimen import Regimen
    from painsim.steady_state import steady_state_profile

    if anchor.at == "single_dose":
        # the scan time counts from the dose; the absorption lag is in the PK (painsim.pk.dose_events)
        reg = Regimen(dose=anchor.dose.value, n_doses=1)
        return concentrations(drug, reg, np.array([anchor.time_after_dose.value]))
    prof = steady_state_profile(drug, anchor.dose.value, n_grid=400)
    if anchor.at == "ss_trough":
        return prof.conc[-1:]
    return prof.conc


def _model_occ(conc: np.ndarray, at: str, emax: float, ec50: np.ndarray, hill: np.ndarray) -> float:
    occ = occupancy(np.ascontiguousarray(conc), emax, ec50, hill)
    if at == "ss_mean":
        return float(np.mean(0.5 * (occ[1:] + occ[:-1])))  # trapezoid on the uniform grid
    return float(occ[0])


def _solve_anchor(drug: DrugSpec, j: int, target: str, ec50: np.ndarray, hill: np.ndarray,
                  emax: float) -> tuple[float, list[dict]]:
    from scipy.optimize import minimize_scalar

    spec = drug.moieties[j].occupancy[target]
    concs = [_anchor_conc(drug, a) for a in spec.anchors]

    def sse(log_ec50: float) -> float:
        e = ec50.copy()
        e[j] = math.exp(log_ec50)
        return sum((_model_occ(c, a.at, emax, e, hill) - a.occupancy.value) ** 2
                   for c, a in zip(concs, spec.anchors, strict=True))

    res = minimize_scalar(sse, bounds=(math.log(1e-4), math.log(1e6)), method="bounded",
                          options={"xatol": 1e-10})
    best = math.exp(res.x)
    e = ec50.copy()
    e[j] = best
    rows = [{"dose_mg_per_day": a.dose.value, "at": a.at, "observed": a.occupancy.value,
             "fitted": round(_model_occ(c, a.at, emax, e, hill), 6)}
            for c, a in zip(concs, spec.anchors, strict=True)]
    return best, rows


def _derived_ec50(m: MoietySpec, target: str, s: float) -> float:
    """Step 3: the in-vivo/in-vitro rule ``EC50 = s·Ki/fu`` (total plasma, ng/mL)."""
    return molar_to_mass_conc(s * m.affinity[f"ki_{target}"].value / m.fu.value, m.molecular_weight.value)


def _arrays(drug: DrugSpec, target: str, known: dict[str, float]) -> tuple[np.ndarray, np.ndarray, float]:
    """EC50 (``known[moiety name]``, inf where unknown), Hill exponents and Emax of every moiety."""
    e, h, emax = [], [], None
    for m in drug.moieties:
        spec = m.occupancy[target]
        e.append(known.get(m.name, math.inf))
        h.append(spec.hill.value if spec.hill is not None else 1.0)
        if emax is None and spec.emax is not None:
            emax = spec.emax.value
    return np.array(e), np.array(h), 0.0 if emax is None else emax


def with_own_ec50s(drug: DrugSpec, fit: dict | None = None) -> DrugSpec:
    """A drug from a user's own file with its derived and anchored EC50s computed from that file.

    The shipped fit (``models/occupancy_fit.toml``) holds the EC50s of the shipped drug files, keyed
    by drug name: a user's edited copy (another Ki, fu or PK) needs its own. The in-vivo/in-vitro
    rule ``s`` is the shipped one (a user's file does not refit the rule); steps 3 and 4 of the
    procedure above are applied to this drug alone: every ``derived_ki`` EC50 is ``s·Ki/fu``, then
    every ``pet_dose_anchor`` EC50 is solved against this file's PK with the other moieties' EC50s
    fixed. The values are returned as overrides (:meth:`DrugSpec.with_value`).

    Parameters
    ----------
    drug : DrugSpec
    fit : dict, optional
        The occupancy fit whose rule is used (default: the shipped one).
    """
    from painsim.occupancy import load_occupancy_fit

    fit = load_occupancy_fit() if fit is None else fit
    s = float(fit["scaling"]["s"])
    out = drug
    for target in TARGETS:
        known = {m.name: m.occupancy[target].ec50.value for m in drug.moieties if m.occupancy[target].method == "pet"}
        for m in drug.moieties:
            if m.occupancy[target].method == "derived_ki":
                known[m.name] = _derived_ec50(m, target, s)
        for j, m in enumerate(drug.moieties):
            if m.occupancy[target].method == "pet_dose_anchor":
                e, h, emax = _arrays(drug, target, known)
                e[j] = math.inf
                known[m.name] = _solve_anchor(drug, j, target, e, h, emax)[0]
        for m in drug.moieties:
            if m.occupancy[target].method in ("derived_ki", "pet_dose_anchor"):
                out = out.with_value(f"{m.name}.occupancy.{target}.ec50", known[m.name])
    return out


def fit_occupancy(drugs: dict[str, DrugSpec] | None = None) -> dict:
    """Run the fit described in the module docstring.

    Returns
    -------
    dict
        The document written to ``models/occupancy_fit.toml``.
    """
    drugs = load_library() if drugs is None else drugs
    ec50: dict[tuple[str, str, str], float] = {}
    origin: dict[tuple[str, str, str], dict] = {}
    # per drug/target arrays of measured values so far (inf = unknown or non-binding)
    for name, drug in drugs.items():
        for target in TARGETS:
            for m in drug.moieties:
                spec = m.occupancy[target]
                if spec.method == "pet":
                    ec50[(name, m.name, target)] = spec.ec50.value

    def arrays(drug: DrugSpec, target: str) -> tuple[np.ndarray, np.ndarray, float]:
        return _arrays(drug, target, {m: v for (d, m, t), v in ec50.items() if d == drug.name and t == target})

    def binders(drug: DrugSpec, target: str) -> int:
        return sum(m.occupancy[target].method != "none" for m in drug.moieties)

    # step 1: anchors of sole binders
    for name, drug in sorted(drugs.items()):
        for target in TARGETS:
            for j, m in enumerate(drug.moieties):
                if m.occupancy[target].method == "pet_dose_anchor" and binders(drug, target) == 1:
                    e, h, emax = arrays(drug, target)
                    value, rows = _solve_anchor(drug, j, target, e, h, emax)
                    ec50[(name, m.name, target)] = value
                    origin[(name, m.name, target)] = {"anchors": rows}

    # step 2: scaling rule
    training = []
    for (name, moiety, target), value in sorted(ec50.items()):
        m = drugs[name].moiety(moiety)
        ki = m.affinity.get(f"ki_{target}")
        if ki is None or m.fu is None or m.from_drug is not None:
            continue  # a from_drug moiety is a copy of another file's: count it once
        ec50_u = m.fu.value * mass_conc_to_molar(value, m.molecular_weight.value)
        training.append({"drug": name, "moiety": moiety, "target": target,
                         "ec50_ng_ml": round(value, 6), "ki_nM": ki.value, "fu": m.fu.value,
                         "ratio": round(ec50_u / ki.value, 6)})
    if not training:
        raise ValueError("no moiety has both a PET-based EC50 and a Ki with fu: "
                         "the scaling rule cannot be fitted")
    logs = np.log([t["ratio"] for t in training])
    s = float(np.exp(logs.mean()))
    loo = []
    for i, t in enumerate(training):
        others = np.delete(logs, i)
        if len(others):
            pred = float(np.exp(others.mean())) * t["ki_nM"] / t["fu"]
            obs = mass_conc_to_molar(t["ec50_ng_ml"], drugs[t["drug"]].moiety(t["moiety"]).molecular_weight.value)
            loo.append(round(math.log10(pred / obs), 4))

    # step 3: derived from Ki
    for name, drug in sorted(drugs.items()):
        for target in TARGETS:
            for m in drug.moieties:
                if m.occupancy[target].method == "derived_ki":
                    ec50[(name, m.name, target)] = _derived_ec50(m, target, s)
                    origin[(name, m.name, target)] = {"ki_nM": m.affinity[f"ki_{target}"].value, "fu": m.fu.value}

    # step 4: anchors of drugs with several binding moieties
    for name, drug in sorted(drugs.items()):
        for target in TARGETS:
            for j, m in enumerate(drug.moieties):
                key = (name, m.name, target)
                if m.occupancy[target].method == "pet_dose_anchor" and key not in ec50:
                    e, h, emax = arrays(drug, target)
                    e[j] = math.inf
                    value, rows = _solve_anchor(drug, j, target, e, h, emax)
                    ec50[key] = value
                    origin[key] = {"anchors": rows, "other_moieties_fixed": True}

    from painsim._version import __version__

    rows = []
    for (name, moiety, target), value in sorted(ec50.items()):
        method = drugs[name].moiety(moiety).occupancy[target].method
        if method == "pet":
            continue
        rows.append({"drug": name, "moiety": moiety, "target": target, "method": method,
                     "value": float(f"{value:.6g}"), "unit": "ng/mL", **origin[(name, moiety, target)]})
    return {
        "dialect": DIALECT,
        "generated_by": "painsim fit-occupancy (src/painsim/occupancy_fit.py); do not edit",
        "painsim_version": __version__,
        "date": _dt.date.today().isoformat(),
        "scaling": {
            "rule": "EC50_total_nM = s * Ki_nM / fu",
            "s": float(f"{s:.6g}"),
            "unit": "1",
            "log10_sd": round(float(np.std(logs / np.log(10), ddof=1)), 4) if len(logs) > 1 else 0.0,
            "n_training": len(training),
            "leave_one_out_log10_error": loo,
            "training": training,
        },
        "ec50": rows,
    }


def _toml_value(v: object) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int | float):
        return repr(float(v)) if isinstance(v, float) else str(v)
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(type(v))


def dumps(doc: dict) -> str:
    """Serialise the fit document as TOML (small writer: keys, tables, arrays of tables)."""
    lines = [f"# {doc['generated_by']}"]
    for k, v in doc.items():
        if not isinstance(v, dict) and not (isinstance(v, list) and v and isinstance(v[0], dict)):
            lines.append(f"{k} = {_toml_value(v)}")
    for k, v in doc.items():
        if isinstance(v, dict):
            lines.append(f"\n[{k}]")
            for kk, vv in v.items():
                lines.append(f"{kk} = {_toml_value(vv)}")
        elif isinstance(v, list) and v and isinstance(v[0], dict):
            for row in v:
                lines.append(f"\n[[{k}]]")
                for kk, vv in row.items():
                    lines.append(f"{kk} = {_toml_value(vv)}")
    return "\n".join(lines) + "\n"


def write_occupancy_fit(path: str | os.PathLike | None = None) -> Path:
    """Fit and write ``models/occupancy_fit.toml`` atomically (:func:`painsim.atomic.atomic_write`).

    The output path is checked before the fit (:func:`painsim.atomic.check_output_path`).
    """
    from painsim.atomic import atomic_write, check_output_path

    target = check_output_path(Path(path) if path is not None else models_dir() / "occupancy_fit.toml")
    return atomic_write(target, dumps(fit_occupancy()))
