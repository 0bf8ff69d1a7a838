"""PK profiles and occupancy–dose curves."""

from __future__ import annotations

import numpy as np

from painsim.figures.style import PALETTE, TARGET_COLOURS, new_figure
from painsim.library import load_drug
from painsim.occupancy import steady_state_occupancy
from painsim.physiology import load_physiology
from painsim.pk import concentrations
from painsim.population import ARM_DRUG, draw_population
from painsim.regimen import Regimen

__all__ = ["occupancy_dose_curves", "pk_profiles"]


def pk_profiles(drug_names=("duloxetine", "venlafaxine", "amitriptyline"), *, days: int = 7,
                n_patients: int = 200, seed: int = 1):
    """Multiple-dose plasma profiles per drug: parent and metabolites, the typical patient (line)
    and a 90 % band over a virtual population (shaded), each at its minimum therapeutic dose."""
    phys = load_physiology()
    fig, axes = new_figure(1, len(drug_names), size=(3.2 * len(drug_names), 3.0), squeeze=False)
    t = np.linspace(0.0, 24.0 * days, 24 * days * 2 + 1)
    colours = [PALETTE["blue"], PALETTE["vermillion"], PALETTE["green"]]
    for ax, name in zip(axes[0], drug_names, strict=True):
        drug = load_drug(name)
        dose = drug.dosing.reference_dose
        reg = Regimen.daily(dose, days=days, interval=drug.dosing.interval.value)
        typical = concentrations(drug, reg, t)
        pop = draw_population(drug, phys, n_patients, seed=seed, stream=ARM_DRUG)
        all_c = np.array([concentrations(drug, reg, t, th=th) for th in pop.theta])
        lo, hi = np.percentile(all_c, [5, 95], axis=0)
        for j, m in enumerate(drug.moieties):
            c = colours[j % len(colours)]
            ax.fill_between(t / 24.0, lo[:, j], hi[:, j], color=c, alpha=0.2, lw=0)
            ax.plot(t / 24.0, typical[:, j], color=c, lw=1.5, label=m.name)
        ax.set_title(f"{drug.display_name} {dose:g} mg/day")
        ax.set_xlabel("time (days)")
        ax.set_ylabel("plasma concentration (ng/mL)")
        ax.legend(loc="upper left")
    fig.suptitle("Plasma profiles: typical patient and 90 % of a virtual population")
    return fig


def _pet_points(drug, target: str) -> list[tuple[float, float]]:
    pts = []
    for m in drug.moieties:
        for a in m.occupancy[target].anchors:
            if a.at != "single_dose":
                pts.append((a.dose.value, a.occupancy.value))
    return pts


def occupancy_dose_curves(drug_names=("duloxetine", "venlafaxine", "milnacipran", "paroxetine",
                                      "nortriptyline", "amitriptyline"), *, n_doses: int = 25):
    """Steady-state mean SERT and NET occupancy against daily dose; PET data points overlaid
    (the anchors named in each drug file; filled = used to fit the EC50)."""
    fig, axes = new_figure(2, (len(drug_names) + 1) // 2, size=(9.0, 5.2), squeeze=False)
    for ax, name in zip(axes.ravel(), drug_names, strict=False):
        drug = load_drug(name)
        doses = np.linspace(drug.dosing.dose_max.value / n_doses, 1.5 * drug.dosing.dose_max.value, n_doses)
        occ = [steady_state_occupancy(drug, d) for d in doses]
        for target in ("sert", "net"):
            ax.plot(doses, [o[target].mean * 100 for o in occ], color=TARGET_COLOURS[target], lw=1.5,
                    label=target.upper())
            pts = _pet_points(drug, target)
            if pts:
                x, y = zip(*pts, strict=True)
                ax.scatter(x, np.array(y) * 100, color=TARGET_COLOURS[target], edgecolor="k", s=22, zorder=3)
        ax.axvspan(drug.dosing.dose_min.value, drug.dosing.dose_max.value, color="0.9", zorder=0)
        ax.set_title(drug.display_name)
        ax.set_xlabel("dose (mg/day)")
        ax.set_ylabel("occupancy (%)")
        ax.set_ylim(0, 100)
    for ax in axes.ravel()[len(drug_names):]:
        ax.set_visible(False)
    axes.ravel()[0].legend(loc="lower right")
    fig.suptitle("Transporter occupancy at steady state (grey: labelled dose range; dots: PET)")
    return fig
