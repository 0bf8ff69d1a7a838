"""painsim: monoamine reuptake inhibitors in neuropathic pain, from dose to NNT.

The public API is curated here; everything else is internal.

>>> import painsim
>>> dlx = painsim.load_drug("duloxetine")
>>> dlx.drug_class
'SNRI'
"""

from painsim.library import (
    DrugSpec,
    ModelFileError,
    UnknownDrugError,
    drug_names,
    load_drug,
    load_library,
)
from painsim.occupancy import occupancy, occupancy_params, steady_state_occupancy
from painsim.pk import concentrations, steady_state, steady_state_profile
from painsim.regimen import InvalidRegimenError, Regimen, Schedule

__version__ = "0.1.0"

__all__ = [
    "DrugSpec",
    "InvalidRegimenError",
    "ModelFileError",
    "Regimen",
    "Schedule",
    "UnknownDrugError",
    "__version__",
    "concentrations",
    "drug_names",
    "load_drug",
    "load_library",
    "occupancy",
    "occupancy_params",
    "steady_state",
    "steady_state_occupancy",
    "steady_state_profile",
]
