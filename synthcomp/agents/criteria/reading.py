"""A deliverable as the judge reads it: headed blocks, prose, table rows and numbers.

Built from the same extracted text ``read_file`` shows an agent (``# heading`` lines,
``a | b`` table rows, ``## Slide n: title``, ``## Sheet: name``). A workbook's formulas
are evaluated here (SUM, AVERAGE, MIN, MAX, COUNT over a range of the same sheet), so a
Total row written as ``=AVERAGE(C2:C41)`` reads as the figure it computes. Every
parse is bounded by what extraction already bounds; nothing here raises on odd input.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import openpyxl
from openpyxl.utils import range_boundaries

from synthcomp.computer.artifacts.extract import extract_text

WORD = re.compile(r"[A-Za-zÀ-ÿ][A-Za-zÀ-ÿ'\-]*")
NUMBER = re.compile(r"(?<![\w.,/-])(?!0\d)-?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?![\w/-]|\.\d|,\d{3})")
_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[ T][\d:]+)?\b|\b\d{1,2}/\d{1,2}/\d{2,4}\b")
_COMPACT_DATE = re.compile(r"^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")
_HEADING = re.compile(r"^(#{1,6})\s+(?:Slide \d+:\s*|Sheet:\s*)?(.*)$")
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9])")
_UNMARKED = frozenset({"pdf", "txt"})
_CHART_LINES = ("Chart:", "Categories:", "Series ")
_FORMULA = re.compile(r"^=\s*(SUM|AVERAGE|MIN|MAX|COUNT)\(\s*([A-Z]{1,3}\d+:[A-Z]{1,3}\d+)\s*\)\s*$", re.I)
FUNCTION_WORDS = frozenset("""
a an the and or but if of to in on at by for with from into over under about as is are was were be been being
this that these those it its we our they their he she his her you your i not no than then so such which who
whom whose what when where while after before during since until per each all both more most less least has have
had do does did can could will would should may might must shall also only very there here
""".split())
"""Words prose cannot do without; a keyword list or a number dump has almost none."""


@dataclass
class Block:
    """A heading and the lines under it, up to the next heading."""

    heading: str
    lines: list[str] = field(default_factory=list)

    @property
    def prose(self) -> list[str]:
        return [line for line in self.lines if is_prose(line)]


@dataclass
class Number:
    value: float
    decimals: int
    start: int
    end: int
    percent: bool


@dataclass
class Reading:
    """What a deliverable says; ``text`` is None when it is missing or does not open."""

    path: str
    text: str | None
    lines: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)
    problem: str = ""

    @property
    def opened(self) -> bool:
        return self.text is not None

    @property
    def prose(self) -> list[str]:
        return [line for line in self.lines if is_prose(line)]

    @property
    def table_rows(self) -> list[str]:
        return [line for line in self.lines if " | " in line]

    def units(self) -> list[str]:
        """What a figure must share with its label: a table row, or a sentence of prose."""
        out: list[str] = []
        for line in self.lines:
            if line.startswith(_CHART_LINES):
                continue  # a chart's series are per category, not claims of a total
            if " | " in line or _HEADING.match(line):
                out.append(line)
            else:
                out += [s for s in _SENTENCE.split(line) if s.strip()]
        return out


def is_prose(line: str) -> bool:
    stripped = line.strip()
    return bool(stripped) and " | " not in stripped and not _HEADING.match(stripped) and not stripped.startswith(
        (*_CHART_LINES, "Notes:"))


def words(text: str) -> list[str]:
    return [w.lower() for w in WORD.findall(text)]


def function_share(text: str) -> float:
    """The share of words that are function words (about 0.4-0.5 in English prose)."""
    found = words(text)
    return sum(w in FUNCTION_WORDS for w in found) / len(found) if found else 0.0


def numbers(text: str) -> list[Number]:
    """Numbers as written (``1,234.50``, ``-3``, ``12.5%``); dates and years are not figures."""
    masked = _DATE.sub(lambda m: " " * len(m.group()), text)
    found = []
    for match in NUMBER.finditer(masked):
        raw = match.group()
        value = float(raw.replace(",", ""))
        decimals = len(raw.split(".")[1]) if "." in raw else 0
        if decimals == 0 and "," not in raw and (value < 10 or 1900 <= value <= 2100 or _COMPACT_DATE.match(raw)):
            continue  # a year, a compact date, or a single digit naming something ("Unit 4", "week 3")
        percent = masked[match.end():match.end() + 2].lstrip().startswith("%")
        found.append(Number(value=value, decimals=decimals, start=match.start(), end=match.end(), percent=percent))
    return found


def read_deliverable(path: str, data: bytes | None, problem: str = "") -> Reading:
    """The reading of one deliverable's bytes (None: it does not exist)."""
    if data is None:
        return Reading(path=path, text=None, problem=problem or "missing")
    ext = path.rsplit(".", 1)[-1].lower() if "." in path else ""
    try:
        text = _workbook_text(data) if ext == "xlsx" else extract_text(ext, data)
    except Exception as exc:  # a broken or hostile file is a finding, never an error
        return Reading(path=path, text=None, problem=f"does not open as {ext.upper() or 'a file'}: {exc}"[:300])
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return Reading(path=path, text=text, lines=lines, blocks=_blocks(lines, marked=ext not in _UNMARKED))


