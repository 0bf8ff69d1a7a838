"""Discontinuation for adverse events and the responder analyses (painsim.discontinuation)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from painsim.calibration import load_calibration
from painsim.cli import main
from painsim.discontinuation import NO_DROPOUT, Dropout, load_discontinuation
from painsim.library import load_drug
from painsim.modelfile import ModelFileError, models_dir
from painsim.physiology import load_physiology
from painsim.population import baseline_quantiles, draw_patients
from painsim.reported import load_reported_outcomes
from painsim.response import OUTCOMES, expected_placebo_rate, trial_placebo_mu, within_patient_sd
from painsim.trial import arm_dropouts, run_trial


def test_shipped_rates_are_the_sourced_ones():
    table = load_discontinuation()
    # Frisaldi 2024: 5.1 % of placebo patients left for adverse events; Skljarevski 2012 table 4:
    # 37/344 on duloxetine 60 mg vs 17/339 on placebo; Kajdasz 2007: NNH 8.8 at 120 mg
    assert table.placebo == pytest.approx(0.051)
    assert table.drug_fraction("duloxetine", 60) == pytest.approx(0.051 + 37 / 344 - 17 / 339, abs=1e-4)
    assert table.drug_fraction("duloxetine", 120) == pytest.approx(0.051 + 1 / 8.8, abs=1e-3)
    assert table.drug_fraction("duloxetine", 90) == pytest.approx(
        (table.drug_fraction("duloxetine", 60) + table.drug_fraction("duloxetine", 120)) / 2)
    assert table.onset_weeks == 4


@pytest.mark.parametrize(("drug", "dose", "match"), [("amitriptyline", 75, "no sourced discontinuation rate"),
                                                      ("duloxetine", 150, "sourced up to 120 mg/day")])
def test_unsourced_drug_or_dose_is_refused(drug, dose, match):
    with pytest.raises(ValueError, match=match):
        arm_dropouts(load_drug(drug), dose, "bocf")
    # nothing is refused without discontinuation
    assert arm_dropouts(load_drug(drug), dose, "none") == (NO_DROPOUT, NO_DROPOUT)


def test_crossover_and_unknown_analysis_are_refused():
    with pytest.raises(ValueError, match="parallel trials only"):
        arm_dropouts(load_drug("duloxetine"), 60, "locf", "crossover")
    with pytest.raises(ValueError, match="analysis must be one of"):
        arm_dropouts(load_drug("duloxetine"), 60, "lcf")


def _pop(n=200_000, seed=5):
    return draw_patients(load_physiology(), n, seed=seed, stream=1)


def test_dropout_weeks_are_per_patient_reproducible_and_nested():
    pop = _pop(50_000)
    lo = Dropout(0.10, 4, "bocf").weeks_of(pop)
    hi = Dropout(0.20, 4, "bocf").weeks_of(pop)
    again = Dropout(0.10, 4, "bocf").weeks_of(_pop(20_000))
    assert np.array_equal(lo[:20_000], again)  # patient i's fate depends on (seed, stream, i) only
    assert np.all(hi[lo > 0] > 0)  # a higher rate adds patients, it moves none out
    assert abs((lo > 0).mean() - 0.10) < 0.005
    # spread evenly over weeks 1-4
    counts = np.bincount(lo[lo > 0], minlength=5)[1:]
    assert np.all(np.abs(counts / counts.sum() - 0.25) < 0.02)


@pytest.mark.parametrize("analysis", ["none", "locf", "bocf", "completers"])
def test_expected_rate_matches_the_counted_rate(analysis):
    # responder flags that rise over 6 weeks, independent of discontinuation
    pop = _pop()
    rng = np.random.default_rng(3)
    p_week = np.array([0.05, 0.15, 0.25, 0.32, 0.38, 0.40])
    flags = rng.random((pop.size, 6)) < p_week[None, :]
    drop = Dropout(0.15, 4, analysis)
    k, n = drop.analyse(flags, drop.weeks_of(pop))
    for w in (1, 3, 6):
        expected = drop.expected_rate(lambda t: 0.0 if t == 0 else float(p_week[t - 1]), w)
        assert k[w - 1] / n[w - 1] == pytest.approx(expected, abs=0.004)


def test_analyses_order_as_moore_and_kajdasz_report():
    # LOCF counts early responders that BOCF does not: LOCF >= BOCF, and both below completers
    # for a rising response
    pop = _pop(50_000)
    flags = np.tile([False, False, True, True, True, True], (pop.size, 1))
    rates = {}
    for a in ("locf", "bocf", "completers"):
        drop = Dropout(0.2, 4, a)
        k, n = drop.analyse(flags, drop.weeks_of(pop))
        rates[a] = k[-1] / n[-1]
    assert rates["bocf"] < rates["locf"] < rates["completers"] == 1.0
    # of the leavers (spread over weeks 1-4), those of week 4 were observed through week 3, when
    # they responded: they count under LOCF, not under BOCF
    assert rates["locf"] - rates["bocf"] == pytest.approx(0.2 * 1 / 4, abs=0.01)


def test_placebo_location_reaches_the_analysed_target():
    phys, cal = load_physiology(), load_calibration()
    thr = OUTCOMES["50pct"]
    grid, sd = baseline_quantiles(phys), within_patient_sd(phys)
    for analysis in ("locf", "bocf"):
        drop = load_discontinuation().arm(None, 0.0, analysis)
        mu = trial_placebo_mu(phys, cal, condition="dpn", outcome="50pct", weeks=12, placebo_response=0.257,
                              dropout=drop)
        got = drop.expected_rate(lambda t, m=mu: expected_placebo_rate(m, t, thr, cal, noise_sd=sd, baseline=grid)
                                 if t else 0.0, 12)
        assert got == pytest.approx(0.257, abs=1e-9)


def test_trial_counts_discontinued_patients_as_the_analysis_says():
    dlx = load_drug("duloxetine")
    runs = {a: run_trial(dlx, 120, 12, n_per_arm=3000, seed=4, analysis=a)
            for a in ("none", "locf", "bocf", "completers")}
    assert runs["none"].discontinued == (0.0, 0.0)
    left_drug, left_placebo = runs["bocf"].discontinued
    assert left_drug == pytest.approx(0.165, abs=0.02) and left_placebo == pytest.approx(0.051, abs=0.015)
    assert runs["completers"].n_analysed[0] == round(3000 * (1 - left_drug))
    # BOCF counts every leaver as a non-responder: the drug arm, which loses more, loses most
    assert runs["bocf"].p_drug < runs["locf"].p_drug < runs["none"].p_drug
    assert runs["bocf"].nnt > runs["none"].nnt
    d = runs["bocf"].to_dict()
    assert d["analysis"] == "bocf" and d["n_analysed_drug"] == 3000 and d["discontinued_drug"] == left_drug


def test_every_simulated_row_says_how_it_was_analysed():
    rows = [r for r in load_reported_outcomes() if r.get("simulate")]
    assert all("analysis" in r for r in rows)
    assert all(r.get("analysis_basis") for r in rows if r["analysis"] != "not_reported")
    kajdasz = {r["key"]: r["analysis"] for r in rows if r["key"].startswith("kajdasz2007")}
    assert kajdasz == {"kajdasz2007_dlx60qd_dpnp": "locf", "kajdasz2007_dlx120_dpnp": "locf",
                       "kajdasz2007_dlx60qd_dpnp_bocf": "bocf", "kajdasz2007_dlx120_dpnp_bocf": "bocf"}


def test_a_simulated_row_without_analysis_is_refused(tmp_path):
    text = (models_dir() / "reported_outcomes.toml").read_text(encoding="utf-8")
    bad = tmp_path / "reported.toml"
    bad.write_text(text.replace('analysis = "not_reported"\n', "", 1), encoding="utf-8")
    with pytest.raises(ModelFileError, match=r"\.analysis: required when simulate = true"):
        load_reported_outcomes(bad)


@pytest.mark.parametrize(("old", "new", "match"), [
    ('value = 5.1, unit = "percent", source = "frisaldi2024"', 'value = 5.1, unit = "percent"', "source"),
    ('value = 4, unit = "week"', 'value = 4.5, unit = "week"', "whole number of weeks"),
    ('name = "duloxetine"', 'name = "duloxetin"', "expected one of"),
    ('value = 11.4, unit = "percent"', 'value = 111.4, unit = "percent"', "fraction|100"),
])
def test_a_broken_discontinuation_file_fails_in_one_line(tmp_path, old, new, match):
    text = (models_dir() / "discontinuation.toml").read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "discontinuation.toml"
    bad.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(ModelFileError, match=match) as exc:
        load_discontinuation(bad)
    assert "\n" not in str(exc.value)


def test_cli_trial_analysis(capsys):
    assert main(["trial", "--drug", "duloxetine", "--dose", "60", "--weeks", "12", "--patients", "300",
                 "--analysis", "locf", "--model-draws", "0", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["analysis"] == "locf" and 0.0 < out["discontinued_drug"] < 0.25
    assert main(["trial", "--drug", "amitriptyline", "--dose", "75", "--weeks", "12", "--analysis", "bocf"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no sourced discontinuation rate for amitriptyline" in err[0]

