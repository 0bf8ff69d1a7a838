"""The system's Chromium for the browser tests (never a browser downloaded at test time).

Without a browser (or without the playwright package) the tests skip, unless
PAINSIM_REQUIRE_BROWSER=1 (as in CI), where they fail. PAINSIM_CHROMIUM names another binary.
"""

from __future__ import annotations

import os
import shutil

import pytest

from ._browser import CHROMIUM_CANDIDATES


def _missing(reason: str):
    if os.environ.get("PAINSIM_REQUIRE_BROWSER", "").strip() not in ("", "0"):
        pytest.fail(f"PAINSIM_REQUIRE_BROWSER is set but {reason}", pytrace=False)
    pytest.skip(f"{reason} (set PAINSIM_REQUIRE_BROWSER=1 to make this a failure)")


@pytest.fixture(scope="session")
def chromium() -> str:
    """The path of the system's Chromium, and Playwright importable; skip (or fail in CI) otherwise."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        _missing("the 'playwright' package is not installed (pip install '.[test]')")
    wanted = os.environ.get("PAINSIM_CHROMIUM")
    for name in (wanted,) if wanted else CHROMIUM_CANDIDATES:
        path = shutil.which(name)
        if path:
            return path
    _missing(
        f"no Chromium browser found ({wanted or ', '.join(CHROMIUM_CANDIDATES)}; on Debian: apt-get install chromium)"
    )
    raise AssertionError("unreachable")
