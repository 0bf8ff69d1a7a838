"""What the browser tests share: Chromium's command-line flags, the viewport and a PNG reader.

Imported relatively (``from ._browser import ...``), as tests/validation/_shared.py is; the
``chromium`` fixture is in tests/e2e/conftest.py.
"""

from __future__ import annotations

import struct
from pathlib import Path

__all__ = ["CHROMIUM_ARGS", "CHROMIUM_CANDIDATES", "VIEWPORT", "png_size"]

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
# flags that keep Chromium off the network and quiet on a closed machine (Playwright adds its own
# fresh temporary --user-data-dir and --headless)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",  # containers often have a tiny /dev/shm
]
VIEWPORT = {"width": 1280, "height": 900}


def png_size(data: bytes | Path) -> tuple[int, int]:
    """(width, height) of a whole PNG (signature, IHDR first, IEND last), else AssertionError."""
    if isinstance(data, Path):
        data = data.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    assert data[12:16] == b"IHDR", "PNG without IHDR first"
    assert data[-12:] == b"\x00\x00\x00\x00IEND\xaeB`\x82", "PNG truncated (no IEND chunk at the end)"
    return struct.unpack(">II", data[16:24])
