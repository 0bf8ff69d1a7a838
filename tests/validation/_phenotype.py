"""The typical patient of one CYP2D6 phenotype, for the pharmacogenetic validation files."""

from __future__ import annotations

import numpy as np

from painsim.library import DrugSpec
from painsim.physiology import load_physiology
from painsim.pk import theta
from painsim.population import draw_population

_FREQ = {0: "population.cyp2d6_pm", 1: "population.cyp2d6_im", 3: "population.cyp2d6_um"}
PM, IM, NM, UM = 0, 1, 2, 3


def phenotype_theta(drug: DrugSpec, code: int) -> np.ndarray:
    """The typical patient's parameter vector with the drug file's multipliers of CYP2D6 phenotype
    ``code`` (0 PM, 1 IM, 2 NM, 3 UM): one patient drawn as that phenotype and as an NM, their
    ratio (only the phenotype differs) applied to :func:`painsim.pk.theta`."""
    phys = load_physiology()
    for key in _FREQ.values():
        phys = phys.with_value(key, 0.0)
    as_code = phys if code == NM else phys.with_value(_FREQ[code], 1.0)
    th_code = draw_population(drug, as_code, 1, seed=1, stream=1).theta[0]
    th_nm = draw_population(drug, phys, 1, seed=1, stream=1).theta[0]
    ratio = np.divide(th_code, th_nm, out=np.ones_like(th_nm), where=th_nm != 0)
    return theta(drug) * ratio
