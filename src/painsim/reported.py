"""The reported clinical outcomes (``models/reported_outcomes.toml``), read by calibration and validation.

Dialect ``painsim-reported-outcomes/1``, read through :mod:`painsim.modelfile`. The file is a list
of ``[[outcome]]`` rows: what a trial or a meta-analysis reported (NNT and its 95 % interval,
responder rates), its source key and firmness code, and how painsim simulates it (arms, weeks,
condition, outcome, design) or why it cannot. ``training = true`` marks the calibration training
set (:mod:`painsim.calibrate`); :mod:`painsim.validate` simulates every row. Numbers carry their
unit in their name (``nnt`` in patients, ``p_*`` fractions, ``dose_mg_per_day``, ``weeks``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from painsim.modelfile import ModelFile, models_dir, read_model_file

__all__ = ["ARM_FIELDS", "DESIGNS", "DIALECT", "FIELDS", "FIRMNESS", "OVERLAP", "REQUIRED", "ROW_ANALYSES",
           "load_reported_outcomes", "simulated_analysis"]

DIALECT = "painsim-reported-outcomes/1"

#: the keys a row may have, and their TOML kinds (see :data:`painsim.modelfile.PLAIN_KINDS`)
FIELDS: dict[str, str] = {
    "key": "string", "what": "string", "reported_outcome": "string", "firmness": "string",
    "source": "string", "citation": "string", "simulate": "bool", "training": "bool",
    "placebo_only": "bool", "outcome": "string", "condition": "string", "design": "string",
    "weeks": "integer", "arms": "tables", "nnt": "number", "nnt_ci": "numbers", "n_patients": "integer",
    "p_drug": "number", "p_placebo": "number", "placebo_response": "number", "note": "string",
    "reason": "string", "analysis": "string", "analysis_basis": "string", "overlaps_training": "string",
    "overlap_basis": "string",
}
#: the keys every row has
REQUIRED = ("key", "what", "reported_outcome", "firmness", "source", "citation", "simulate")
#: how firmly the number was read: A from the paper/review table, B secondary summary, C ambiguous,
#: D computed
FIRMNESS = ("A", "B", "C", "D")
#: the trial designs :func:`painsim.trial.run_trial` simulates
DESIGNS = ("parallel", "crossover")
#: how a row's responders were counted where a patient left the trial (``analysis``): last
#: observation carried forward, baseline observation carried forward (withdrawal = non-response),
#: completers only, or not reported (simulated without discontinuation); see
#: :mod:`painsim.discontinuation`. ``analysis_basis`` says where the method was read.
ROW_ANALYSES = ("locf", "bocf", "completers", "not_reported")
#: whether a validation row pools trials that a training row also pools (``overlaps_training``,
#: with ``overlap_basis`` saying how that was judged): only rows with "no" test the model on
#: trials the calibration did not see
OVERLAP = ("yes", "no", "unknown")
#: the keys of one arm of a simulated row (all required) and their kinds
ARM_FIELDS = {"drug": "string", "dose_mg_per_day": "number", "weight": "number"}
#: keys that must be positive, and those that are fractions
_POSITIVE = {"weeks", "nnt", "nnt_ci", "n_patients"}
_FRACTIONS = {"p_drug", "p_placebo", "placebo_response"}


def load_reported_outcomes(path: str | Path | None = None, *, bib: frozenset[str] | None = None
                           ) -> list[dict[str, Any]]:
    """The rows of ``models/reported_outcomes.toml`` (or of another file in its dialect), checked.

    Parameters
    ----------
    path : str or Path, optional
        The file (default: the shipped one).
    bib : frozenset of str, optional
        Bibliography keys a row's ``source`` may cite (default: ``models/references.bib``).

    Returns
    -------
    list of dict
        One dict per ``[[outcome]]`` row, in file order, as written (a fresh copy on each call).

    Raises
    ------
    ModelFileError
        If the file is missing, breaks the dialect, or a row has an unknown key, a key of the
        wrong type, a value out of range, or lacks what its use needs (a simulated row: outcome,
        condition, weeks and arms; a row not simulated: its reason; a training row: arms).
    """
    p = Path(path) if path is not None else models_dir() / "reported_outcomes.toml"
    ctx = ModelFile(p, bib)
    _, doc = read_model_file(p, DIALECT)
    ctx.check_keys("top level", doc, {"dialect", "outcome"}, {"dialect", "outcome"})
    rows = ctx.plain("outcome", doc["outcome"], "tables")
    if not rows:
        raise ctx.fail("outcome", "expected at least one [[outcome]] row")
    seen: set[str] = set()
    for i, row in enumerate(rows):
        where = f"outcome[{row['key']}]" if isinstance(row.get("key"), str) else f"outcome[{i}]"
        _check_row(ctx, where, row)
        if row["key"] in seen:
            raise ctx.fail(f"{where}.key", "appears twice; keys must be unique")
        seen.add(row["key"])
    return rows


def _check_row(ctx: ModelFile, where: str, row: dict[str, Any]) -> None:
    # the vocabularies of the simulation; imported here so that reading the file alone does not
    # load the simulator (calibrate and validate, the readers that simulate, have it loaded)
    from painsim.library import drug_names
    from painsim.response import CONDITIONS, OUTCOMES

    ctx.check_keys(where, row, set(FIELDS), set(REQUIRED))
    choices: dict[str, tuple[Any, ...]] = {"firmness": FIRMNESS, "outcome": tuple(OUTCOMES),
                                           "condition": CONDITIONS, "design": DESIGNS,
                                           "analysis": ROW_ANALYSES, "overlaps_training": OVERLAP}
    for key, kind in FIELDS.items():
        ctx.plain(f"{where}.{key}", row.get(key), kind, optional=True, positive=key in _POSITIVE,
                  choices=choices.get(key))
    ctx.source_keys(f"{where}.source", row["source"])
    for key in _FRACTIONS & set(row):
        if not 0.0 <= row[key] <= 1.0 or (key == "placebo_response" and row[key] in (0.0, 1.0)):
            kind = "lie strictly between 0 and 1" if key == "placebo_response" else "lie in [0, 1]"
            raise ctx.fail(f"{where}.{key}", f"a fraction must {kind} (got {row[key]!r})")
    if "nnt_ci" in row and (len(row["nnt_ci"]) != 2 or row["nnt_ci"][0] > row["nnt_ci"][1]):
        raise ctx.fail(f"{where}.nnt_ci", f"expected [low, high] with low <= high, got {row['nnt_ci']!r}")
    for j, arm in enumerate(row.get("arms", [])):
        w = f"{where}.arms[{j}]"
        ctx.check_keys(w, arm, set(ARM_FIELDS), set(ARM_FIELDS))
        for key, kind in ARM_FIELDS.items():
            ctx.plain(f"{w}.{key}", arm[key], kind, positive=kind == "number")
        if arm["drug"] not in drug_names():
            raise ctx.fail(f"{w}.drug", f"{arm['drug']!r} is not in the drug library (`painsim drugs` lists them)")
    if row["simulate"]:
        for key in ("outcome", "condition", "weeks"):
            if key not in row:
                raise ctx.fail(f"{where}.{key}", "required when simulate = true")
        if not row.get("arms") and not row.get("placebo_only"):
            raise ctx.fail(f"{where}.arms", "required when simulate = true (unless placebo_only = true)")
        if "analysis" not in row:
            raise ctx.fail(f"{where}.analysis", "required when simulate = true: "
                                                f"one of {', '.join(ROW_ANALYSES)} (how responders were counted)")
        if row["analysis"] != "not_reported" and "analysis_basis" not in row:
            raise ctx.fail(f"{where}.analysis_basis", "required with a reported analysis: say where it was read")
        if not row.get("training") and not row.get("placebo_only") and "overlaps_training" not in row:
            raise ctx.fail(f"{where}.overlaps_training", "required on a simulated validation row: one of "
                                                         f"{', '.join(OVERLAP)} (does it pool a training trial?)")
        if "overlaps_training" in row and "overlap_basis" not in row:
            raise ctx.fail(f"{where}.overlap_basis", "required with overlaps_training: say how it was judged")
    elif "reason" not in row:
        raise ctx.fail(f"{where}.reason", "required when simulate = false: say why it cannot be simulated")
    if row.get("training") and not (row["simulate"] and row.get("arms")):
        raise ctx.fail(f"{where}.training", "a training row must be simulated (simulate = true) and list its arms")


def simulated_analysis(row: dict[str, Any]) -> str:
    """The analysis a row is simulated with (:data:`painsim.discontinuation.ANALYSES`): its own,
    or "none" (nobody leaves) where it was not reported, and for a crossover counted in its
    completers (its periods are simulated without leaving, and leaving is independent of the
    response, so the completers' responder fraction has the same expectation)."""
    a = row.get("analysis", "not_reported")
    if a == "completers" and row.get("design", "parallel") == "crossover":
        return "none"
    return "none" if a == "not_reported" else a
