"""python-docx and python-pptx packages as ZIP members, from templates their copies share.

Both libraries model an OPC package alike: parts reached from the package's
relationships, each with a partname, a blob and relationships of its own. Two costs
follow from using them as documented, and both are avoided here with the same bytes:

- ``save`` deflates every part into a ZIP that ``normalize_parts`` inflates and
  deflates again; :func:`part_members` takes the members without zipping.
- Each file starts from the library's default template, parsed anew or deep-copied,
  although a file changes only its main part and a few others (and adds parts of its
  own). A :class:`Template` is copied with every other part shared, and those parts'
  members are serialized and deflated once.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from synthcomp.computer.artifacts.zipnorm import Deflated, deflate


class _Rels(Protocol):
    xml: bytes

    def __len__(self) -> int: ...


class _PartName(Protocol):
    membername: str
    rels_uri: Any


class Part(Protocol):
    """What both libraries' ``Part`` offer that the members are made from."""

    partname: _PartName
    blob: bytes
    rels: _Rels
    package: Any


Doc = TypeVar("Doc")


def part_members(parts: Iterable[Part], shared: Mapping[str, Deflated]) -> dict[str, bytes | Deflated]:
    """Each part's member and, if it has any, its relationships' member, as the library's
    ``save`` would write them; a part found in ``shared`` contributes those instead."""
    members: dict[str, bytes | Deflated] = dict(shared)
    for part in parts:
        name = part.partname.membername
        if name not in shared:
            members[name] = part.blob
            if len(part.rels):
                members[part.partname.rels_uri.membername] = part.rels.xml
    return members


@dataclass(frozen=True)
class Template(Generic[Doc]):
    """A document set up once, copied for each file made from it."""

    document: Doc
    own: tuple[Part, ...]
    """The parts a file writes into, the main (document or presentation) part first:
    each copy has its own; the other parts must only be read by whoever writes a copy."""
    shared: dict[str, Deflated] = field(init=False)
    """The shared parts' members and their relationships' members, by member name."""
    _parts: dict[int, Part] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        parts = [part for part in self.own[0].package.iter_parts() if all(part is not own for own in self.own)]
        shared: dict[str, Deflated] = {}
        for part in parts:
            shared[part.partname.membername] = deflate(part.blob)
            if len(part.rels):
                shared[part.partname.rels_uri.membername] = deflate(part.rels.xml)
        object.__setattr__(self, "shared", shared)
        object.__setattr__(self, "_parts", {id(part): part for part in parts})

    def copy(self) -> Doc:
        """A document of its own: its own parts and the package deep-copied, the other
        parts the template's (``deepcopy`` returns what its memo already holds)."""
        return copy.deepcopy(self.document, dict(self._parts))
