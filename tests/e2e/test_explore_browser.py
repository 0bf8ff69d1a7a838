"""End to end: `painsim explore --no-browser --port 0` serves a page that a real browser can drive.

The server is started once as a subprocess (the URL is read from its standard output with a
bounded wait) and the page is opened once in the system's Chromium driven by Playwright. The visit
moves the dose slider with the keyboard, switches duloxetine's NET effect off, downloads the figure
as PNG, types a bad number of patients and takes a full-page screenshot; the tests check what it
saw. The server is stopped at the end (terminate, then kill after 10 s). The start-up time and
the redraw times the server printed are written to the test log (measured, not asserted).
"""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest

from ._browser import CHROMIUM_ARGS, VIEWPORT, png_size

# under pytest-xdist (the README's test command) these tests share a worker: one explorer server for the module
pytestmark = pytest.mark.xdist_group("explore-server")

START_TIMEOUT = 120.0  # s: a fresh install compiles the numba kernels first (~30 s on 2 cores)
REDRAW_TIMEOUT = 20.0  # s: a control change must show up within this (it takes < 1 s)


@dataclass
class Server:
    proc: subprocess.Popen
    url: str
    start_seconds: float
    lines: list[str] = field(default_factory=list)  # everything it printed, for the log


def _reader(proc: subprocess.Popen, q: queue.Queue) -> None:
    for line in proc.stdout:  # type: ignore[union-attr]
        q.put(line.rstrip("\n"))
    q.put(None)


@pytest.fixture(scope="module")
def server(chromium, request) -> Server:
    """`python -m painsim explore --no-browser --port 0`, up until the module's tests are done."""
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "painsim", "explore", "--no-browser", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1,
                            env=dict(os.environ, MPLBACKEND="Agg", PYTHONUNBUFFERED="1"))
    q: queue.Queue = queue.Queue()
    threading.Thread(target=_reader, args=(proc, q), daemon=True).start()
    srv = Server(proc=proc, url="", start_seconds=float("nan"))
    try:
        deadline = t0 + START_TIMEOUT
        while not srv.url:
            try:
                line = q.get(timeout=max(0.1, deadline - time.perf_counter()))
            except queue.Empty:
                pytest.fail(f"no URL within {START_TIMEOUT:.0f} s; it printed: {srv.lines[-10:]}")
            if line is None:
                pytest.fail(f"painsim explore exited ({proc.wait()}) before serving: {srv.lines[-10:]}")
            srv.lines.append(line)
            m = re.match(r"painsim explore: serving on (http://127\.0\.0\.1:\d+/)", line)
            if m:
                srv.url, srv.start_seconds = m.group(1), time.perf_counter() - t0
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        while True:
            try:
                line = q.get(timeout=2)
            except queue.Empty:
                break
            if line is None:
                break
            srv.lines.append(line)
        redraws = [ln for ln in srv.lines if "redraw" in ln]
        reporter = request.config.pluginmanager.get_plugin("terminalreporter")
        capture = request.config.pluginmanager.get_plugin("capturemanager")
        if reporter is not None and capture is not None:
            with capture.global_and_fixture_disabled():  # into the test log, captured or not
                reporter.write_line(f"\npainsim explore: page served {srv.start_seconds:.1f} s after the start")
                for ln in redraws:
                    reporter.write_line(f"  {ln}")


@dataclass
class Visit:
    console: list[tuple[str, str]] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    summary: dict[str, str] = field(default_factory=dict)
    weekly: dict[str, str] = field(default_factory=dict)
    download: tuple[str, bytes] | None = None
    screenshot: Path | None = None
    refused: str = ""
    page_text: str = ""


def _text(page, css: str) -> str:
    """The text of a pane once it has some (Panel draws each pane in a shadow root, which
    Playwright's CSS selectors pierce)."""
    deadline = time.monotonic() + 30.0
    while True:
        text = page.locator(f"{css} p").first.inner_text(timeout=30_000).strip()
        if text or time.monotonic() > deadline:
            return text
        page.wait_for_timeout(100)


def _await_text(page, css: str, needle: str) -> str:
    """The pane's text once it contains ``needle`` (the redraw of a control change has arrived)."""
    deadline = time.monotonic() + REDRAW_TIMEOUT
    text = ""
    while time.monotonic() < deadline:
        text = _text(page, css)
        if needle in text:
            return text
        page.wait_for_timeout(100)
    raise AssertionError(f"{css} did not show {needle!r} within {REDRAW_TIMEOUT:.0f} s: {text!r}")


