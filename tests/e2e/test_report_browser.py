"""End to end: `painsim reproduce` writes a report.html that opens in headless Chromium cleanly.

The report is generated once (a small population) through the command line, opened once in the
system's Chromium driven by Playwright (never a browser downloaded at test time), and the tests
below check what the browser saw: no console errors, no page errors, no request leaving the file,
a sensible full-page screenshot, and every figure and table in the DOM.

Without a browser (or without the playwright package) the tests skip, unless
PAINSIM_REQUIRE_BROWSER=1 (as in CI), where they fail (the ``chromium`` fixture of tests/e2e/conftest.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ._browser import CHROMIUM_ARGS, VIEWPORT, png_size

# under pytest-xdist (the README's test command) these tests share a worker with the CLI's reproduce
# test: `painsim reproduce` (tests/conftest.py) then runs once, not once per worker
pytestmark = pytest.mark.xdist_group("reproduce")

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def report(reproduced, chromium) -> Path:
    """report.html from `python -m painsim reproduce` with 100 patients per arm (tests/conftest.py)."""
    out, r = reproduced
    assert r.returncode == 0, r.stderr
    page = out / "report.html"
    assert page.is_file()
    return page


@dataclass
class Visit:
    console: list[tuple[str, str, str]] = field(default_factory=list)  # (type, text, location)
    page_errors: list[str] = field(default_factory=list)
    foreign_requests: list[str] = field(default_factory=list)
    screenshot: Path | None = None
    dom: dict = field(default_factory=dict)


DOM_SUMMARY_JS = """() => {
  const tableAfter = (needle) => {
    const h = [...document.querySelectorAll('h2')].find(e => e.textContent.includes(needle));
    for (let e = h && h.nextElementSibling; e && e.tagName !== 'H2'; e = e.nextElementSibling) {
      const t = e.tagName === 'TABLE' ? e : e.querySelector('table');
      if (t) return {heading: h.textContent, headers: [...t.querySelectorAll('thead th')].map(x => x.textContent),
                     rows: t.querySelectorAll('tbody tr').length, text: t.textContent};
    }
    return null;
  };
  const figures = [...document.querySelectorAll('figure[id]')];
  return {
    title: document.title,
    figure_ids: figures.map(f => f.id),
    figures_with_svg: figures.filter(f => f.querySelector('svg')).length,
    figures_rendered: figures.filter(f => { const s = f.querySelector('svg');
                                            if (!s) return false; const r = s.getBoundingClientRect();
                                            return r.width > 100 && r.height > 50; }).length,
    claims: tableAfter('Mechanism claims'),
    validation: tableAfter('Validation'),
    scripts: document.querySelectorAll('script').length,
    width: document.documentElement.scrollWidth,
    height: document.documentElement.scrollHeight,
  };
}"""


@pytest.fixture(scope="session")
def visit(report: Path, chromium: str, tmp_path_factory) -> Visit:
    """Open the report once; record console messages, page errors, requests, a screenshot and the DOM."""
    from playwright.sync_api import sync_playwright

    v = Visit()
    shot = tmp_path_factory.mktemp("screenshot") / "report.png"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True, timeout=60_000)
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.on("console", lambda m: v.console.append((m.type, m.text, str(m.location))))
            page.on("pageerror", lambda e: v.page_errors.append(str(e)))

            def keep_local(route):
                url = route.request.url
                if url.startswith(("file:", "data:", "about:")):
                    route.continue_()
                else:  # the report is self-contained: nothing may be fetched from elsewhere
                    v.foreign_requests.append(url)
                    route.abort()

            page.route("**/*", keep_local)
            page.goto(report.as_uri(), wait_until="load", timeout=60_000)
            page.wait_for_timeout(250)  # let late console messages arrive
            v.dom = page.evaluate(DOM_SUMMARY_JS)
            page.screenshot(path=str(shot), full_page=True, timeout=60_000)
            v.screenshot = shot
        finally:
            browser.close()
    return v


def test_report_opens_without_console_or_page_errors(visit: Visit):
    errors = [m for m in visit.console if m[0] in ("error", "assert")]
    assert not errors, f"console errors: {errors}"
    assert not visit.page_errors, f"page errors: {visit.page_errors}"
    assert not visit.foreign_requests, f"the report tried to load: {visit.foreign_requests}"


def test_full_page_screenshot(visit: Visit):
    shot = visit.screenshot
    assert shot is not None and shot.is_file()
    assert shot.stat().st_size > 20_000, f"screenshot only {shot.stat().st_size} bytes"
    width, height = png_size(shot)
    assert width == VIEWPORT["width"], (width, height)
    # full page, not just the viewport: the report is long (11 figures and two tables)
    assert height > 3 * VIEWPORT["height"], (width, height)
    assert height >= min(visit.dom["height"], 16_000) - 2, (height, visit.dom["height"])
    assert visit.dom["width"] <= VIEWPORT["width"], "the page scrolls sideways"


def test_dom_has_every_figure_and_both_tables(visit: Visit, report: Path):
    dom = visit.dom
    assert dom["title"] == "painsim report"
    ids = dom["figure_ids"]
    assert len(ids) >= 10 and len(set(ids)) == len(ids), ids
    pngs = {p.stem for p in (report.parent / "figures").glob("*.png")}
    assert pngs <= set(ids), f"figures not in the page: {sorted(pngs - set(ids))}"
    assert dom["figures_with_svg"] == len(ids), "a figure without its inline SVG"
    assert dom["figures_rendered"] == len(ids), "an inline SVG laid out with no size"
    assert dom["scripts"] == 0

    claims = dom["claims"]
    assert claims is not None, "no table after the 'Mechanism claims' heading"
    assert {"claim", "verdict"} <= set(claims["headers"]) and claims["rows"] >= 5, claims["headers"]
    validation = dom["validation"]
    assert validation is not None, "no table after the 'Validation' heading"
    assert validation["rows"] >= 50 and "lunn2014_dlx60_dpn_50" in validation["text"]
