"""Options several commands share: users' own model files (``--physiology``, ``--calibration``),
seeds and probabilities typed on the command line, warnings where a result means little, and a
help layout that shows defaults and examples.

Nothing here imports the model at module level (``painsim --help`` stays fast).
"""

from __future__ import annotations

import argparse
import math
import sys
from typing import Any

from painsim.cli.common import UserError, parse_int

__all__ = [
    "MIN_PATIENTS",
    "SEED_MAX",
    "HelpFormatter",
    "add_model_file_options",
    "examples",
    "few_patients",
    "is_file",
    "load_cli_drug",
    "model_files",
    "one_line",
    "parse_probability",
    "parse_seed",
    "trial_warnings",
    "warn",
]

#: the largest seed: the population's counter-based generator keys on a signed 64-bit integer
SEED_MAX = 2**63 - 1
#: below this many patients per arm a responder rate's sampling SE exceeds ~9 percentage points
#: (sqrt(0.25/30)), so a simulated NNT means little; a warning says so
MIN_PATIENTS = 30


class HelpFormatter(argparse.HelpFormatter):
    """``--help`` with each option's default (where it has a value; flags and "none" defaults say
    nothing); the description is wrapped, the ``examples:`` block kept line by line."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("examples:"):
            return "\n".join(indent + line for line in text.splitlines())
        return super()._fill_text(text, width, indent)

    def _get_help_string(self, action: argparse.Action) -> str:
        text = action.help or ""
        default = action.default
        if default in (None, False, argparse.SUPPRESS) or "default" in text or action.option_strings == []:
            return text
        return f"{text} (default: {default})"


def examples(*lines: str) -> str:
    """An epilog of example command lines for a sub-command's ``--help``."""
    return "examples:\n" + "\n".join(f"  {line}" for line in lines)


def parse_seed(text: str, name: str = "--seed") -> int:
    """A seed: a whole number from 0 to :data:`SEED_MAX`.

    Raises
    ------
    UserError
        If the text is not such a number.
    """
    return parse_int(text, name, minimum=0, maximum=SEED_MAX)


def parse_probability(text: str | None, name: str, *, default: float = 0.0) -> float:
    """A probability in [0, 1) typed on the command line (``None``: ``default``).

    Raises
    ------
    UserError
        If the text is not a number in [0, 1).
    """
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        raise UserError(f"{name} must be a probability in [0, 1), got {text!r}") from None
    if not (math.isfinite(value) and 0.0 <= value < 1.0):
        raise UserError(f"{name} must lie in [0, 1), got {text!r}")
    return value


def add_model_file_options(parser: argparse.ArgumentParser) -> None:
    """``--physiology FILE`` and ``--calibration FILE``: the user's own copies of the shipped
    ``models/physiology.toml`` and ``models/calibration.toml`` (same dialect, same checks)."""
    parser.add_argument("--physiology", default=None, metavar="FILE",
                        help="physiology file (default: the shipped models/physiology.toml)")
    parser.add_argument("--calibration", default=None, metavar="FILE",
                        help="calibration file, e.g. one `painsim calibrate` wrote (default: the shipped one)")


def model_files(args: argparse.Namespace) -> tuple[Any, Any]:
    """The physiology and calibration the command runs with (each file read and checked now,
    before any computation; a malformed file is the loader's one-line error). A file given is
    also made the process's default (``$PAINSIM_PHYSIOLOGY``, ``$PAINSIM_CALIBRATION``).

    Returns
    -------
    tuple
        (:class:`~painsim.physiology.Physiology`, :class:`~painsim.calibration.Calibration`).
    """
    import os
    from pathlib import Path

    from painsim import calibration, physiology
    from painsim.calibration import load_calibration
    from painsim.physiology import load_physiology

    for option, value in (("--physiology", args.physiology), ("--calibration", args.calibration)):
        if value is not None and not is_file(value):
            raise UserError(f"{option} {value[:60]}: no such file")
    phys, cal = load_physiology(args.physiology), load_calibration(args.calibration)
    # every part of the run that reads the default (figures, claim experiments, sweep workers started
    # here) reads these files too
    for module, value in ((physiology, args.physiology), (calibration, args.calibration)):
        if value is not None:
            os.environ[module.ENV_VAR] = str(Path(value).resolve())
    return phys, cal


def load_cli_drug(text: str) -> Any:
    """The drug named by ``--drug``: a library name, a brand name, or a drug file (``*.toml``).

    A user's own drug file gets its derived and anchored EC50s computed from that file
    (:func:`painsim.occupancy_fit.with_own_ec50s`), so an edited Ki, fu or PK takes effect.
    """
    from painsim.library import is_shipped, load_drug

    drug = load_drug(text)
    if not is_shipped(drug):
        from painsim.occupancy_fit import with_own_ec50s

        drug = with_own_ec50s(drug)
    return drug


def is_file(text: str) -> bool:
    """Whether ``text`` names an existing regular file (False for names the file system refuses,
    e.g. too long, instead of an OSError)."""
    from pathlib import Path

    try:
        return Path(text).is_file()
    except (OSError, ValueError):
        return False


def one_line(message: str) -> str:
    """A message as one printable line: control characters a user typed (a carriage return in a
    file name, say) are shown escaped instead of breaking the line."""
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in message)


def warn(message: str) -> None:
    """One warning line on stderr (the result is computed; the user should know what it means)."""
    print(f"painsim: warning: {one_line(message)}", file=sys.stderr)


def few_patients(n_per_arm: int) -> str | None:
    """The warning for fewer than :data:`MIN_PATIENTS` patients per arm (None: enough)."""
    if n_per_arm >= MIN_PATIENTS:
        return None
    return (f"{n_per_arm} patients per arm: a responder rate's sampling error is then over 9 percentage "
            f"points; use at least {MIN_PATIENTS}")


def trial_warnings(drug: Any, dose: float, n_per_arm: int, *, condition: str | None = None,
                   design: str | None = None) -> list[str]:
    """Why a trial's result may mean little: few patients, a dose outside the label's range, a
    condition or design for which no reported outcome was simulated (the model is unvalidated
    there).

    Parameters
    ----------
    drug : DrugSpec
    dose : float
        mg/day.
    n_per_arm : int
    condition, design : str, optional
        As given to :func:`painsim.trial.run_trial` (None: not a trial).

    Returns
    -------
    list of str
        One sentence each; empty when nothing is unusual.
    """
    out = [w for w in (few_patients(n_per_arm),) if w]
    lo, hi = drug.dosing.dose_min.value, drug.dosing.dose_max.value
    if dose < lo or dose > hi:
        out.append(f"{dose:g} mg/day is outside {drug.name}'s label range {lo:g}-{hi:g} mg/day: the model is "
                   "calibrated and validated on label doses, so this is an extrapolation")
    if condition is not None or design is not None:
        from painsim.reported import load_reported_outcomes

        rows = [r for r in load_reported_outcomes() if r.get("simulate")]
        conditions = sorted({r["condition"] for r in rows})
        designs = sorted({r.get("design", "parallel") for r in rows})
        if condition is not None and condition not in conditions:
            out.append(f"no reported outcome in condition {condition!r} is simulated by `painsim validate` "
                       f"(validated: {', '.join(conditions)}): the result is unvalidated")
        if design is not None and design not in designs:
            out.append(f"no reported outcome with a {design} design is simulated by `painsim validate` "
                       f"(validated: {', '.join(designs)}): the result is unvalidated")
    return out
