"""Dosing regimens: small immutable value objects, validated on construction, composable with
``+`` and expandable to explicit dose times.

Examples
--------
>>> r = Regimen.daily(60.0, days=3)               # 60 mg once a day for 3 days
>>> r.expand()[0].tolist(), r.expand()[1].tolist()
([0.0, 24.0, 48.0], [60.0, 60.0, 60.0])
>>> up = Regimen.daily(30.0, days=7, titration=((7, 60.0),), duration_days=14)
>>> up.expand()[1][[0, 6, 7, 13]].tolist()        # 30 mg for a week, then 60 mg
[30.0, 30.0, 60.0, 60.0]
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["InvalidRegimenError", "Regimen", "Schedule"]

HOURS_PER_DAY = 24.0


class InvalidRegimenError(ValueError):
    """A regimen that cannot be given (the message names the field and the fix)."""


def _check_number(name: str, value: float, *, positive: bool = False, allow_zero: bool = True) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise InvalidRegimenError(f"{name} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise InvalidRegimenError(f"{name} must be finite, got {value!r}")
    if positive and x <= 0:
        raise InvalidRegimenError(f"{name} must be positive, got {x:g}")
    if not allow_zero and x == 0:
        raise InvalidRegimenError(f"{name} must not be zero")
    if x < 0:
        raise InvalidRegimenError(f"{name} must not be negative, got {x:g}")
    return x


@dataclass(frozen=True)
class Regimen:
    """Repeated oral doses.

    Parameters
    ----------
    dose : float
        Amount per administration, mg.
    interval : float
        Dosing interval, h.
    n_doses : int, optional
        Number of administrations. Give this or ``duration``.
    duration : float, optional
        Dosing period, h: doses at ``start, start+interval, ...`` strictly before
        ``start+duration``.
    start : float
        Time of the first dose, h.
    lag : float
        Extra delay applied to every dose time, h (e.g. a formulation's absorption lag).
    titration : tuple of (day, dose) pairs
        From day ``day`` (0-based, counted from ``start``) on, each administration is ``dose`` mg.
        Steps must be in increasing day order.
    """

    dose: float
    interval: float = 24.0
    n_doses: int | None = None
    duration: float | None = None
    start: float = 0.0
    lag: float = 0.0
    titration: tuple[tuple[float, float], ...] = ()

    def __post_init__(self) -> None:
        _check_number("dose", self.dose, positive=True)
        _check_number("interval", self.interval, positive=True)
        _check_number("start", self.start)
        _check_number("lag", self.lag)
        if (self.n_doses is None) == (self.duration is None):
            raise InvalidRegimenError("give exactly one of n_doses or duration")
        if self.n_doses is not None and (not isinstance(self.n_doses, int | np.integer) or self.n_doses < 1):
            raise InvalidRegimenError(f"n_doses must be a positive integer, got {self.n_doses!r}")
        if self.duration is not None:
            _check_number("duration", self.duration, positive=True)
        days = []
        for step in self.titration:
            if len(step) != 2:
                raise InvalidRegimenError(f"titration steps are (day, dose) pairs, got {step!r}")
            days.append(_check_number("titration day", step[0]))
            _check_number("titration dose", step[1], positive=True)
        if days != sorted(days):
            raise InvalidRegimenError("titration steps must be in increasing day order")

    @classmethod
    def daily(cls, mg_per_day: float, *, days: float | None = None, interval: float = 24.0,
              titration: tuple[tuple[float, float], ...] = (), duration_days: float | None = None,
              lag: float = 0.0) -> Regimen:
        """A regimen from a daily dose.

        Parameters
        ----------
        mg_per_day : float
            Daily dose, mg/day, split evenly over the administrations of a day.
        days : float, optional
            Duration, days (alias of ``duration_days``).
        interval : float
            Dosing interval, h.
        titration : tuple of (day, mg_per_day)
            Daily-dose steps.
        """
        per_day = HOURS_PER_DAY / _check_number("interval", interval, positive=True)
        total = duration_days if duration_days is not None else days
        if total is None:
            raise InvalidRegimenError("give the duration in days")
        mg = _check_number("daily dose", mg_per_day, positive=True)
        steps = tuple((float(d), float(_check_number("titration dose", m, positive=True)) / per_day)
                      for d, m in titration)
        return cls(dose=mg / per_day, interval=interval, duration=float(total) * HOURS_PER_DAY,
                   titration=steps, lag=lag)

    def expand(self) -> tuple[np.ndarray, np.ndarray]:
        """Explicit dose events.

        Returns
        -------
        times : ndarray
            Administration times (h), lag included, increasing.
        amounts : ndarray
            Amounts (mg).
        """
        if self.n_doses is not None:
            n = int(self.n_doses)
        else:
            n = math.ceil(self.duration / self.interval - 1e-9)
        k = np.arange(n, dtype=float)
        t = self.start + k * self.interval
        amounts = np.full(n, float(self.dose))
        for day, dose in self.titration:
            amounts[t - self.start >= day * HOURS_PER_DAY - 1e-9] = dose
        return t + self.lag, amounts

    @property
    def end(self) -> float:
        """Time of the last administration plus one interval, h."""
        t, _ = self.expand()
        return float(t[-1] + self.interval) if len(t) else self.start

    def __add__(self, other: Regimen | Schedule) -> Schedule:
        return Schedule((self,)) + other


@dataclass(frozen=True)
class Schedule:
    """Several regimens given together (their dose events merged)."""

    parts: tuple[Regimen, ...]

    def __post_init__(self) -> None:
        if not self.parts or not all(isinstance(p, Regimen) for p in self.parts):
            raise InvalidRegimenError("a Schedule is made of Regimen objects")

    def __add__(self, other: Regimen | Schedule) -> Schedule:
        if isinstance(other, Regimen):
            return Schedule((*self.parts, other))
        if isinstance(other, Schedule):
            return Schedule(self.parts + other.parts)
        return NotImplemented

    def expand(self) -> tuple[np.ndarray, np.ndarray]:
        """Merged explicit dose events, sorted by time (see :meth:`Regimen.expand`)."""
        ts, amts = zip(*(p.expand() for p in self.parts), strict=True)
        t = np.concatenate(ts)
        a = np.concatenate(amts)
        order = np.argsort(t, kind="stable")
        return t[order], a[order]

    @property
    def end(self) -> float:
        return max(p.end for p in self.parts)
