"""painsim: monoamine reuptake inhibitors in neuropathic pain, from dose to NNT.

The public API is curated here; everything else is internal.

>>> import painsim
>>> dlx = painsim.load_drug("duloxetine")
>>> dlx.drug_class
'SNRI'

A student's ten-line script: change one parameter, run a trial, compare.

>>> slow = dlx.with_value("duloxetine.pk.cl", 57.0)        # half the clearance; dlx unchanged
>>> a = painsim.run_trial(dlx, 60, 12, n_per_arm=200, seed=3)
>>> b = painsim.run_trial(slow, 60, 12, n_per_arm=200, seed=3)
>>> b.p_drug >= a.p_drug
True
"""

from painsim._version import __version__
from painsim.calibration import Calibration, load_calibration
from painsim.library import (
    DrugSpec,
    ModelFileError,
    UnknownDrugError,
    drug_names,
    load_drug,
    load_library,
)
from painsim.occupancy import occupancy, occupancy_params, steady_state_occupancy
from painsim.physiology import Physiology, load_physiology
from painsim.pk import concentrations
from painsim.reference import patient_course
from painsim.regimen import InvalidRegimenError, Regimen, Schedule
from painsim.steady_state import steady_state, steady_state_profile
from painsim.trial import TrialResult, run_trial

__all__ = [
    "Calibration",
    "DrugSpec",
    "InvalidRegimenError",
    "ModelFileError",
    "Physiology",
    "Regimen",
    "Schedule",
    "TrialResult",
    "UnknownDrugError",
    "__version__",
    "concentrations",
    "drug_names",
    "load_calibration",
    "load_drug",
    "load_library",
    "load_physiology",
    "occupancy",
    "occupancy_params",
    "patient_course",
    "run_trial",
    "steady_state",
    "steady_state_occupancy",
    "steady_state_profile",
]
