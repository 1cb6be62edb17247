"""ArchiveContent -> ZIP whose members are rendered artifacts in their own right.

The member's file type comes from its name, so ``Site photos/IMG_0142.jpg`` is a JPEG
and ``Q3 budget.xlsx`` a real workbook that an "extract" step can later pull out and a
reader can open. Rendering a member is delegated back to the dispatcher (members can
be archives themselves), which keeps this module free of every format.
"""

from __future__ import annotations

import hashlib
import posixpath
from collections.abc import Callable
from datetime import datetime

from synthcomp.computer.artifacts.zipnorm import write_zip
from synthcomp.errors import InputError
from synthcomp.models import ArchiveContent, ArtifactContent, SystemContent, TextContent

RenderMember = Callable[[str, ArtifactContent, int], bytes]
"""(artifact_type, content, seed) -> bytes."""

_EXTENSION_TYPES = {
    "docx": "docx", "xlsx": "xlsx", "pptx": "pptx", "pdf": "pdf", "csv": "csv", "md": "md",
    "txt": "txt", "json": "json", "py": "py", "eml": "eml", "png": "png", "jpg": "jpg",
    "jpeg": "jpg", "zip": "zip",
}


def member_type(name: str, content: ArtifactContent) -> str:
    """The artifact type of an archive member: OS noise by its content, else by extension.

    Text of an unknown extension (``README``, ``notes.log``) is still text; anything else
    with an unknown extension is an error naming the member.
    """
    if isinstance(content, SystemContent):
        return "system"
    extension = posixpath.splitext(name)[1].lower().lstrip(".")
    if extension in _EXTENSION_TYPES:
        return _EXTENSION_TYPES[extension]
    if isinstance(content, TextContent):
        return "txt"
    raise InputError(
        f"archive member {name!r}: cannot tell its file type from the extension "
        f"(known: {', '.join(sorted(_EXTENSION_TYPES))})"
    )


def member_seed(seed: int, name: str) -> int:
    """A per-member seed, stable across runs (``hash()`` of a str is salted per process)."""
    digest = hashlib.sha256(f"{seed}\0{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def render_zip(
    content: ArchiveContent, when: datetime, seed: int, render_member: RenderMember
) -> bytes:
    """The archive as ZIP bytes, members in content order, every entry dated ``when``."""
    seen: set[str] = set()
    entries = []
    for member in content.members:
        name = member.name.replace("\\", "/").lstrip("/")
        if name.lower() in seen:
            raise InputError(f"archive member {member.name!r} appears twice")
        seen.add(name.lower())
        kind = member_type(name, member.content)
        entries.append((name, render_member(kind, member.content, member_seed(seed, name))))
    return write_zip(entries, when)
