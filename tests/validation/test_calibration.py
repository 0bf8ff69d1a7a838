"""The shipped calibration is exactly what `painsim calibrate` produces, from the training set only."""

from __future__ import annotations

import pytest

from painsim.calibrate import _Scenarios, calibrate, objective, training_targets, write_calibration
from painsim.calibration import DIALECT, PARAMETERS, load_calibration
from painsim.library import models_dir
from painsim.modelfile import read_model_file
from painsim.physiology import load_physiology
from painsim.reported import load_reported_outcomes

pytestmark = pytest.mark.validation


def _shipped() -> dict:
    return read_model_file(models_dir() / "calibration.toml", DIALECT)[1]


def test_calibration_used_the_training_set_only():
    rows = load_reported_outcomes()
    targets = training_targets(rows)  # raises if the training rows changed
    assert set(_shipped()["data_keys"]) == {t.key.split(":")[0] for t in targets}
    # the validation rows (overlapping meta-analyses of the same trials) are not training rows
    assert all(not r.get("training") for r in rows if r["key"].startswith(("kajdasz", "quilici", "nice", "fda")))


def test_shipped_objective_reproduces_at_shipped_parameters():
    doc = _shipped()
    cal = load_calibration()
    rows = load_reported_outcomes()
    targets = training_targets(rows)
    sc = _Scenarios(load_physiology(), doc["n_per_drug"], doc["seed"], rows)
    assert objective(sc, cal, targets) == pytest.approx(doc["objective_value"], rel=1e-6)
    assert set(PARAMETERS) == set(doc["parameters"])


def test_shipped_file_is_what_write_calibration_writes(tmp_path):
    # the shipped text, dialect line included, is what the writer makes of the shipped document
    # (the fit itself is compared by the slow test below)
    shipped = _shipped()
    assert shipped["dialect"] == DIALECT
    written = write_calibration({k: v for k, v in shipped.items() if k != "dialect"}, tmp_path / "c.toml")
    assert written.read_text(encoding="utf-8") == (models_dir() / "calibration.toml").read_text(encoding="utf-8")


def _same_fit(doc: dict, shipped: dict) -> None:
    """The same minimum: the objective to 1e-6, and every parameter within 0.05 of its own standard
    error (ln scale, from the shipped covariance).

    Why not a fixed relative tolerance: the objective is nearly flat along a w_NE-w_5HT ridge
    (w_5HT's SE ~50 % in ln), so Nelder-Mead stops at points along it that agree
    in objective to 1e-7 but differ by up to ~2e-3 in w_NE and ~4e-3 in w_5HT (measured, shipped
    start vs (2.5, 0.6); tighter xatol/fatol did not change that). Those are <= 0.013 SE; the failure
    this guards against (w_5HT 0.78 vs 1.34 once) was ~1 SE.
    """
    import numpy as np

    se = np.sqrt(np.diag(np.array(shipped["ln_covariance"])))
    assert doc["objective_value"] == pytest.approx(shipped["objective_value"], rel=1e-6)
    for name, s in zip(PARAMETERS, se, strict=True):
        a, b = doc["parameters"][name]["value"], shipped["parameters"][name]["value"]
        assert abs(np.log(a / b)) <= 0.05 * s, (name, a, b)


@pytest.mark.slow
def test_calibrate_reproduces_shipped_file():
    doc = calibrate()
    shipped = _shipped()
    assert doc["dialect"] == shipped["dialect"]
    _same_fit(doc, shipped)


@pytest.mark.slow
def test_calibration_does_not_depend_on_the_outer_start(monkeypatch):
    """The fit once landed elsewhere (w_5HT 0.78 vs 1.34) after last-digit changes; now it must
    not move with the starting point of the outer search."""
    import painsim.calibrate as c

    monkeypatch.setattr(c, "START_W_NE", 2.5)
    monkeypatch.setattr(c, "START_W_5HT", 0.6)
    _same_fit(c.calibrate(), _shipped())
