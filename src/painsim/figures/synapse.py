"""The synapse: one release event with and without transporter block; acute vs chronic dosing."""

from __future__ import annotations

import numpy as np

from painsim.figures.style import PALETTE, new_figure
from painsim.library import load_drug
from painsim.physiology import load_physiology
from painsim.reference import patient_course
from painsim.regimen import Regimen
from painsim.synapse import clearance_time_constant, single_release_event, synapse_params

__all__ = ["acute_vs_chronic", "release_event"]


def release_event(transmitter: str = "serotonin", occupancies=(0.0, 0.5, 0.8, 0.9)):
    """Clearance of one release event: the time constant grows as 1/(1 − occupancy)."""
    p = synapse_params(load_physiology(), transmitter)
    fig, ax = new_figure(size=(5.0, 3.4))
    colours = [PALETTE["black"], PALETTE["sky"], PALETTE["blue"], PALETTE["vermillion"]]
    for occ, c in zip(occupancies, colours, strict=False):
        t, r = single_release_event(p, occ, t_end_s=15.0)
        tau = clearance_time_constant(p, occ)
        ax.plot(t, r, color=c, lw=1.6, label=f"{occ:.0%} blocked (τ = {tau:.1f} s)")
    name = {"serotonin": "5-HT", "norepinephrine": "NE"}[transmitter]
    ax.set_xlabel("time after release (s)")
    ax.set_ylabel(f"extracellular {name} (× baseline)")
    ax.set_title(f"One {name} release event and its clearance")
    ax.legend()
    return fig


def acute_vs_chronic(drug_name: str = "paroxetine", mg_per_day: float = 20.0, days: int = 28):
    """Autoreceptor feedback and its slow desensitisation: firing drops on day 1 and recovers over
    weeks while extracellular 5-HT keeps rising; NE firing does not recover (α2A)."""
    drug = load_drug(drug_name)
    t = np.arange(0.0, 24.0 * days + 1, 3.0)
    ds = patient_course(drug, Regimen.daily(mg_per_day, days=days, interval=drug.dosing.interval.value), t)
    fig, axes = new_figure(1, 2, size=(8.0, 3.2))
    d = t / 24.0
    axes[0].plot(d, ds.firing_5ht, color=PALETTE["orange"], label="raphe 5-HT neurons")
    axes[0].plot(d, ds.firing_ne, color=PALETTE["green"], label="locus coeruleus")
    axes[0].plot(d, ds.desensitisation_5ht, color=PALETTE["orange"], ls="--", label="5-HT1A desensitisation")
    axes[0].set_xlabel("time (days)")
    axes[0].set_ylabel("firing (× baseline) / desensitisation (fraction)")
    axes[0].legend()
    axes[1].plot(d, ds.ratio_5ht, color=PALETTE["orange"], label="5-HT")
    axes[1].plot(d, ds.ratio_ne, color=PALETTE["green"], label="NE")
    axes[1].set_xlabel("time (days)")
    axes[1].set_ylabel("spinal extracellular level (× baseline)")
    axes[1].legend()
    fig.suptitle(f"{drug.display_name} {mg_per_day:g} mg/day: acute feedback, chronic desensitisation")
    return fig