@pytest.fixture(scope="module")
def visit(server: Server, chromium: str, tmp_path_factory) -> Visit:
    from playwright.sync_api import sync_playwright

    v = Visit()
    shot = tmp_path_factory.mktemp("explore") / "explore.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True, timeout=60_000)
        try:
            page = browser.new_page(viewport=VIEWPORT, accept_downloads=True)
            page.on("console", lambda m: v.console.append((m.type, m.text)))
            page.on("pageerror", lambda e: v.page_errors.append(str(e)))

            def keep_local(route):
                url = route.request.url
                if url.startswith((server.url, "blob:", "data:", "about:", server.url.replace("http", "ws"))):
                    route.continue_()
                else:  # everything the page needs comes from the local server
                    v.foreign_requests.append(url)
                    route.abort()

            page.route("**/*", keep_local)
            page.goto(server.url, wait_until="load", timeout=60_000)
            v.summary["start"] = _text(page, ".painsim-summary")
            v.weekly["start"] = _text(page, ".painsim-weekly")
            # the dose slider, moved with the keyboard as a user can: four steps up
            handle = page.locator(".painsim-dose .noUi-handle").first
            handle.focus()
            for _ in range(4):
                page.keyboard.press("ArrowRight")
            # (the slider steps 5 mg/day: 60 -> 80; each line names what it shows, so the waits are exact)
            v.weekly["dose"] = _await_text(page, ".painsim-weekly", "Duloxetine 80 mg/day: responders")
            v.summary["dose"] = _await_text(page, ".painsim-summary", "Duloxetine 80 mg/day")
            # duloxetine without its NET effect
            page.locator(".painsim-net input").first.click()
            v.weekly["no_net"] = _await_text(page, ".painsim-weekly", "Duloxetine 80 mg/day, NET effect off:")
            with page.expect_download(timeout=30_000) as dl:
                page.locator(".painsim-export-png button").first.click()
            v.download = (dl.value.suggested_filename, Path(dl.value.path()).read_bytes())
            # a typed entry out of range is refused next to its control, the page carries on
            entry = page.locator(".painsim-controls input[type=text]").nth(1)  # patients per arm
            entry.fill("abc")
            entry.press("Enter")
            v.refused = _text(page, ".painsim-refused")
            v.page_text = page.locator("body").inner_text()
            page.wait_for_timeout(250)  # let late console messages arrive
            page.screenshot(path=str(shot), full_page=True, timeout=60_000)
            v.screenshot = shot
        finally:
            browser.close()
    return v


def _nnt(summary: str) -> str:
    m = re.search(r"NNT (\S+)", summary)
    assert m, summary
    return m.group(1)


def _drug_weekly(text: str) -> np.ndarray:
    m = re.search(r"\(%\):\s*([\d.\s]+)·", text)
    assert m, text
    return np.array([float(x) for x in m.group(1).split()])


def test_page_loads_without_console_errors(visit: Visit, server: Server):
    errors = [m for m in visit.console if m[0] in ("error", "assert")]
    assert not errors, f"console errors: {errors}"
    assert not visit.page_errors, f"page errors: {visit.page_errors}"
    assert not visit.foreign_requests, f"the page tried to load: {visit.foreign_requests}"
    assert visit.summary["start"].startswith("Week 12: Duloxetine 60 mg/day")
    assert server.start_seconds < START_TIMEOUT


def test_moving_the_dose_slider_changes_the_nnt(visit: Visit):
    assert _nnt(visit.summary["dose"]) != _nnt(visit.summary["start"])


def test_switching_net_off_lowers_duloxetines_responder_curve(visit: Visit):
    with_net, without = _drug_weekly(visit.weekly["dose"]), _drug_weekly(visit.weekly["no_net"])
    assert len(with_net) == len(without) == 12
    assert without.mean() < with_net.mean() and without[-1] < with_net[-1]


def test_a_bad_entry_is_refused_next_to_its_control(visit: Visit):
    assert visit.refused.startswith("refused: patients per arm must be a whole number"), visit.refused
    assert "Traceback" not in visit.page_text


def test_export_button_yields_a_png(visit: Visit):
    assert visit.download is not None
    name, data = visit.download
    assert name.endswith(".png")
    width, height = png_size(data)
    assert width > 600 and height > 300 and len(data) > 20_000


def test_full_page_screenshot(visit: Visit):
    import matplotlib.image

    assert visit.screenshot is not None
    width, height = png_size(visit.screenshot)
    assert width == VIEWPORT["width"] and height >= VIEWPORT["height"] - 2
    pixels = matplotlib.image.imread(visit.screenshot)[..., :3]
    colours = np.unique((pixels.reshape(-1, 3) * 255).astype(np.uint8), axis=0)
    assert len(colours) > 50, "the page looks blank"
    # the figure is there: a good share of the page is not background
    assert (pixels.reshape(-1, 3).mean(axis=1) < 0.9).mean() > 0.02
