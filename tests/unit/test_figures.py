"""Every figure renders with the Agg backend and its data axes carry labels with units."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import pytest

from painsim import figures
from painsim.validate import validate

UNIT = re.compile(r"\(.+\)")


def _check_axes(fig):
    data_axes = [ax for ax in fig.axes if ax.get_visible() and ax.axison]
    for ax in data_axes:
        assert UNIT.search(ax.get_xlabel()), f"x label without unit: {ax.get_xlabel()!r}"
        assert UNIT.search(ax.get_ylabel()), f"y label without unit: {ax.get_ylabel()!r}"
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
def test_figure_renders_with_units(make, tmp_path):
    fig = make()
    assert _check_axes(fig)
    paths = figures.save(fig, tmp_path / "fig")
    assert {p.suffix for p in paths} == {".svg", ".pdf", ".png"} and all(p.stat().st_size > 0 for p in paths)


def test_forest_plot_from_validation_rows():
    rows = validate(n_per_arm=100, keys=["lunn2014_dlx60_dpn_50", "finnerup2015_tca_np_50", "nice_snri_np_50"])
    fig = figures.nnt_forest(rows)
    _check_axes(fig)


def test_schematic_is_labelled():
    fig = figures.mechanism_schematic()
    texts = " ".join(t.get_text() for t in fig.axes[0].texts)
    for word in ("SERT", "NET", "α2", "5-HT1A", "projection neuron", "primary afferent", "locus coeruleus".title()):
        assert word.lower() in texts.lower()
