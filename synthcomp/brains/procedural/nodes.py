"""What the planner and the noise step share: a file being planned, and how names stay unique.

Kept apart from ``plan.py`` so that ``noise.py`` can use them without importing the planner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from synthcomp import ospath
from synthcomp.models import ContentMode, EdgeKind, Origin, Project


@dataclass
class Node:
    """A file being planned; becomes a :class:`PlannedFile` once it has a path."""

    id: str
    type: str
    title: str
    description: str
    when: datetime
    origin: Origin
    mode: ContentMode
    project: Project | None
    role: str
    version: int | None = None
    final: bool = False
    dated: bool = False
    directory: str | None = None
    name: str | None = None
    sources: list[tuple[str, EdgeKind]] = field(default_factory=list)


def unique_name(os_name: str, directory: str, name: str, taken: set[str]) -> str:
    """``name``, or ``name (2)`` ... as Windows and Finder do when a name is taken."""
    stem, _, ext = name.rpartition(".")
    candidate, n = name, 2
    while ospath.join(os_name, directory, candidate).lower() in taken:
        candidate, n = f"{stem} ({n}).{ext}", n + 1
    taken.add(ospath.join(os_name, directory, candidate).lower())
    return candidate
