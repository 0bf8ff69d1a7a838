"""Sindrup, Otto, Finnerup & Jensen 2005 (Basic Clin Pharmacol Toxicol 96:399): in peripheral
neuropathic pain the NNT for >= 50 % relief is ~7 with SSRIs against ~4–5 with SNRIs — NE
reuptake inhibition matters.

Two claim experiments at the report's population size: duloxetine with its NET (or SERT) effect
knocked out (``painsim.experiments.sindrup2005_noradrenergic_component``), and each SSRI at its
minimum therapeutic dose against duloxetine and venlafaxine
(``painsim.experiments.sindrup2005_ssri_vs_snri``).
"""

from __future__ import annotations

import math

import pytest

from ._shared import finding

pytestmark = pytest.mark.validation


@pytest.mark.xfail(strict=True, raises=AssertionError, reason=(
    "finding: with duloxetine's measured NET occupancy (31 % at 60 mg) and the weights that carry "
    "duloxetine, the SNRI class and the SSRIs (w_NE 1.55, w_5HT 2.94), the serotonergic arm carries "
    "the analgesia: without NET duloxetine keeps ~76 % of its effect over placebo, without SERT "
    "~17 %. The model does not support an essential noradrenergic component"))
def test_sindrup2005_noradrenergic_component_is_essential():
    f = finding("sindrup2005_noradrenergic_component")
    assert f.values["difference_no_net"] < 0.5 * f.values["difference_full"]
    # without SERT the drug keeps most of its effect: the NE arm carries the analgesia
    assert f.values["difference_no_sert"] > 0.5 * f.values["difference_full"]
    assert f.supported


def test_sindrup2005_ssris_weaker_than_snris():
    f = finding("sindrup2005_ssri_vs_snri")
    ssri = [v for k, v in f.values.items() if k.split("_", 1)[1] in
            ("paroxetine", "citalopram", "escitalopram", "sertraline", "fluoxetine")]
    assert len(ssri) == 5 and all(math.isfinite(v) for v in ssri)
    assert max(ssri) < min(f.values["difference_duloxetine"], f.values["difference_venlafaxine"])
    assert f.supported
