"""The ``painsim`` command line (interfaces: DESIGN §3; they are stable — tested, documented).

User mistakes (unknown drug, bad dose, malformed model file) print one line on stderr and exit
with status 2, without a traceback.

Each command group lives in its own module, its sub-parser next to its code:
:mod:`~painsim.cli.library_commands` (``drugs``, ``pk``, ``occupancy``, ``fit-occupancy``),
:mod:`~painsim.cli.trial_commands` (``trial``, ``validate``, ``calibrate``),
:mod:`~painsim.cli.reproduce_command` (``reproduce``), :mod:`~painsim.cli.sweep_commands`
(``sweep``, ``sensitivity``), :mod:`~painsim.cli.experiment_commands` (``experiments``,
``experiment``) and :mod:`~painsim.cli.explore_command` (``explore``); :mod:`~painsim.cli.common`
and :mod:`~painsim.cli.options` hold what they share. The model is
imported inside the command functions, never at module level, so that ``painsim --help`` and a
mistyped argument stay fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from painsim.cli import (
    experiment_commands,
    explore_command,
    library_commands,
    reproduce_command,
    sweep_commands,
    trial_commands,
)
from painsim.cli.common import EXIT_USAGE, OneLineErrorParser, OutputPathError, UserError
from painsim.cli.options import one_line

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    """The ``painsim`` argument parser with every sub-command.

    Returns
    -------
    argparse.ArgumentParser
        A parser whose errors raise :class:`~painsim.cli.common.UserError`; each sub-command sets
        ``func``, the function that runs it.
    """
    p = OneLineErrorParser(prog="painsim", description="Monoamine reuptake inhibitors in neuropathic pain: "
                                                       "dose -> PK -> SERT/NET occupancy -> ... -> NNT.")
    from painsim._version import __version__

    p.add_argument("--version", action="version", version=f"painsim {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=OneLineErrorParser)
    # the order here is the order of `painsim --help` and of argparse's "invalid choice" list
    library_commands.add_parsers(sub)
    trial_commands.add_parsers(sub)
    reproduce_command.add_parsers(sub)
    sweep_commands.add_parsers(sub)
    experiment_commands.add_parsers(sub)
    explore_command.add_parsers(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``painsim`` console script.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments after ``painsim``; default ``sys.argv[1:]``.

    Returns
    -------
    int
        The exit status: 0 on success, 2 (``EXIT_USAGE``) for a user mistake or no command, or the
        command's own status.
    """
    from painsim.library import ModelFileError, UnknownDrugError
    from painsim.regimen import InvalidRegimenError

    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return EXIT_USAGE
        return int(args.func(args) or 0)
    except (UserError, UnknownDrugError, ModelFileError, InvalidRegimenError, OutputPathError) as exc:
        print(f"painsim: error: {one_line(str(exc))}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return 0
