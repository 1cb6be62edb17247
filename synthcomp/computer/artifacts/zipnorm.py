"""Byte-determinism for ZIP containers: OOXML packages and plain archives.

python-docx, python-pptx and openpyxl stamp entries with the wall clock, write
``docProps/core.xml`` with "now" (openpyxl even overwrites ``modified`` on every save)
and carry the template's blank thumbnail. Rewriting the container afterwards is the one
place that fixes all three libraries the same way: fixed entry order, fixed entry times
from the simulated ``when``, fixed compression, and core properties we write ourselves.

The container is written here rather than by ``zipfile``, byte for byte as ``zipfile``
writes it with these settings (a test holds the two equal), so that a member many files
share, such as a template's 350 KB ``styles.xml``, can be deflated once (:class:`Deflated`).
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timezone
from xml.sax.saxutils import escape

from lxml import etree

_CORE = "docProps/core.xml"
_ROOT_RELS = "_rels/.rels"
_CONTENT_TYPES = "[Content_Types].xml"
_THUMBNAIL_PREFIX = "docProps/thumbnail."
_RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
_COMPRESSLEVEL = 6
_LOCAL_HEADER = struct.Struct("<4s2B4HL2L2H")
_CENTRAL_HEADER = struct.Struct("<4s4B4HL2L5H2L")
_END_RECORD = struct.Struct("<4s4H2LH")
_VERSION = 20  # 2.0: deflate, what zipfile writes without ZIP64
_UTF8_NAME = 0x800
_MAX_MEMBER = zipfile.ZIP64_LIMIT / 1.05
"""zipfile switches to ZIP64 headers above this; no file creation writes comes near it."""


@dataclass(frozen=True)
class Deflated:
    """A member's bytes as a ZIP stores them: its CRC-32, its size and its raw deflate."""

    crc: int
    size: int
    data: bytes


def deflate(data: bytes) -> Deflated:
    """``data`` deflated as ``zipfile`` deflates a member (level 6, raw stream)."""
    compressor = zlib.compressobj(_COMPRESSLEVEL, zlib.DEFLATED, -15)
    return Deflated(zlib.crc32(data), len(data), compressor.compress(data) + compressor.flush())


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


def write_zip(entries: Iterable[tuple[str, bytes | Deflated]], when: datetime) -> bytes:
    """A ZIP of ``entries`` in the given order, every header fixed (time, OS, attributes).

    The bytes are those of ``zipfile.ZipFile.writestr`` for a ``ZipInfo`` dated ``when``,
    deflated at level 6, ``create_system`` 0 (as Windows tools write it, whatever the
    host OS) and ``external_attr`` 0x20 (the DOS "archive" bit Explorer and Office set).
    """
    year, month, day, hour, minute, second = zip_date_time(when)
    dosdate = (year - 1980) << 9 | month << 5 | day
    dostime = hour << 11 | minute << 5 | second // 2
    chunks: list[bytes] = []
    directory: list[bytes] = []
    offset = 0
    for name, data in entries:
        member = data if isinstance(data, Deflated) else deflate(data)
        if member.size > _MAX_MEMBER:
            raise ValueError(f"ZIP member {name!r} is too large ({member.size} bytes) for a ZIP without ZIP64")
        filename, flags = _encoded_name(name)
        fields = (flags, zipfile.ZIP_DEFLATED, dostime, dosdate, member.crc, len(member.data), member.size, len(filename))
        chunks += [_LOCAL_HEADER.pack(b"PK\x03\x04", _VERSION, 0, *fields, 0), filename, member.data]
        directory += [_CENTRAL_HEADER.pack(b"PK\x01\x02", _VERSION, 0, _VERSION, 0, *fields, 0, 0, 0, 0, 0x20, offset),
                      filename]
        offset += _LOCAL_HEADER.size + len(filename) + len(member.data)
    size = sum(len(chunk) for chunk in directory)
    count = len(directory) // 2
    return b"".join([*chunks, *directory, _END_RECORD.pack(b"PK\x05\x06", 0, 0, count, count, size, offset, 0)])


def _encoded_name(name: str) -> tuple[bytes, int]:
    """A member name as ``zipfile`` stores it: cut at a NUL, ASCII, else UTF-8 flagged."""
    name = name.split("\0", 1)[0]
    try:
        return name.encode("ascii"), 0
    except UnicodeEncodeError:
        return name.encode("utf-8"), _UTF8_NAME


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


def normalize_parts(parts: dict[str, bytes | Deflated], when: datetime, *, title: str, author: str) -> bytes:
    """:func:`normalize_ooxml` for a package given as member name -> bytes (no zip to undo);
    a part may come deflated already, except the package relationships, which are edited."""
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
