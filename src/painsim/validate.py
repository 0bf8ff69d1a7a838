"""Every reported outcome of ``models/reported_outcomes.toml`` next to its simulated counterpart.

For each simulatable row, a virtual trial of each listed arm (drug, dose, weeks, condition,
outcome, design) is run with the same seed; a row listing several arms (a class pool) takes
their weighted mean responder rate. The verdict says whether the simulated NNT lies inside the
reported 95 % interval (``inside`` / ``outside``), or, for rows reported without an interval,
gives the relative difference. Training rows are marked: agreement there is a fit, not a test.

With ``model_draws`` ≥ 2 each simulated row also gets the interval of its risk difference with
model uncertainty (:mod:`painsim.uncertainty`: derived EC50s and the calibration drawn, the same
patients in every draw) and a second verdict comparing intervals: whether that interval and the
reported one (its NNT interval as a risk difference) overlap. :func:`predictions` gives the NNTs
of drugs no reported outcome covers (the NRIs), each with its model-uncertainty interval.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from painsim.calibration import Calibration, load_calibration
from painsim.library import load_drug
from painsim.physiology import Physiology, load_physiology
from painsim.progress import Progress
from painsim.reported import load_reported_outcomes, simulated_analysis
from painsim.trial import ensemble_rates, nnt_with_ci, run_trial
from painsim.uncertainty import ModelInterval, interval_from_draws

__all__ = ["Prediction", "ValidationRow", "counts", "counts_line", "predictions", "rows_csv", "validate"]


@dataclass(frozen=True)
class ValidationRow:
    """One reported outcome and its simulation."""

    key: str
    what: str
    training: bool
    simulated: bool
    reported_nnt: float | None
    reported_ci: tuple[float, float] | None
    reported_p_drug: float | None
    reported_p_placebo: float | None
    sim_nnt: float | None = None
    sim_ci: tuple[float | None, float | None] = (None, None)
    sim_p_drug: float | None = None
    sim_p_placebo: float | None = None
    verdict: str = ""
    note: str = ""
    #: the model-uncertainty interval (``validate(model_draws=N)``), None without one
    model: ModelInterval | None = None
    #: whether that interval and the reported one overlap ("overlaps", "disjoint"), "" without either
    model_verdict: str = ""
    #: whether the row pools a training trial ("yes", "no", "unknown"; "" for training and
    #: placebo-only rows): ``overlaps_training`` of the reported-outcomes file
    overlaps_training: str = ""

    def as_dict(self) -> dict:
        return {
            "key": self.key, "what": self.what, "training": self.training, "simulated": self.simulated,
            "reported_nnt": self.reported_nnt,
            "reported_nnt_ci_low": None if self.reported_ci is None else self.reported_ci[0],
            "reported_nnt_ci_high": None if self.reported_ci is None else self.reported_ci[1],
            "reported_p_drug": self.reported_p_drug, "reported_p_placebo": self.reported_p_placebo,
            "sim_nnt": self.sim_nnt, "sim_nnt_ci_low": self.sim_ci[0], "sim_nnt_ci_high": self.sim_ci[1],
            "sim_p_drug": self.sim_p_drug, "sim_p_placebo": self.sim_p_placebo,
            "verdict": self.verdict,
            "sim_rd_model_low": None if self.model is None else self.model.rd_total[0],
            "sim_rd_model_high": None if self.model is None else self.model.rd_total[1],
            "sim_nnt_model_ci_low": None if self.model is None else self.model.nnt_low,
            "sim_nnt_model_ci_high": None if self.model is None else self.model.nnt_high,
            "model_verdict": self.model_verdict, "overlaps_training": self.overlaps_training, "note": self.note,
        }


def _verdict(row: dict, sim_nnt: float | None, sim_pl: float) -> str:
    if row.get("placebo_only"):
        rep = row.get("p_placebo")
        if rep is None:
            return "no reported rate"
        return f"placebo {sim_pl:.0%} vs {rep:.0%} ({(sim_pl - rep) * 100:+.1f} pp)"
    rep, ci = row.get("nnt"), row.get("nnt_ci")
    if sim_nnt is None:
        return "outside (simulated drug not better than placebo)" if ci else "simulated drug not better than placebo"
    if ci is not None:
        return "inside" if ci[0] <= sim_nnt <= ci[1] else "outside"
    if rep is not None:
        return f"no interval reported ({(sim_nnt / rep - 1) * 100:+.0f} %)"
    return "nothing reported to compare"


def _model_verdict(row: dict, model: ModelInterval) -> str:
    """Whether the model-uncertainty interval of the risk difference meets the reported interval."""
    ci = row.get("nnt_ci")
    if ci is None or row.get("placebo_only"):
        return ""
    # an NNT interval (a, b) is the risk-difference interval (1/b, 1/a)
    lo, hi = 1.0 / ci[1], 1.0 / ci[0]
    return "overlaps" if model.rd_total[0] <= hi and model.rd_total[1] >= lo else "disjoint"


def validate(*, n_per_arm: int = 2000, seed: int = 7, phys: Physiology | None = None,
             cal: Calibration | None = None, quiet: bool = True, keys: list[str] | None = None,
             model_draws: int = 0) -> list[ValidationRow]:
    """Simulate every reported outcome (or those in ``keys``).

    Parameters
    ----------
    n_per_arm, seed : int
        Patients per arm of every virtual trial, and their seed.
    phys, cal : optional
        Physiology and calibration (default: the shipped files).
    quiet : bool
        No progress bar.
    keys : list of str, optional
        Only these rows.
    model_draws : int
        With N ≥ 2, also each row's interval with model uncertainty (N parameter draws).
    """
    phys = load_physiology() if phys is None else phys
    cal = load_calibration() if cal is None else cal
    rows = [r for r in load_reported_outcomes() if keys is None or r["key"] in keys]
    out: list[ValidationRow] = []
    with Progress(len(rows), "validate", enabled=not quiet, unit="rows") as bar:
        for r in rows:
            base = dict(key=r["key"], what=r["what"], training=bool(r.get("training", False)),
                        simulated=bool(r.get("simulate", False)), reported_nnt=r.get("nnt"),
                        reported_ci=tuple(r["nnt_ci"]) if "nnt_ci" in r else None,
                        reported_p_drug=r.get("p_drug"), reported_p_placebo=r.get("p_placebo"),
                        note=r.get("note", r.get("reason", "")), overlaps_training=r.get("overlaps_training", ""))
            if not r.get("simulate"):
                out.append(ValidationRow(**base, verdict="not simulated: " + r["reason"]))
                bar.update()
                continue
            arms = r.get("arms") or [{"drug": "duloxetine", "dose_mg_per_day": 60.0, "weight": 1.0}]
            tot = sum(a["weight"] for a in arms)
            p_drug = 0.0
            p_pl = None
            ens_d = ens_p = 0.0
            for a in arms:
                setting = dict(n_per_arm=n_per_arm, seed=seed, outcome=r["outcome"], condition=r["condition"],
                               placebo_response=r.get("placebo_response"), design=r.get("design", "parallel"),
                               phys=phys, cal=cal, analysis=simulated_analysis(r))
                drug = load_drug(a["drug"])
                res = run_trial(drug, a["dose_mg_per_day"], r["weeks"], **setting)
                p_drug += a["weight"] * res.p_drug / tot
                p_pl = res.p_placebo
                if model_draws and not r.get("placebo_only"):
                    # draw m of every arm shares the calibration draw m (same seed): a pooled row's
                    # draws are coherent model variants
                    d_m, p_m = ensemble_rates(drug, a["dose_mg_per_day"], r["weeks"], model_draws, **setting)
                    ens_d, ens_p = ens_d + a["weight"] * d_m / tot, p_m
            model = (interval_from_draws(ens_d, ens_p, n_per_arm, seed=seed)
                     if model_draws and not r.get("placebo_only") else None)
            k1, k2 = round(p_drug * n_per_arm), round(p_pl * n_per_arm)
            nnt, lo, hi = nnt_with_ci(k1, n_per_arm, k2, n_per_arm)
            if r.get("placebo_only"):
                nnt, lo, hi, p_drug = None, None, None, float("nan")
            out.append(ValidationRow(**base, sim_nnt=nnt, sim_ci=(lo, hi),
                                     sim_p_drug=None if math.isnan(p_drug) else p_drug, sim_p_placebo=p_pl,
                                     verdict=_verdict(r, nnt, p_pl), model=model,
                                     model_verdict="" if model is None else _model_verdict(r, model)))
            bar.update(note=r["key"][:30])
    return out


@dataclass(frozen=True)
class Prediction:
    """A drug's simulated NNT where no reported outcome exists to compare (a prediction)."""

    drug: str
    drug_class: str
    dose_mg_per_day: float
    weeks: int
    p_drug: float
    p_placebo: float
    nnt: float | None
    nnt_ci: tuple[float | None, float | None]
    model: ModelInterval


