"""Sindrup 2005: SSRIs against SNRIs in painful polyneuropathy — each SSRI at its minimum
therapeutic dose against duloxetine 60 and venlafaxine 150 mg/day.

Sources: Sindrup SH, Otto M, Finnerup NB, Jensen TS (2005) Basic Clin Pharmacol Toxicol
96:399–409 (``sindrup2005``): NNT for ≥ 50 % relief ~7 with SSRIs, ~4–5 with SNRIs in
peripheral neuropathic pain (the rows ``sindrup2005_ssri_pnp`` and ``sindrup2005_snri_pnp`` of
``models/reported_outcomes.toml``); Lee & Chen 2010 (``lee2010``): SSRI efficacy "moderate at
best". 12-week parallel virtual trials, painful diabetic neuropathy, the same seed for every drug.
"""

from __future__ import annotations

from pathlib import Path

from painsim.experiments import Finding, difference, experiment_main, shared_trial, verdict

CLAIM = ("SSRIs alone are moderately effective at best; SNRIs work better than SSRIs (the dual mechanism "
         "matters).")
SOURCES = ("sindrup2005", "lee2010")
SSRIS = ("paroxetine", "citalopram", "escitalopram", "sertraline", "fluoxetine")
SNRIS = (("duloxetine", 60.0), ("venlafaxine", 150.0))


def run(*, n_per_arm: int = 2000, seed: int = 21) -> Finding:
    """Drug−placebo responder differences of the five SSRIs and two SNRIs."""
    from painsim.library import load_drug

    ssri = {}
    for name in SSRIS:
        d = load_drug(name).dosing
        ssri[name] = difference(shared_trial(name, d.reference_dose, 12,
                                             n_per_arm, seed))
    snri = {name: difference(shared_trial(name, dose, 12, n_per_arm, seed)) for name, dose in SNRIS}
    evidence = ("drug−placebo ≥50 % responders: " + ", ".join(f"{k} {v:.1%}" for k, v in ssri.items())
                + " vs " + ", ".join(f"{k} {v:.1%}" for k, v in snri.items())
                + "; reported NNT ~7 (SSRIs) vs ~4–5 (SNRIs)")
    return Finding("sindrup2005_ssri_vs_snri", CLAIM, SOURCES, evidence,
                   verdict(max(ssri.values()) < min(snri.values())),
                   {f"difference_{k}": v for k, v in (ssri | snri).items()})


if __name__ == "__main__":
    raise SystemExit(experiment_main(Path(__file__).stem, run))
