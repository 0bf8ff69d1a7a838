"""Saarto & Wiffen 2007: venlafaxine's NNT of 3.1 (2.2–5.1) for at least moderate relief in
neuropathic pain.

Source: Saarto T, Wiffen PJ (2007) Cochrane Database Syst Rev CD005454 (``saarto2007``), the seed
article's reference 1: venlafaxine, NNT 3.1 (95 % CI 2.2–5.1) for "at least moderate pain
relief", from small crossover trials. The simulated trial is the row
``saarto2007_venlafaxine_np_modrelief`` of ``models/reported_outcomes.toml``: venlafaxine
150 mg/day, 4-week crossover, mixed neuropathic pain, "moderate relief" read as ≥ 30 % pain
reduction, the pooled placebo rate of those trials (16 %). Not a training row.
"""

from __future__ import annotations

from pathlib import Path

from painsim.experiments import Finding, experiment_main, verdict

CLAIM = "Venlafaxine has an NNT of 3.1 for at least moderate pain relief."
SOURCES = ("saarto2007",)
ROW = "saarto2007_venlafaxine_np_modrelief"


def run(*, n_per_arm: int = 2000, seed: int = 21) -> Finding:
    """Simulate the reported-outcome row and compare with the reported interval."""
    from painsim.validate import validate

    (row,) = validate(n_per_arm=n_per_arm, seed=seed, keys=[ROW])
    lo, hi = row.reported_ci
    sim = row.sim_nnt
    ok = sim is not None and lo <= sim <= hi
    sim_txt = "no benefit" if sim is None else f"{sim:.1f}"
    evidence = (f"simulated NNT {sim_txt} (responders {row.sim_p_drug:.0%} vs {row.sim_p_placebo:.0%}) vs reported "
                f"{row.reported_nnt:.1f} ({lo:.1f}–{hi:.1f})"
                + ("" if ok else "; the model is too favourable for these old crossover trials"
                   if sim is not None and sim < lo else ""))
    return Finding("saarto2007_venlafaxine_nnt", CLAIM, SOURCES, evidence, verdict(ok),
                   {"sim_nnt": float("nan") if sim is None else sim, "reported_nnt": row.reported_nnt,
                    "sim_p_drug": row.sim_p_drug, "sim_p_placebo": row.sim_p_placebo})


if __name__ == "__main__":
    raise SystemExit(experiment_main(Path(__file__).stem, run))
