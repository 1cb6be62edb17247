"""File bytes -> readable text that keeps the structure a reader relies on.

Used by tests to check what was rendered and by the env's ``read_file`` tool to show an
agent a document: headings stay marked (``#``), table rows stay rows (`` | ``), each
sheet and slide is labelled, and spreadsheet formulas are shown as written.

The files come from a possibly hostile agent, so reading one is bounded. A DOCX, XLSX or
PPTX is a ZIP whose directory is checked before any library opens it (members, declared
unpacked size, compression ratio): zipfile never inflates a member past its declared
size, so those checks bound what parsing can allocate. XML entities are never expanded:
python-docx and python-pptx parse with lxml's ``resolve_entities=False`` and libxml2
refuses entity amplification outright; openpyxl parses worksheets with defusedxml (a
dependency of fpdf2), which forbids entity declarations.
"""

from __future__ import annotations

import hashlib
import io
import shutil
import subprocess
import sys
import threading
import zipfile
from collections import OrderedDict
from datetime import date, datetime

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.style import WD_STYLE_TYPE
from docx.table import Table as DocxTable
from docx.text.paragraph import Paragraph
from openpyxl import load_workbook
from pptx import Presentation
from pptx.enum.shapes import PP_PLACEHOLDER
from pptx.shapes.base import BaseShape

from synthcomp.errors import InputError, RenderError

TEXT_TYPES = frozenset({"csv", "md", "txt", "json", "py", "eml"})
_PACKAGES = frozenset({"docx", "xlsx", "pptx"})
_PDFTOTEXT_TIMEOUT_S = 60
_BULLETED = frozenset({PP_PLACEHOLDER.BODY, PP_PLACEHOLDER.OBJECT})
"""Placeholders whose paragraphs are bullets (not titles, subtitles or footers)."""

CACHE_BYTES = 32 * 2**20
"""Most memory the extraction cache holds in text (``sys.getsizeof`` of the strings)."""

MAX_MEMBERS = 10_000
"""Members of an office package; a 500-slide deck with its media has a few thousand."""

MAX_DIRECTORY_BYTES = 4 * 2**20
"""ZIP central directory size: 10,000 members of 400 bytes. zipfile builds an object per
entry on open (370,000 empty entries, 30 MB, took 2.5 s and 200 MB), so this is checked
from the end record before a ``ZipFile`` is made."""

MAX_UNPACKED_BYTES = 256 * 2**20
"""Declared unpacked size of a package: every member, inflated, at once."""

MAX_RATIO = 100
"""Unpacked size over packed size, checked once a package unpacks past ``RATIO_FLOOR``.
The largest files ``create_document`` writes unpack 5-50 times their size; a bomb, made
of one repeated byte, ~1,000 times (deflate's limit)."""

RATIO_FLOOR = 16 * 2**20
"""Unpacked size below which any ratio is accepted: small files deflate well, harmlessly."""


def extract_text(artifact_type: str, data: bytes) -> str:
    """The text of a docx, xlsx, pptx, pdf or plain-text file.

    Office and PDF results are cached by the sha256 of the bytes: the env re-reads and
    the judge re-scores the same unchanged deliverables day after day, and extraction
    (~13 ms a DOCX) dominates both. Only the text is kept, at most ``CACHE_BYTES`` of it.

    Raises:
        InputError: a type with no text to extract (images, archives, OS noise), or a
            DOCX/XLSX/PPTX that is not a ZIP or exceeds the package bounds above.
        RenderError: a PDF, but ``pdftotext`` (poppler-utils) is missing or fails.
    """
    if artifact_type in TEXT_TYPES:
        return data.decode("utf-8", errors="replace")
    extractor = _EXTRACTORS.get(artifact_type)
    if extractor is None:
        raise InputError(
            f"cannot extract text from a {artifact_type!r} file "
            f"(supported: {', '.join([*_EXTRACTORS, *sorted(TEXT_TYPES)])})"
        )
    key = (artifact_type, hashlib.sha256(data).digest())
    text = _CACHE.get(key)
    if text is None:
        if artifact_type in _PACKAGES:
            _check_package(artifact_type, data)
        text = extractor(data)
        _CACHE.put(key, text)
    return text


def clear_extraction_cache() -> None:
    """Forget every cached extraction (the env calls this when it closes)."""
    _CACHE.clear()


