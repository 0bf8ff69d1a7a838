"""The explorer's page (Panel): controls on the left, the summary line, the current view with its
caption and the export buttons on the right.

Every control change rebuilds the :class:`~painsim.explore.model.Settings`, computes what the
current view needs (cached) and redraws that one figure; the time it took is shown under the
figure and printed on the server's standard output (``painsim explore: redraw ...``). A setting
out of range is refused next to its control; any other failure is one line in the status pane,
never a traceback in the page.
"""

from __future__ import annotations

import logging
import math
import re
import sys
import time
from typing import Any

import panel as pn

from painsim.explore.model import CONDITIONS, LIMITS, OUTCOMES, VIEWS, ExplorerModel, Results, Settings, SettingsError
from painsim.explore.script import as_script
from painsim.explore.views import CAPTIONS, render, view_figure

__all__ = ["Explorer", "build_app"]

log = logging.getLogger("painsim.explore")

#: the label of the comparison drop-down's "no second drug"
NO_COMPARISON = "(none)"
SIDEBAR_WIDTH = 330


def _io_bytes(data: bytes):
    import io

    return io.BytesIO(data)


class Explorer:
    """One browser session's page: its widgets, its state and its callbacks.

    Parameters
    ----------
    model : ExplorerModel
        Drugs, parameter sets and the shared cache (one per server, shared by the sessions).
    settings : Settings, optional
        The first settings (default: duloxetine at its reference dose).
    echo : bool
        Print each redraw's time on standard output (the server does; tests need not).
    """

    def __init__(self, model: ExplorerModel, settings: Settings | None = None, *, echo: bool = False) -> None:
        self.model = model
        self.echo = echo
        self.settings = model.check(settings or model.defaults())
        self.results: Results | None = None
        self._quiet = False  # set while one change updates other widgets (a drug change moves the dose)
        s = self.settings
        w = pn.widgets
        names = model.drug_names()
        self.drug = w.Select(name="Drug", options=names, value=s.drug, width=SIDEBAR_WIDTH - 20)
        step, hi = self._dose_range(s.drug)
        self.dose = w.FloatSlider(name="Daily dose (mg/day)", start=step, end=hi, step=step, value=s.dose,
                                  width=SIDEBAR_WIDTH - 20, css_classes=["painsim-dose"])
        self.dose_label = pn.pane.Markdown("", margin=(-8, 10, 0, 10))
        self.dose_text = w.TextInput(name="… or type a dose (mg/day)", value=f"{s.dose:g}", width=150)
        self.weeks = w.IntSlider(name="Weeks", start=LIMITS["weeks"][0], end=LIMITS["weeks"][1], value=s.weeks,
                                 width=SIDEBAR_WIDTH - 20)
        self.condition = w.Select(name="Condition", options={v: k for k, v in CONDITIONS.items()}, value=s.condition,
                                  width=SIDEBAR_WIDTH - 20)
        self.outcome = w.RadioButtonGroup(name="Outcome", options={v: k for k, v in OUTCOMES.items()},
                                          value=s.outcome, button_type="default")
        self.patients = w.TextInput(name="Patients per arm", value=str(s.n_per_arm), width=150)
        self.seed = w.TextInput(name="Seed", value=str(s.seed), width=150)
        self.sert = w.Checkbox(name="SERT effect (serotonin reuptake block)", value=s.sert_effect)
        self.net = w.Checkbox(name="NET effect (noradrenaline reuptake block)", value=s.net_effect,
                              css_classes=["painsim-net"])
        self.desens = w.Checkbox(name="5-HT1A autoreceptor desensitisation", value=s.desensitisation)
        self.net_factor = w.FloatSlider(name="NET EC50 × (weaker NET block > 1)", start=0.25, end=4.0, step=0.05,
                                        value=s.net_ec50_factor, width=SIDEBAR_WIDTH - 20)
        self.gain = w.FloatSlider(name="5-HT autoreceptor gain", start=LIMITS["gain_5ht"][0],
                                  end=LIMITS["gain_5ht"][1], step=0.01, value=s.gain_5ht or 0.0,
                                  width=SIDEBAR_WIDTH - 20)
        self.w_ne = w.FloatSlider(name="w_NE (weight of NE inhibition)", start=LIMITS["w_ne"][0],
                                  end=LIMITS["w_ne"][1], step=0.1, value=s.w_ne or 0.0, width=SIDEBAR_WIDTH - 20)
        self.compare = w.Select(name="Compare with (at its reference dose)", options=[NO_COMPARISON, *names],
                                value=s.compare or NO_COMPARISON, width=SIDEBAR_WIDTH - 20)
        self.view = w.RadioButtonGroup(name="View", options={VIEWS[k][0]: k for k in VIEWS}, value=s.view,
                                       button_type="primary", css_classes=["painsim-views"])
        # a message next to each text entry when its text is refused
        self.msg = {k: pn.pane.Markdown("", css_classes=["painsim-refused"], styles={"color": "#b00020"},
                                        width=SIDEBAR_WIDTH - 175, margin=(0, 5)) for k in ("dose", "patients", "seed")}
        self.summary = pn.pane.Markdown("", css_classes=["painsim-summary"], sizing_mode="stretch_width")
        self.weekly = pn.pane.Markdown("", css_classes=["painsim-weekly"], sizing_mode="stretch_width")
        self.status = pn.pane.Markdown("", css_classes=["painsim-status"], styles={"color": "#555"})
        self.error = pn.pane.Alert("", alert_type="danger", visible=False, css_classes=["painsim-error"])
        self.figure = pn.pane.Matplotlib(None, dpi=110, tight=False, format="png", sizing_mode="scale_width",
                                         max_width=1000, css_classes=["painsim-figure"])
        self.caption = pn.pane.Markdown("", css_classes=["painsim-caption"], sizing_mode="stretch_width")
        self.png = w.FileDownload(callback=lambda: self._export("png"), filename="painsim.png", label="Figure as PNG",
                                  button_type="success", css_classes=["painsim-export-png"], width=150)
        self.svg = w.FileDownload(callback=lambda: self._export("svg"), filename="painsim.svg", label="Figure as SVG",
                                  button_type="success", css_classes=["painsim-export-svg"], width=150)
        self.script = w.FileDownload(callback=self._export_script, filename="painsim_explore.py",
                                     label="As a Python script", button_type="success",
                                     css_classes=["painsim-export-script"], width=170)
        for widget in (self.drug, self.condition, self.outcome, self.sert, self.net, self.desens, self.compare,
                       self.view):
            widget.param.watch(self._changed, "value")
        # sliders: redraw when the handle is let go, not at every pixel of a drag
        for widget in (self.dose, self.weeks, self.net_factor, self.gain, self.w_ne):
            widget.param.watch(self._changed, "value_throttled")
        for key, widget in (("dose", self.dose_text), ("patients", self.patients), ("seed", self.seed)):
            widget.param.watch(lambda e, key=key: self._typed(key, e.new), "value")
        self.layout = self._layout()
        self.redraw()

    # -- layout ------------------------------------------------------------------------------------

    def _layout(self) -> Any:
        h = pn.pane.Markdown
        sidebar = pn.Column(
            h("### Drug and dose"), self.drug, self.dose, self.dose_label, pn.Row(self.dose_text, self.msg["dose"]),
            h("### Trial"), self.weeks, self.condition, self.outcome,
            pn.Row(self.patients, self.msg["patients"]), pn.Row(self.seed, self.msg["seed"]),
            h("### Mechanism"), self.sert, self.net, self.desens,
            h("### Physiology and calibration"), self.net_factor, self.gain, self.w_ne,
            h("### Comparison"), self.compare,
            width=SIDEBAR_WIDTH, styles={"background": "#f6f7f9"}, css_classes=["painsim-controls"])
        main = pn.Column(self.view, self.summary, self.weekly, self.error, self.figure, self.caption,
                         pn.Row(self.png, self.svg, self.script), self.status, sizing_mode="stretch_width")
        title = h("## painsim explore — from dose to pain relief, one slider at a time", margin=(5, 10, 0, 10))
        return pn.Column(title, pn.Row(sidebar, main, sizing_mode="stretch_width"), sizing_mode="stretch_width")

    # -- callbacks ---------------------------------------------------------------------------------

    def _current(self) -> Settings:
        """The settings the widgets show (the typed entries as last accepted)."""
        return self.settings.replace(
            drug=self.drug.value, dose=float(self.dose.value), weeks=int(self.weeks.value),
            condition=self.condition.value, outcome=self.outcome.value, sert_effect=bool(self.sert.value),
            net_effect=bool(self.net.value), desensitisation=bool(self.desens.value),
            net_ec50_factor=float(self.net_factor.value), gain_5ht=float(self.gain.value), w_ne=float(self.w_ne.value),
            compare=None if self.compare.value == NO_COMPARISON else self.compare.value, view=self.view.value)

    def _changed(self, event: Any) -> None:
        if self._quiet:
            return
        if event.obj is self.drug:
            self._set_drug(event.new)
        elif event.obj is self.dose:  # the typed dose follows the slider
            self._quiet = True
            try:
                self.dose_text.value = f"{event.new:g}"
                self.msg["dose"].object = ""
            finally:
                self._quiet = False
        self.redraw(self._current())

    def _set_drug(self, name: str) -> None:
        """A new drug: the dose slider spans 0–2 × its label maximum and starts at its reference dose."""
        step, hi = self._dose_range(name)
        dose = self.model.drug(name).dosing.reference_dose
        self._quiet = True
        try:
            self.dose.param.update(start=step, end=hi, step=step, value=dose)
            self.dose_text.value = f"{dose:g}"
            self.msg["dose"].object = ""
        finally:
            self._quiet = False

    def _dose_range(self, name: str) -> tuple[float, float]:
        """The dose slider's step and end (2 × the label maximum), mg/day: a round step of at most 1/40
        of the range that the label doses are multiples of, so the slider can stop on them."""
        _, hi = self.model.dose_limits(name)
        d = self.model.drug(name).dosing
        doses = [d.dose_min.value, d.dose_max.value, d.reference_dose]
        for step in (10.0, 5.0, 2.5, 2.0, 1.0, 0.5, 0.25, 0.1, 0.05):
            if hi / step >= 40 and all(abs(x / step - round(x / step)) < 1e-9 for x in doses):
                return step, hi
        return hi / 80, hi

    def _typed(self, key: str, text: str) -> None:
        """A typed entry: accepted and redrawn, or refused with a message next to it."""
        if self._quiet:
            return
        s = self.settings
        try:
            if key == "dose":
                new = s.replace(dose=_number(text, "the dose"))
            elif key == "patients":
                new = s.replace(n_per_arm=_whole(text, "patients per arm"))
            else:
                new = s.replace(seed=_whole(text, "the seed"))
            self.model.check(new)
        except SettingsError as exc:
            self.msg[key].object = f"refused: {exc}"
            return
        self.msg[key].object = ""
        if key == "dose":
            self._quiet = True
            try:
                self.dose.value = new.dose
            finally:
                self._quiet = False
        self.settings = new
        self.redraw(self._current().replace(n_per_arm=new.n_per_arm, seed=new.seed))

    def redraw(self, settings: Settings | None = None) -> None:
        """Compute and draw ``settings`` (default: the current ones); failures become one line."""
        t0 = time.perf_counter()
        s = settings or self.settings
        try:
            s = self.model.check(s)
            res = self.model.compute(s)
            fig = view_figure(res)
        except SettingsError as exc:
            self._fail(f"refused: {exc}")
            return
        except Exception as exc:  # never a traceback in the page: one line there, the details in the log
            log.exception("redraw failed")
            self._fail(f"could not redraw ({type(exc).__name__}: {_first_line(exc)}); change a control to go on")
            return
        self.settings, self.results = s, res
        self.figure.object = fig
        self.caption.object = f"*{CAPTIONS[s.view]}*"
        self.summary.object = f"**{res.summary()}**"
        t = res.main.trial
        # what was simulated, then the curves in numbers (readable where a figure is not: a screen reader, a test)
        off = "".join(f", {name} effect off" for name, on in (("SERT", s.sert_effect), ("NET", s.net_effect)) if not on)
        self.weekly.object = (f"{res.main.drug.display_name} {s.dose:g} mg/day{off}: responders by week (%): "
                              + " ".join(f"{100 * x:.1f}" for x in t.responders_drug)
                              + " · placebo: " + " ".join(f"{100 * x:.1f}" for x in t.responders_placebo))
        lo, hi = res.main.label_range
        self.dose_label.object = f"label range {lo:g}–{hi:g} mg/day" + (
            "" if lo <= s.dose <= hi else " — **outside it: an extrapolation**")
        self.error.visible = False
        seconds = time.perf_counter() - t0
        self.status.object = f"redrawn in {seconds:.2f} s (computed in {res.seconds:.2f} s)"
        if self.echo:
            off = [name for name, on in (("SERT", s.sert_effect), ("NET", s.net_effect),
                                         ("desensitisation", s.desensitisation)) if not on]
            what = ", ".join([f"{s.drug} {s.dose:g} mg/day", *(f"{x} off" for x in off), f"view {s.view}",
                              f"{s.n_per_arm} per arm"])
            print(f"painsim explore: redraw {seconds:.3f} s ({what})", flush=True)

    def _fail(self, message: str) -> None:
        self.error.object = message
        self.error.visible = True
        if self.echo:
            print(f"painsim explore: {message}", file=sys.stderr, flush=True)

    # -- exports -----------------------------------------------------------------------------------

    def _export(self, fmt: str):
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"painsim_{self.settings.drug}_{self.settings.view}")
        self.png.filename, self.svg.filename = f"{stem}.png", f"{stem}.svg"
        return self._exported(lambda: render(view_figure(self.results or self.model.compute(self.settings)), fmt))

    def _export_script(self):
        return self._exported(lambda: as_script(self.model, self.settings).encode())

    def _exported(self, make):
        """The bytes to download; a failure is one line in the page and an empty file."""
        try:
            return _io_bytes(make())
        except Exception as exc:
            log.exception("export failed")
            self._fail(f"could not export ({type(exc).__name__}: {_first_line(exc)})")
            return _io_bytes(b"")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else "no message"


def _number(text: str, what: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{what} must be a number, got {text[:30]!r}") from None
    if not math.isfinite(value):
        raise SettingsError(f"{what} must be a finite number, got {text[:30]!r}")
    return value


def _whole(text: str, what: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise SettingsError(f"{what} must be a whole number, got {text[:30]!r}") from None


def build_app(model: ExplorerModel | None = None, settings: Settings | None = None, *, echo: bool = False
              ) -> Explorer:
    """The explorer page for one session (works without a server, e.g. in a notebook:
    ``build_app().layout``).

    Parameters
    ----------
    model : ExplorerModel, optional
        Shared drugs and cache (default: a new one with the library).
    settings : Settings, optional
        The first settings.
    echo : bool
        Print each redraw's time on standard output.
    """
    return Explorer(model or ExplorerModel(), settings, echo=echo)
