"""Constants and helpers shared by the per-source validation files (``test_<source>.py``).

Imported relatively (``from ._shared import ...``): pytest's importlib mode (pyproject.toml)
puts nothing on sys.path, and pytest >= 8.4 imports a test file as part of its folder.
"""

from __future__ import annotations

import functools

from painsim.experiments import load
from painsim.library import load_drug
from painsim.steady_state import steady_state

#: virtual trials: 2000 patients per arm (responder-rate SE ~1 pp), one fixed seed
N = 2000
SEED = 21

#: PET occupancy: ±10 percentage points, as in the issue: inter-subject SDs in these PET studies
#: are 5–10 pp and the model predicts a typical patient, not the study's mean of a few subjects.
PP = 0.10

#: steady-state PK against label / textbook values: within 25 %. Label means come from small
#: healthy-volunteer groups with 30–60 % CV, and our ka is often derived from Tmax.
TOL = 0.25


@functools.cache
def dpn_trial(drug: str, mg_per_day: float, weeks: int = 12):
    """Both arms (:class:`painsim.trial.TrialArms`) of the validation tests' parallel DPN trial:
    N patients per arm, SEED, the shipped model, the placebo location a DPN trial gets. Shared (and
    simulated once) by the tests that read the same trial in different ways."""
    from painsim.calibration import load_calibration
    from painsim.physiology import load_physiology
    from painsim.response import trial_placebo_mu
    from painsim.trial import simulate_arms

    phys, cal = load_physiology(), load_calibration()
    mu = trial_placebo_mu(phys, cal, condition="dpn", outcome="50pct", weeks=weeks)
    return simulate_arms(load_drug(drug), mg_per_day, weeks, n_per_arm=N, seed=SEED, mu=mu, phys=phys, cal=cal)


def finding(name: str):
    """Run the claim experiment ``name`` (``painsim.experiments``) at the report's population size."""
    return load(name).run(n_per_arm=N, seed=SEED)


def _ss(name, dose, interval=None):
    """Steady state of the typical patient on drug ``name``, by moiety name."""
    return {s.name: s for s in steady_state(load_drug(name), dose, interval=interval)}
