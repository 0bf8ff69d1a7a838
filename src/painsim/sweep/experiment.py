"""The experiment file: its text parsed and checked into an :class:`Experiment`.

The format is documented in :mod:`painsim.sweep`; the checks of single fields (numbers, ranges,
dotted parameter names, the ``[sensitivity]`` table) are in :mod:`painsim.sweep.fields`.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from painsim.calibration import Calibration, load_calibration
from painsim.library import DrugSpec, ModelFileError, UnknownDrugError, load_drug
from painsim.modelfile import parse_model_text
from painsim.physiology import Physiology, load_physiology
from painsim.response import CONDITIONS, OUTCOMES, trial_placebo_mu
from painsim.sweep.fields import (
    ExperimentError,
    Parameter,
    SensitivitySpec,
    _check_keys,
    _int,
    _num,
    _sensitivity,
    _values,
    _where,
    check_parameter,
)


@dataclass(frozen=True)
class DrugEntry:
    """A drug of an experiment: its doses (mg/day), titration and dosing interval."""

    name: str
    doses: tuple[float, ...]
    titration: tuple[tuple[float, float], ...] = ()  # (day, fraction of the target dose)
    interval: float | None = None


@dataclass(frozen=True)
class Idealised:
    """An idealised inhibitor: fixed SERT/NET occupancy from day 0, no pharmacokinetics."""

    label: str = "idealised"
    sert: float = 0.0
    net: float = 0.0


@dataclass(frozen=True)
class Experiment:
    """A parsed experiment file (the format is documented in :mod:`painsim.sweep`)."""

    name: str
    description: str
    text: str
    path: str | None
    seed: int
    trials: int
    patients: int
    weeks: int
    report_weeks: tuple[int, ...]
    outcomes: tuple[str, ...]
    condition: str
    placebo_response: float | None
    placebo_outcome: str
    design: str
    missed_doses: float
    variability: bool
    keep_patients: bool
    drugs: tuple[DrugEntry, ...]
    idealised: Idealised | None
    parameters: tuple[Parameter, ...]
    physiology_path: str | None = None
    calibration_path: str | None = None
    sensitivity: SensitivitySpec | None = None
    specs: Mapping[str, DrugSpec] = field(default_factory=dict, repr=False, compare=False)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    def physiology(self) -> Physiology:
        return load_physiology(self.physiology_path)

    def calibration(self) -> Calibration:
        return load_calibration(self.calibration_path)

    def placebo_mu(self, phys: Physiology, cal: Calibration) -> float:
        """Placebo location μ (logit scale) of this experiment's trials, exactly as
        :func:`painsim.trial.run_trial` sets it (:func:`painsim.response.trial_placebo_mu`).

        One placebo distribution per trial serves every outcome: ``placebo_response`` (if given)
        is the expected responder fraction for ``placebo_outcome`` at the end of the trial.

        Parameters
        ----------
        phys : Physiology
            The physiology of the grid point (its ``placebo`` section).
        cal : Calibration
            The calibration of the grid point (``sigma_p``, ``tau_p``).

        Raises
        ------
        ValueError
            No placebo model reaches the expected responder fraction with these parameters.
        """
        return trial_placebo_mu(phys, cal, condition=self.condition, outcome=self.placebo_outcome,
                                weeks=self.weeks, placebo_response=self.placebo_response)


#: the experiment-file dialect (:mod:`painsim.modelfile`): the first line of every experiment file
DIALECT = "painsim-experiment/1"
_TOP_KEYS = {"dialect", "experiment", "drugs", "idealised", "parameters", "sensitivity"}
_EXPERIMENT_KEYS = {"name", "description", "seed", "trials", "patients", "weeks", "outcomes",
                    "report_weeks", "condition", "placebo_response", "placebo_outcome", "design",
                    "missed_doses", "variability", "keep_patients", "physiology", "calibration"}
_DRUG_KEYS = {"doses", "titration", "interval"}
_IDEALISED_KEYS = {"label", "sert", "net"}


def parse_experiment(text: str, path: str | None = None) -> Experiment:
    """Parse and validate the text of an experiment file (raises :class:`ExperimentError`).

    The text starts with ``dialect = "painsim-experiment/1"`` (read by the one model-file reader,
    :func:`painsim.modelfile.parse_model_text`). Relative ``physiology``/``calibration`` paths are
    resolved against the file's directory.
    """
    try:
        doc = parse_model_text(text, path or "experiment", DIALECT)
    except ModelFileError as exc:
        raise ExperimentError(str(exc)) from None
    _check_keys(doc, _TOP_KEYS, "the top level", path)
    if "experiment" not in doc:
        raise ExperimentError(f"{_where(path)}top level: missing the [experiment] table")
    e = _check_keys(doc["experiment"], _EXPERIMENT_KEYS, "[experiment]", path)
    if "weeks" not in e:
        raise ExperimentError(f"{_where(path)}experiment.weeks: is required")
    weeks = _int(e["weeks"], "experiment.weeks", path, maximum=104)
    report = e.get("report_weeks")
    if report is None:
        report_weeks = tuple(range(1, weeks + 1))
    else:
        if not isinstance(report, list) or not report:
            raise ExperimentError(f"{_where(path)}experiment.report_weeks: must be a non-empty list of weeks")
        report_weeks = tuple(_int(w, "experiment.report_weeks[]", path, maximum=weeks) for w in report)
        if list(report_weeks) != sorted(set(report_weeks)):
            raise ExperimentError(f"{_where(path)}experiment.report_weeks: must increase without repeats")
    outcomes = e.get("outcomes", ["50pct"])
    # isinstance first: a table or list is unhashable and cannot be looked up in OUTCOMES
    if not isinstance(outcomes, list) or not outcomes or any(not isinstance(o, str) or o not in OUTCOMES
                                                             for o in outcomes):
        raise ExperimentError(f"{_where(path)}experiment.outcomes: must be a list of {', '.join(OUTCOMES)}")
    if len(set(outcomes)) != len(outcomes):
        raise ExperimentError(f"{_where(path)}experiment.outcomes: values repeat")
    condition = e.get("condition", "dpn")
    if not isinstance(condition, str) or condition not in CONDITIONS:
        raise ExperimentError(f"{_where(path)}experiment.condition: must be one of {', '.join(CONDITIONS)}, "
                              f"got {condition!r}")
    placebo = e.get("placebo_response")
    if placebo is not None:
        placebo = _num(placebo, "experiment.placebo_response", path)
        if not 0.0 < placebo < 1.0:
            raise ExperimentError(f"{_where(path)}experiment.placebo_response: must lie strictly between 0 and 1")
    placebo_outcome = e.get("placebo_outcome", "50pct")
    if not isinstance(placebo_outcome, str) or placebo_outcome not in OUTCOMES:
        raise ExperimentError(f"{_where(path)}experiment.placebo_outcome: must be one of {', '.join(OUTCOMES)}")
    design = e.get("design", "parallel")
    if not isinstance(design, str) or design not in ("parallel", "crossover"):
        raise ExperimentError(f"{_where(path)}experiment.design: must be 'parallel' or 'crossover'")
    missed = _num(e.get("missed_doses", 0.0), "experiment.missed_doses", path)
    if not 0.0 <= missed < 1.0:
        raise ExperimentError(f"{_where(path)}experiment.missed_doses: must lie in [0, 1)")
    for flag in ("variability", "keep_patients"):
        if not isinstance(e.get(flag, False), bool):
            raise ExperimentError(f"{_where(path)}experiment.{flag}: must be true or false")
    base = Path(path).parent if path else Path.cwd()
    files: dict[str, str | None] = {}
    for key in ("physiology", "calibration"):
        raw = e.get(key)
        if raw is None:
            files[key] = None
            continue
        if not isinstance(raw, str):
            raise ExperimentError(f"{_where(path)}experiment.{key}: must be a file path")
        p = (base / raw) if not Path(raw).is_absolute() else Path(raw)
        try:
            found = p.is_file()
        except (OSError, ValueError):  # a name too long for the file system, or with a NUL byte
            found = False
        if not found:
            raise ExperimentError(f"{_where(path)}experiment.{key}: file {raw!r} not found")
        files[key] = str(p)
    try:
        phys = load_physiology(files["physiology"])
        load_calibration(files["calibration"])
    except ModelFileError as exc:
        raise ExperimentError(str(exc)) from None

    has_drugs, has_ideal = "drugs" in doc, "idealised" in doc
    if has_drugs == has_ideal:
        raise ExperimentError(f"{_where(path)}top level: give exactly one of [drugs] (drugs and doses) and [idealised] "
                              "(an inhibitor with fixed occupancies)")
    specs: dict[str, DrugSpec] = {}
    drugs: list[DrugEntry] = []
    idealised = None
    if has_drugs:
        table = doc["drugs"]
        if not isinstance(table, dict) or not table:
            raise ExperimentError(f"{_where(path)}[drugs]: must name at least one drug, e.g. [drugs.duloxetine]")
        for name, raw in table.items():
            try:
                spec = load_drug(name)
            except UnknownDrugError as exc:
                raise ExperimentError(f"{_where(path)}drugs.{name}: {exc}") from None
            except ModelFileError as exc:
                raise ExperimentError(str(exc)) from None
            d = _check_keys(raw, _DRUG_KEYS, f"[drugs.{name}]", path)
            if "doses" not in d:
                raise ExperimentError(f"{_where(path)}drugs.{name}.doses: is required (mg/day)")
            doses = _values(d["doses"], f"drugs.{name}.doses", path)
            limit = 10.0 * spec.dosing.dose_max.value
            for dose in doses:
                if not 0.0 < dose <= limit:
                    raise ExperimentError(f"{_where(path)}drugs.{name}.doses: {dose:g} mg/day is outside "
                                          f"(0, {limit:g}] (10x the label maximum)")
            titration: tuple[tuple[float, float], ...] = ()
            if "titration" in d:
                steps = d["titration"]
                ok = isinstance(steps, list) and steps and all(
                    isinstance(s, list) and len(s) == 2 for s in steps)
                if not ok:
                    raise ExperimentError(f"{_where(path)}drugs.{name}.titration: must be a list of "
                                          "[day, fraction of the target dose] pairs")
                titration = tuple((_num(a, f"drugs.{name}.titration day", path),
                                   _num(b, f"drugs.{name}.titration fraction", path)) for a, b in steps)
                days = [s[0] for s in titration]
                if titration[0][0] != 0 or days != sorted(set(days)) or any(f <= 0 for _, f in titration):
                    raise ExperimentError(f"{_where(path)}drugs.{name}.titration: steps start on day 0, "
                                          "increase in day and have positive fractions")
            interval = None
            if "interval" in d:
                interval = _num(d["interval"], f"drugs.{name}.interval", path)
                if interval <= 0:
                    raise ExperimentError(f"{_where(path)}drugs.{name}.interval: must be positive (h)")
            specs[spec.name] = spec
            drugs.append(DrugEntry(spec.name, doses, titration, interval))
    else:
        t = _check_keys(doc["idealised"], _IDEALISED_KEYS, "[idealised]", path)
        label = t.get("label", "idealised")
        if not isinstance(label, str) or not label:
            raise ExperimentError(f"{_where(path)}idealised.label: must be a non-empty string")
        occ = {}
        for k in ("sert", "net"):
            occ[k] = _num(t.get(k, 0.0), f"idealised.{k}", path)
            if not 0.0 <= occ[k] < 1.0:
                raise ExperimentError(f"{_where(path)}idealised.{k}: must lie in [0, 1)")
        idealised = Idealised(label, occ["sert"], occ["net"])
    params_raw = doc.get("parameters", {})
    if not isinstance(params_raw, dict):
        raise ExperimentError(f"{_where(path)}[parameters]: must be a table of dotted names")
    params = tuple(check_parameter(n, v, specs=specs, idealised=idealised is not None, phys=phys, path=path)
                   for n, v in params_raw.items())
    outcomes_t = tuple(outcomes)
    sens = None
    if "sensitivity" in doc:
        sens = _sensitivity(doc["sensitivity"], specs=specs, idealised=idealised is not None, phys=phys,
                            outcomes=outcomes_t, weeks=weeks, path=path)
    name = e.get("name", Path(path).stem if path else "experiment")
    description = e.get("description", "")
    if not isinstance(name, str) or not isinstance(description, str):
        raise ExperimentError(f"{_where(path)}experiment.name and experiment.description must be strings")
    exp = Experiment(
        name=name, description=description, text=text, path=path,
        seed=_int(e.get("seed", 1), "experiment.seed", path, minimum=0, maximum=2**62),
        trials=_int(e.get("trials", 1), "experiment.trials", path, maximum=100_000),
        patients=_int(e.get("patients", 500), "experiment.patients", path, maximum=10_000_000),
        weeks=weeks, report_weeks=report_weeks, outcomes=outcomes_t, condition=condition,
        placebo_response=placebo, placebo_outcome=placebo_outcome, design=design, missed_doses=missed,
        variability=e.get("variability", True), keep_patients=e.get("keep_patients", False),
        drugs=tuple(drugs), idealised=idealised, parameters=params,
        physiology_path=files["physiology"], calibration_path=files["calibration"], sensitivity=sens,
        specs=specs)
    _check_placebo(exp, phys)
    return exp


def _check_placebo(exp: Experiment, phys: Physiology) -> None:
    """Refuse an experiment whose placebo model cannot be set up at the base parameters."""
    swept = {p.name for p in exp.parameters}
    if "calibration.tau_p" in swept or any(n.startswith("physiology.placebo.") for n in swept):
        return  # checked point by point (status 2 where infeasible)
    try:
        exp.placebo_mu(phys, exp.calibration())
    except ValueError as exc:
        raise ExperimentError(f"{_where(exp.path)}{exc}") from None


def load_experiment(path: str | os.PathLike[str]) -> Experiment:
    """Read and validate an experiment file.

    Parameters
    ----------
    path : path
        A TOML experiment file (format: :mod:`painsim.sweep`; examples in ``experiments/``).

    Returns
    -------
    Experiment

    Raises
    ------
    ExperimentError
        Missing or unreadable file, unknown key, unknown drug or dotted parameter, bad range,
        dose outside (0, 10 × label maximum] mg/day, … — a one-line message naming the problem.
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ExperimentError(f"{p}: experiment file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ExperimentError(f"{p}: cannot read the experiment file ({exc})") from None
    return parse_experiment(text, str(p))
