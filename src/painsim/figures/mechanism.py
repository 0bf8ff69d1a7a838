"""The descending pathways (a teaching schematic) and dorsal-horn inhibition over time by class."""

from __future__ import annotations

import numpy as np

from painsim.calibration import load_calibration
from painsim.chain import chain
from painsim.figures.style import CLASS_COLOURS, PALETTE, new_figure
from painsim.library import load_drug
from painsim.physiology import load_physiology
from painsim.pk import theta
from painsim.regimen import Regimen
from painsim.simulate import run_fast

__all__ = ["inhibition_by_class", "mechanism_schematic"]


def _box(ax, x, y, w, h, text, colour, *, fontsize=8):
    from matplotlib.patches import FancyBboxPatch

    ax.add_patch(FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.02,rounding_size=0.03",
                                fc=colour, ec="k", lw=0.8, alpha=0.9))
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=fontsize, wrap=True)


def _arrow(ax, x0, y0, x1, y1, colour, *, text=None, style="-|>", lw=1.6, ha="left"):
    ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                arrowprops={"arrowstyle": style, "color": colour, "lw": lw, "shrinkA": 2, "shrinkB": 2})
    if text:
        dx = 0.01 if ha == "left" else -0.01
        ax.text((x0 + x1) / 2 + dx, (y0 + y1) / 2, text, fontsize=7, color=colour, va="center", ha=ha)


def mechanism_schematic():
    """Descending pain modulation and where SERT/NET blockers act (drawn with matplotlib).

    Brainstem: PAG → RVM raphe (5-HT) and locus coeruleus (NE), each with a somatodendritic
    autoreceptor (5-HT1A, α2A). Spinal dorsal horn: the primary afferent (C fibre) synapse on a
    projection neuron, the descending 5-HT and NE terminals, their transporters (SERT, NET) and
    the receptors they act on (α2: inhibitory; 5-HT1/7: inhibitory; 5-HT3: facilitatory).
    """
    fig, ax = new_figure(size=(7.5, 5.5))
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.axis("off")
    # brainstem
    _box(ax, 0.38, 0.86, 0.24, 0.09, "PAG\n(periaqueductal grey)", "#EEEEEE")
    _box(ax, 0.08, 0.66, 0.30, 0.11, "RVM raphe 5-HT neurons\n5-HT1A autoreceptor", "#FCE3B6")
    _box(ax, 0.62, 0.66, 0.30, 0.11, "Locus coeruleus NE neurons\nα2A autoreceptor", "#C7EBDD")
    _arrow(ax, 0.45, 0.86, 0.25, 0.77, PALETTE["black"])
    _arrow(ax, 0.55, 0.86, 0.75, 0.77, PALETTE["black"])
    # descending axons
    _arrow(ax, 0.23, 0.66, 0.36, 0.40, PALETTE["orange"], text="descending 5-HT", lw=2.2, ha="right")
    _arrow(ax, 0.77, 0.66, 0.64, 0.40, PALETTE["green"], text="descending NE", lw=2.2)
    # dorsal horn
    _box(ax, 0.05, 0.05, 0.90, 0.33, "", "#F4F4F4")
    ax.text(0.07, 0.35, "spinal dorsal horn", fontsize=8, style="italic")
    _box(ax, 0.08, 0.15, 0.20, 0.09, "primary afferent\n(C fibre, amplified in\nneuropathic pain)", "#DDDDFF",
         fontsize=7)
    _box(ax, 0.70, 0.15, 0.22, 0.09, "projection neuron\n→ brain (pain)", "#FFD6D6", fontsize=7)
    _arrow(ax, 0.28, 0.165, 0.70, 0.165, PALETTE["vermillion"], lw=2.0)
    ax.text(0.49, 0.145, "glutamate, substance P", fontsize=7, color=PALETTE["vermillion"], ha="center", va="top")
    _box(ax, 0.30, 0.26, 0.14, 0.07, "5-HT terminal\nSERT", "#FCE3B6", fontsize=7)
    _box(ax, 0.53, 0.26, 0.14, 0.07, "NE terminal\nNET", "#C7EBDD", fontsize=7)
    ax.text(0.37, 0.232, "5-HT1/7 inhibit\n5-HT3 facilitate", fontsize=6.5, color=PALETTE["orange"],
            ha="center", va="top")
    ax.text(0.60, 0.232, "α2 inhibit (pre- and\npostsynaptic)", fontsize=6.5, color=PALETTE["green"],
            ha="center", va="top")
    # drug
    _box(ax, 0.40, 0.48, 0.20, 0.08, "reuptake inhibitor\nblocks SERT / NET", "#FFFFFF")
    _arrow(ax, 0.45, 0.48, 0.38, 0.345, PALETTE["blue"], style="-[", lw=1.4)
    _arrow(ax, 0.55, 0.48, 0.60, 0.345, PALETTE["blue"], style="-[", lw=1.4)
    ax.text(0.5, 0.60, "more 5-HT and NE → autoreceptors cut firing (acute);\n"
            "5-HT1A desensitises over weeks, α2A does not", ha="center", fontsize=7)
    ax.set_title("Descending pain modulation and where SNRIs act")
    return fig


def inhibition_by_class(examples=(("duloxetine", 60.0), ("paroxetine", 20.0), ("reboxetine", 8.0),
                                  ("amitriptyline", 75.0)), *, weeks: int = 12):
    """Weekly mean restored inhibition of the typical patient, one drug per class."""
    phys, cal = load_physiology(), load_calibration()
    fig, ax = new_figure(size=(5.5, 3.4))
    w = np.arange(1, weeks + 1)
    for name, dose in examples:
        drug = load_drug(name)
        ch = chain(drug, phys, cal)
        reg = Regimen.daily(dose, days=7 * weeks, interval=drug.dosing.interval.value)
        inh = run_fast(ch, theta(drug)[None, :], reg, weeks).inhibition[0]
        ax.plot(w, inh, marker="o", ms=3, color=CLASS_COLOURS[drug.drug_class],
                label=f"{drug.display_name} {dose:g} mg ({drug.drug_class})")
    ax.set_xlabel("time on treatment (weeks)")
    ax.set_ylabel("restored descending inhibition I (fraction)")
    ax.set_ylim(0.0, 1.0)
    ax.legend(loc="lower right", ncols=2, fontsize=7)
    ax.set_title("Dorsal-horn inhibition by class (typical patient)")
    return fig