def _blocks(lines: list[str], marked: bool) -> list[Block]:
    """Blocks by the extracted ``#`` headings; text without markup (PDF, plain text) also
    starts a block at a short title-like line."""
    blocks = [Block(heading="")]
    for line in lines:
        match = _HEADING.match(line)
        if match:
            blocks.append(Block(heading=match.group(2).strip()))
        elif not marked and _looks_like_heading(line) and blocks[-1].lines:
            blocks.append(Block(heading=line))  # PDF text carries no markup: a short title-like line
        else:
            blocks[-1].lines.append(line)
    return [b for b in blocks if b.heading or b.lines]


def _looks_like_heading(line: str) -> bool:
    found = words(line)
    return (0 < len(found) <= 6 and not line.endswith((".", ":", ";", ",")) and " | " not in line
            and line[:1].isupper() and not numbers(line) and not line.startswith(("- ", "• ")))


def _workbook_text(data: bytes) -> str:
    """Each sheet as rows, formulas replaced by the values they compute."""
    extract_text("xlsx", data)  # the package checks (size, members, ratio) before openpyxl parses it
    book = openpyxl.load_workbook(io.BytesIO(data), read_only=False, data_only=False)
    out = []
    for sheet in book.worksheets:
        out.append(f"## Sheet: {sheet.title}")
        for row in sheet.iter_rows(min_row=1, max_row=min(sheet.max_row, 5_000)):
            cells = [_cell_value(sheet, c.value) for c in row[:200]]
            while cells and cells[-1] == "":
                cells.pop()
            if cells:
                out.append(" | ".join(cells))
    return "\n".join(out)


def _cell_value(sheet, value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        match = _FORMULA.match(value)
        if not match:
            return value
        computed = _evaluate(sheet, match.group(1).upper(), match.group(2))
        return "" if computed is None else f"{computed:,.2f}" if not float(computed).is_integer() else f"{computed:,.0f}"
    if isinstance(value, float):
        return f"{value:,.2f}" if not value.is_integer() else f"{value:,.0f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _evaluate(sheet, function: str, cells: str) -> float | None:
    min_col, min_row, max_col, max_row = range_boundaries(cells)
    if (max_row - min_row + 1) * (max_col - min_col + 1) > 200_000:
        return None
    values = [v for row in sheet.iter_rows(min_row=min_row, max_row=max_row, min_col=min_col, max_col=max_col,
                                           values_only=True)
              for v in row if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if function == "COUNT":
        return float(len(values))
    if not values:
        return None
    return {"SUM": sum(values), "AVERAGE": sum(values) / len(values), "MIN": min(values), "MAX": max(values)}[function]
