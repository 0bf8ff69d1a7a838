"""Sindrup 2005: the noradrenergic component — duloxetine with its NET effect (or its SERT
effect) removed, against the full drug.

Sources: Sindrup SH, Otto M, Finnerup NB, Jensen TS (2005) Basic Clin Pharmacol Toxicol
96:399–409 (``sindrup2005``): NNT ~7 for SSRIs against ~4–5 for SNRIs and ~2–3 for TCAs in
peripheral neuropathic pain, the clinical basis of "NE reuptake inhibition matters"; Lee & Chen
2010 (``lee2010``), the seed article's reference for the claim. The experiment is a knock-out the
trials cannot do: 12-week duloxetine 60 mg/day trials in painful diabetic neuropathy with the NET
EC50 (or the SERT EC50) set to infinity, everything else unchanged, the same virtual patients.
"""

from __future__ import annotations

from pathlib import Path

from painsim.experiments import Finding, difference, experiment_main, shared_trial, verdict

CLAIM = ("The noradrenergic component is essential: an SNRI without its NET effect loses most of its "
         "benefit (SSRIs alone are moderate at best).")
SOURCES = ("sindrup2005", "lee2010")
DOSE = 60.0  # mg/day, the labelled DPNP dose (label_cymbalta_eu)


def knockout(target: str, *, n_per_arm: int, seed: int) -> float:
    """Drug−placebo responder difference of duloxetine with ``target``'s EC50 → ∞."""
    from painsim.library import load_drug
    from painsim.trial import run_trial

    drug = load_drug("duloxetine").with_value(f"duloxetine.occupancy.{target}.ec50", 1e12)
    return difference(run_trial(drug, DOSE, 12, n_per_arm=n_per_arm, seed=seed))


def run(*, n_per_arm: int = 2000, seed: int = 21) -> Finding:
    """Full drug, NET knocked out, SERT knocked out (same patients and seed)."""
    rd = difference(shared_trial("duloxetine", DOSE, 12, n_per_arm, seed))
    no_net = knockout("net", n_per_arm=n_per_arm, seed=seed)
    no_sert = knockout("sert", n_per_arm=n_per_arm, seed=seed)
    evidence = (f"drug−placebo ≥50 % responders at week 12: full {rd:.1%}; without NET {no_net:.1%}; "
                f"without SERT {no_sert:.1%}")
    return Finding("sindrup2005_noradrenergic_component", CLAIM, SOURCES, evidence, verdict(no_net < 0.5 * rd),
                   {"difference_full": rd, "difference_no_net": no_net, "difference_no_sert": no_sert})


if __name__ == "__main__":
    raise SystemExit(experiment_main(Path(__file__).stem, run))