#: drug classes no reported outcome of the model's conditions covers: their NNTs are predictions
PREDICTED_CLASSES = ("NRI",)


def predictions(*, n_per_arm: int = 2000, seed: int = 7, model_draws: int = 20, weeks: int = 12,
                phys: Physiology | None = None, cal: Calibration | None = None) -> list[Prediction]:
    """Each NRI of the library at its minimum therapeutic dose (its minimum dose where none is
    listed): a 12-week DPN trial (≥ 50 % responders) with the sampling-only interval and the
    interval with model uncertainty.

    No trial of an NRI in neuropathic pain is in ``models/reported_outcomes.toml``, so these are
    what the model predicts, to be read with their (wide) model interval rather than as findings.
    """
    from painsim.library import drug_names

    if model_draws < 2:
        raise ValueError(f"model_draws must be at least 2 for a prediction interval, got {model_draws!r}")
    out = []
    for name in drug_names():
        drug = load_drug(name)
        if drug.drug_class not in PREDICTED_CLASSES:
            continue
        dose = drug.dosing.reference_dose
        res = run_trial(drug, dose, weeks, n_per_arm=n_per_arm, seed=seed, phys=phys, cal=cal,
                        model_draws=model_draws)
        out.append(Prediction(drug.name, drug.drug_class, dose, weeks, res.p_drug, res.p_placebo, res.nnt,
                              (res.nnt_ci_low, res.nnt_ci_high), res.model))
    return out


