"""Sourced numbers: a :class:`Value` carries its canonical unit and its bibliography keys.

The model files (:mod:`painsim.modelfile`) turn every ``{ value, unit, source }`` table into a
:class:`Value`; the specs built from them (drugs, physiology) are trees of frozen dataclasses and
mappings holding Values. :func:`cited_keys` collects what such a tree cites and
:func:`replace_value` returns a copy of it with one number changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Value", "cited_keys", "replace_value"]


@dataclass(frozen=True)
class Value:
    """One sourced number, converted to its canonical unit.

    Attributes
    ----------
    value : float
        The number in ``unit`` (canonical).
    unit : str
        Canonical unit.
    source : tuple of str
        Bibliography keys (with optional ``:locator``).
    derived : str or None
        The calculation, when the number was computed from others.
    note : str or None
        Free-text remark.
    raw : tuple
        ``(value, unit)`` as written in the file.
    """

    value: float
    unit: str
    source: tuple[str, ...]
    derived: str | None = None
    note: str | None = None
    raw: tuple[float, str] = (float("nan"), "")

    def __float__(self) -> float:
        return self.value

    @property
    def is_derived(self) -> bool:
        """Whether the number was computed from others (``derived`` is set)."""
        return self.derived is not None

    def replace(self, value: float, *, source: str = "user") -> Value:
        """Return a copy holding a user-set ``value`` (same unit), marked as such."""
        return dataclasses.replace(self, value=float(value), source=(source,), derived=None,
                                   note=f"set by user (was {self.value:g} {self.unit})",
                                   raw=(float(value), self.unit))


def cited_keys(*trees: Any) -> set[str]:
    """Every bibliography key cited by the Values in ``trees`` (without locators, not ``"user"``).

    Parameters
    ----------
    *trees : Any
        Values, dataclasses, mappings and tuples holding them, nested to any depth.

    Returns
    -------
    set of str
        The keys.

    Examples
    --------
    >>> cited_keys({"a": Value(1.0, "h", ("smith2001:table2",)), "b": Value(2.0, "h", ("user",))})
    {'smith2001'}
    """
    keys: set[str] = set()

    def visit(obj: Any) -> None:
        if isinstance(obj, Value):
            keys.update(k.split(":")[0] for k in obj.source)
        elif dataclasses.is_dataclass(obj):
            for f in dataclasses.fields(obj):
                visit(getattr(obj, f.name))
        elif isinstance(obj, Mapping):
            for v in obj.values():
                visit(v)
        elif isinstance(obj, tuple):
            for v in obj:
                visit(v)

    for tree in trees:
        visit(tree)
    keys.discard("user")
    return keys


def replace_value(tree: Any, parts: Sequence[str], value: float, *, name: str) -> Any:
    """A copy of ``tree`` with the Value at ``parts`` set by the user to ``value`` (same unit).

    Parameters
    ----------
    tree : Any
        A frozen dataclass or mapping holding Values.
    parts : sequence of str
        Field names (or mapping keys) leading to the Value.
    value : float
        The new number, in the Value's canonical unit.
    name : str
        The dotted name the caller was given, for messages.

    Returns
    -------
    Any
        The new tree (``tree`` is not mutated).

    Raises
    ------
    KeyError
        If ``parts`` does not lead to a Value.
    """
    if not parts:
        if not isinstance(tree, Value):
            raise KeyError(f"{name!r} does not name a number")
        return tree.replace(value)
    head, rest = parts[0], parts[1:]
    if isinstance(tree, Mapping):
        if head not in tree:
            raise KeyError(f"{name!r}: no field {head!r} (have {', '.join(tree)})")
        return {**tree, head: replace_value(tree[head], rest, value, name=name)}
    if not dataclasses.is_dataclass(tree) or head not in {f.name for f in dataclasses.fields(tree)}:
        raise KeyError(f"{name!r}: no field {head!r}")
    current = getattr(tree, head)
    if current is None:
        raise KeyError(f"{name!r} is not set in the model file; it cannot be changed")
    return dataclasses.replace(tree, **{head: replace_value(current, rest, value, name=name)})
