"""The shared figure style: a colour-blind-safe palette (Okabe & Ito), consistent fonts, and
saving to SVG, PDF and 300-dpi PNG."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

import matplotlib as mpl

__all__ = ["CLASS_COLOURS", "PALETTE", "TARGET_COLOURS", "new_figure", "save", "style"]

#: Okabe–Ito colour-blind-safe palette
PALETTE = {
    "black": "#000000", "orange": "#E69F00", "sky": "#56B4E9", "green": "#009E73",
    "yellow": "#F0E442", "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7",
    "grey": "#7F7F7F",
}
CLASS_COLOURS = {"SNRI": PALETTE["blue"], "SSRI": PALETTE["orange"], "NRI": PALETTE["green"],
                 "TCA": PALETTE["purple"], "placebo": PALETTE["grey"]}
TARGET_COLOURS = {"sert": PALETTE["orange"], "net": PALETTE["green"]}

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.titlesize": 10,
    "axes.labelsize": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": mpl.cycler(color=[PALETTE[k] for k in ("blue", "orange", "green", "purple",
                                                                  "vermillion", "sky", "black")]),
    "legend.frameon": False,
    "legend.fontsize": 8,
    "figure.dpi": 100,
    "savefig.bbox": "tight",
    "svg.fonttype": "none",
}


@contextlib.contextmanager
def style() -> Iterator[None]:
    """Context in which painsim's rcParams apply (the caller's settings are restored after)."""
    with mpl.rc_context(RC):
        yield


def new_figure(nrows: int = 1, ncols: int = 1, *, size: tuple[float, float] = (6.0, 3.6), **kw):
    """A figure and axes in the painsim style."""
    import matplotlib.pyplot as plt

    with style():
        fig, axes = plt.subplots(nrows, ncols, figsize=size, layout="constrained", **kw)
    return fig, axes


def save(fig, stem: str | os.PathLike, *, formats: tuple[str, ...] = ("svg", "pdf", "png")) -> list[Path]:
    """Save ``fig`` as ``stem.svg``, ``stem.pdf`` and ``stem.png`` (300 dpi), atomically each
    (:func:`painsim.atomic.atomic_path`: a hidden temporary file with the same extension, renamed)."""
    from painsim.atomic import atomic_path

    stem = Path(stem)
    stem.parent.mkdir(parents=True, exist_ok=True)
    out = []
    with style():
        for fmt in formats:
            target = stem.with_suffix(f".{fmt}")
            with atomic_path(target) as tmp:
                fig.savefig(tmp, format=fmt, dpi=300 if fmt == "png" else None)
            out.append(target)
    return out
