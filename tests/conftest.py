"""Shared fixtures. Randomness in tests is seeded; hypothesis runs with a fixed profile."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "painsim",
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile(os.environ.get("PAINSIM_HYPOTHESIS_PROFILE", "painsim"))
