"""Every figure renders with the Agg backend and its data axes carry labels with the expected units,
and the plotted data are on the scale those units name (a fraction on a % axis, hours on a days
axis would fail)."""

from __future__ import annotations

import re

import matplotlib
import numpy as np

matplotlib.use("Agg")

import pytest

from painsim import figures
from painsim.validate import validate

UNIT = re.compile(r"\(([^()]+)\)")

#: per figure, per data axis: (units in the x label, units in the y label), each the tuple of the
#: label's parenthesised parts in order
UNITS = {
    "pk": [(("days",), ("ng/mL",))] * 2,
    "occupancy": [(("mg/day",), ("%",))] * 2,
    "release": [(("s",), ("× baseline",))],
    "acute_chronic": [(("days",), ("× baseline", "fraction")), (("days",), ("× baseline",))],
    "inhibition": [(("weeks",), ("fraction",))],
    "dose_response": [(("mg/day",), ("%",)), (("mg/day",), ("patients",))],
    "onset": [(("weeks",), ("%",))],
    "forest": [(("patients, log scale",), ("row key",))],
}

#: the x range each figure was asked for, in the x label's unit (days, weeks or mg/day)
X_RANGE = {"pk": (0.0, 3.0), "acute_chronic": (0.0, 7.0), "inhibition": (1.0, 2.0),
           "dose_response": (30.0, 60.0), "onset": (1.0, 2.0), "release": (0.0, 15.0)}


def _check_axes(fig, name):
    data_axes = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    units = [(tuple(UNIT.findall(ax.get_xlabel())), tuple(UNIT.findall(ax.get_ylabel()))) for ax in data_axes]
    assert units == UNITS[name], [(ax.get_xlabel(), ax.get_ylabel()) for ax in data_axes]
    for ax in data_axes:
        lines = [ln for ln in ax.lines if len(ln.get_xdata()) > 1]
        if name in X_RANGE:
            x = np.concatenate([np.asarray(ln.get_xdata(), float) for ln in lines])
            assert (np.nanmin(x), np.nanmax(x)) == pytest.approx(X_RANGE[name]), ax.get_xlabel()
        if UNIT.findall(ax.get_ylabel()) == ["%"]:
            y = np.concatenate([np.asarray(ln.get_ydata(), float) for ln in lines])
            # percent, not a fraction: inside 0-100 and above 1 somewhere
            assert np.all((y >= 0) & (y <= 100)) and np.nanmax(y) > 1, ax.get_ylabel()
    return data_axes


@pytest.mark.parametrize("make", [
    lambda: figures.pk_profiles(("duloxetine", "venlafaxine"), days=3, n_patients=20),
    lambda: figures.occupancy_dose_curves(("duloxetine", "milnacipran"), n_doses=5),
    lambda: figures.release_event(),
    lambda: figures.acute_vs_chronic(days=7),
    lambda: figures.inhibition_by_class(weeks=2),
    lambda: figures.dose_response(doses=[30.0, 60.0], weeks=2, n_per_arm=100),
    lambda: figures.onset(weeks=2, n_per_arm=100),
], ids=["pk", "occupancy", "release", "acute_chronic", "inhibition", "dose_response", "onset"])
def test_figure_renders_with_units(make, tmp_path, request):
    fig = make()
    assert _check_axes(fig, request.node.callspec.id)
    paths = figures.save(fig, tmp_path / "fig")
    assert {p.suffix for p in paths} == {".svg", ".pdf", ".png"} and all(p.stat().st_size > 0 for p in paths)


def test_forest_plot_from_validation_rows():
    rows = validate(n_per_arm=100, keys=["lunn2014_dlx60_dpn_50", "finnerup2015_tca_np_50", "nice_snri_np_50"])
    fig = figures.nnt_forest(rows)
    _check_axes(fig, "forest")


def test_schematic_is_labelled():
    fig = figures.mechanism_schematic()
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    for word in ("SERT", "NET", "α2", "5-HT1A", "projection neuron", "primary afferent", "locus coeruleus".title()):
        assert word.lower() in texts.lower()
