"""`painsim reproduce`: the flagship figures, the claims table, the validation table, and one
self-contained HTML page (figures inlined as SVG, no external files, readable offline)."""

from __future__ import annotations

import html
import io
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from painsim.atomic import atomic_write

if TYPE_CHECKING:
    from painsim.experiments import Finding



__all__ = ["FigureSpec", "claims", "flagship_figures", "flagship_sensitivity", "write_report"]

#: the report's sensitivity analysis: a small version of experiments/sensitivity_duloxetine.toml
#: (bounds and their sources are documented there)
SENSITIVITY_EXPERIMENT = """
dialect = "painsim-experiment/1"
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
morris_trajectories = 8
morris_levels = 4
sobol_n = 256
seed = 7
[sensitivity.parameters]
"calibration.w_ne" = { low = 0.6, high = 2.4, scale = "log" }
"calibration.w_5ht" = { low = 1.57, high = 6.3, scale = "log" }
"calibration.sigma_p" = { low = 1.06, high = 4.2, scale = "log" }
"calibration.tau_p" = { low = 1.86, high = 7.4, scale = "log" }
"physiology.norepinephrine.feedback_gain" = { low = 0.65, high = 2.6, scale = "log" }
"drug.duloxetine.pk.cl" = { low = 57.0, high = 114.0, scale = "log" }
"drug.duloxetine.occupancy.net.ec50" = { low = 29.0, high = 116.0, scale = "log" }
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


def claims(*, n_per_arm: int = 2000, seed: int = 21, quiet: bool = True):
    """Run the claim experiments of :mod:`painsim.experiments` (one per mechanism claim of the seed
    article) and list the claims the model cannot test.

    Returns
    -------
    list of painsim.experiments.Finding
    """
    from painsim.experiments import CLAIM_EXPERIMENTS, run_claims
    from painsim.progress import Progress

    with Progress(len(CLAIM_EXPERIMENTS), "claims", enabled=not quiet, unit="experiments") as bar:
        return run_claims(n_per_arm=n_per_arm, seed=seed, progress=lambda name: bar.update(note=name[:30]))


def _experiment_path(name: str) -> str:
    return "—" if name == "—" else f"experiments/{name}.py"


def _svg(fig) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight")  # as the saved files (style: savefig.bbox tight)
    text = buf.getvalue()
    return text[text.index("<svg"):]


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_report(out: Path, *, figures_svg: list[tuple[FigureSpec, str]], claim_rows: list[Finding],
                 validation_rows, summary: str) -> Path:
    """Write ``report.html`` (atomically): figures, captions, claims and validation tables."""
    from painsim._version import __version__

    parts = [f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>painsim report</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1100px; margin: 2em auto; color: #222; line-height: 1.45; }}
figure {{ margin: 2em 0; }} figure svg {{ max-width: 100%; height: auto; }}
figcaption {{ font-size: 0.9em; color: #444; }}
table {{ border-collapse: collapse; font-size: 0.8em; margin: 1em 0; }}
td, th {{ border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }}
th {{ background: #f3f3f3; }} .yes {{ color: #007a4d; }} .no {{ color: #b3001b; }} .na {{ color: #666; }}
</style></head><body>
<h1>painsim: monoamine reuptake inhibitors in neuropathic pain</h1>
<p>painsim {html.escape(__version__)}. {html.escape(summary)}</p>
<h2>Mechanism claims</h2>"""]
    css = {"supported": "yes", "not supported": "no"}
    rows = "".join(
        f"<tr><td>{html.escape(c.claim)}</td><td><code>{html.escape(_experiment_path(c.experiment))}</code></td>"
        f"<td>{html.escape(c.evidence)}</td><td>{html.escape(', '.join(c.sources))}</td>"
        f"<td class=\"{css.get(c.verdict, 'na')}\">{html.escape(c.verdict)}</td></tr>"
        for c in claim_rows)
    parts.append("<p>Each claim of the seed article is tested by an experiment named after the data it reproduces "
                 "(<code>python -m painsim.experiments.NAME</code> runs one); claims the model cannot test are "
                 "listed as such.</p>")
    parts.append("<table><thead><tr><th>claim</th><th>experiment</th><th>evidence</th><th>sources</th>"
                 f"<th>verdict</th></tr></thead><tbody>{rows}</tbody></table>")
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
    return atomic_write(out / "report.html", "".join(parts))
