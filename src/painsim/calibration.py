"""The calibrated global parameters (``models/calibration.toml``), written by ``painsim calibrate``.

Four numbers cannot be measured and are fitted to the training set (see
:mod:`painsim.calibrate`): the weights of NE and 5-HT receptor activation in the dorsal horn
(w_NE, w_5HT), the spread of the placebo response on the logit scale (σ_p) and its build-up time
constant (τ_p, weeks). The file also records the data keys used, the objective and its value, the
date and the painsim version.
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from painsim.library import ModelFileError, models_dir

__all__ = ["PARAMETERS", "Calibration", "load_calibration"]

#: name -> (unit, meaning)
PARAMETERS = {
    "w_ne": ("1", "weight of alpha2 activation by NE (per unit rise of r_NE)"),
    "w_5ht": ("1", "weight of net inhibitory 5-HT receptor activation"),
    "sigma_p": ("1", "SD of the placebo response on the logit scale"),
    "tau_p": ("week", "time constant of the placebo response build-up"),
}


@dataclass(frozen=True)
class Calibration:
    """Calibrated parameters (see :data:`PARAMETERS`)."""

    w_ne: float
    w_5ht: float
    sigma_p: float
    tau_p: float
    path: str = ""

    def with_values(self, **kw: float) -> Calibration:
        """A copy with some parameters replaced (nothing is mutated)."""
        unknown = set(kw) - set(PARAMETERS)
        if unknown:
            raise KeyError(f"unknown calibrated parameter {sorted(unknown)[0]!r}; "
                           f"known: {', '.join(PARAMETERS)}")
        return dataclasses.replace(self, **{k: float(v) for k, v in kw.items()})


@lru_cache(maxsize=2)
def load_calibration(path: str | None = None) -> Calibration:
    """Read the calibrated parameters (default: the shipped ``models/calibration.toml``)."""
    p = Path(path) if path else models_dir() / "calibration.toml"
    try:
        with open(p, "rb") as fh:
            doc = tomllib.load(fh)
    except FileNotFoundError:
        raise ModelFileError(f"{p}: not found; run `painsim calibrate` to create it") from None
    except tomllib.TOMLDecodeError as exc:
        raise ModelFileError(f"{p}: not valid TOML ({exc})") from None
    params = doc.get("parameters", {})
    missing = set(PARAMETERS) - set(params)
    if missing:
        raise ModelFileError(f"{p}: parameters: missing {sorted(missing)[0]!r}; rerun `painsim calibrate`")
    return Calibration(**{k: float(params[k]["value"]) for k in PARAMETERS}, path=str(p))
