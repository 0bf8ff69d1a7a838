"""painsim.validate: every reported outcome next to its simulation, and the counts the docs state."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from painsim.validate import counts, counts_line, rows_csv, validate

DOCS = Path(__file__).resolve().parents[2] / "docs" / "model.md"


@pytest.fixture(scope="module")
def rows():
    return validate()  # the defaults the docs quote: 2000 patients per arm, seed 7


def test_the_validation_count_does_not_fall_below_what_the_docs_state(rows):
    text = DOCS.read_text(encoding="utf-8")
    stated = re.search(r"validation rows inside their reported interval: (\d+) of (\d+)", text)
    assert stated, "docs/model.md must state the validation count"
    inside, total = counts(rows)["validation"]
    assert total == int(stated.group(2)), "the number of validation rows changed: update docs/model.md"
    assert inside >= int(stated.group(1)), counts_line(rows)


def test_counts_and_csv_cover_every_row(rows):
    c = counts(rows)
    with_ci = [r for r in rows if r.simulated and r.reported_ci is not None]
    assert c["training"][1] + c["validation"][1] == len(with_ci)
    assert all(r.verdict in ("inside", "outside") for r in with_ci)
    text = rows_csv(rows)
    assert text.count("\n") == len(rows) + 1 and text.startswith("key,what,training")


def test_model_intervals_and_their_verdicts():
    keys = ["lunn2009_dlx_dpn_30", "sindrup2005_snri_pnp", "arakawa2015_placebo_dpn_50"]
    rows = validate(n_per_arm=300, seed=3, keys=keys, model_draws=6)
    by = {r.key: r for r in rows}
    for key in keys[:2]:
        r = by[key]
        assert r.model is not None and r.model.n_draws == 6
        lo, hi = r.model.rd_total
        # the reported NNT interval as a risk-difference interval, compared by hand
        rep_lo, rep_hi = 1 / r.reported_ci[1], 1 / r.reported_ci[0]
        assert r.model_verdict == ("overlaps" if lo <= rep_hi and hi >= rep_lo else "disjoint")
        d = r.as_dict()
        assert d["sim_rd_model_low"] == lo and d["model_verdict"] == r.model_verdict
    # a placebo-only row has no drug arm to put an interval on
    assert by[keys[2]].model is None and by[keys[2]].model_verdict == ""
    # without draws: no interval, and the point verdicts are those of the same call with draws
    plain = {r.key: r for r in validate(n_per_arm=300, seed=3, keys=keys)}
    assert all(plain[k].model is None and plain[k].verdict == by[k].verdict for k in keys)


def test_predictions_cover_the_nris_with_model_intervals():
    from painsim.library import drug_names, load_drug
    from painsim.validate import PREDICTED_CLASSES, predictions

    preds = predictions(n_per_arm=200, seed=2, model_draws=4, weeks=4)
    nris = sorted(n for n in drug_names() if load_drug(n).drug_class in PREDICTED_CLASSES)
    assert sorted(p.drug for p in preds) == nris and nris
    for p in preds:
        lo, hi = p.model.rd_total
        assert lo <= p.p_drug - p.p_placebo <= hi and p.model.n_draws == 4
    with pytest.raises(ValueError, match="model_draws"):
        predictions(model_draws=0)


def test_every_validation_row_says_whether_it_pools_a_training_trial(rows):
    sim = [r for r in rows if r.simulated and not r.training and r.reported_nnt is not None]
    assert sim and all(r.overlaps_training in ("yes", "no", "unknown") for r in sim)
    c = counts(rows)
    independent = [r for r in rows if r.simulated and r.reported_ci is not None and not r.training
                   and r.overlaps_training == "no"]
    assert c["independent"] == (sum(r.verdict == "inside" for r in independent), len(independent))
    inside, total = c["independent"]
    assert f"validation rows free of training trials: {inside} of {total}" in counts_line(rows)


def test_a_validation_row_without_its_overlap_is_refused(tmp_path):
    from painsim.modelfile import ModelFileError, models_dir
    from painsim.reported import load_reported_outcomes

    text = (models_dir() / "reported_outcomes.toml").read_text(encoding="utf-8")
    bad = tmp_path / "reported.toml"
    bad.write_text(text.replace('overlaps_training = "yes"\n', "", 1), encoding="utf-8")
    with pytest.raises(ModelFileError, match=r"overlaps_training: required on a simulated validation row"):
        load_reported_outcomes(bad)
