"""`painsim reproduce`: the flagship figures, the claims table, the validation table, and one
self-contained HTML page (figures inlined as SVG, no external files, readable offline)."""

from __future__ import annotations

import html
import io
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from painsim.library import load_drug
from painsim.occupancy import steady_state_occupancy
from painsim.trial import run_trial

__all__ = ["Claim", "FigureSpec", "claims", "flagship_figures", "flagship_sensitivity", "write_report"]

#: the report's sensitivity analysis: a small version of experiments/sensitivity_duloxetine.toml
#: (bounds and their sources are documented there)
SENSITIVITY_EXPERIMENT = """
[experiment]
name = "report_sensitivity_duloxetine"
seed = 2026
trials = 1
patients = 300
weeks = 12
outcomes = ["50pct"]
condition = "dpn"
[drugs.duloxetine]
doses = [60]
[sensitivity]
methods = ["morris", "sobol"]
outcome = "50pct"
morris_trajectories = 3
morris_levels = 4
sobol_n = 8
seed = 7
[sensitivity.parameters]
"calibration.w_ne" = { low = 5.5, high = 22.0, scale = "log" }
"calibration.w_5ht" = { low = 0.4, high = 1.7, scale = "log" }
"calibration.sigma_p" = { low = 1.1, high = 4.5, scale = "log" }
"physiology.norepinephrine.feedback_gain" = { low = 0.65, high = 2.6, scale = "log" }
"drug.duloxetine.pk.cl" = { low = 44.0, high = 218.0, scale = "log" }
"drug.duloxetine.occupancy.net.ec50" = { low = 74.0, high = 295.0, scale = "log" }
"""


def flagship_sensitivity(*, quiet: bool = True):
    """The report's (small) Morris + Sobol' analysis of duloxetine 60 mg/day."""
    from painsim.sensitivity import run_sensitivity
    from painsim.sweep import parse_experiment

    return run_sensitivity(parse_experiment(SENSITIVITY_EXPERIMENT), quiet=quiet)


@dataclass(frozen=True)
class FigureSpec:
    """A figure of the report: file stem, caption and the function that draws it."""

    stem: str
    caption: str
    make: Callable[[], object]


