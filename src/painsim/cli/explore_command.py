"""``painsim explore``: the interactive explorer in the browser, served on 127.0.0.1."""

from __future__ import annotations

import argparse

from painsim.cli.common import UserError, parse_int
from painsim.cli.options import HelpFormatter, examples, load_cli_drug

__all__ = ["add_parsers", "cmd_explore"]


def _check_port(port: int) -> None:
    """Refuse a port that is taken on 127.0.0.1 now, before the model is loaded (seconds)."""
    import socket

    if port == 0:
        return
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError as exc:
            raise UserError(f"--port {port}: cannot listen on 127.0.0.1:{port} ({exc.strerror}); "
                            "choose another port or --port 0 for a free one") from None


def cmd_explore(args: argparse.Namespace) -> int:
    """Serve the explorer until Ctrl-C: check the options and the user's drug files, warm up the
    model, print the URL, open the browser (unless ``--no-browser``)."""
    port = parse_int(args.port, "--port", minimum=0, maximum=65535)
    from pathlib import Path

    extra = {}
    for text in args.drug or ():
        drug = load_cli_drug(text)  # a malformed file is the loader's one-line error, exit status 2
        # named after the file too: an edited copy of a library drug keeps the library's name
        extra[f"{drug.name} ({Path(text).name})"] = drug
    try:
        import panel  # noqa: F401
    except ImportError:
        raise UserError("the explorer needs Panel: pip install panel (it is a dependency of painsim)") from None
    _check_port(port)
    from painsim.explore.server import serve

    try:
        return serve(port, open_browser=not args.no_browser, extra_drugs=extra)
    except KeyboardInterrupt:  # Ctrl-C while the model loads: stop quietly (once serving, serve returns 0)
        return 130


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add ``explore`` to the ``painsim`` sub-commands."""
    e = sub.add_parser("explore", help="the interactive explorer in the browser (students, educators)",
                       formatter_class=HelpFormatter,
                       description="Serve an interactive page on 127.0.0.1 with sliders for dose, trial and "
                                   "mechanism, six views (concentration, occupancy, synaptic 5-HT/NE, dorsal-horn "
                                   "inhibition, responders, NNT) and export of the figure (PNG, SVG) or of a "
                                   "Python script. Ctrl-C stops it.",
                       epilog=examples("painsim explore", "painsim explore --port 8765 --no-browser",
                                       "painsim explore --drug my_duloxetine.toml"))
    e.add_argument("--port", default="0", metavar="N", help="TCP port on 127.0.0.1; 0 picks a free one")
    e.add_argument("--no-browser", action="store_true", help="do not open a browser (print the URL only)")
    e.add_argument("--drug", action="append", metavar="FILE",
                   help="also offer your own drug file (repeatable); library drugs are always offered")
    e.set_defaults(func=cmd_explore)
