"""DocumentContent -> PDF with fpdf2: title block, headings, lists, tables, page numbers.

Only the PDF core fonts are used (no font files to ship or embed). Their glyph widths and
the ``/WinAnsiEncoding`` fpdf2 declares for them are Windows-1252, so text is encoded as
cp1252 rather than fpdf2's Latin-1 default: curly quotes, dashes, the euro sign and the
bullet then print as themselves, and anything else becomes an ASCII stand-in or '?'.
"""

from __future__ import annotations

import re
from datetime import datetime

from fpdf import FPDF, FontFace

from synthcomp.computer.artifacts.formatting import (
    cell_text, is_numeric, long_date, rgb, square_table,
)
from synthcomp.computer.artifacts.zipnorm import as_utc
from synthcomp.models import DocumentContent, DocumentStyle, Section, Table

_ENCODING = "windows-1252"
_STAND_INS = str.maketrans({
    "\u2192": "->", "\u2190": "<-", "\u2194": "<->", "\u21d2": "=>", "\u2264": "<=",
    "\u2265": ">=", "\u2260": "!=", "\u2248": "~", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    "\u2012": "-", "\u2015": "-", "\u2009": " ", "\u200a": " ", "\u202f": " ", "\u2007": " ",
    "\u200b": "", "\ufeff": "", "\u2713": "v", "\u2714": "v", "\u2717": "x", "\u2718": "x",
    "\u25cf": "\u2022", "\u25aa": "\u2022", "\u2043": "-", "\u2032": "'", "\u2033": '"',
    "\u00ad": "",
})
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_SERIF = ("times", "georgia", "cambria", "garamond", "palatino", "book antiqua", "constantia",
          "baskerville", "minion", "serif")
_MONO = ("courier", "consolas", "menlo", "monaco", "mono")
_GREY = (89, 89, 89)
_LEFT_BLOCK = {"align": "L", "new_x": "LMARGIN", "new_y": "NEXT"}
"""Ragged-right text that leaves the cursor on the next line (fpdf2 justifies by default)."""
_WHITE = (255, 255, 255)
_WORD_WIDTHS: dict[tuple[str, str, float, str], float] = {}
_MAX_WORD_WIDTHS = 100_000
"""Words remembered (about 20 MB); the cache starts over when it is full."""


def pdf_text(text: str) -> str:
    """``text`` reduced to what the core fonts can print (see the module docstring)."""
    text = _CONTROL.sub("", text.translate(_STAND_INS))
    return text.encode(_ENCODING, errors="replace").decode(_ENCODING)


def core_font(font: str) -> str:
    """The core font closest to a user's font: Times for serifs, Courier for monospace."""
    lowered = font.lower()
    if any(name in lowered for name in _MONO):
        return "Courier"
    if any(name in lowered for name in _SERIF):
        return "Times"
    return "Helvetica"


class _Document(FPDF):
    """FPDF with this document's running header (title, from page 2) and page footer."""

    def __init__(self, style: DocumentStyle, title: str) -> None:
        super().__init__(orientation="portrait", unit="mm", format=style.page_size.lower())
        self.core_fonts_encoding = _ENCODING
        self.body = core_font(style.body_font)
        self.heading = core_font(style.heading_font)
        self.accent = rgb(style.accent_rgb)
        self.running_title = pdf_text(title)
        self.set_margins(22, 22, 22)
        self.set_auto_page_break(auto=True, margin=22)

    def header(self) -> None:
        if self.page_no() == 1:
            return
        self.set_font(self.body, size=8)
        self.set_text_color(*_GREY)
        self.set_y(10)
        self.cell(0, 5, self.running_title, align="R")
        self.set_y(22)

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(self.body, size=8)
        self.set_text_color(*_GREY)
        self.cell(0, 5, f"Page {self.page_no()} of {{nb}}", align="C")


def render_pdf(content: DocumentContent, style: DocumentStyle, when: datetime) -> bytes:
    """The document as PDF bytes; the same arguments always give the same bytes.

    fpdf2 derives the file /ID from an MD5 of the output and the creation date, so with
    the creation date pinned to ``when`` nothing random or clock-dependent remains.
    """
    pdf = _Document(style, content.title)
    pdf.set_creation_date(as_utc(when))
    pdf.set_title(pdf_text(content.title))
    pdf.set_author(pdf_text(content.author))
    pdf.add_page()
    _title_block(pdf, content, when)
    for section in content.sections:
        _section(pdf, section)
    return bytes(pdf.output())


