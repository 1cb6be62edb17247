"""Shared pieces of "repair, then degrade" (DESIGN.md, "Brains").

Every rule a model-written value must keep is part of its validation: the schema, then
the rules a schema cannot state, which ``check`` lists for a repair turn
(:meth:`ModelClient.structured`). When the repairs run out, ``degrade`` makes the value
safe, field by field.

A closed set the model picks from (artifact types, edge kinds, criterion kinds) is shown
to it as an enum but accepted as any string (:func:`closed`): a stray value is then one
problem named in the repair turn and, if it persists, one field mapped to the nearest
valid value (:func:`nearest`). A strict ``Literal`` would fail the whole reply at the
schema, leaving nothing for ``degrade`` to keep.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated, Any, get_args

from pydantic import WithJsonSchema


def closed(literal: Any) -> Any:
    """A ``str`` field type the model sees as an enum of ``literal``'s values.

    Validation accepts any string: the role's ``check`` names a value outside the set
    (:func:`stray`) and its ``degrade`` maps it (:func:`nearest`)."""
    return Annotated[str, WithJsonSchema({"type": "string", "enum": list(get_args(literal))})]


def values_of(literal: Any) -> tuple[str, ...]:
    """The values of a ``Literal`` type, in order."""
    return tuple(get_args(literal))


def stray(where: str, value: str, literal: Any) -> str | None:
    """The problem of a closed-set value outside ``literal`` (None when it is inside)."""
    allowed = values_of(literal)
    return None if value in allowed else f"{where} {value!r} is not one of {', '.join(allowed)}"


def nearest(value: str, literal: Any, default: str | None) -> str | None:
    """The value of ``literal`` that ``value`` most likely meant: itself in another case or
    spacing ('Derived From'), else the closest spelling ('xls' -> 'xlsx'), else ``default``."""
    allowed = values_of(literal)
    plain = "_".join(value.lower().replace("-", " ").split())
    if plain in allowed:
        return plain
    close = difflib.get_close_matches(plain, allowed, n=1, cutoff=0.6)
    return close[0] if close else default


@dataclass(frozen=True)
class Finding:
    """One broken rule: the problem as the repair turn names it, and what degrading did."""

    problem: str
    action: str


def summary(findings: Sequence[Finding], limit: int = 8) -> str:
    """What degrading did, in one sentence-like line for the run's warnings."""
    more = len(findings) - limit
    return "; ".join(f.action for f in findings[:limit]) + (f"; and {more} more" if more > 0 else "")
