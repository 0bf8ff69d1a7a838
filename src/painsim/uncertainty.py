"""Model uncertainty: ensembles of the uncertain parameters, and NNT intervals that include it.

A virtual trial's Newcombe interval (:func:`painsim.trial.nnt_with_ci`) reflects the sampling of
patients only. Two kinds of model parameter are uncertain enough to matter more:

- **derived EC50s** (``method = "derived_ki"``): ``EC50 = s·Ki/fu`` with one in-vivo/in-vitro
  factor s for every drug; the rule's residuals on the drugs with PET data have a log10 SD of
  about 0.4 (``models/occupancy_fit.toml`` ``scaling.log10_sd``), a factor of ~2.6. Each draw
  multiplies every derived EC50 by ``10^(sd·z)``, z standard normal, independently per moiety and
  transporter (the rule's error is a property of the compound);
- **the calibrated parameters** (w_NE, w_5HT, σ_p, τ_p): drawn on the log scale from the fit's
  approximate covariance (``ln_covariance`` in ``models/calibration.toml``, 2·H⁻¹ of the
  objective's Hessian; :func:`painsim.calibrate.fit_statistics`).

PET-measured EC50s, PK parameters and physiology keep their values (their uncertainty is not in
the model files). Every draw simulates the same patients (common random numbers), so the spread
of its risk differences is model uncertainty alone; the reported *model* interval adds each
draw's binomial sampling error (normal approximation) and takes the 2.5 and 97.5 percentiles.
Draw m depends only on (seed, m): an ensemble of 50 is the first 50 of an ensemble of 100.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from painsim.calibration import PARAMETERS, Calibration
from painsim.library import TARGETS, DrugSpec
from painsim.occupancy import load_occupancy_fit, occupancy_params
from painsim.population import normal

__all__ = ["ENSEMBLE_STREAM", "ModelInterval", "ParameterDraw", "draw_parameters", "interval_from_draws"]

#: the random stream of parameter draws (patients use 1 and 2): draw m is "patient" m of it
ENSEMBLE_STREAM = 7
#: normal draws per ensemble member: 0-7 the calibration, then 2 per (moiety, transporter)
_K_CAL, _K_EC50 = 0, 16
#: sampling replicates per draw for the model interval
_REPLICATES = 400


@dataclass(frozen=True)
class ParameterDraw:
    """One member of a model-uncertainty ensemble: a drug with perturbed derived EC50s and a
    calibration drawn from the fit's covariance."""

    drug: DrugSpec
    cal: Calibration
    ec50_factors: dict[str, float]


def draw_parameters(drug: DrugSpec, cal: Calibration, n_draws: int, *, seed: int = 1,
                    fit: dict | None = None) -> list[ParameterDraw]:
    """The first ``n_draws`` members of the ensemble of ``seed``.

    Parameters
    ----------
    drug : DrugSpec
    cal : Calibration
        Its ``ln_covariance`` (None: the calibration is not varied).
    n_draws : int
    seed : int
    fit : dict, optional
        The occupancy fit (default: the shipped ``models/occupancy_fit.toml``), for the rule's spread.
    """
    fit = load_occupancy_fit() if fit is None else fit
    sd = float(fit.get("scaling", {}).get("log10_sd", 0.0))
    derived = [(m.name, t) for m in drug.moieties for t in TARGETS if m.occupancy[t].method == "derived_ki"]
    base = {}
    for name, t in derived:
        p = occupancy_params(drug, t, fit=fit)
        base[(name, t)] = float(p.ec50[[m.name for m in drug.moieties].index(name)])
    names = list(PARAMETERS)
    chol = None if cal.ln_covariance is None else np.linalg.cholesky(np.array(cal.ln_covariance))
    out = []
    for m in range(n_draws):
        d, factors = drug, {}
        for j, (name, t) in enumerate(derived):
            f = 10.0 ** (sd * normal(seed, ENSEMBLE_STREAM, m, _K_EC50 + 2 * j))
            d = d.with_value(f"{name}.occupancy.{t}.ec50", base[(name, t)] * f)
            factors[f"{name}.{t}"] = f
        c = cal
        if chol is not None:
            z = np.array([normal(seed, ENSEMBLE_STREAM, m, _K_CAL + 2 * i) for i in range(len(names))])
            ln = np.log([getattr(cal, k) for k in names]) + chol @ z
            c = cal.with_values(**dict(zip(names, np.exp(ln), strict=True)))
        out.append(ParameterDraw(d, c, factors))
    return out


@dataclass(frozen=True)
class ModelInterval:
    """The ensemble's interval of a trial's outcome.

    Attributes
    ----------
    n_draws : int
    rd_model : tuple of float
        2.5 and 97.5 percentiles of the draws' risk differences (p_drug − p_placebo): model
        uncertainty alone.
    rd_total : tuple of float
        The same with each draw's sampling error added: model and sampling uncertainty.
    nnt_low, nnt_high : float or None
        1/rd_total inverted (None where the interval of the difference includes 0, the Cochrane
        convention of :func:`painsim.trial.nnt_with_ci`).
    """

    n_draws: int
    rd_model: tuple[float, float]
    rd_total: tuple[float, float]
    nnt_low: float | None
    nnt_high: float | None


def interval_from_draws(p_drug: np.ndarray, p_placebo: np.ndarray, n_per_arm: int, *, seed: int = 1) -> ModelInterval:
    """:class:`ModelInterval` from each draw's responder fractions (arrays over draws)."""
    p1, p2 = np.asarray(p_drug, dtype=float), np.asarray(p_placebo, dtype=float)
    rd = p1 - p2
    se = np.sqrt((p1 * (1 - p1) + p2 * (1 - p2)) / n_per_arm)
    rng = np.random.default_rng([seed, ENSEMBLE_STREAM, len(rd)])
    total = (rd[:, None] + se[:, None] * rng.standard_normal((len(rd), _REPLICATES))).ravel()
    lo_m, hi_m = (float(v) for v in np.percentile(rd, [2.5, 97.5]))
    lo, hi = (float(v) for v in np.percentile(total, [2.5, 97.5]))
    nnt_low = nnt_high = None
    if lo > 0.0:
        nnt_low, nnt_high = 1.0 / hi, 1.0 / lo
    return ModelInterval(len(rd), (lo_m, hi_m), (lo, hi), nnt_low, nnt_high)
