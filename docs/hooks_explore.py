"""MkDocs hook: a screenshot of the explorer for docs/explore.md, taken at build time.

It starts ``python -m painsim explore --no-browser --port 0`` (the painsim of ``src/``), opens the
page in the system's Chromium with Playwright, saves a screenshot into the built site and links it
in place of the marker ``<!-- explore-screenshot -->``. Where Chromium, Playwright or Panel is
missing, or ``PAINSIM_DOCS_SCREENSHOT=0``, the page says how to see the explorer instead; the build
never fails for the screenshot (it is not in git: generated output is not committed).
"""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

log = logging.getLogger("mkdocs.hooks.explore")

PAGE = "explore.md"
MARKER = "<!-- explore-screenshot -->"
IMAGE = "explore-screenshot.png"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
_shot: bytes | None = None


def _chromium() -> str | None:
    wanted = os.environ.get("PAINSIM_CHROMIUM")
    for name in (wanted,) if wanted else ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def screenshot(root: Path, timeout: float = 120.0) -> bytes:
    """A PNG of the explorer's first page (raises where it cannot be taken)."""
    from playwright.sync_api import sync_playwright

    chromium = _chromium()
    if chromium is None:
        raise RuntimeError("no Chromium")
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONUNBUFFERED="1",
               PYTHONPATH=os.pathsep.join([str(root / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]))
    proc = subprocess.Popen([sys.executable, "-m", "painsim", "explore", "--no-browser", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        deadline, url = time.monotonic() + timeout, None
        for line in proc.stdout:  # type: ignore[union-attr]
            m = re.match(r"painsim explore: serving on (\S+)", line)
            if m:
                url = m.group(1).rstrip(" (")
                break
            if time.monotonic() > deadline:
                break
        if url is None:
            raise RuntimeError("the explorer did not start")
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 900})
                page.goto(url, wait_until="load", timeout=60_000)
                page.locator(".painsim-figure img").first.wait_for(timeout=60_000)
                page.wait_for_timeout(500)
                return page.screenshot(full_page=False)
            finally:
                browser.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def on_files(files: Any, config: Any) -> Any:
    """Take the screenshot and add it to the site's files (nothing where it cannot be taken)."""
    global _shot
    _shot = None
    if os.environ.get("PAINSIM_DOCS_SCREENSHOT", "1").strip() == "0":
        return files
    try:
        _shot = screenshot(Path(config["config_file_path"]).resolve().parent)
    except Exception as exc:  # a missing browser must not fail the documentation build
        log.info("explore: no screenshot (%s: %s)", type(exc).__name__, str(exc).splitlines()[0] if str(exc) else "")
        return files
    from mkdocs.structure.files import File

    files.append(File.generated(config, IMAGE, content=_shot))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """The screenshot (or a note where none could be taken) in place of the marker."""
    if page.file.src_uri != PAGE:
        return markdown
    if _shot is not None:
        text = (f"![The explorer: duloxetine 60 mg/day, responders per week in a virtual trial]({IMAGE})\n\n"
                "*The explorer as it opens (a screenshot taken when this site was built).*")
    else:
        text = ("*A screenshot is taken when the site is built on a machine with Chromium; run "
                "`painsim explore` to see the page.*")
    return markdown.replace(MARKER, text)
