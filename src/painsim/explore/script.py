"""The "as a script" export: a short Python script that reproduces the explorer's current view
with painsim's public API (students move from sliders to scripts).

The script applies the same parameter edits as the page (:meth:`ExplorerModel.edits
<painsim.explore.model.ExplorerModel.edits>`), runs the same trial, prints its result in one line
(``p_drug p_placebo nnt``) and draws the current view with a few lines of matplotlib.
"""

from __future__ import annotations

from painsim.explore.model import OUTCOMES, ExplorerModel, Settings

__all__ = ["as_script"]

# the plotting code of each view; `drug`, `dose`, `trial` (with courses) and `ax` exist by then
_PLOTS = {
    "pk": '''prof = painsim.steady_state_profile(drug, dose)
for j, m in enumerate(drug.moieties):
    ax.plot(prof.grid, prof.conc[:, j], label=m.name)
ax.set_xlabel("time after the dose at steady state (h)")
ax.set_ylabel("total plasma concentration (ng/mL)")''',
    "occupancy": '''prof = painsim.steady_state_profile(drug, dose)
for target in ("sert", "net"):
    p = painsim.occupancy_params(drug, target)
    occ = painsim.occupancy(np.ascontiguousarray(prof.conc), p.emax, p.ec50, p.hill)
    ax.plot(prof.grid, occ * 100, label=target.upper())
ax.set_xlabel("time after the dose at steady state (h)")
ax.set_ylabel("transporter occupancy (%)")
ax.set_ylim(0, 100)''',
    "synapse": '''weeks = np.arange(1, trial.weeks + 1)
ax.plot(weeks, np.median(trial.courses.r_5ht, axis=0), marker="o", label="5-HT")
ax.plot(weeks, np.median(trial.courses.r_ne, axis=0), marker="o", label="NE")
ax.set_xlabel("week of treatment")
ax.set_ylabel("extracellular level / baseline (median patient)")''',
    "inhibition": '''weeks = np.arange(1, trial.weeks + 1)
ax.plot(weeks, np.median(trial.courses.inhibition, axis=0), marker="o", label=drug.display_name)
ax.set_xlabel("week of treatment")
ax.set_ylabel("restored descending inhibition (median patient)")''',
    "responders": '''weeks = np.arange(1, trial.weeks + 1)
ax.plot(weeks, trial.responders_drug * 100, marker="o", label=drug.display_name)
ax.plot(weeks, trial.responders_placebo * 100, marker="o", label="placebo")
ax.set_xlabel("week of treatment")
ax.set_ylabel("responders (%)")''',
    "nnt": '''if trial.nnt is not None:
    lo, hi = trial.nnt_ci_low or trial.nnt, trial.nnt_ci_high or trial.nnt
    ax.errorbar([trial.nnt], [0], xerr=[[trial.nnt - lo], [hi - trial.nnt]], fmt="o", label="simulated")
ax.set_xlim(1, 100)
ax.set_xscale("log")
ax.set_yticks([])
ax.set_xlabel("NNT (patients)")''',
}


def _load_line(model: ExplorerModel, name: str) -> list[str]:
    if name in model.extra:  # a user's drug file: its derived EC50s come from the file, as on the page
        path = model.extra[name].path
        return [f"drug = with_own_ec50s(painsim.load_drug({path!r}))"]
    return [f"drug = painsim.load_drug({name!r})"]


def as_script(model: ExplorerModel, s: Settings) -> str:
    """A Python script that reproduces the view of settings ``s`` (its text).

    Parameters
    ----------
    model : ExplorerModel
        The explorer's model (its drugs and shipped parameter sets).
    s : Settings
        The page's settings.

    Returns
    -------
    str
        The script: it prints ``p_drug p_placebo nnt`` of the trial and saves ``painsim_<view>.png``.
    """
    model.check(s)
    lines = [
        f'"""painsim explore, as a script: {s.drug} {s.dose:g} mg/day, view {s.view!r}.',
        "",
        "Run it with `python this_file.py`; change a number and run it again.",
        '"""',
        "import matplotlib.pyplot as plt",
        "import numpy as np",
        "",
        "import painsim",
    ]
    if s.drug in model.extra:
        lines.append("from painsim.occupancy_fit import with_own_ec50s")
    lines += ["", *_load_line(model, s.drug), "phys = painsim.load_physiology()", "cal = painsim.load_calibration()"]
    for e in model.edits(s):
        call = {"drug": f"drug = drug.with_value({e.path!r}, {e.value!r})",
                "physiology": f"phys = phys.with_value({e.path!r}, {e.value!r})",
                "calibration": f"cal = cal.with_values({e.path}={e.value!r})"}[e.target]
        lines.append(f"{call}  # {e.why}")
    lines += [
        f"dose = {s.dose!r}  # mg/day",
        "",
        f"# a virtual placebo-controlled trial: {s.n_per_arm} patients per arm, {OUTCOMES[s.outcome]}",
        f"trial = painsim.run_trial(drug, dose, {s.weeks}, n_per_arm={s.n_per_arm}, seed={s.seed}, "
        f"outcome={s.outcome!r},",
        f"                          condition={s.condition!r}, phys=phys, cal=cal, keep_courses=True)",
        "print(trial.p_drug, trial.p_placebo, trial.nnt)",
        "",
        "fig, ax = plt.subplots(figsize=(7, 4), layout=\"constrained\")",
        _PLOTS[s.view],
        "if ax.get_legend_handles_labels()[0]:  # nothing to label where the trial showed no benefit",
        "    ax.legend()",
        f"fig.savefig(\"painsim_{s.view}.png\", dpi=150)",
    ]
    return "\n".join(lines) + "\n"