def cache_bytes() -> int:
    """Memory the cached texts take now."""
    return _CACHE.size


class _TextCache:
    """Least-recently-used texts, bounded by the memory the texts take, safe across threads.

    ``functools.lru_cache`` keyed by the file's bytes kept every distinct file read (12
    files of 40 MB held 480 MB); here the key is a digest and the value only the text.
    """

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes, self.size = max_bytes, 0
        self._texts: OrderedDict[tuple[str, bytes], str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, bytes]) -> str | None:
        with self._lock:
            text = self._texts.get(key)
            if text is not None:
                self._texts.move_to_end(key)
            return text

    def put(self, key: tuple[str, bytes], text: str) -> None:
        """Keep ``text``, evicting the least recently used; one too large is not kept."""
        cost = sys.getsizeof(text)
        if cost > self.max_bytes:
            return
        with self._lock:
            if key in self._texts:
                return
            self._texts[key] = text
            self.size += cost
            while self.size > self.max_bytes:
                _, evicted = self._texts.popitem(last=False)
                self.size -= sys.getsizeof(evicted)

    def clear(self) -> None:
        with self._lock:
            self._texts.clear()
            self.size = 0


_CACHE = _TextCache(CACHE_BYTES)


def _check_package(artifact_type: str, data: bytes) -> None:
    """Refuse a DOCX/XLSX/PPTX whose ZIP directory is out of bounds (a zip bomb).

    Raises:
        InputError: not a ZIP, or too many members, too large a directory, too large a
            declared unpacked size, or too high a compression ratio.
    """
    name = artifact_type.upper()
    try:
        infos = _zip_entries(data, name)
    except zipfile.BadZipFile as exc:
        raise InputError(f"{name} refused, not a readable ZIP package: {exc}") from None
    unpacked = sum(info.file_size for info in infos)
    if len(infos) > MAX_MEMBERS or unpacked > MAX_UNPACKED_BYTES:
        raise InputError(
            f"{name} refused: {len(infos):,} members unpacking to {unpacked:,} bytes "
            f"(at most {MAX_MEMBERS:,} members and {MAX_UNPACKED_BYTES:,} bytes)"
        )
    if unpacked > RATIO_FLOOR and unpacked > MAX_RATIO * len(data):
        raise InputError(
            f"{name} refused: {len(data):,} bytes unpacking to {unpacked:,} "
            f"(over {MAX_RATIO} times its size: a zip bomb)"
        )


def _zip_entries(data: bytes, name: str) -> list[zipfile.ZipInfo]:
    """The package's entries, once its end record shows that listing them is cheap.

    ``zipfile._EndRecData`` is private, but it is the one reader of the end record (and
    its ZIP64 form) that does not go on to parse every entry.
    """
    end = zipfile._EndRecData(io.BytesIO(data))
    if end is None:
        raise zipfile.BadZipFile("it has no end of central directory record")
    members, directory = end[zipfile._ECD_ENTRIES_TOTAL], end[zipfile._ECD_SIZE]
    if members > MAX_MEMBERS or directory > MAX_DIRECTORY_BYTES:
        raise InputError(
            f"{name} refused: {members:,} members in a {directory:,}-byte directory "
            f"(at most {MAX_MEMBERS:,} members and {MAX_DIRECTORY_BYTES:,} bytes)"
        )
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        return package.infolist()


def _docx(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    styles = _paragraph_style_names(document)
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, DocxTable):
            lines.extend(_docx_table(block))
            lines.append("")
        elif block.text.strip():
            line = _docx_paragraph(block, styles.get(block._p.style, styles[None]))
            if line.startswith("#") and lines and lines[-1]:
                lines.append("")  # a blank line before each heading, as in Markdown
            lines.append(line)
    return "\n".join(lines).strip() + "\n"


def _paragraph_style_names(document: DocxDocument) -> dict[str | None, str]:
    """Paragraph style id -> style name, ``None`` (no or an unknown id) -> the default's.

    ``paragraph.style`` searches every style of the document for each paragraph (~1.4 ms:
    10,000 paragraphs took 10 s), so the names are read once per document.
    """
    styles = document.styles
    names = {s.style_id: s.name or "" for s in styles if s.type == WD_STYLE_TYPE.PARAGRAPH}
    default = styles.default(WD_STYLE_TYPE.PARAGRAPH)
    names[None] = (default.name or "") if default is not None else ""
    return names


