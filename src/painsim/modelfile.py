"""The one reader of painsim's model files (the TOML files under ``models/``).

Every model file names its dialect at its top::

    dialect = "painsim-<kind>/<version>"

``<kind>`` says what the file is (``drug``, ``physiology``, ``calibration``, ``occupancy-fit``,
``reported-outcomes``, ...) and ``<version>`` is a whole number, raised when the layout changes
so that old code refuses a newer file instead of misreading it. :func:`read_model_file` (or
:func:`parse_model_text` for a text already in memory) reads the file and checks its dialect;
the loader of each kind then checks the fields with the helpers of :class:`ModelFile`.

Every problem is a :class:`ModelFileError` whose message is one line::

    <file>: <field>: <what is expected, or the fix>

for example ``models/drugs/duloxetine.toml: moieties[duloxetine].pk.cl: value must not be
negative (got -20 L/h)`` or ``models/calibration.toml: dialect: expected
'painsim-calibration/1', got 'painsim-calibration/2': version 2 is newer than this painsim
reads (version 1); upgrade painsim``. Whole-file problems name the pseudo-fields ``file``
(missing or unreadable), ``encoding`` (not UTF-8) and ``syntax`` (not TOML).
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
import tomllib
from collections.abc import Collection, Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from painsim.dialect import Dialect, parse_dialect
from painsim.sourced import Value
from painsim.units import CANONICAL, UnitError, to_canonical

__all__ = [
    "PLAIN_KINDS",
    "Dialect",
    "ModelFile",
    "ModelFileError",
    "Value",
    "bib_keys",
    "bibliography",
    "models_dir",
    "parse_dialect",
    "parse_model_text",
    "read_model_file",
    "shown_path",
]


class ModelFileError(ValueError):
    """A model file that breaks its dialect (the message names file, field and fix)."""


# --------------------------------------------------------------------------------------------
# locating files


def models_dir() -> Path:
    """The directory holding the shipped model library."""
    return Path(str(resources.files("painsim") / "models"))


@lru_cache(maxsize=4)
def bibliography(path: str | None = None) -> frozenset[str]:
    """The set of keys in ``models/references.bib`` (or in the BibTeX file ``path``)."""
    bib = Path(path) if path else models_dir() / "references.bib"
    if not bib.exists():
        return frozenset()
    return bib_keys(bib)


def bib_keys(path: str | os.PathLike[str]) -> frozenset[str]:
    """The keys of the BibTeX file ``path``, read now (not cached: a user's file may change).

    Raises
    ------
    ModelFileError
        If the file is missing, unreadable or not UTF-8.
    """
    _, text = _read_text(Path(path))
    return frozenset(re.findall(r"@\w+\s*\{\s*([^,\s]+)\s*,", text))


def shown_path(path: str | os.PathLike[str]) -> str:
    """How error messages show a file: relative to the package for shipped files (``models/...``)."""
    p = Path(path)
    try:
        return str(p.relative_to(models_dir().parent))
    except ValueError:
        return str(p)


# --------------------------------------------------------------------------------------------
# checking fields


#: the plain (unsourced) field kinds :meth:`ModelFile.plain` checks, and how messages name them
PLAIN_KINDS: dict[str, str] = {
    "string": "a string",
    "bool": "true or false",
    "integer": "a whole number",
    "number": "a number",
    "list": "a list",
    "table": "a table",
    "strings": "a list of strings",
    "numbers": "a list of numbers",
    "tables": "a list of tables",
}

_VALUE_KEYS = {"value", "unit", "source", "derived", "note", "range"}


def _is_number(x: Any) -> bool:
    # TOML booleans are Python bools, which are ints: a number must not be one
    return isinstance(x, int | float) and not isinstance(x, bool)


def _describe(raw: Any) -> str:
    """A TOML-flavoured name of what was found, for 'expected X, got Y' messages."""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, str):
        return f"the string {raw if len(raw) <= 40 else raw[:37] + '...'!r}"
    if isinstance(raw, int):
        return f"the whole number {raw}"
    if isinstance(raw, float):
        return f"the number {raw!r}"
    if isinstance(raw, list):
        return f"a list of {len(raw)}"
    if isinstance(raw, dict):
        return "a table"
    if isinstance(raw, _dt.date | _dt.time):
        return f"the date/time {raw.isoformat()}"
    return type(raw).__name__


def _is_kind(raw: Any, kind: str) -> bool:
    checks = {
        "string": lambda x: isinstance(x, str),
        "bool": lambda x: isinstance(x, bool),
        "integer": lambda x: isinstance(x, int) and not isinstance(x, bool),
        "number": _is_number,
        "list": lambda x: isinstance(x, list),
        "table": lambda x: isinstance(x, dict),
        "strings": lambda x: isinstance(x, list) and all(isinstance(v, str) for v in x),
        "numbers": lambda x: isinstance(x, list) and all(_is_number(v) for v in x),
        "tables": lambda x: isinstance(x, list) and all(isinstance(v, dict) for v in x),
    }
    if kind not in checks:
        raise ValueError(f"unknown plain field kind {kind!r}; known: {', '.join(PLAIN_KINDS)}")
    return checks[kind](raw)


def _choices_text(choices: Iterable[Any]) -> str:
    shown = [repr(c) for c in choices]
    if len(shown) == 1:
        return shown[0]
    if len(shown) == 2:
        return f"{shown[0]} or {shown[1]}"
    return "one of " + ", ".join(shown)


class ModelFile:
    """A model file being read: its path (for messages) and the bibliography (for sources).

    Parameters
    ----------
    path : str or path-like
        The file; messages show it through :func:`shown_path`.
    bib : frozenset of str, optional
        Bibliography keys that ``source`` fields may cite (default: ``models/references.bib``,
        read on first use).
    bib_name : str
        How messages name the bibliography (a user's file may also cite its own).

    Examples
    --------
    >>> f = ModelFile("my.toml", bib=frozenset({"smith2001"}))
    >>> f.sourced_value("pk.cl", {"value": 20000, "unit": "mL/h", "source": "smith2001"}, "clearance").value
    20.0
    >>> str(f.fail("pk.v", "required"))
    'my.toml: pk.v: required'
    """

    def __init__(self, path: str | os.PathLike[str], bib: frozenset[str] | None = None,
                 bib_name: str = "models/references.bib"):
        self.path = Path(path)
        self._bib = bib
        self.bib_name = bib_name

    @property
    def bib(self) -> frozenset[str]:
        """The bibliography keys sources are checked against."""
        if self._bib is None:
            self._bib = bibliography()
        return self._bib

    def fail(self, field: str, what: str) -> ModelFileError:
        """The error for ``field``: ``<file>: <field>: <what>`` on one line (raise it).

        Parameters
        ----------
        field : str
            Dotted name of the field (``"moieties[duloxetine].pk.cl"``), or ``"file"``,
            ``"encoding"``, ``"syntax"``, ``"top level"`` for whole-file problems.
        what : str
            What was expected, or the fix.

        Returns
        -------
        ModelFileError
            The error, for the caller to raise (so that type checkers see the raise).
        """
        one_line = " ".join(f"{shown_path(self.path)}: {field}: {what}".splitlines())
        return ModelFileError(one_line)

    # -- tables and plain fields ---------------------------------------------------------

    def check_keys(self, field: str, table: Any, allowed: Collection[str],
                   required: Collection[str] = ()) -> dict[str, Any]:
        """Check that ``table`` (field ``field``) is a table with no unknown and no missing key; return it."""
        if not isinstance(table, dict):
            raise self.fail(field, f"expected a table, got {_describe(table)}")
        unknown = set(table) - set(allowed)
        if unknown:
            raise self.fail(field, f"unknown key {sorted(unknown)[0]!r} (allowed: {', '.join(sorted(allowed))})")
        missing = set(required) - set(table)
        if missing:
            raise self.fail(field, f"missing required key {sorted(missing)[0]!r}")
        return table

    def plain(self, field: str, raw: Any, kind: str, *, choices: Collection[Any] | None = None,
              optional: bool = False, positive: bool = False) -> Any:
        """Check a plain (unsourced) field: its TOML type and, optionally, its allowed values.

        Parameters
        ----------
        field : str
            Dotted name, for the message.
        raw : Any
            The parsed value; ``None`` means the key is absent.
        kind : str
            One of :data:`PLAIN_KINDS` (``"string"``, ``"bool"``, ``"integer"``, ``"number"``,
            ``"list"``, ``"table"``, ``"strings"``, ``"numbers"``, ``"tables"``).
        choices : collection, optional
            The values allowed.
        optional : bool
            Accept an absent value (return ``None``).
        positive : bool
            For numbers: require a value above zero.

        Returns
        -------
        Any
            ``raw``, unchanged (``None`` when absent and optional).
        """
        if raw is None:
            if optional:
                return None
            raise self.fail(field, f"missing: {PLAIN_KINDS.get(kind, kind)} is required")
        if not _is_kind(raw, kind):
            raise self.fail(field, f"expected {PLAIN_KINDS[kind]}, got {_describe(raw)}")
        numbers = [raw] if kind in ("integer", "number") else raw if kind == "numbers" else []
        if any(not math.isfinite(x) for x in numbers):
            raise self.fail(field, "must be finite (not inf or nan)")
        if positive and any(x <= 0 for x in numbers):
            raise self.fail(field, f"must be positive (got {raw!r})")
        if choices is not None and raw not in choices:
            raise self.fail(field, f"expected {_choices_text(choices)}, got {raw!r}")
        return raw

    def source_keys(self, field: str, raw: Any) -> tuple[str, ...]:
        """Check a ``source``: a bibliography key or a list of them (each may carry ``:locator``)."""
        if raw is None or raw == "" or raw == []:
            raise self.fail(field, f"missing 'source' (a key of {self.bib_name})")
        sources = (raw,) if isinstance(raw, str) else tuple(raw) if isinstance(raw, list) else (None,)
        if not all(isinstance(s, str) and s for s in sources):
            raise self.fail(field, "'source' must be a key or a list of keys")
        for s in sources:
            key = s.split(":")[0]
            if key not in self.bib:
                raise self.fail(field, f"source key {key!r} is not in {self.bib_name}; add an entry")
        return sources

    # -- sourced numbers -----------------------------------------------------------------

    def sourced_value(self, field: str, raw: Any, kind: str, *, mw: float | None = None,
                      nonnegative: bool = True, positive: bool = False) -> Value:
        """Parse ``{ value, unit, source, derived?, note?, range? }`` into a canonical :class:`Value`.

        Parameters
        ----------
        field : str
            Dotted name, for messages.
        raw : Any
            The parsed inline table.
        kind : str
            The quantity (a key of :data:`painsim.units.CANONICAL`); the unit must have its
            dimension.
        mw : float, optional
            Molecular weight (g/mol), for conversions between mass and molar concentrations.
        nonnegative, positive : bool
            Sign rules on the canonical value.

        Returns
        -------
        Value
            The number in its canonical unit, with its sources.
        """
        if not isinstance(raw, dict):
            raise self.fail(field, "a number must be an inline table "
                                   f"{{ value = ..., unit = \"...\", source = \"key\" }}, got {_describe(raw)}")
        self.check_keys(field, raw, _VALUE_KEYS)
        if not _is_number(raw.get("value")):
            raise self.fail(field, "missing or non-numeric 'value'")
        if not isinstance(raw.get("unit"), str):
            raise self.fail(field, "missing 'unit' (every number needs one; \"1\" if dimensionless)")
        sources = self.source_keys(field, raw.get("source"))
        for opt in ("derived", "note"):
            if opt in raw and not isinstance(raw[opt], str):
                raise self.fail(field, f"'{opt}' must be a string")
        if "range" in raw and not (_is_kind(raw["range"], "numbers") and len(raw["range"]) == 2):
            raise self.fail(field, "'range' must be two numbers [low, high] in the value's unit")
        number = float(raw["value"])
        try:
            canon = to_canonical(number, raw["unit"], kind, molecular_weight=mw)
        except UnitError as exc:
            raise self.fail(field, str(exc)) from None
        if not math.isfinite(canon):
            raise self.fail(field, "value must be finite")
        if nonnegative and canon < 0:
            raise self.fail(field, f"value must not be negative (got {number:g} {raw['unit']})")
        if positive and canon <= 0:
            raise self.fail(field, f"value must be positive (got {number:g} {raw['unit']})")
        return Value(value=canon, unit=CANONICAL[kind], source=sources, derived=raw.get("derived"),
                     note=raw.get("note"), raw=(number, raw["unit"]))

    def optional_value(self, where: str, table: dict[str, Any], key: str, kind: str, **kw: Any) -> Value | None:
        """:meth:`sourced_value` of ``table[key]`` (field ``where.key``), or ``None`` if absent."""
        return self.sourced_value(f"{where}.{key}", table[key], kind, **kw) if key in table else None

    def sourced_table(self, field: str, raw: Any, keys: Collection[str], kind: str, **kw: Any) -> dict[str, Value]:
        """A table of sourced numbers of one ``kind`` (and optional ``notes``), keyed by name."""
        self.check_keys(field, raw, {*keys, "notes"})
        self.plain(f"{field}.notes", raw.get("notes"), "string", optional=True)
        return {k: self.sourced_value(f"{field}.{k}", v, kind, **kw) for k, v in raw.items() if k != "notes"}

    def fraction(self, field: str, raw: Any, *, allow_above_one: bool = False) -> Value:
        """A sourced dimensionless number in [0, 1] (unit ``"1"`` or ``"percent"``)."""
        v = self.sourced_value(field, raw, "dimensionless")
        if not allow_above_one and v.value > 1.0:
            raise self.fail(field, f"a fraction must lie in [0, 1] (got {v.value:g})")
        return v

    # -- the dialect ---------------------------------------------------------------------

    def check_dialect(self, doc: dict[str, Any], dialect: str) -> Dialect:
        """Check the top-level ``dialect`` of ``doc`` against ``dialect``, the one the caller reads."""
        expected = parse_dialect(dialect)  # a malformed ``dialect`` here is a bug in painsim
        if "dialect" not in doc:
            raise self.fail("dialect", f"missing; the file must start with dialect = \"{dialect}\" "
                                       "(above any [table])")
        raw = doc["dialect"]
        if not isinstance(raw, str):
            raise self.fail("dialect", f"expected the string {dialect!r}, got {_describe(raw)}")
        head = f"expected {dialect!r}, got {raw!r}"
        try:
            found = parse_dialect(raw)
        except ValueError:
            raise self.fail("dialect", f"{head} (a dialect is 'painsim-<kind>/<version>')") from None
        if found.kind != expected.kind:
            raise self.fail("dialect", f"{head}: the file is of kind {found.kind!r}, not {expected.kind!r}")
        if found.version > expected.version:
            raise self.fail("dialect", f"{head}: version {found.version} is newer than this painsim reads "
                                       f"(version {expected.version}); upgrade painsim")
        if found.version < expected.version:
            raise self.fail("dialect", f"{head}: version {found.version} is no longer read; "
                                       f"update the file to {dialect!r} (see models/README.md)")
        return found


# --------------------------------------------------------------------------------------------
# reading


def parse_model_text(text: str, path: str | os.PathLike[str], dialect: str) -> dict[str, Any]:
    """Parse a model file's text and check its dialect.

    Parameters
    ----------
    text : str
        The TOML text.
    path : str or path-like
        Where the text came from (for messages only; it is not read).
    dialect : str
        The dialect the caller reads, e.g. ``"painsim-drug/1"``.

    Returns
    -------
    dict
        The parsed document (with its ``dialect`` key).

    Raises
    ------
    ModelFileError
        Not TOML, no ``dialect``, another kind, or an unsupported version.

    Examples
    --------
    >>> parse_model_text('dialect = "painsim-drug/1"', "x.toml", "painsim-drug/1")
    {'dialect': 'painsim-drug/1'}
    """
    f = ModelFile(path)
    try:
        doc = tomllib.loads(text.removeprefix("\ufeff"))  # an editor's byte-order mark is not an error
    except tomllib.TOMLDecodeError as exc:
        raise f.fail("syntax", f"not valid TOML ({exc})") from None
    _check_integers(f, doc, "")
    f.check_dialect(doc, dialect)
    return doc


#: TOML whole numbers are 64-bit signed (TOML 1.0, "Integer"); tomllib reads any size, and a larger
#: one would raise OverflowError wherever it meets a float
_INT64 = (-(2**63), 2**63 - 1)


def _check_integers(f: ModelFile, node: Any, where: str) -> None:
    """Refuse whole numbers outside the 64-bit range TOML allows (naming the field)."""
    if isinstance(node, dict):
        for k, v in node.items():
            _check_integers(f, v, f"{where}.{k}" if where else str(k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            _check_integers(f, v, f"{where}[{i}]")
    elif isinstance(node, int) and not isinstance(node, bool) and not _INT64[0] <= node <= _INT64[1]:
        raise f.fail(where, "a whole number outside the 64-bit range TOML allows; write it as a float (1e30)")


def read_model_file(path: str | os.PathLike[str], dialect: str, *,
                    if_missing: str | None = None) -> tuple[bytes, dict[str, Any]]:
    """Read a model file, parse it and check its dialect.

    Parameters
    ----------
    path : str or path-like
        The file.
    dialect : str
        The dialect the caller reads, e.g. ``"painsim-drug/1"``.
    if_missing : str, optional
        The fix to suggest when the file does not exist (e.g. the command that writes it).

    Returns
    -------
    bytes
        The file's bytes (to hash).
    dict
        The parsed document (with its ``dialect`` key).

    Raises
    ------
    ModelFileError
        Missing or unreadable file, bytes that are not UTF-8, invalid TOML, no ``dialect``,
        another kind, or an unsupported version.
    """
    p = Path(path)
    data, text = _read_text(p, if_missing)
    return data, parse_model_text(text, p, dialect)


def _read_text(p: Path, if_missing: str | None = None) -> tuple[bytes, str]:
    """The bytes and the UTF-8 text of ``p``; every failure a :class:`ModelFileError` on one line."""
    f = ModelFile(p)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise f.fail("file", "not found" + (f"; {if_missing}" if if_missing else "")) from None
    except IsADirectoryError:
        raise f.fail("file", "is a directory, not a model file") from None
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the name
        raise f.fail("file", f"cannot read ({getattr(exc, 'strerror', None) or exc})") from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise f.fail("encoding", f"not UTF-8 (byte 0x{data[exc.start]:02x} on line {line}); "
                                 "save the file as UTF-8") from None
    return data, text
