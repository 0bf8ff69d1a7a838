"""Constants and helpers shared by the per-source validation files (``test_<source>.py``).

Imported relatively (``from ._shared import ...``): pytest's importlib mode (pyproject.toml)
puts nothing on sys.path, and pytest >= 8.4 imports a test file as part of its folder.
"""

from __future__ import annotations

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


def finding(name: str):
    """Run the claim experiment ``name`` (``painsim.experiments``) at the report's population size."""
    return load(name).run(n_per_arm=N, seed=SEED)


def _ss(name, dose, interval=None):
    """Steady state of the typical patient on drug ``name``, by moiety name."""
    return {s.name: s for s in steady_state(load_drug(name), dose, interval=interval)}
