"""Content models -> the bytes of real office files, byte-deterministically.

``render_artifact`` is the one entry point: it checks that the content fits the file
type, then hands off to one small module per format. Same arguments, same bytes: every
timestamp inside a file comes from ``when`` and every random choice from ``seed``, so a
computer's content hash is reproducible (DESIGN.md, "Determinism").
"""

from __future__ import annotations

from datetime import datetime

from synthcomp.computer.artifacts.archive import render_zip
from synthcomp.computer.artifacts.excel import render_xlsx
from synthcomp.computer.artifacts.image import render_image
from synthcomp.computer.artifacts.pdf import render_pdf
from synthcomp.computer.artifacts.slides import render_pptx
from synthcomp.computer.artifacts.system import render_system
from synthcomp.computer.artifacts.word import render_docx
from synthcomp.errors import InputError, did_you_mean
from synthcomp.models import (
    ArchiveContent, ArtifactContent, DeckContent, DocumentContent, DocumentStyle, ImageContent,
    SystemContent, TextContent, WorkbookContent,
)

__all__ = ["CONTENT_TYPES", "render_artifact"]

CONTENT_TYPES: dict[str, type] = {
    "docx": DocumentContent, "pdf": DocumentContent,
    "xlsx": WorkbookContent,
    "pptx": DeckContent,
    "csv": TextContent, "md": TextContent, "txt": TextContent, "json": TextContent,
    "py": TextContent, "eml": TextContent,
    "png": ImageContent, "jpg": ImageContent,
    "zip": ArchiveContent,
    "system": SystemContent,
}
"""Which content model each artifact type is rendered from."""


def render_artifact(
    artifact_type: str, content: ArtifactContent, style: DocumentStyle, when: datetime, seed: int
) -> bytes:
    """Render ``content`` as a file of ``artifact_type``.

    Args:
        artifact_type: docx, xlsx, pptx, pdf, csv, md, txt, json, py, eml, png, jpg, zip
            or system.
        content: the matching content model (see ``CONTENT_TYPES``).
        style: the user's fonts, accent colour, slide layout and page size.
        when: the file's simulated save time; written into OOXML core properties, PDF
            metadata and ZIP entry headers (the caller sets the file's mtime).
        seed: drives every random choice (scan tilt and noise, OS-noise filler).

    Returns:
        The file's bytes, identical for identical arguments.

    Raises:
        InputError: unknown ``artifact_type``, or content of the wrong kind for it.
    """
    expected = CONTENT_TYPES.get(artifact_type)
    if expected is None:
        hint = did_you_mean(artifact_type, list(CONTENT_TYPES))
        raise InputError(f"unknown artifact type {artifact_type!r}{hint}")
    if not isinstance(content, expected):
        raise InputError(
            f"a {artifact_type} file is rendered from {expected.__name__}, "
            f"got {type(content).__name__} (kind={getattr(content, 'kind', '?')!r})"
        )
    match content:
        case DocumentContent():
            render = render_docx if artifact_type == "docx" else render_pdf
            return render(content, style, when)
        case WorkbookContent():
            return render_xlsx(content, style, when)
        case DeckContent():
            return render_pptx(content, style, when)
        case TextContent():
            return content.text.replace("\r\n", "\n").replace("\r", "\n").encode("utf-8")
        case ImageContent():
            return render_image(content, style, seed, artifact_type)
        case ArchiveContent():
            def render_member(kind: str, member: ArtifactContent, member_seed: int) -> bytes:
                return render_artifact(kind, member, style, when, member_seed)

            return render_zip(content, when, seed, render_member)
        case SystemContent():
            return render_system(content, when, seed)
    raise AssertionError(f"unhandled content {type(content).__name__}")  # CONTENT_TYPES covers all
