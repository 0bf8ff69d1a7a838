"""The explorer's figures: one builder per view, from the computed numbers
(:class:`painsim.explore.model.Results`) to a matplotlib Figure. No server is needed, so each view
is testable on its own and a script can call the builders too.

The main drug is drawn in solid lines, the comparison drug (if any) dashed.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure

from painsim.explore.model import CONDITIONS, OUTCOMES, VIEWS, DrugData, Results
from painsim.figures.style import CLASS_COLOURS, PALETTE, TARGET_COLOURS, style

__all__ = [
    "CAPTIONS",
    "inhibition_figure",
    "nnt_figure",
    "occupancy_figure",
    "pk_figure",
    "render",
    "responders_figure",
    "synapse_figure",
    "view_figure",
]

#: a caption of two sentences per view, for a student
CAPTIONS = {
    "pk": ("Plasma concentration of every active moiety over one dosing interval at steady state, for the "
           "typical patient. Doubling the dose doubles these curves (linear kinetics) except for drugs "
           "that inhibit their own metabolism, such as paroxetine."),
    "occupancy": ("Left: the fraction of serotonin (SERT) and noradrenaline (NET) transporters blocked over one "
                  "day at steady state. Right: the daily average against dose, the label range shaded, "
                  "the current dose marked and PET measurements as dots — occupancy saturates, so high doses "
                  "add little."),
    "synapse": ("Extracellular 5-HT and NE at the spinal terminals of the descending neurons, relative to "
                "baseline (1 = no change), median and middle half of the virtual patients week by week. "
                "Blocking reuptake raises them, autoreceptor feedback first holds the rise back, and as the "
                "5-HT1A autoreceptors desensitise over the first weeks the rise grows."),
    "inhibition": ("Descending inhibition restored in the dorsal horn, the weighted sum of the receptor effects of "
                   "NE and 5-HT (0 = none, 1 = the largest possible), median and middle half of the patients. "
                   "Pain transmission falls in proportion to it, more in patients who are more sensitive."),
    "responders": ("The fraction of patients with the chosen pain relief, week by week, in the drug arm and "
                   "the placebo arm of the virtual trial. The gap between the curves is the drug's effect; "
                   "the placebo arm improves too."),
    "nnt": ("Number needed to treat: how many patients must take the drug for one more to respond than on "
            "placebo, with its 95 % interval (from the number of patients simulated). The grey rows are "
            "NNTs with the same responder rule reported by trials and meta-analyses that include the drug."),
}

_DASH = {True: "-", False: "--"}


def _figure(nrows: int = 1, ncols: int = 1, *, size: tuple[float, float]):
    """A figure in painsim's style, made without pyplot: a server draws many and keeps none, and
    pyplot would hold each one until closed."""
    with style():
        fig = Figure(figsize=size, layout="constrained")
        axes = fig.subplots(nrows, ncols)
    return fig, axes


def _drugs(res: Results) -> list[tuple[DrugData, bool]]:
    return [(res.main, True)] + ([(res.other, False)] if res.other is not None else [])


def _name(d: DrugData) -> str:
    return f"{d.drug.display_name} {d.dose:g} mg/day"


def _colour(d: DrugData) -> str:
    return CLASS_COLOURS.get(d.drug.drug_class, PALETTE["black"])


def pk_figure(res: Results) -> Figure:
    """Steady-state concentration–time profile of every moiety (ng/mL against h after the dose)."""
    fig, ax = _figure(size=(8.0, 4.0))
    colours = [PALETTE["blue"], PALETTE["vermillion"], PALETTE["green"], PALETTE["purple"], PALETTE["sky"]]
    k = 0  # one colour per moiety, the comparison's continuing after the main drug's
    for d, main in _drugs(res):
        for j, m in enumerate(d.moieties):
            ax.plot(d.grid, d.conc[:, j], color=colours[k % len(colours)], ls=_DASH[main], lw=1.8,
                    label=f"{m} ({_name(d)})")
            k += 1
    ax.set_xlabel("time after the dose at steady state (h)")
    ax.set_ylabel("total plasma concentration (ng/mL)")
    ax.set_ylim(bottom=0)
    ax.legend(loc="best")
    ax.set_title("Steady-state plasma profile, typical patient")
    return fig


def occupancy_figure(res: Results) -> Figure:
    """SERT and NET occupancy over a day (left) and against dose (right, current dose marked)."""
    fig, (day, dose) = _figure(1, 2, size=(9.0, 4.0))
    for d, main in _drugs(res):
        for target in ("sert", "net"):
            c = TARGET_COLOURS[target]
            day.plot(d.grid, d.occ_day[target] * 100, color=c, ls=_DASH[main], lw=1.8,
                     label=f"{target.upper()}, {_name(d)}")
            doses, occ = d.dose_curve
            dose.plot(doses, occ[target] * 100, color=c, ls=_DASH[main], lw=1.8)
            pts = d.pet.get(target, [])
            if pts:
                x, y = zip(*pts, strict=True)
                dose.scatter(x, np.array(y) * 100, color=c, edgecolor="k", s=24, zorder=3,
                             marker="o" if main else "s", label=f"PET, {target.upper()}" if main else None)
    lo, hi = res.main.label_range
    dose.axvspan(lo, hi, color="0.9", zorder=0, label=f"label range {res.main.drug.display_name}")
    dose.axvline(res.main.dose, color=PALETTE["black"], lw=1.0, ls=":", label=f"current dose {res.main.dose:g}")
    day.set_xlabel("time after the dose at steady state (h)")
    dose.set_xlabel("daily dose (mg/day)")
    for ax in (day, dose):
        ax.set_ylabel("transporter occupancy (%)")
        ax.set_ylim(0, 100)
    day.legend(loc="best")
    dose.legend(loc="lower right")
    day.set_title("Over one day")
    dose.set_title("Daily average against dose")
    return fig


def _band(ax, weeks: np.ndarray, values: np.ndarray, colour: str, ls: str, label: str) -> None:
    q25, q50, q75 = np.percentile(values, [25, 50, 75], axis=0)
    ax.fill_between(weeks, q25, q75, color=colour, alpha=0.15, lw=0)
    ax.plot(weeks, q50, color=colour, ls=ls, marker="o", ms=3, lw=1.8, label=label)


def synapse_figure(res: Results) -> Figure:
    """Weekly mean extracellular 5-HT and NE relative to baseline (median and interquartile band)."""
    # one panel per transmitter, each with its own scale: NE moves far less than 5-HT at most doses
    fig, axes = _figure(1, 2, size=(9.0, 4.0))
    for ax, field, name, colour in ((axes[0], "r_5ht", "5-HT", TARGET_COLOURS["sert"]),
                                    (axes[1], "r_ne", "NE", TARGET_COLOURS["net"])):
        for d, main in _drugs(res):
            values = getattr(d.trial.courses, field)
            _band(ax, np.arange(1, values.shape[1] + 1), values, colour, _DASH[main], _name(d))
        ax.axhline(1.0, color=PALETTE["grey"], lw=0.8, ls=":")
        ax.set_xlabel("week of treatment")
        ax.set_ylabel(f"extracellular {name} / baseline")
        if field == "r_5ht":
            ax.set_ylim(bottom=0)  # NE keeps its own close-up scale: its rise is a few percent at most doses
        ax.legend(loc="best")
        ax.set_title(f"Synaptic {name} at the spinal terminals")
    return fig


def inhibition_figure(res: Results) -> Figure:
    """Weekly mean restored descending inhibition (median and interquartile band)."""
    fig, ax = _figure(size=(8.0, 4.0))
    for d, main in _drugs(res):
        inh = d.trial.courses.inhibition
        _band(ax, np.arange(1, inh.shape[1] + 1), inh, _colour(d), _DASH[main], _name(d))
    ax.axhline(0.0, color=PALETTE["grey"], lw=0.8, ls=":")
    ax.set_xlabel("week of treatment")
    ax.set_ylabel("restored descending inhibition")
    ax.legend(loc="best")
    ax.set_title("Dorsal-horn inhibition")
    return fig


def responders_figure(res: Results) -> Figure:
    """Responder fraction per week, drug arm(s) against placebo."""
    fig, ax = _figure(size=(8.0, 4.0))
    s = res.settings
    for d, main in _drugs(res):
        t = d.trial
        w = np.arange(1, t.weeks + 1)
        ax.plot(w, t.responders_drug * 100, color=_colour(d), ls=_DASH[main], marker="o", ms=4, lw=1.8,
                label=_name(d))
    t = res.main.trial
    ax.plot(np.arange(1, t.weeks + 1), t.responders_placebo * 100, color=CLASS_COLOURS["placebo"], marker="o",
            ms=4, lw=1.8, label="placebo")
    ax.set_xlabel("week of treatment")
    ax.set_ylabel(f"responders, {OUTCOMES[s.outcome]} (%)")
    ax.set_ylim(bottom=0)
    ax.legend(loc="best")
    ax.set_title(f"Virtual trial, {s.n_per_arm} patients per arm, {CONDITIONS[s.condition]}")
    return fig


def nnt_figure(res: Results) -> Figure:
    """Simulated NNT with its 95 % interval next to the reported NNTs that include the drug."""
    rows: list[tuple[str, float | None, float | None, float | None, str]] = []
    outcome = res.settings.outcome
    for d, _main in _drugs(res):
        t = d.trial
        rows.append((f"simulated: {_name(d)}", t.nnt, t.nnt_ci_low, t.nnt_ci_high, _colour(d)))
    hidden = 0
    for d, main in _drugs(res):
        for r in d.reported:
            if r.get("outcome") != outcome:  # an NNT for another responder rule is another number
                hidden += 1
                continue
            ci = r.get("nnt_ci") or (None, None)
            doses = ", ".join(f"{a['drug']} {a['dose_mg_per_day']:g}" for a in r["arms"])
            rows.append((f"{r['key']} ({doses})", float(r["nnt"]), ci[0], ci[1],
                         PALETTE["grey"] if main else "#b3b3b3"))
    fig, ax = _figure(size=(8.0, max(3.0, 0.9 + 0.28 * len(rows))))
    y = np.arange(len(rows))[::-1]
    for yi, (_label, nnt, lo, hi, colour) in zip(y, rows, strict=True):
        if nnt is None:
            ax.text(1.05, yi, "not better than placebo", va="center", fontsize=8, color=colour)
            continue
        if lo is not None and hi is not None:
            ax.plot([lo, hi], [yi, yi], color=colour, lw=1.6)
        ax.plot([nnt], [yi], "o", color=colour, ms=6)
    ax.set_yticks(y, [r[0] for r in rows], fontsize=8)
    ax.set_xlim(1, 100)  # before the log scale: an empty axis's default (0, 1) has no logarithm
    ax.set_xscale("log")
    ax.set_xticks([1, 2, 3, 5, 10, 20, 50, 100], ["1", "2", "3", "5", "10", "20", "50", "100"])
    other = "" if not hidden else f"\n({hidden} reported for another responder rule not shown)"
    ax.set_xlabel(f"NNT, {OUTCOMES[outcome]} (patients){other}")
    ax.set_title("NNT: this virtual trial and reported ones (grey)")
    return fig


_BUILDERS: dict[str, Callable[[Results], Figure]] = {
    "pk": pk_figure, "occupancy": occupancy_figure, "synapse": synapse_figure,
    "inhibition": inhibition_figure, "responders": responders_figure, "nnt": nnt_figure,
}
assert set(_BUILDERS) == set(VIEWS) == set(CAPTIONS)


def view_figure(res: Results, view: str | None = None) -> Figure:
    """The figure of ``view`` (default: the settings' view) for computed results."""
    with style():  # labels and legends take their fonts from the rcParams when they are made
        return _BUILDERS[view or res.settings.view](res)


def render(fig: Figure, fmt: str = "png", dpi: int = 150) -> bytes:
    """``fig`` as PNG or SVG bytes (the export buttons)."""
    import io

    buf = io.BytesIO()
    with style():
        fig.savefig(buf, format=fmt, dpi=dpi if fmt == "png" else None)
    return buf.getvalue()
