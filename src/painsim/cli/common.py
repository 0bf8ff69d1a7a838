"""What the command modules share: the user-error type and exit status, the one-line argparse
parser, validation of numbers typed on the command line, and plain-text output helpers.

Nothing here imports the model at module level, so that ``painsim --help`` and a mistyped
argument stay fast; :func:`parse_dose` loads the drug library only when it is called.
"""

from __future__ import annotations

import argparse
import math
from typing import NoReturn

# every file the commands write goes through painsim.atomic (whole or not at all, normal
# permissions), and every output path is checked there before computing: one helper, shared with
# the library, re-exported here for the command modules
from painsim.atomic import OutputPathError, atomic_write, check_output_path

__all__ = [
    "EXIT_USAGE",
    "OneLineErrorParser",
    "OutputPathError",
    "UserError",
    "atomic_write",
    "check_output_path",
    "fmt",
    "format_table",
    "parse_dose",
    "parse_fraction",
    "parse_int",
    "sweep_options",
]

EXIT_USAGE = 2


class UserError(Exception):
    """A mistake in the user's input: reported in one line, exit status 2."""


class OneLineErrorParser(argparse.ArgumentParser):
    """An argument parser whose errors are a :class:`UserError` (one line), not usage + message."""

    def error(self, message: str) -> NoReturn:
        """Raise the parse error as a :class:`UserError` that points to the command's ``--help``.

        Parameters
        ----------
        message : str
            argparse's description of the mistake.

        Raises
        ------
        UserError
            Always; :func:`painsim.cli.main` prints it on one line and exits with status 2.
        """
        raise UserError(f"{message} (see `{self.prog} --help`)")


def parse_dose(text: str, drug: object) -> float:
    """Validate a daily dose given on the command line against the drug's label maximum.

    Parameters
    ----------
    text : str
        The ``--dose`` argument, mg/day.
    drug : DrugSpec or str
        The drug, or its library name.

    Returns
    -------
    float
        The dose, mg/day: finite, positive and at most 10 times the label maximum.

    Raises
    ------
    UserError
        If the text is not such a number.
    """
    from painsim.library import load_drug

    try:
        dose = float(text)
    except ValueError:
        raise UserError(f"--dose must be a number of mg/day, got {text!r}") from None
    if not math.isfinite(dose) or dose <= 0:
        raise UserError(f"--dose must be a positive number of mg/day, got {text!r}")
    if isinstance(drug, str):
        drug = load_drug(drug)
    limit = 10.0 * drug.dosing.dose_max.value
    if dose > limit:
        raise UserError(f"--dose {dose:g} mg/day is absurd for {drug.name} (label maximum "
                        f"{drug.dosing.dose_max.value:g} mg/day; painsim accepts up to 10x, {limit:g})")
    return dose


def parse_int(text: str, name: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """A whole-number option, checked against its bounds.

    Parameters
    ----------
    text : str
        The option's value as typed.
    name : str
        The option (``--patients``), for the error message.
    minimum, maximum : int, optional
        Inclusive bounds; no upper bound when ``maximum`` is None.

    Returns
    -------
    int
        The value.

    Raises
    ------
    UserError
        If the text is not a whole number within the bounds.
    """
    try:
        value = int(text)
    except ValueError:
        raise UserError(f"{name} must be a whole number, got {text!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        hi = f" and at most {maximum}" if maximum is not None else ""
        raise UserError(f"{name} must be at least {minimum}{hi}, got {value}")
    return value


def parse_fraction(text: str, name: str) -> float:
    """A fraction strictly between 0 and 1.

    Parameters
    ----------
    text : str
        The option's value as typed.
    name : str
        The option, for the error message.

    Returns
    -------
    float
        The value.

    Raises
    ------
    UserError
        If the text is not a number in (0, 1).
    """
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"{name} must be a fraction between 0 and 1, got {text!r}") from None
    if not 0.0 < value < 1.0:
        raise UserError(f"{name} must lie strictly between 0 and 1, got {text!r}")
    return value


def fmt(x: float | None, digits: int = 3) -> str:
    """A number to ``digits`` significant digits for a table cell; ``-`` for a missing value.

    Parameters
    ----------
    x : float or None
        The value.
    digits : int, default 3
        Significant digits.

    Returns
    -------
    str
        The cell text.

    Examples
    --------
    >>> fmt(1234.5), fmt(None), fmt(0.012345, 2)
    ('1.23e+03', '-', '0.012')
    """
    if x is None:
        return "-"
    return f"{x:.{digits}g}"


def format_table(rows: list[list[str]], header: list[str]) -> str:
    """A plain-text table: left-aligned columns two spaces apart, a dashed rule under the header.

    Parameters
    ----------
    rows : list of list of str
        The cells, row by row (each row as long as the header).
    header : list of str
        Column titles.

    Returns
    -------
    str
        The table, without a trailing newline.

    Examples
    --------
    >>> print(format_table([["a", "1"], ["bcd", "22"]], ["x", "y"]))
    x    y
    ---  --
    a    1
    bcd  22
    """
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).ljust(w) for c, w in zip(header, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)


def sweep_options(args: argparse.Namespace) -> dict:
    """``--scheduler`` / ``--workers`` of ``sweep`` and ``sensitivity``, checked.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Returns
    -------
    dict
        ``scheduler`` (address or None) and ``workers`` (int or None), the keyword arguments of
        :func:`painsim.sweep.run_sweep` and :func:`painsim.sensitivity.run_sensitivity`.

    Raises
    ------
    UserError
        If both are given, or ``--workers`` is not a whole number from 1 to 1024.
    """
    if args.scheduler and args.workers:
        raise UserError("give either --scheduler or --workers, not both")
    opts: dict = {"scheduler": args.scheduler or None,
                  "workers": None if args.workers is None else parse_int(args.workers, "--workers", maximum=1024)}
    return opts
