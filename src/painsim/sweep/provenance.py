"""Provenance of a sweep: what the results were computed from, as flat Dataset attributes.

The attributes hold strings and numbers only, so that they survive zarr and netCDF. A
fingerprint over the scientific content (not where the files lie) tells whether an existing
store belongs to the same sweep.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from painsim.calibration import PARAMETERS as CALIBRATION_PARAMETERS
from painsim.library import models_dir
from painsim.sweep.grid import STATUS_MEANINGS, SweepContext


def _file_sha256(path: str | os.PathLike[str] | None) -> str:
    if not path:
        return ""
    try:
        return hashlib.sha256(Path(path).read_bytes()).hexdigest()
    except OSError:
        return ""


def _shown_path(path: str | os.PathLike[str] | None) -> str:
    """A model file's path as provenance: ``models/…`` for the shipped library (wherever the package
    is installed, so that the same sweep gives identical attributes from a checkout or a wheel);
    absolute otherwise. The files are identified by their sha256 next to it."""
    if not path:
        return ""
    p = Path(path).resolve()
    try:
        return str(Path("models") / p.relative_to(models_dir().resolve()))
    except ValueError:
        return str(p)


def provenance_attrs(ctx: SweepContext) -> dict[str, Any]:
    """Flat provenance attributes (strings and numbers: they survive zarr and netCDF).

    Parameters
    ----------
    ctx : SweepContext
        From :func:`painsim.sweep.grid.sweep_context`.

    Returns
    -------
    dict of str to str, int or float
        The painsim version; the experiment's name, file, text and sha256; seed and its rule;
        trial settings; each model file (physiology, calibration, drugs) with its sha256; the
        calibrated values; titrations and dosing intervals (h); the status flag meanings; and
        ``painsim_fingerprint``, a sha256 over all of it except where the files lie (so that a
        moved checkout still resumes its stores).
    """
    from painsim._version import __version__

    exp = ctx.exp
    attrs: dict[str, Any] = {
        "title": f"painsim sweep: {exp.name}",
        "description": exp.description,
        "painsim_version": __version__,
        "model_path": "fast path (exact linear PK, quasi-steady-state synapse, stepped desensitisation)"
                      if exp.idealised is None else
                      "idealised inhibitor (fixed occupancies; quasi-steady-state synapse, stepped desensitisation)",
        "experiment_name": exp.name,
        "experiment_file": exp.path or "",
        "experiment_sha256": exp.sha256,
        "experiment_text": exp.text,
        "seed": exp.seed,
        "seed_rule": "replicate trial r uses seed + r; drug arm stream 1, placebo arm stream 2",
        "n_per_arm": exp.patients,
        "weeks": exp.weeks,
        "design": exp.design,
        "condition": exp.condition,
        "placebo_response": "condition default" if exp.placebo_response is None else exp.placebo_response,
        "placebo_outcome": exp.placebo_outcome,
        "missed_doses": exp.missed_doses,
        "variability": int(exp.variability),
        "physiology_file": _shown_path(ctx.phys.path),
        "physiology_sha256": ctx.phys.sha256 or _file_sha256(ctx.phys.path),
        "calibration_file": _shown_path(ctx.cal.path),
        "calibration_sha256": _file_sha256(ctx.cal.path),
        "occupancy_fit_sha256": _file_sha256(models_dir() / "occupancy_fit.toml"),
    }
    for k in CALIBRATION_PARAMETERS:
        attrs[f"calibration_{k}"] = float(getattr(ctx.cal, k))
    for name, d in ctx.drugs.items():
        attrs[f"drug_file_{name}"] = _shown_path(d.path)
        attrs[f"drug_sha256_{name}"] = d.sha256
    for d in ctx.exp.drugs:
        if d.titration:
            attrs[f"titration_{d.name}"] = json.dumps([list(s) for s in d.titration])
        if d.interval is not None:
            attrs[f"interval_h_{d.name}"] = d.interval
    if exp.idealised is not None:
        attrs["idealised_sert_default"] = exp.idealised.sert
        attrs["idealised_net_default"] = exp.idealised.net
    attrs["status_flag_meanings"] = json.dumps({str(k): v for k, v in STATUS_MEANINGS.items()})
    # the science, not where the files lie: a moved checkout still resumes its stores
    fp = {k: v for k, v in attrs.items() if not k.endswith("_file") and not k.startswith("drug_file_")}
    attrs["painsim_fingerprint"] = hashlib.sha256(json.dumps(fp, sort_keys=True).encode()).hexdigest()
    return attrs
