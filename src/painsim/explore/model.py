"""What the explorer computes, without Panel: the settings a page shows, the model edits they
stand for, and the numbers each view draws — all through painsim's public API.

The explorer defines no model equation. Its switches and sliders become edits of the model's
parameter sets (:class:`Edit`): a transporter effect is removed the way the claim experiment
``sindrup2005_noradrenergic_component`` removes it (every binding moiety's EC50 → 10¹² ng/mL),
desensitisation is switched off by a 5-HT1A desensitisation time constant of 10¹² h, the NET
EC50 multiplier scales every moiety's NET EC50, and the 5-HT autoreceptor gain and w_NE replace
``serotonin.feedback_gain`` and the calibrated ``w_ne``. The same edits are written into the
"as a script" export (:mod:`painsim.explore.script`), so a script reproduces the page.

Results are cached per input (an explorer redraws often with one control changed): the PK
profile per (drug, edits, dose), the occupancy–dose curve per (drug, edits), a trial per
everything that changes it.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

# the public API (names of painsim.__all__), imported from the modules that define them: the
# explorer is an application, below the package's top level in the import graph
# (tests/unit/test_import_graph.py); tests/unit/test_explore.py checks that it uses no other name
from painsim.calibration import load_calibration
from painsim.library import load_library
from painsim.occupancy import occupancy, occupancy_params, steady_state_occupancy
from painsim.physiology import load_physiology
from painsim.reported import load_reported_outcomes
from painsim.steady_state import steady_state_profile
from painsim.trial import run_trial

__all__ = [
    "CONDITIONS",
    "KNOCKOUT_EC50",
    "NO_DESENSITISATION_TAU",
    "OUTCOMES",
    "VIEWS",
    "DrugData",
    "Edit",
    "ExplorerModel",
    "Results",
    "Settings",
    "SettingsError",
]

#: the EC50 (ng/mL) that removes a transporter effect: no plasma concentration reaches it (the
#: knock-out of the claim experiment sindrup2005_noradrenergic_component)
KNOCKOUT_EC50 = 1e12
#: the 5-HT1A desensitisation time constant (h) that switches desensitisation off: D stays ≈ 0
NO_DESENSITISATION_TAU = 1e12
#: outcome key -> label (the responder rules of :func:`painsim.run_trial`)
OUTCOMES = {"50pct": "≥ 50 % pain relief", "30pct": "≥ 30 % pain relief"}
#: condition key -> label (the conditions with a published placebo responder rate)
CONDITIONS = {"dpn": "painful diabetic neuropathy", "phn": "postherpetic neuralgia",
              "central": "central neuropathic pain", "mixed": "neuropathic pain (mixed)"}
#: the views, in page order: key -> (title, what it needs: "pk", "dose_curve", "trial", "reported")
VIEWS: dict[str, tuple[str, tuple[str, ...]]] = {
    "pk": ("Concentration", ("pk",)),
    "occupancy": ("Occupancy", ("pk", "dose_curve")),
    "synapse": ("Synaptic 5-HT and NE", ("trial",)),
    "inhibition": ("Dorsal-horn inhibition", ("trial",)),
    "responders": ("Responders", ("trial",)),
    "nnt": ("NNT", ("trial", "reported")),
}
#: bounds of the numeric settings (inclusive)
LIMITS = {"weeks": (1, 24), "n_per_arm": (30, 5000), "seed": (0, 2**31 - 1), "net_ec50_factor": (0.1, 10.0),
          "gain_5ht": (0.0, 2.0), "w_ne": (0.0, 20.0)}
#: doses on the occupancy–dose curve (0 … 2 × label maximum)
N_DOSE_CURVE = 21


class SettingsError(ValueError):
    """A setting out of range: the message names the control and the accepted range."""


@dataclass(frozen=True)
class Settings:
    """Everything the page's controls set (hashable: a cache key).

    Attributes
    ----------
    drug : str
        A name of :meth:`ExplorerModel.drug_names`.
    dose : float
        Daily dose, mg/day (0 < dose ≤ 2 × the label maximum).
    weeks, n_per_arm, seed : int
        The virtual trial: duration (weeks), patients per arm, seed.
    condition, outcome : str
        Keys of :data:`CONDITIONS` and :data:`OUTCOMES`.
    sert_effect, net_effect, desensitisation : bool
        Mechanism switches (False removes the effect).
    net_ec50_factor : float
        Multiplies every moiety's NET EC50 (> 1: weaker NET block).
    gain_5ht, w_ne : float or None
        5-HT1A autoreceptor loop gain and the calibrated NE weight; None keeps the shipped value.
    compare : str or None
        A second drug, drawn next to the first at its own reference dose (mg/day).
    view : str
        The view shown (a key of :data:`VIEWS`).
    """

    drug: str = "duloxetine"
    dose: float = 60.0
    weeks: int = 12
    condition: str = "dpn"
    outcome: str = "50pct"
    n_per_arm: int = 500
    seed: int = 1
    sert_effect: bool = True
    net_effect: bool = True
    desensitisation: bool = True
    net_ec50_factor: float = 1.0
    gain_5ht: float | None = None
    w_ne: float | None = None
    compare: str | None = None
    view: str = "responders"

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)


@dataclass(frozen=True)
class Edit:
    """One change of the model's parameter sets that a control stands for.

    ``target`` is ``"drug"`` (:meth:`painsim.DrugSpec.with_value`), ``"physiology"``
    (:meth:`painsim.Physiology.with_value`) or ``"calibration"``
    (:meth:`painsim.Calibration.with_values`); ``why`` is the comment the script export writes.
    """

    target: str
    path: str
    value: float
    why: str


@dataclass(frozen=True)
class DrugData:
    """The numbers the views draw for one drug (only those the current view needs are set).

    Attributes
    ----------
    drug : DrugSpec
        The drug with the edits applied.
    dose : float
        mg/day.
    moieties : tuple of str
        Parent first.
    grid : ndarray or None
        Times within one steady-state dosing interval, h.
    conc : ndarray or None
        Total plasma concentration per moiety over ``grid``, ng/mL, shape (len(grid), n_moieties).
    occ_day : dict or None
        ``{"sert", "net"}`` -> occupancy (fraction) over ``grid``.
    dose_curve : tuple or None
        (doses mg/day, {"sert", "net"} -> time-averaged steady-state occupancy).
    pet : dict
        ``{"sert", "net"}`` -> [(dose mg/day, occupancy fraction)] measured by PET at steady state.
    trial : TrialResult or None
        The virtual trial, with its weekly courses.
    reported : list of dict
        Reported NNTs that include this drug (rows of ``models/reported_outcomes.toml``).
    """

    drug: Any
    dose: float
    moieties: tuple[str, ...]
    grid: np.ndarray | None = None
    conc: np.ndarray | None = None
    occ_day: dict[str, np.ndarray] | None = None
    dose_curve: tuple[np.ndarray, dict[str, np.ndarray]] | None = None
    pet: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    trial: Any = None
    reported: list[dict] = field(default_factory=list)

    @property
    def label_range(self) -> tuple[float, float]:
        """The label's dose range, mg/day."""
        d = self.drug.dosing
        return float(d.dose_min.value), float(d.dose_max.value)


