"""Clinical figures: dose–response, onset, and the NNT forest plot."""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import FixedLocator, FormatStrFormatter, NullFormatter

from painsim.figures.style import CLASS_COLOURS, PALETTE, new_figure
from painsim.library import load_drug
from painsim.trial import newcombe_interval, run_trial

__all__ = ["dose_response", "nnt_forest", "onset"]


def dose_response(drug_name: str = "duloxetine", doses=None, *, weeks: int = 12, n_per_arm: int = 1000,
                  seed: int = 1, outcome: str = "50pct"):
    """Responder rate (drug and placebo) and NNT against dose, with 95 % confidence bands."""
    drug = load_drug(drug_name)
    if doses is None:
        doses = np.linspace(drug.dosing.dose_max.value / 6, 1.5 * drug.dosing.dose_max.value, 6)
    res = [run_trial(drug, d, weeks, n_per_arm=n_per_arm, seed=seed, outcome=outcome) for d in doses]
    fig, axes = new_figure(1, 2, size=(8.0, 3.2))
    pd = np.array([r.p_drug for r in res])
    pp = np.array([r.p_placebo for r in res])
    ci = np.array([newcombe_interval(round(r.p_drug * n_per_arm), n_per_arm, round(r.p_placebo * n_per_arm),
                                     n_per_arm) for r in res])
    axes[0].plot(doses, pd * 100, marker="o", color=CLASS_COLOURS[drug.drug_class], label=drug.display_name)
    axes[0].plot(doses, pp * 100, marker="o", color=CLASS_COLOURS["placebo"], label="placebo")
    axes[0].fill_between(doses, (pp + ci[:, 0]) * 100, (pp + ci[:, 1]) * 100,
                         color=CLASS_COLOURS[drug.drug_class], alpha=0.2, lw=0, label="95 % CI (drug − placebo)")
    axes[0].set_xlabel("dose (mg/day)")
    axes[0].set_ylabel(f"responders, ≥ {outcome[:2]} % relief (%)")
    axes[0].legend()
    nnt = np.array([r.nnt if r.nnt else np.nan for r in res])
    lo = np.array([r.nnt_ci_low if r.nnt_ci_low else np.nan for r in res])
    hi = np.array([r.nnt_ci_high if r.nnt_ci_high else np.nan for r in res])
    axes[1].plot(doses, nnt, marker="o", color=CLASS_COLOURS[drug.drug_class])
    axes[1].fill_between(doses, lo, hi, color=CLASS_COLOURS[drug.drug_class], alpha=0.2, lw=0)
    axes[1].set_xlabel("dose (mg/day)")
    axes[1].set_ylabel("NNT (patients)")
    fig.suptitle(f"{drug.display_name}: dose–response, {weeks}-week virtual trials, {n_per_arm} per arm")
    return fig


def onset(drug_name: str = "duloxetine", mg_per_day: float = 60.0, *, weeks: int = 12, n_per_arm: int = 2000,
          seed: int = 1):
    """Responders by week in both arms: separation from placebo in week 1, sustained to the end."""
    drug = load_drug(drug_name)
    r = run_trial(drug, mg_per_day, weeks, n_per_arm=n_per_arm, seed=seed)
    w = np.arange(1, weeks + 1)
    fig, ax = new_figure(size=(5.0, 3.2))
    ax.plot(w, r.responders_drug * 100, marker="o", color=CLASS_COLOURS[drug.drug_class],
            label=f"{drug.display_name} {mg_per_day:g} mg/day")
    ax.plot(w, r.responders_placebo * 100, marker="o", color=CLASS_COLOURS["placebo"], label="placebo")
    ax.set_xlabel("time on treatment (weeks)")
    ax.set_ylabel("responders, ≥ 50 % relief (%)")
    ax.legend()
    ax.set_title("Onset: weekly responder rates")
    return fig


def nnt_forest(rows):
    """Simulated vs reported NNT with 95 % CIs (from :func:`painsim.validate.validate` rows);
    training rows marked with an open symbol."""
    rows = [r for r in rows if r.simulated and r.reported_nnt is not None and r.sim_nnt is not None]
    fig, ax = new_figure(size=(6.5, 0.28 * len(rows) + 1.2))
    for i, r in enumerate(rows[::-1]):
        y = i
        if r.reported_ci:
            ax.plot(r.reported_ci, [y + 0.15] * 2, color=PALETTE["black"], lw=1.2)
        ax.plot(r.reported_nnt, y + 0.15, "s", color=PALETTE["black"], ms=4,
                mfc="white" if r.training else PALETTE["black"])
        if r.sim_ci[0] is not None:
            ax.plot(r.sim_ci, [y - 0.15] * 2, color=PALETTE["blue"], lw=1.2)
        ax.plot(r.sim_nnt, y - 0.15, "o", color=PALETTE["blue"], ms=4,
                mfc="white" if r.training else PALETTE["blue"])
    ax.set_yticks(range(len(rows)), [r.key for r in rows[::-1]], fontsize=6.5)
    ax.set_xscale("log")
    # plain NNT numbers at readable spacing (matplotlib's minor log labels "3×10⁰ 4×10⁰" collide)
    ax.xaxis.set_major_locator(FixedLocator([1, 2, 3, 5, 10, 20, 50]))
    ax.xaxis.set_major_formatter(FormatStrFormatter("%g"))
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("NNT (patients, log scale)")
    ax.set_ylabel("reported outcome (row key)")
    ax.set_title("NNT: reported (black squares) vs simulated (blue)\nopen symbols: training rows", fontsize=9)
    return fig
