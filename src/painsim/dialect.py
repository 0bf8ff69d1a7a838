"""Dialect strings of painsim's model files: ``painsim-<kind>/<version>`` (:mod:`painsim.modelfile`).

``<kind>`` says what the file is and ``<version>`` is a whole number raised when the layout changes,
so that old code refuses a newer file instead of misreading it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Dialect", "parse_dialect"]

_DIALECT_RE = re.compile(r"painsim-([a-z][a-z0-9]*(?:-[a-z0-9]+)*)/([1-9][0-9]*)")


@dataclass(frozen=True)
class Dialect:
    """A parsed dialect string ``painsim-<kind>/<version>``.

    Attributes
    ----------
    kind : str
        What the file is, e.g. ``"drug"`` or ``"occupancy-fit"``.
    version : int
        The layout version (1, 2, ...).
    """

    kind: str
    version: int

    def __str__(self) -> str:
        return f"painsim-{self.kind}/{self.version}"


def parse_dialect(text: str) -> Dialect:
    """Split a dialect string such as ``"painsim-drug/1"`` into kind and version.

    Raises :class:`ValueError` if ``text`` is not of the form ``painsim-<kind>/<version>``.

    Examples
    --------
    >>> parse_dialect("painsim-occupancy-fit/1")
    Dialect(kind='occupancy-fit', version=1)
    """
    m = _DIALECT_RE.fullmatch(text) if isinstance(text, str) else None
    if m is None:
        raise ValueError(f"not a dialect of the form 'painsim-<kind>/<version>': {text!r}")
    return Dialect(m.group(1), int(m.group(2)))
