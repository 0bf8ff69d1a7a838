"""painsim.calibrate.fit_statistics: intervals from the Hessian, and none for a parameter the
targets do not bound (it once wrote an infinite bound, which the calibration reader refuses)."""

from __future__ import annotations

import math

import painsim.calibrate as c
from painsim.calibration import PARAMETERS, load_calibration


def _quadratic(curvature: dict[str, float], cal0):
    x0 = {k: math.log(getattr(cal0, k)) for k in PARAMETERS}

    def objective(sc, cal, targets):
        return 5.0 + sum(curvature[k] * (math.log(getattr(cal, k)) - x0[k]) ** 2 for k in PARAMETERS)
    return objective


def test_intervals_follow_the_curvature_and_a_flat_parameter_gets_none(monkeypatch):
    cal = load_calibration()
    # S = 5 + Σ a_k (ln θ_k − ln θ̂_k)²: H = 2a, cov = 2H⁻¹ = 1/a, SE = a^-1/2
    curvature = {"w_ne": 4.0, "w_5ht": 1e-9, "sigma_p": 100.0, "tau_p": 1.0}
    monkeypatch.setattr(c, "objective", _quadratic(curvature, cal))
    stats = c.fit_statistics(None, cal, [None] * 7)
    assert stats["df"] == 3 and math.isclose(stats["objective"], 5.0)
    flat = stats["parameters"]["w_5ht"]
    assert flat["ci_low"] is None and flat["ci_high"] is None  # exp(ln θ + 1.96·31623) overflows
    for name in ("w_ne", "sigma_p", "tau_p"):
        p = stats["parameters"][name]
        se = curvature[name] ** -0.5
        assert math.isclose(math.log(p["ci_high"] / p["value"]), c.Z95 * se, rel_tol=1e-6)
        assert math.isclose(math.log(p["value"] / p["ci_low"]), c.Z95 * se, rel_tol=1e-6)
