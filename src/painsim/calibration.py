"""The calibrated global parameters (``models/calibration.toml``), written by ``painsim calibrate``.

Four numbers cannot be measured and are fitted to the training set (see
:mod:`painsim.calibrate`): the weights of NE and 5-HT receptor activation in the dorsal horn
(w_NE, w_5HT), the spread of the placebo response on the logit scale (σ_p) and its mean onset
(τ_p, weeks). The file also records the data keys used, the objective and its value, the
date and the painsim version. Its dialect is ``painsim-calibration/1``, read through
:mod:`painsim.modelfile`.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from painsim.modelfile import ModelFile, models_dir, read_model_file

__all__ = ["DIALECT", "PARAMETERS", "Calibration", "load_calibration", "parse_calibration"]

DIALECT = "painsim-calibration/1"

#: name -> (unit, meaning)
PARAMETERS = {
    "w_ne": ("1", "weight of alpha2 activation by NE (per unit rise of r_NE)"),
    "w_5ht": ("1", "weight of net inhibitory 5-HT receptor activation"),
    "sigma_p": ("1", "SD of the placebo response on the logit scale"),
    "tau_p": ("week", "mean onset of a patient's placebo response (exponential between patients)"),
}
#: parameters that divide (a spread and a mean onset): they must be positive
_POSITIVE = {"sigma_p", "tau_p"}
_RERUN = "rerun `painsim calibrate` (`--in-place` for the shipped file)"
#: plain top-level fields (what `painsim calibrate` records with the parameters) and their kinds
_RECORD = {"generated_by": "string", "painsim_version": "string", "date": "string", "objective": "string",
           "objective_value": "number", "seed": "integer", "n_per_drug": "integer",
           "outer_evaluations": "integer", "n_targets": "integer", "n_parameters": "integer", "df": "integer",
           "p_value": "number", "ci_method": "string", "ln_covariance": "list", "data_keys": "strings",
           "targets": "tables"}
_TARGET = {"key": "string", "what": "string", "observed": "number", "simulated": "number", "se": "number",
           "z": "number"}


@dataclass(frozen=True)
class Calibration:
    """Calibrated parameters (see :data:`PARAMETERS`)."""

    w_ne: float
    w_5ht: float
    sigma_p: float
    tau_p: float
    path: str = ""
    #: approximate covariance of the fitted ln(w_ne, w_5ht, sigma_p, tau_p) (rows in the order of
    #: :data:`PARAMETERS`), from the fit's Hessian; None where the file has none
    ln_covariance: tuple[tuple[float, ...], ...] | None = None

    def with_values(self, **kw: float) -> Calibration:
        """A copy with some parameters replaced (nothing is mutated)."""
        unknown = set(kw) - set(PARAMETERS)
        if unknown:
            raise KeyError(f"unknown calibrated parameter {sorted(unknown)[0]!r}; "
                           f"known: {', '.join(PARAMETERS)}")
        return dataclasses.replace(self, **{k: float(v) for k, v in kw.items()})


def parse_calibration(path: str | Path) -> Calibration:
    """Parse and validate a calibration file (raises :class:`~painsim.modelfile.ModelFileError`)."""
    ctx = ModelFile(path)
    _, doc = read_model_file(path, DIALECT, if_missing=f"{_RERUN} to create it")
    ctx.check_keys("top level", doc, {"dialect", "parameters", *_RECORD}, {"dialect", "parameters"})
    for key, kind in _RECORD.items():
        ctx.plain(key, doc.get(key), kind, optional=True)
    for i, row in enumerate(doc.get("targets", [])):
        where = f"targets[{i}]"
        ctx.check_keys(where, row, set(_TARGET))
        for key, kind in _TARGET.items():
            ctx.plain(f"{where}.{key}", row.get(key), kind, optional=True)
    params = ctx.check_keys("parameters", doc["parameters"], set(PARAMETERS))
    missing = sorted(set(PARAMETERS) - set(params))
    if missing:
        raise ctx.fail("parameters", f"missing {missing[0]!r}; {_RERUN}")
    cov = doc.get("ln_covariance")
    if cov is not None:
        k = len(PARAMETERS)
        ok = (len(cov) == k and all(isinstance(r, list) and len(r) == k for r in cov)
              and all(isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)
                      for r in cov for v in r))
        if not ok or any(cov[i][i] <= 0 or cov[i][j] != cov[j][i] for i in range(k) for j in range(k)):
            raise ctx.fail("ln_covariance", f"expected a symmetric {k}x{k} matrix of finite numbers with a positive "
                                            f"diagonal; {_RERUN}")
        cov = tuple(tuple(float(v) for v in r) for r in cov)
    return Calibration(**{name: _parameter(ctx, name, params[name]) for name in PARAMETERS}, path=str(path),
                       ln_covariance=cov)


def _parameter(ctx: ModelFile, name: str, raw: Any) -> float:
    where = f"parameters.{name}"
    # written by the fit, not read from the literature: a value and its unit, no bibliography key
    ctx.check_keys(where, raw, {"value", "ci_low", "ci_high", "unit", "note", "source"}, {"value", "unit"})
    value = ctx.plain(f"{where}.value", raw["value"], "number", positive=name in _POSITIVE)
    for bound in ("ci_low", "ci_high"):  # the fit's approximate 95 % interval (painsim.calibrate.fit_statistics)
        ctx.plain(f"{where}.{bound}", raw.get(bound), "number", optional=True)
    unit = PARAMETERS[name][0]
    ctx.plain(f"{where}.unit", raw["unit"], "string", choices=(unit,))
    ctx.plain(f"{where}.note", raw.get("note"), "string", optional=True)
    ctx.plain(f"{where}.source", raw.get("source"), "string", optional=True)
    return float(value)


#: environment variable naming the calibration file used where none is given (the command line's
#: ``--calibration FILE`` sets it, so every part of a run - figures, claim experiments, Dask workers
#: started by the run - reads the same file)
ENV_VAR = "PAINSIM_CALIBRATION"


def load_calibration(path: str | None = None) -> Calibration:
    """Read the calibrated parameters: ``path``, else the file named by ``$PAINSIM_CALIBRATION``,
    else the shipped ``models/calibration.toml``.

    Raises
    ------
    ModelFileError
        If the file is missing or breaks the dialect ``painsim-calibration/1``.
    """
    chosen = path or os.environ.get(ENV_VAR) or str(models_dir() / "calibration.toml")
    return _load(str(Path(chosen).resolve()))


@lru_cache(maxsize=4)
def _load(path: str) -> Calibration:
    return parse_calibration(Path(path))
