from __future__ import annotations

import numpy as np
import pytest

from painsim.regimen import InvalidRegimenError, Regimen, Schedule


def test_expand_interval_and_duration():
    r = Regimen(dose=5.0, interval=12.0, duration=48.0, lag=0.5)
    t, a = r.expand()
    np.testing.assert_allclose(t, [0.5, 12.5, 24.5, 36.5])
    np.testing.assert_allclose(a, 5.0)


def test_titration_steps_in_daily_terms():
    r = Regimen.daily(120.0, days=10, interval=12.0, titration=((0, 60.0), (3, 120.0)))
    t, a = r.expand()
    assert len(t) == 20
    assert a[0] == 30.0 and a[5] == 30.0 and a[6] == 60.0


def test_composition_merges_sorted():
    s = Regimen(dose=1.0, n_doses=2, interval=24.0) + Regimen(dose=2.0, n_doses=1, start=12.0)
    assert isinstance(s, Schedule)
    t, a = s.expand()
    np.testing.assert_allclose(t, [0.0, 12.0, 24.0])
    np.testing.assert_allclose(a, [1.0, 2.0, 1.0])
    assert len((s + Regimen(dose=1.0, n_doses=1)).parts) == 3


def test_immutable():
    r = Regimen(dose=1.0, n_doses=1)
    with pytest.raises(AttributeError):
        r.dose = 2.0  # type: ignore[misc]


@pytest.mark.parametrize(
    "kwargs",
    [dict(dose=-1.0, n_doses=1), dict(dose=0.0, n_doses=1), dict(dose="a", n_doses=1),
     dict(dose=1.0), dict(dose=1.0, n_doses=2, duration=24.0), dict(dose=1.0, n_doses=0),
     dict(dose=1.0, n_doses=1, interval=0.0), dict(dose=1.0, n_doses=1, titration=((3, 1.0), (1, 2.0))),
     dict(dose=float("nan"), n_doses=1)],
)
def test_invalid_regimens_refused(kwargs):
    with pytest.raises(InvalidRegimenError):
        Regimen(**kwargs)
