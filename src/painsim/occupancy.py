"""Target engagement: competitive occupancy of SERT and NET by all active moieties.

    occ_T = Emax_T · S / (1 + S),    S = Σ_m (C_m / EC50_{m,T})^n_m

``C_m`` is the total plasma concentration of moiety *m* (ng/mL) and ``EC50_{m,T}`` the total
plasma concentration giving 50 % occupancy of transporter *T* when *m* is alone. EC50s come from
human PET where one exists (``method = "pet"`` in the drug file); otherwise they are solved by
``painsim fit-occupancy`` from PET occupancy measured at a dose (``pet_dose_anchor``) or derived
from the in-vitro Ki and the unbound fraction with one in-vivo/in-vitro scaling rule
(``derived_ki``), and read from ``models/occupancy_fit.toml``. ``Emax_T`` is the parent's (the
first moiety with a value); moieties share one binding site, so one ceiling.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numba as nb
import numpy as np

from painsim.library import TARGETS, DrugSpec, ModelFileError, is_shipped, models_dir
from painsim.modelfile import ModelFile, read_model_file
from painsim.vmath import pow_libm

__all__ = [
    "FIT_DIALECT",
    "OccupancyParams",
    "SteadyStateOccupancy",
    "load_occupancy_fit",
    "occupancy",
    "occupancy_from_sum",
    "occupancy_of",
    "occupancy_params",
    "occupancy_rows",
    "occupancy_term",
    "steady_state_occupancy",
]


#: dialect of ``models/occupancy_fit.toml`` (written by :mod:`painsim.occupancy_fit`, read here)
FIT_DIALECT = "painsim-occupancy-fit/1"


@dataclass(frozen=True)
class OccupancyParams:
    """Numbers for :func:`occupancy` for one drug and one target.

    Attributes
    ----------
    target : str
        ``"sert"`` or ``"net"``.
    emax : float
        Maximal occupancy (fraction); 0 when no moiety binds the target.
    ec50 : ndarray
        Per moiety, ng/mL (``inf`` where the moiety does not bind).
    hill : ndarray
        Per moiety, Hill exponent.
    method : tuple of str
        Per moiety: pet, pet_dose_anchor, derived_ki or none.
    """

    target: str
    emax: float
    ec50: np.ndarray
    hill: np.ndarray
    method: tuple[str, ...]


@nb.njit(cache=True, inline="always")
def occupancy_term(c, ec50, hill):
    """One moiety's ``(C/EC50)^n`` in the occupancy sum S (0 where absent or not binding).

    Parameters
    ----------
    c : float
        Total plasma concentration, ng/mL.
    ec50 : float
        ng/mL (``inf`` where the moiety does not bind).
    hill : float
        Hill exponent.
    """
    if c > 0.0 and ec50 < np.inf:
        return pow_libm(c / ec50, hill)
    return 0.0


@nb.njit(cache=True, inline="always")
def occupancy_from_sum(s, emax):
    """Occupancy ``Emax·S/(1 + S)`` (fraction) from the sum S of :func:`occupancy_term`.

    Evaluated as ``Emax/(1 + 1/S)``: each operation is then monotone in S and ``1 + 1/S ≥ 1``,
    so the result never exceeds Emax and never decreases as S grows, to the last ulp (the form
    ``Emax·S/(1 + S)`` rounds twice and overshot Emax by one ulp at S ~ 1e17). S = 0 (no drug)
    gives 0 without dividing by zero (a select, so the kernel's loop over patients still
    vectorises)."""
    return emax / (1.0 + 1.0 / s) if s > 0.0 else 0.0


@nb.njit(cache=True)
def occupancy_of(conc, row):
    """Occupancy (fraction) of one transporter by every moiety at concentrations ``conc`` (ng/mL),
    for one packed row ``[emax, ec50..., hill...]`` of :func:`occupancy_rows`."""
    m = conc.shape[0]
    s = 0.0
    for j in range(m):
        s += occupancy_term(conc[j], row[1 + j], row[1 + m + j])
    return occupancy_from_sum(s, row[0])


@nb.njit(cache=True)
def occupancy(conc, emax, ec50, hill):
    """Fractional occupancy of one transporter.

    Parameters
    ----------
    conc : ndarray, shape (..., n_moieties)
        Total plasma concentrations, ng/mL.
    emax : float
        Maximal occupancy, fraction.
    ec50, hill : ndarray, shape (n_moieties,)
        ng/mL and dimensionless.

    Returns
    -------
    ndarray, shape (...)
        Occupancy, fraction in [0, emax).
    """
    flat = conc.reshape((-1, conc.shape[-1]))
    out = np.empty(flat.shape[0])
    for i in range(flat.shape[0]):
        s = 0.0
        for m in range(flat.shape[1]):
            s += occupancy_term(flat[i, m], ec50[m], hill[m])
        out[i] = occupancy_from_sum(s, emax)
    return out.reshape(conc.shape[:-1])


@lru_cache(maxsize=2)
def load_occupancy_fit(path: str | None = None) -> dict:
    """The contents of ``models/occupancy_fit.toml`` (empty if it has not been written).

    The file is in the dialect ``painsim-occupancy-fit/1``. Its ``[[ec50]]`` rows are checked:
    ``drug``, ``moiety``, ``target`` (``sert`` or ``net``) and ``method`` strings and ``value`` a
    positive finite number (ng/mL); the ``[scaling]`` table and the provenance are only checked
    for their types.

    Raises
    ------
    ModelFileError
        If the file exists but breaks its dialect.
    """
    p = Path(models_dir() / "occupancy_fit.toml" if path is None else path)
    if not p.exists():
        return {}
    ctx = ModelFile(p)
    _, doc = read_model_file(p, FIT_DIALECT)
    top = {"dialect", "generated_by", "painsim_version", "date", "scaling", "ec50"}
    ctx.check_keys("top level", doc, top, {"dialect", "scaling", "ec50"})
    for key in ("generated_by", "painsim_version", "date"):
        ctx.plain(key, doc.get(key), "string", optional=True)
    scaling = ctx.check_keys("scaling", doc["scaling"], {"rule", "s", "unit", "log10_sd", "n_training",
                                                         "leave_one_out_log10_error", "training"}, {"s"})
    ctx.plain("scaling.s", scaling["s"], "number", positive=True)
    for key, kind in (("rule", "string"), ("unit", "string"), ("log10_sd", "number"), ("n_training", "integer"),
                      ("leave_one_out_log10_error", "numbers"), ("training", "tables")):
        ctx.plain(f"scaling.{key}", scaling.get(key), kind, optional=True)
    # a fitted EC50 (ng/mL) and its provenance (Ki and fu, or the anchors it reproduces)
    row_kinds = {"drug": "string", "moiety": "string", "target": "string", "method": "string",
                 "value": "number", "unit": "string", "ki_nM": "number", "fu": "number", "anchors": "tables",
                 "other_moieties_fixed": "bool"}
    for i, row in enumerate(ctx.plain("ec50", doc["ec50"], "tables")):
        where = f"ec50[{i}]"
        ctx.check_keys(where, row, set(row_kinds), {"drug", "moiety", "target", "value"})
        for key, kind in row_kinds.items():
            ctx.plain(f"{where}.{key}", row.get(key), kind, optional=True)
        ctx.plain(f"{where}.target", row["target"], "string", choices=TARGETS)
        ctx.plain(f"{where}.value", row["value"], "number", positive=True)
        ctx.plain(f"{where}.unit", row.get("unit"), "string", optional=True, choices=("ng/mL",))
    return doc


def _fitted_ec50(drug: str, moiety: str, target: str, fit: dict) -> float | None:
    for row in fit.get("ec50", []):
        if row["drug"] == drug and row["moiety"] == moiety and row["target"] == target:
            return float(row["value"])
    return None


def occupancy_params(drug: DrugSpec, target: str, *, fit: dict | None = None,
                     strict: bool = True) -> OccupancyParams:
    """Resolve the EC50, Hill exponent and Emax of every moiety for ``target``.

    Parameters
    ----------
    fit : dict, optional
        Fitted values (default: the shipped ``models/occupancy_fit.toml``).
    strict : bool
        Raise if a derived EC50 is missing from the fit; otherwise treat it as non-binding.
    """
    if target not in TARGETS:
        raise ValueError(f"target must be one of {TARGETS}, got {target!r}")
    fit = load_occupancy_fit() if fit is None else fit
    ec50, hill, methods = [], [], []
    emax = None
    for m in drug.moieties:
        spec = m.occupancy[target]
        methods.append(spec.method)
        if spec.method == "none":
            ec50.append(math.inf)
            hill.append(1.0)
            continue
        if emax is None:
            emax = spec.emax.value
        hill.append(spec.hill.value)
        if spec.method == "pet":
            ec50.append(spec.ec50.value)
            continue
        override = drug.overrides.get(f"{m.name}.occupancy.{target}.ec50")
        if override is None and not is_shipped(drug):
            # the shipped fit is keyed by drug name: an edited copy's Ki, fu or PK would be ignored
            raise ModelFileError(
                f"{drug.path}: {m.name}.occupancy.{target}: a drug file outside the shipped library needs its "
                f"own {spec.method} EC50; use painsim.occupancy_fit.with_own_ec50s(drug) (the command line "
                "does this for --drug FILE)")
        value = override if override is not None else _fitted_ec50(drug.name, m.name, target, fit)
        if value is None:
            if strict:
                raise ModelFileError(
                    f"models/occupancy_fit.toml: no fitted EC50 for {drug.name}/{m.name}/{target} "
                    f"(method {spec.method}); run `painsim fit-occupancy --in-place` to regenerate it")
            value = math.inf
        ec50.append(value)
    return OccupancyParams(target=target, emax=0.0 if emax is None else emax,
                           ec50=np.array(ec50), hill=np.array(hill), method=tuple(methods))


def occupancy_rows(drug: DrugSpec) -> np.ndarray:
    """SERT and NET parameters packed for the simulation paths, shape (2, 1 + 2·n_moieties):
    each row ``[emax, ec50..., hill...]`` (see :func:`occupancy_of`)."""
    m = len(drug.moieties)
    rows = np.zeros((2, 1 + 2 * m))
    for i, target in enumerate(TARGETS):
        p = occupancy_params(drug, target)
        rows[i, 0] = p.emax
        rows[i, 1:1 + m] = p.ec50
        rows[i, 1 + m:] = p.hill
    return rows


@dataclass(frozen=True)
class SteadyStateOccupancy:
    """Steady-state occupancy over a dosing interval (fractions)."""

    target: str
    trough: float
    mean: float
    peak: float


def steady_state_occupancy(drug: DrugSpec, mg_per_day: float, *, interval: float | None = None,
                           fit: dict | None = None) -> dict[str, SteadyStateOccupancy]:
    """Trough, time-averaged and peak SERT and NET occupancy at steady state (typical patient).

    Examples
    --------
    >>> from painsim.library import load_drug
    >>> occ = steady_state_occupancy(load_drug("duloxetine"), 60.0)
    >>> 0.7 < occ["sert"].mean < 0.95
    True
    """
    from painsim.steady_state import steady_state_profile

    prof = steady_state_profile(drug, mg_per_day, interval=interval)
    out = {}
    for target in TARGETS:
        p = occupancy_params(drug, target, fit=fit)
        occ = occupancy(np.ascontiguousarray(prof.conc), p.emax, p.ec50, p.hill)
        mean = float(np.trapezoid(occ, prof.grid) / prof.tau)
        out[target] = SteadyStateOccupancy(target=target, trough=float(occ.min()), mean=mean,
                                           peak=float(occ.max()))
    return out