def _docx_paragraph(paragraph: Paragraph, name: str) -> str:
    """By its style ``name``: Title -> '# ', Heading N -> '#' * (N + 1), list styles -> '- '."""
    if name == "Title":
        return f"# {paragraph.text}"
    if name.startswith("Heading ") and name.split()[-1].isdigit():
        return f"{'#' * (int(name.split()[-1]) + 1)} {paragraph.text}"
    if name.startswith("List Bullet") or name.startswith("List Number"):
        return f"- {paragraph.text}"
    return paragraph.text


def _docx_table(table: DocxTable) -> list[str]:
    return [" | ".join(cell.text.strip() for cell in row.cells) for row in table.rows]


def _xlsx(data: bytes) -> str:
    workbook = load_workbook(io.BytesIO(data), data_only=False, read_only=True)
    lines: list[str] = []
    for worksheet in workbook.worksheets:
        lines.append(f"## Sheet: {worksheet.title}")
        for row in worksheet.iter_rows(values_only=True):
            cells = [_xlsx_value(value) for value in row]
            while cells and cells[-1] == "":
                cells.pop()
            if cells:
                lines.append(" | ".join(cells))
        lines.append("")
    workbook.close()
    return "\n".join(lines).strip() + "\n"


def _xlsx_value(value: object) -> str:
    """Dates as ISO dates (the time only when there is one), formulas as written."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        has_time = value.time() != datetime.min.time()
        return value.isoformat() if has_time else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _pptx(data: bytes) -> str:
    deck = Presentation(io.BytesIO(data))
    lines: list[str] = []
    for number, slide in enumerate(deck.slides, start=1):
        title_shape = slide.shapes.title
        title = title_shape.text_frame.text if title_shape is not None else ""
        lines.append(f"## Slide {number}: {title}")
        for shape in slide.shapes:
            if title_shape is not None and shape.shape_id == title_shape.shape_id:
                continue
            lines.extend(_pptx_shape(shape))
        if slide.has_notes_slide and slide.notes_slide.notes_text_frame.text.strip():
            lines.append(f"Notes: {slide.notes_slide.notes_text_frame.text.strip()}")
        lines.append("")
    return "\n".join(lines).strip() + "\n"


def _pptx_shape(shape: BaseShape) -> list[str]:
    """Text frames as '- ' lines, tables as rows, charts as title plus one line per series."""
    if shape.has_text_frame:
        bulleted = shape.is_placeholder and shape.placeholder_format.type in _BULLETED
        return [f"- {p.text}" if bulleted else p.text
                for p in shape.text_frame.paragraphs if p.text.strip()]
    if shape.has_table:
        return [" | ".join(cell.text for cell in row.cells) for row in shape.table.rows]
    if shape.has_chart:
        chart = shape.chart
        title = chart.chart_title.text_frame.text if chart.has_title else ""
        categories = [str(c) for c in chart.plots[0].categories] if chart.plots else []
        lines = [f"Chart: {title}", f"Categories: {', '.join(categories)}"]
        for plot in chart.plots:
            for series in plot.series:
                values = ", ".join("" if v is None else f"{v:g}" for v in series.values)
                lines.append(f"Series {series.name}: {values}")
        return lines
    return []


def _pdf(data: bytes) -> str:
    """``pdftotext -layout`` (poppler-utils), which keeps table columns aligned."""
    binary = shutil.which("pdftotext")
    if binary is None:
        raise RenderError("cannot extract PDF text: pdftotext (poppler-utils) is not on PATH")
    result = subprocess.run(
        [binary, "-layout", "-enc", "UTF-8", "-", "-"],
        input=data, capture_output=True, timeout=_PDFTOTEXT_TIMEOUT_S, check=False,
    )
    if result.returncode != 0:
        stderr = result.stderr.decode("utf-8", errors="replace").strip()[-500:]
        raise RenderError(f"pdftotext failed with exit code {result.returncode}: {stderr}")
    return result.stdout.decode("utf-8", errors="replace")


_EXTRACTORS = {"docx": _docx, "xlsx": _xlsx, "pptx": _pptx, "pdf": _pdf}