@dataclass(frozen=True)
class Results:
    """What one redraw computed: the settings, the main drug and the comparison drug (or None)."""

    settings: Settings
    main: DrugData
    other: DrugData | None
    seconds: float

    def summary(self) -> str:
        """One line a student reads: last-week responders in both arms and the NNT with its interval."""
        return trial_summary(self.main)


def trial_summary(d: DrugData) -> str:
    """``"Week 12: duloxetine 39.2 % responders vs placebo 21.4 %; NNT 5.6 (95 % CI 4.1–8.8)"``."""
    t = d.trial
    if t is None:
        return ""
    return (f"Week {t.weeks}: {d.drug.display_name} {d.dose:g} mg/day {t.p_drug:.1%} responders vs "
            f"placebo {t.p_placebo:.1%}; NNT {nnt_text(t)}")


def nnt_text(t: Any) -> str:
    """The NNT and its 95 % interval as text (``"not better than placebo"`` without one)."""
    if t.nnt is None:
        return "none (not better than placebo)"
    ci = ("95 % CI not estimable" if t.nnt_ci_low is None
          else f"95 % CI {t.nnt_ci_low:.1f}–{t.nnt_ci_high:.1f}")
    return f"{t.nnt:.1f} ({ci})"


class ExplorerModel:
    """The drugs on offer, the shipped parameter sets, and the cached computations of the views.

    Parameters
    ----------
    extra_drugs : mapping of str to DrugSpec, optional
        Users' own drugs (already loaded, e.g. by ``painsim explore --drug FILE``), offered after
        the library.
    """

    def __init__(self, extra_drugs: Mapping[str, Any] | None = None) -> None:
        self.library: dict[str, Any] = dict(load_library())
        self.extra: dict[str, Any] = dict(extra_drugs or {})
        self.phys = load_physiology()
        self.cal = load_calibration()
        self._cache: dict[tuple, Any] = {}
        self._reported: list[dict] | None = None

    # -- what the controls offer ----------------------------------------------------------------

    def drug_names(self) -> list[str]:
        """Library drugs (alphabetical), then the user's own."""
        return [*sorted(self.library), *self.extra]

    def drug(self, name: str) -> Any:
        """The drug as loaded (no edits)."""
        try:
            return self.extra[name] if name in self.extra else self.library[name]
        except KeyError:
            raise SettingsError(f"unknown drug {name!r}; choose one of the list") from None

    def defaults(self, drug: str = "duloxetine") -> Settings:
        """The page's first settings: ``drug`` at its reference dose, shipped parameters."""
        return Settings(drug=drug, dose=self.drug(drug).dosing.reference_dose,
                        gain_5ht=self.phys["serotonin.feedback_gain"], w_ne=self.cal.w_ne)

    def dose_limits(self, drug: str) -> tuple[float, float]:
        """The dose slider's range, mg/day: (0, 2 × label maximum)."""
        return 0.0, 2.0 * float(self.drug(drug).dosing.dose_max.value)

    def check(self, s: Settings) -> Settings:
        """``s`` if every setting is in range; else :class:`SettingsError` naming the control."""
        for name in (s.drug, *(() if s.compare is None else (s.compare,))):
            self.drug(name)
        lo, hi = self.dose_limits(s.drug)
        if not (math.isfinite(s.dose) and lo < s.dose <= hi):
            raise SettingsError(f"dose must lie in ({lo:g}, {hi:g}] mg/day for {s.drug} (2 × the label maximum), "
                                f"got {s.dose:g}")
        for key, (a, b) in LIMITS.items():
            v = getattr(s, key)
            if v is not None and not (math.isfinite(v) and a <= v <= b):
                raise SettingsError(f"{key.replace('_', ' ')} must lie in [{a:g}, {b:g}], got {v:g}")
        if s.condition not in CONDITIONS or s.outcome not in OUTCOMES or s.view not in VIEWS:
            raise SettingsError(f"unknown condition, outcome or view: {s.condition!r}, {s.outcome!r}, {s.view!r}")
        return s

    # -- the edits the controls stand for ----------------------------------------------------------

    def edits(self, s: Settings, drug_name: str | None = None) -> tuple[Edit, ...]:
        """The parameter changes of ``s`` for ``drug_name`` (default ``s.drug``), in the order applied."""
        drug = self.drug(drug_name or s.drug)
        out: list[Edit] = []
        for target, on, factor in (("sert", s.sert_effect, 1.0), ("net", s.net_effect, s.net_ec50_factor)):
            if on and factor == 1.0:
                continue
            p = occupancy_params(drug, target)
            for m, ec50, method in zip(drug.moieties, p.ec50, p.method, strict=True):
                if method == "none":
                    continue  # this moiety does not bind the transporter: nothing to remove or scale
                if on:
                    out.append(Edit("drug", f"{m.name}.occupancy.{target}.ec50", float(ec50) * factor,
                                    f"{target.upper()} EC50 x {factor:g}"))
                else:
                    out.append(Edit("drug", f"{m.name}.occupancy.{target}.ec50", KNOCKOUT_EC50,
                                    f"remove the {target.upper()} effect: no concentration reaches this EC50"))
        if not s.desensitisation:
            out.append(Edit("physiology", "serotonin.desensitisation_tau", NO_DESENSITISATION_TAU,
                            "no 5-HT1A autoreceptor desensitisation (the alpha2A does not desensitise anyway)"))
        if s.gain_5ht is not None and not math.isclose(s.gain_5ht, self.phys["serotonin.feedback_gain"]):
            out.append(Edit("physiology", "serotonin.feedback_gain", float(s.gain_5ht), "5-HT1A autoreceptor gain"))
        if s.w_ne is not None and not math.isclose(s.w_ne, self.cal.w_ne):
            out.append(Edit("calibration", "w_ne", float(s.w_ne), "weight of NE (alpha2) inhibition"))
        return tuple(out)

    def inputs(self, s: Settings, drug_name: str | None = None) -> tuple[Any, Any, Any]:
        """(drug, physiology, calibration) with the edits of ``s`` applied."""
        drug, phys, cal = self.drug(drug_name or s.drug), self.phys, self.cal
        for e in self.edits(s, drug_name):
            if e.target == "drug":
                drug = drug.with_value(e.path, e.value)
            elif e.target == "physiology":
                phys = phys.with_value(e.path, e.value)
            else:
                cal = cal.with_values(**{e.path: e.value})
        return drug, phys, cal

    # -- computations (cached) -----------------------------------------------------------------------

    def _cached(self, key: tuple, make: Callable[[], Any]) -> Any:
        if key not in self._cache:
            if len(self._cache) > 512:  # a long teaching session: forget the oldest half
                for k in list(self._cache)[:256]:
                    del self._cache[k]
            self._cache[key] = make()
        return self._cache[key]

    def compute(self, s: Settings, *, needs: tuple[str, ...] | None = None) -> Results:
        """The numbers of the view ``s.view`` (or of ``needs``) for the drug and the comparison.

        The trial is always run: the page's summary line shows its NNT.
        """
        t0 = time.perf_counter()
        self.check(s)
        wanted = set(VIEWS[s.view][1] if needs is None else needs) | {"trial"}
        main = self._drug_data(s, s.drug, s.dose, wanted)
        other = None
        if s.compare is not None:
            other = self._drug_data(s, s.compare, self.drug(s.compare).dosing.reference_dose, wanted)
        return Results(settings=s, main=main, other=other, seconds=time.perf_counter() - t0)

    def _drug_data(self, s: Settings, name: str, dose: float, wanted: set[str]) -> DrugData:
        drug, phys, cal = self.inputs(s, name)
        ed = self.edits(s, name)
        drug_edits = tuple(e for e in ed if e.target == "drug")
        data: dict[str, Any] = {"drug": drug, "dose": float(dose), "moieties": tuple(m.name for m in drug.moieties),
                                "pet": pet_points(drug)}
        if "pk" in wanted:
            grid, conc, occ = self._cached(("pk", name, drug_edits, dose), lambda: _profile(drug, dose))
            data.update(grid=grid, conc=conc, occ_day=occ)
        if "dose_curve" in wanted:
            hi = self.dose_limits(name)[1]
            data["dose_curve"] = self._cached(("dose_curve", name, drug_edits), lambda: _dose_curve(drug, hi))
        if "trial" in wanted:
            key = ("trial", name, ed, dose, s.weeks, s.n_per_arm, s.seed, s.outcome, s.condition)
            data["trial"] = self._cached(key, lambda: run_trial(
                drug, dose, s.weeks, n_per_arm=s.n_per_arm, seed=s.seed, outcome=s.outcome, condition=s.condition,
                phys=phys, cal=cal, keep_courses=True))
        if "reported" in wanted:
            data["reported"] = [r for r in self.reported() if drug.name in {a["drug"] for a in r.get("arms", [])}]
        return DrugData(**data)

    def reported(self) -> list[dict]:
        """Rows of ``models/reported_outcomes.toml`` with a reported NNT (read once)."""
        if self._reported is None:
            self._reported = [r for r in load_reported_outcomes() if "nnt" in r]
        return self._reported