def flagship_figures(*, n_patients: int = 1000, validation_rows=None, sensitivity=None) -> list[FigureSpec]:
    """The report's figures (small populations keep `painsim reproduce` within minutes)."""
    from painsim import figures
    from painsim.figures.maps import selectivity_map, sensitivity_bars

    specs = [
        FigureSpec("mechanism_schematic", "Descending pain modulation: raphe (5-HT) and locus coeruleus (NE) "
                   "project to the dorsal horn, where SERT/NET blockers raise the transmitters that act on "
                   "inhibitory α2 and 5-HT1/7 and facilitatory 5-HT3 receptors.", figures.mechanism_schematic),
        FigureSpec("pk_profiles", "Plasma profiles over the first week at the minimum therapeutic dose: typical "
                   "patient (line) and 90 % of a virtual population (band), parent and active metabolites.",
                   lambda: figures.pk_profiles(n_patients=min(n_patients, 200))),
        FigureSpec("occupancy_dose", "Steady-state SERT and NET occupancy against dose; dots are the PET "
                   "measurements the drug files name (used to fit EC50s where they are anchors).",
                   figures.occupancy_dose_curves),
        FigureSpec("release_event", "One 5-HT release event and its clearance: transporter block slows "
                   "clearance as 1/(1 − occupancy).", figures.release_event),
        FigureSpec("acute_vs_chronic", "Paroxetine 20 mg/day: raphe firing falls on day 1 (5-HT1A feedback) and "
                   "recovers over weeks as the autoreceptor desensitises; LC firing does not recover.",
                   figures.acute_vs_chronic),
        FigureSpec("inhibition_by_class", "Restored descending inhibition over 12 weeks, one drug per class "
                   "(typical patient).", figures.inhibition_by_class),
        FigureSpec("dose_response_duloxetine", "Duloxetine dose–response: responder rates (≥ 50 % relief) and "
                   "NNT with 95 % bands, 12-week virtual trials.",
                   lambda: figures.dose_response(n_per_arm=n_patients)),
        FigureSpec("onset_duloxetine", "Onset: weekly responder rates, duloxetine 60 mg/day vs placebo.",
                   lambda: figures.onset(n_per_arm=n_patients)),
        FigureSpec("selectivity_map", "Selectivity map: NNT of an idealised inhibitor with fixed SERT and NET "
                   "occupancy; each drug sits at its steady-state occupancy.",
                   lambda: selectivity_map(n_grid=9, patients=max(200, n_patients // 3))),
    ]
    if validation_rows is not None:
        specs.append(FigureSpec("nnt_forest", "NNT forest plot: reported (black) vs simulated (blue) with 95 % "
                                "CIs; open symbols are training rows.",
                                lambda: figures.nnt_forest(validation_rows)))
    if sensitivity is not None:
        specs.append(FigureSpec("sensitivity", "Sensitivity (SALib Morris and Sobol') of the duloxetine "
                                "drug−placebo responder difference to the uncertain parameters.",
                                lambda: sensitivity_bars(sensitivity, "difference")))
    return specs


@dataclass(frozen=True)
class Claim:
    """A mechanism claim of the seed article, the evidence the model gives, and the verdict."""

    claim: str
    experiment: str
    evidence: str
    supported: bool


def claims(*, n_per_arm: int = 2000, seed: int = 21) -> list[Claim]:
    """Evaluate the seed article's mechanism claims with the model (the same checks as
    tests/validation/test_clinical_claims.py)."""
    from painsim.calibration import load_calibration
    from painsim.physiology import load_physiology
    from painsim.population import ARM_DRUG, draw_population
    from painsim.regimen import Regimen
    from painsim.simulate import chain, run_fast

    dlx = load_drug("duloxetine")
    d60 = run_trial(dlx, 60, 12, n_per_arm=n_per_arm, seed=seed)
    rd60 = d60.p_drug - d60.p_placebo
    no_net = run_trial(dlx.with_value("duloxetine.occupancy.net.ec50", 1e12), 60, 12, n_per_arm=n_per_arm, seed=seed)
    rd_no_net = no_net.p_drug - no_net.p_placebo
    ssri = {}
    for name in ("paroxetine", "citalopram", "escitalopram", "sertraline", "fluoxetine"):
        drug = load_drug(name)
        r = run_trial(drug, (drug.dosing.dose_min_therapeutic or drug.dosing.dose_min).value, 12,
                      n_per_arm=n_per_arm, seed=seed)
        ssri[name] = r.p_drug - r.p_placebo
    occ = steady_state_occupancy(dlx, 60)
    phys, cal = load_physiology(), load_calibration()
    pop = draw_population(dlx, phys, 200, seed=seed, stream=ARM_DRUG)
    ch = chain(dlx, phys, cal)
    on = run_fast(ch, pop.theta, Regimen.daily(60, days=84), 12).inhibition.mean(axis=0)
    off = run_fast(ch, pop.theta, Regimen.daily(60, days=56), 12).inhibition.mean(axis=0)
    sep_week1 = d60.responders_drug[0] > d60.responders_placebo[0]
    return [
        Claim("The noradrenergic component is essential (an SNRI without its NET effect loses most of "
              "its benefit).", "duloxetine 60 mg with NET EC50 → ∞",
              f"drug−placebo difference {rd60:.1%} → {rd_no_net:.1%}", rd_no_net < 0.5 * rd60),
        Claim("SSRIs alone are weak.", "each SSRI at its minimum therapeutic dose, 12 weeks",
              "drug−placebo " + ", ".join(f"{k} {v:.1%}" for k, v in ssri.items()) + f" vs duloxetine {rd60:.1%}",
              all(v < rd60 for v in ssri.values())),
        Claim("Duloxetine is a balanced dual inhibitor at its clinical dose.", "steady-state occupancy at 60 mg/day",
              f"SERT {occ['sert'].mean:.0%}, NET {occ['net'].mean:.0%} (NET EC50 derived from Ki)",
              0.5 < occ["net"].mean / occ["sert"].mean < 2.0),
        Claim("Relief starts within a week and is sustained to week 12.", "duloxetine 60 mg, weekly responders",
              f"week 1: {d60.responders_drug[0]:.1%} vs {d60.responders_placebo[0]:.1%}; week 12: "
              f"{d60.responders_drug[-1]:.1%} vs {d60.responders_placebo[-1]:.1%}",
              bool(sep_week1 and np.all(d60.responders_drug >= d60.responders_placebo))),
        Claim("The effect is functional modulation, fast (days), not structural repair.",
              "inhibition in week 1 vs 12; two weeks after stopping at week 8",
              f"week 1 = {on[0] / on[11]:.0%} of week 12; week 10 after stopping = {off[9] / on[9]:.1%} of continued",
              bool(on[0] > 0.6 * on[11] and off[9] < 0.05 * on[9])),
    ]


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg")
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_report(out: Path, *, figures_svg: list[tuple[FigureSpec, str]], claim_rows: list[Claim],
                 validation_rows, summary: str) -> Path:
    """Write ``report.html`` (atomically): figures, captions, claims and validation tables."""
    from painsim import __version__

    parts = [f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>painsim report</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; line-height: 1.45; }}
figure {{ margin: 2em 0; }} figure svg {{ max-width: 100%; height: auto; }}
figcaption {{ font-size: 0.9em; color: #444; }}
table {{ border-collapse: collapse; font-size: 0.8em; margin: 1em 0; }}
td, th {{ border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }}
th {{ background: #f3f3f3; }} .yes {{ color: #007a4d; }} .no {{ color: #b3001b; }}
</style></head><body>
<h1>painsim: monoamine reuptake inhibitors in neuropathic pain</h1>
<p>painsim {html.escape(__version__)}. {html.escape(summary)}</p>
<h2>Mechanism claims</h2>"""]
    rows = "".join(
        f"<tr><td>{html.escape(c.claim)}</td><td>{html.escape(c.experiment)}</td><td>{html.escape(c.evidence)}</td>"
        f"<td class=\"{'yes' if c.supported else 'no'}\">{'supported' if c.supported else 'not supported'}</td></tr>"
        for c in claim_rows)
    parts.append("<table><thead><tr><th>claim</th><th>experiment</th><th>evidence</th><th>verdict</th></tr>"
                 f"</thead><tbody>{rows}</tbody></table>")
    parts.append("<h2>Figures</h2>")
    for i, (spec, svg) in enumerate(figures_svg, 1):
        parts.append(f'<figure id="{spec.stem}">{svg}<figcaption><b>Figure {i}.</b> '
                     f"{html.escape(spec.caption)}</figcaption></figure>")
    parts.append("<h2>Validation: every reported outcome next to the simulated one</h2>")
    vrows = []
    for r in validation_rows:
        rep = "" if r.reported_nnt is None else (f"{r.reported_nnt:.1f}" + (
            f" ({r.reported_ci[0]:.1f}–{r.reported_ci[1]:.1f})" if r.reported_ci else ""))
        sim = "" if r.sim_nnt is None else (f"{r.sim_nnt:.1f}" + (
            f" ({r.sim_ci[0]:.1f}–{r.sim_ci[1]:.1f})" if r.sim_ci[0] is not None else ""))
        vrows.append([r.key, "training" if r.training else "", rep, sim, r.verdict])
    parts.append(_table(["reported outcome", "set", "reported NNT (95 % CI)", "simulated NNT (95 % CI)",
                         "verdict"], vrows))
    parts.append("</body></html>\n")
    target = out / "report.html"
    tmp = out / ".report.html.tmp"
    tmp.write_text("".join(parts), encoding="utf-8")
    os.replace(tmp, target)
    return target
