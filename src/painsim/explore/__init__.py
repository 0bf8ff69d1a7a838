"""``painsim explore``: the students' and educators' explorer in the browser.

Sliders and switches for dose, trial design, mechanism and a few physiology parameters; six views
(concentration, occupancy, synaptic 5-HT/NE, dorsal-horn inhibition, responders, NNT), each with
a caption; export of the current figure (PNG, SVG) and of a Python script that reproduces it.

- :mod:`painsim.explore.model`: the settings, the parameter edits they stand for and the cached
  computations, through the public API only (no Panel);
- :mod:`painsim.explore.views`: the figure of each view (matplotlib, no server);
- :mod:`painsim.explore.script`: the "as a script" export;
- :mod:`painsim.explore.app`: the Panel page; :mod:`painsim.explore.server`: serving it on
  127.0.0.1.

Panel is imported only by the last two, so ``import painsim.explore`` stays light.
"""

from painsim.explore.model import VIEWS, ExplorerModel, Results, Settings, SettingsError

__all__ = ["VIEWS", "ExplorerModel", "Results", "Settings", "SettingsError"]
