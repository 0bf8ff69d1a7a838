"""Bymaster 2001: is duloxetine a "balanced" dual inhibitor? In-vitro affinity against the
model's steady-state occupancy of SERT and NET at the clinical dose.

Sources: Bymaster FP, et al. (2001) Neuropsychopharmacology 25:871–880 (``bymaster2001``):
cloned human transporters, Ki 0.8 nM (SERT) and 7.5 nM (NET), the numbers in the duloxetine
file. SERT occupancy comes from the PET EC50 (Takano 2006, ``takano2006``); no human NET PET of
duloxetine was found, so its NET EC50 is derived from Ki with the in-vivo/in-vitro rule fitted
by ``painsim fit-occupancy`` (Nogami 2013, ``nogami2013``, is the NET PET behind that rule).
Milnacipran (NET measured by PET) is shown for comparison. The claim is the seed article's
(Lee & Chen 2010, ``lee2010``).
"""

from __future__ import annotations

from pathlib import Path

from painsim.experiments import Finding, experiment_main, verdict

CLAIM = "Duloxetine is a balanced dual inhibitor, acting on 5-HT and NE equally at its clinical dose."
SOURCES = ("bymaster2001", "takano2006", "nogami2013", "lee2010")
BALANCED = (0.5, 2.0)  # NET/SERT occupancy ratio we call "balanced" (within a factor of two)


def run(*, n_per_arm: int = 2000, seed: int = 21) -> Finding:
    """Steady-state occupancy (typical patient) of duloxetine 60 mg/day and milnacipran 100 mg/day."""
    from painsim.library import load_drug
    from painsim.occupancy import steady_state_occupancy

    dlx = load_drug("duloxetine")
    ki_ratio = dlx.parent.affinity["ki_net"].value / dlx.parent.affinity["ki_sert"].value
    occ = steady_state_occupancy(dlx, 60.0)
    mil = steady_state_occupancy(load_drug("milnacipran"), 100.0)
    s, n = occ["sert"].mean, occ["net"].mean
    evidence = (f"Ki NET/SERT = {ki_ratio:.1f} (in vitro); at 60 mg/day SERT {s:.0%}, NET {n:.0%} (NET derived from "
                f"Ki; no NET PET); milnacipran 100 mg/day for comparison SERT {mil['sert'].mean:.0%}, "
                f"NET {mil['net'].mean:.0%} (PET)")
    return Finding("bymaster2001_duloxetine_balance", CLAIM, SOURCES, evidence,
                   verdict(BALANCED[0] < n / s < BALANCED[1]),
                   {"ki_ratio_net_sert": ki_ratio, "sert_occupancy": s, "net_occupancy": n,
                    "milnacipran_sert": mil["sert"].mean, "milnacipran_net": mil["net"].mean})


if __name__ == "__main__":
    raise SystemExit(experiment_main(Path(__file__).stem, run))