def counts(rows: list[ValidationRow]) -> dict[str, tuple[int, int]]:
    """Outcomes inside their reported 95 % interval, of those simulated that report one:
    ``{"training": (inside, total), "validation": (inside, total), "independent": (inside, total)}``
    (training rows were fitted; only the validation rows test the model, and only the
    "independent" ones, ``overlaps_training = "no"``, on trials the calibration did not see)."""
    sim = [r for r in rows if r.simulated and r.reported_ci is not None]
    out = {}
    for name, training in (("training", True), ("validation", False)):
        group = [r for r in sim if r.training == training]
        out[name] = (sum(r.verdict == "inside" for r in group), len(group))
    group = [r for r in sim if not r.training and r.overlaps_training == "no"]
    out["independent"] = (sum(r.verdict == "inside" for r in group), len(group))
    return out


def counts_line(rows: list[ValidationRow]) -> str:
    """The counts as the last line of ``painsim validate`` and the report print them."""
    c = counts(rows)
    (vi, vn), (ti, tn), (ii, i_n) = c["validation"], c["training"], c["independent"]
    overlapping = vn - i_n  # the validation rows not marked free of training trials
    return (f"validation rows inside their reported interval: {vi} of {vn}; "
            f"training rows (fitted, not a test): {ti} of {tn}; "
            f"validation rows free of training trials: {ii} of {i_n} "
            f"({overlapping} pool or may pool a training trial)")


def rows_csv(rows: list[ValidationRow]) -> str:
    """The table as CSV text (a header, then one line per reported outcome; the JSON field names)."""
    import csv
    import io

    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=list(rows[0].as_dict()))
    w.writeheader()
    for r in rows:
        w.writerow(r.as_dict())
    return buf.getvalue()

