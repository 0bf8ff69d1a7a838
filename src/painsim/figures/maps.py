"""The selectivity map (NNT over the SERT × NET occupancy plane, drugs placed on it) and the
sensitivity indices."""

from __future__ import annotations

import numpy as np
from matplotlib.colors import LogNorm
from matplotlib.ticker import FormatStrFormatter, NullFormatter

from painsim.figures.style import CLASS_COLOURS, PALETTE, new_figure
from painsim.library import load_drug
from painsim.occupancy import steady_state_occupancy

__all__ = ["selectivity_map", "sensitivity_bars"]

MAP_DRUGS = ("duloxetine", "venlafaxine", "milnacipran", "desvenlafaxine", "paroxetine", "citalopram",
             "sertraline", "reboxetine", "atomoxetine", "amitriptyline", "nortriptyline", "desipramine")


def selectivity_map(*, n_grid: int = 11, patients: int = 500, seed: int = 1, weeks: int = 12,
                    drugs=MAP_DRUGS):
    """NNT (≥ 50 % relief, 12 weeks, DPN) of an idealised inhibitor with fixed SERT and NET
    occupancy, with each drug placed at its steady-state mean occupancy at its minimum
    therapeutic dose."""
    from painsim.sweep import parse_experiment, run_sweep

    top = 0.95
    text = f"""
dialect = "painsim-experiment/1"
[experiment]
name = "selectivity_map_figure"
seed = {seed}
trials = 1
patients = {patients}
weeks = {weeks}
outcomes = ["50pct"]
report_weeks = [{weeks}]
[idealised]
label = "idealised"
[parameters]
"occupancy.sert" = {{ start = 0.0, stop = {top}, num = {n_grid} }}
"occupancy.net" = {{ start = 0.0, stop = {top}, num = {n_grid} }}
"""
    ds = run_sweep(parse_experiment(text))
    rd = (ds.p_drug - ds.p_placebo).isel(drug=0, trial=0, outcome=0, week=0)
    sert = ds["occupancy.sert"].values * 100
    net = ds["occupancy.net"].values * 100
    nnt = np.where(rd.values > 0, 1.0 / np.maximum(rd.values, 1e-9), np.nan)
    fig, ax = new_figure(size=(5.8, 4.6))
    levels = [2, 3, 4, 5, 7, 10, 15, 25, 50]
    # colours on a log scale of the NNT itself, so that the colour bar reads in patients
    mesh = ax.pcolormesh(net, sert, np.clip(nnt, 1, 100), cmap="viridis_r", shading="nearest",
                         norm=LogNorm(vmin=1.5, vmax=60), edgecolors="face", linewidth=0.2)
    cs = ax.contour(net, sert, nnt, levels=levels, colors="w", linewidths=0.7)
    ax.clabel(cs, fmt="%g", fontsize=7)
    cbar = fig.colorbar(mesh, ax=ax, ticks=levels)
    cbar.ax.yaxis.set_major_formatter(FormatStrFormatter("%g"))
    cbar.ax.yaxis.set_minor_formatter(NullFormatter())
    cbar.set_label("NNT (patients; log colour scale)")
    for name in drugs:
        drug = load_drug(name)
        dose = drug.dosing.reference_dose
        occ = steady_state_occupancy(drug, dose)
        ax.scatter(occ["net"].mean * 100, occ["sert"].mean * 100, color=CLASS_COLOURS[drug.drug_class],
                   edgecolor="k", s=28, zorder=3)
        ax.annotate(drug.display_name, (occ["net"].mean * 100, occ["sert"].mean * 100), fontsize=6.5,
                    xytext=(3, 3), textcoords="offset points", color="w")
    ax.set_xlabel("NET occupancy (%)")
    ax.set_ylabel("SERT occupancy (%)")
    ax.set_title("Selectivity map: NNT of an idealised inhibitor\n(dots: drugs at their minimum therapeutic dose)")
    return fig


def sensitivity_bars(ds, output: str | None = None):
    """Sobol' first-order and total indices and the normalised Morris μ* of one output, from
    :func:`painsim.sensitivity.run_sensitivity`."""
    names = [str(p) for p in ds["parameter"].values]
    if output is None and "output" in ds.dims:
        output = str(ds["output"].values[0])
    sel = {"output": output} if output is not None and "output" in ds.dims else {}
    fig, ax = new_figure(size=(6.0, 0.35 * len(names) + 1.4))
    y = np.arange(len(names))
    series = []
    if "sobol_S1" in ds:
        series += [(ds["sobol_S1"].sel(sel).values, PALETTE["blue"], -0.22, "Sobol' S1"),
                   (ds["sobol_ST"].sel(sel).values, PALETTE["orange"], 0.0, "Sobol' ST")]
    if "morris_mu_star" in ds:
        mu = ds["morris_mu_star"].sel(sel).values
        series.append((mu / np.nanmax(np.abs(mu)) if np.nanmax(np.abs(mu)) > 0 else mu, PALETTE["green"], 0.22,
                       "Morris μ* / max"))
    for vals, colour, off, label in series:
        ax.barh(y + off, vals, height=0.2, color=colour, label=label)
    ax.set_yticks(y, names, fontsize=7)
    ax.set_xlabel("sensitivity index (1)")
    ax.set_ylabel("parameter (dotted name)")
    if series:
        # below the axes: beside the bars it would cover the longest ones
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.28), ncols=len(series), fontsize=7, frameon=False)
    what = {"difference": "the drug − placebo responder difference", "p_drug": "the drug-arm responder rate",
            "nnt": "the NNT"}.get(output or "", output or "the output")
    ax.set_title(f"Sensitivity of {what}")
    return fig
