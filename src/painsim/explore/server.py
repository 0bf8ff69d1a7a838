"""Serving the explorer on 127.0.0.1 (never on another interface): warm up the model (numba
compiles on a fresh install; a progress line says so), then serve one page per browser session.

The first line that starts with ``painsim explore: serving on`` carries the URL (with the port the
system chose for ``--port 0``); tests and scripts wait for it.
"""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Mapping
from typing import Any

__all__ = ["ADDRESS", "free_port", "serve", "warm_up"]

ADDRESS = "127.0.0.1"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the system's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((ADDRESS, 0))
        return int(s.getsockname()[1])


def _say(text: str) -> None:
    print(f"painsim explore: {text}", flush=True)


def warm_up(extra_drugs: Mapping[str, Any] | None = None) -> Any:
    """The shared :class:`~painsim.explore.model.ExplorerModel`, with the first page computed once
    (this compiles the numba kernels on a fresh install, and fills the cache for the first visitor)."""
    from painsim.explore.model import VIEWS, ExplorerModel

    t0 = time.perf_counter()
    _say("loading the model and compiling it (numba; a first start on a fresh install takes up to ~30 s) ...")
    model = ExplorerModel(extra_drugs)
    s = model.defaults()
    model.compute(s, needs=tuple({need for _title, needs in VIEWS.values() for need in needs}))
    # one figure drawn too: on a fresh install matplotlib builds its font cache the first time
    from painsim.explore.views import render, view_figure

    render(view_figure(model.compute(s)))
    _say(f"model ready in {time.perf_counter() - t0:.1f} s")
    return model


def serve(port: int = 0, *, open_browser: bool = True, extra_drugs: Mapping[str, Any] | None = None) -> int:
    """Serve the explorer on ``http://127.0.0.1:PORT/`` until interrupted (Ctrl-C).

    Parameters
    ----------
    port : int
        TCP port; 0 picks a free one.
    open_browser : bool
        Open the page in the default browser once it is served.
    extra_drugs : mapping of str to DrugSpec, optional
        Users' own drugs to offer after the library.

    Returns
    -------
    int
        The exit status (0).
    """
    model = warm_up(extra_drugs)
    import panel as pn

    from painsim.explore.app import build_app

    port = port or free_port()

    def page() -> Any:
        return build_app(model, echo=True).layout

    server = pn.serve({"/": page}, port=port, address=ADDRESS, show=False, start=False, title="painsim explore",
                      websocket_origin=[f"{ADDRESS}:{port}", f"localhost:{port}"], verbose=False)
    server.start()
    url = f"http://{ADDRESS}:{server.port}/"
    _say(f"serving on {url} (Ctrl-C stops it)")
    if open_browser:
        import webbrowser

        webbrowser.open(url)
    try:
        server.io_loop.start()
    except KeyboardInterrupt:
        print("", file=sys.stderr)
    finally:
        server.stop()
    return 0
