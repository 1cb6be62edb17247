"""Byte-determinism for ZIP containers: OOXML packages and plain archives.

python-docx, python-pptx and openpyxl stamp entries with the wall clock, write
``docProps/core.xml`` with "now" (openpyxl even overwrites ``modified`` on every save)
and carry the template's blank thumbnail. Rewriting the container afterwards is the one
place that fixes all three libraries the same way: fixed entry order, fixed entry times
from the simulated ``when``, fixed compression, and core properties we write ourselves.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable
from datetime import datetime, timezone
from xml.sax.saxutils import escape

from lxml import etree

_CORE = "docProps/core.xml"
_ROOT_RELS = "_rels/.rels"
_CONTENT_TYPES = "[Content_Types].xml"
_THUMBNAIL_PREFIX = "docProps/thumbnail."
_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_COMPRESSLEVEL = 6


def as_utc(when: datetime) -> datetime:
    """``when`` in UTC; a naive time is taken to be UTC already, never the host's zone."""
    if when.tzinfo is None:
        return when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def zip_date_time(when: datetime) -> tuple[int, int, int, int, int, int]:
    """ZIP entry time: the wall-clock fields of ``when`` (ZIP stores local time, 1980+)."""
    if when.year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    return (when.year, when.month, when.day, when.hour, when.minute, when.second)


def write_zip(entries: Iterable[tuple[str, bytes]], when: datetime) -> bytes:
    """A ZIP of ``entries`` in the given order, every header fixed (time, OS, attributes)."""
    stamp = zip_date_time(when)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=stamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0  # as Windows tools write it, whatever the host OS
            info.external_attr = 0x20  # the DOS "archive" bit Explorer and Office set
            archive.writestr(info, data, compresslevel=_COMPRESSLEVEL)
    return buffer.getvalue()


def core_properties_xml(title: str, author: str, when: datetime) -> bytes:
    """``docProps/core.xml`` as Office writes it for a file saved once by ``author``."""
    stamp = as_utc(when).strftime("%Y-%m-%dT%H:%M:%SZ")
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\r\n'
        '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
        'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:dcterms="http://purl.org/dc/terms/" xmlns:dcmitype="http://purl.org/dc/dcmitype/" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        f"<dc:title>{escape(title)}</dc:title>"
        f"<dc:creator>{escape(author)}</dc:creator>"
        f"<cp:lastModifiedBy>{escape(author)}</cp:lastModifiedBy>"
        "<cp:revision>1</cp:revision>"
        f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
        f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified>'
        "</cp:coreProperties>"
    ).encode("utf-8")


def normalize_ooxml(data: bytes, when: datetime, *, title: str, author: str) -> bytes:
    """Rewrite an OOXML package so the same content and ``when`` give the same bytes.

    Entries come out as ``[Content_Types].xml``, ``_rels/.rels``, then the rest sorted
    by name; core properties are replaced; the template thumbnail (a blank page that
    would contradict the content; Office writes none by default) is dropped.
    """
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        parts = {info.filename: package.read(info) for info in package.infolist()}
    return normalize_parts(parts, when, title=title, author=author)


def normalize_parts(parts: dict[str, bytes], when: datetime, *, title: str, author: str) -> bytes:
    """:func:`normalize_ooxml` for a package given as member name -> bytes (no zip to undo)."""
    parts = {name: data for name, data in parts.items() if not name.startswith(_THUMBNAIL_PREFIX)}
    parts[_CORE] = core_properties_xml(title, author, when)
    parts[_ROOT_RELS] = _without_thumbnail_rel(parts[_ROOT_RELS])
    head = [_CONTENT_TYPES, _ROOT_RELS]
    order = head + sorted(name for name in parts if name not in head)
    return write_zip(((name, parts[name]) for name in order), when)


def _without_thumbnail_rel(rels_xml: bytes) -> bytes:
    """The package relationships minus the one pointing at the dropped thumbnail."""
    root = etree.fromstring(rels_xml)
    for rel in root.findall(f"{{{_RELS_NS}}}Relationship"):
        if rel.get("Target", "").lstrip("/").startswith(_THUMBNAIL_PREFIX):
            root.remove(rel)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", standalone=True)