def _title_block(pdf: _Document, content: DocumentContent, when: datetime) -> None:
    pdf.set_font(pdf.heading, style="B", size=22)
    pdf.set_text_color(*pdf.accent)
    pdf.multi_cell(0, 10, pdf_text(content.title), **_LEFT_BLOCK)
    if content.subtitle:
        pdf.set_font(pdf.heading, size=13)
        pdf.set_text_color(*_GREY)
        pdf.multi_cell(0, 7, pdf_text(content.subtitle), **_LEFT_BLOCK)
    pdf.set_font(pdf.body, size=10)
    pdf.set_text_color(*_GREY)
    byline = pdf_text(f"{content.author} \u00b7 {long_date(when)}")
    pdf.cell(0, 7, byline, new_x="LMARGIN", new_y="NEXT")
    pdf.set_draw_color(*pdf.accent)
    pdf.set_line_width(0.6)
    pdf.line(pdf.l_margin, pdf.get_y() + 2, pdf.w - pdf.r_margin, pdf.get_y() + 2)
    pdf.ln(8)


def _section(pdf: _Document, section: Section) -> None:
    if pdf.will_page_break(20):  # keep a heading with the start of its text
        pdf.add_page()
    pdf.set_font(pdf.heading, style="B", size=14)
    pdf.set_text_color(*pdf.accent)
    pdf.multi_cell(0, 8, pdf_text(section.heading), **_LEFT_BLOCK)
    pdf.ln(1)
    pdf.set_font(pdf.body, size=10.5)
    pdf.set_text_color(0, 0, 0)
    text_width = pdf.w - pdf.l_margin - pdf.r_margin
    for paragraph in section.paragraphs:
        for line in _wrap(pdf, pdf_text(paragraph), text_width):
            pdf.cell(0, 5.5, line, **_LEFT_BLOCK)
        pdf.ln(2.5)
    for bullet in section.bullets:
        for i, line in enumerate(_wrap(pdf, pdf_text(bullet), text_width - 9)):
            pdf.set_x(pdf.l_margin + 4)
            pdf.cell(5, 5.5, "\u2022" if i == 0 else "")
            pdf.cell(0, 5.5, line, **_LEFT_BLOCK)
        pdf.ln(1)
    if section.table is not None:
        pdf.ln(2)
        _table(pdf, section.table)
    pdf.ln(4)


def _wrap(pdf: _Document, text: str, width: float) -> list[str]:
    """Greedy word wrap with cached word widths.

    fpdf2's ``multi_cell`` measures text glyph by glyph on every call and was most of
    the cost of a PDF; words repeat, so their widths are measured once per font.
    """
    space = _word_width(pdf, " ")
    lines, current, used = [], [], 0.0
    for word in text.split():
        w = _word_width(pdf, word)
        if current and used + space + w > width:
            lines.append(" ".join(current))
            current, used = [], 0.0
        used += (space if current else 0) + w
        current.append(word)
    if current or not lines:
        lines.append(" ".join(current))
    return lines


def _word_width(pdf: _Document, word: str) -> float:
    """``pdf.get_string_width(word)`` in the current font, remembered across documents:
    a core font's widths are fixed, and the same words recur from file to file."""
    key = (pdf.font_family, pdf.font_style, pdf.font_size_pt, word)
    width = _WORD_WIDTHS.get(key)
    if width is None:
        if len(_WORD_WIDTHS) >= _MAX_WORD_WIDTHS:
            _WORD_WIDTHS.clear()
        width = _WORD_WIDTHS[key] = pdf.get_string_width(word)
    return width


def _table(pdf: _Document, table: Table) -> None:
    """An fpdf2 table: accent header repeated after page breaks, numbers right-aligned."""
    header, rows = square_table(table)
    widths = [
        max([len(header[i]), *(len(cell_text(row[i])) for row in rows)], default=1) + 2
        for i in range(len(header))
    ]
    headings = FontFace(emphasis="BOLD", color=_WHITE, fill_color=pdf.accent)
    pdf.set_font(pdf.body, size=9)
    pdf.set_draw_color(160, 160, 160)
    pdf.set_line_width(0.2)
    with pdf.table(
        col_widths=[min(w, 40) for w in widths], headings_style=headings, line_height=5,
        text_align="LEFT", repeat_headings=1,
    ) as grid:
        heading_row = grid.row()
        for text in header:
            heading_row.cell(pdf_text(text))
        for values in rows:
            row = grid.row()
            for value in values:
                row.cell(pdf_text(cell_text(value)), align="RIGHT" if is_numeric(value) else "LEFT")
