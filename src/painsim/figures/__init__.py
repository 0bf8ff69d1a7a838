"""Educator figures: one module per family, one shared style (:mod:`painsim.figures.style`).

Every function returns a :class:`matplotlib.figure.Figure` that a script can restyle; axes carry
labels with units. Save with :func:`painsim.figures.style.save` (SVG, PDF and 300-dpi PNG).
"""

from painsim.figures.clinical import dose_response, nnt_forest, onset
from painsim.figures.mechanism import inhibition_by_class, mechanism_schematic
from painsim.figures.pharmacology import occupancy_dose_curves, pk_profiles
from painsim.figures.style import PALETTE, save, style
from painsim.figures.synapse import acute_vs_chronic, release_event

__all__ = [
    "PALETTE",
    "acute_vs_chronic",
    "dose_response",
    "inhibition_by_class",
    "mechanism_schematic",
    "nnt_forest",
    "occupancy_dose_curves",
    "onset",
    "pk_profiles",
    "release_event",
    "save",
    "style",
]