def pet_points(drug: Any) -> dict[str, list[tuple[float, float]]]:
    """Steady-state PET occupancies the drug file names (its dose anchors), per transporter."""
    out: dict[str, list[tuple[float, float]]] = {"sert": [], "net": []}
    for m in drug.moieties:
        for target in out:
            for a in m.occupancy[target].anchors:
                if a.at != "single_dose":
                    out[target].append((float(a.dose.value), float(a.occupancy.value)))
    return out


def _profile(drug: Any, dose: float) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    prof = steady_state_profile(drug, dose, n_grid=240)
    conc = np.ascontiguousarray(prof.conc)
    occ = {}
    for target in ("sert", "net"):
        p = occupancy_params(drug, target)
        occ[target] = occupancy(conc, p.emax, p.ec50, p.hill)
    return prof.grid, conc, occ


def _dose_curve(drug: Any, max_dose: float) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    n = N_DOSE_CURVE
    if any(m.pk.elimination != "linear" for m in drug.moieties):
        # saturable elimination: near its capacity the steady state takes thousands of doses to reach
        # (paroxetine's Vmax is 100 mg/day, 2 x its label maximum), so the curve stops at 1.5 x the label
        # maximum and has fewer points (a few seconds once per drug instead of a minute)
        max_dose, n = 0.75 * max_dose, 11
    doses = np.linspace(max_dose / n, max_dose, n)
    rows = [steady_state_occupancy(drug, float(d)) for d in doses]
    # no drug, no occupancy: the curve starts at the origin
    return np.r_[0.0, doses], {t: np.r_[0.0, [r[t].mean for r in rows]] for t in ("sert", "net")}
