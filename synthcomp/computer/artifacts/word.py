"""DocumentContent -> DOCX with python-docx, styled the way this user's Word is set up.

Styles (not direct run formatting) carry the fonts and accent, so the file behaves like
a real one in Word: the navigation pane lists the headings, restyling a heading restyles
them all, and the table header repeats on every page.
"""

from __future__ import annotations

import io
import re
from datetime import datetime

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.table import CT_Row, CT_Tc
from docx.shared import Cm, Inches, Mm, Pt, RGBColor
from docx.styles.style import BaseStyle
from docx.text.paragraph import Paragraph

from synthcomp.computer.artifacts.formatting import cell_text, is_numeric, long_date, square_table
from synthcomp.computer.artifacts.zipnorm import normalize_ooxml
from synthcomp.models import DocumentContent, DocumentStyle, Section, Table

_SUBSECTION = re.compile(r"^\d+\.\d+\b")
"""'2.1 Sampling' is a Heading 2; '2 Findings' and 'Findings' are Heading 1."""

_PAGE_SIZES = {"A4": (Mm(210), Mm(297)), "Letter": (Inches(8.5), Inches(11))}
_MARGINS = {"A4": Cm(2.5), "Letter": Inches(1)}
_GREY = RGBColor(0x59, 0x59, 0x59)


def render_docx(content: DocumentContent, style: DocumentStyle, when: datetime) -> bytes:
    """The document as DOCX bytes; the same arguments always give the same bytes."""
    document = Document()
    _page_setup(document, style)
    _apply_styles(document, style)
    _header_footer(document, content.title)

    document.add_paragraph(content.title, style="Title")
    if content.subtitle:
        document.add_paragraph(content.subtitle, style="Subtitle")
    byline = document.add_paragraph(f"{content.author} \u00b7 {long_date(when)}")
    byline.runs[0].font.color.rgb = _GREY

    for section in content.sections:
        _add_section(document, section, style)

    buffer = io.BytesIO()
    document.save(buffer)
    return normalize_ooxml(buffer.getvalue(), when, title=content.title, author=content.author)


def _page_setup(document: DocxDocument, style: DocumentStyle) -> None:
    width, height = _PAGE_SIZES[style.page_size]
    margin = _MARGINS[style.page_size]
    section = document.sections[0]
    section.page_width, section.page_height = width, height
    section.left_margin = section.right_margin = margin
    section.top_margin = section.bottom_margin = margin


def _apply_styles(document: DocxDocument, style: DocumentStyle) -> None:
    """Body font on Normal, heading font and accent on Title/Subtitle/Heading 1-2."""
    accent = RGBColor.from_string(style.accent_rgb)
    styles = document.styles
    _set_font(styles["Normal"], style.body_font)
    styles["Normal"].font.size = Pt(11)
    styles["Normal"].paragraph_format.space_after = Pt(6)
    for name, size in (("Title", 26), ("Subtitle", 14), ("Heading 1", 15), ("Heading 2", 12.5)):
        heading = styles[name]
        _set_font(heading, style.heading_font)
        heading.font.size = Pt(size)
        heading.font.color.rgb = accent if name != "Subtitle" else _GREY
    title_border = styles["Title"].element.find(f"{qn('w:pPr')}/{qn('w:pBdr')}/{qn('w:bottom')}")
    if title_border is not None:
        title_border.set(qn("w:color"), style.accent_rgb)
        title_border.attrib.pop(qn("w:themeColor"), None)


def _set_font(doc_style: BaseStyle, font: str) -> None:
    """Name ``font`` for every script and drop the template's theme-font attributes,
    which Word would otherwise prefer over an explicit name."""
    rpr = doc_style.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for attribute in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(qn(f"w:{attribute}"), None)
    for attribute in ("ascii", "hAnsi", "eastAsia", "cs"):
        fonts.set(qn(f"w:{attribute}"), font)


def _header_footer(document: DocxDocument, title: str) -> None:
    """Title in the page header, 'Page N of M' fields in the footer."""
    section = document.sections[0]
    header = section.header.paragraphs[0]
    header.text = title
    header.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    header.runs[0].font.size = Pt(8)
    header.runs[0].font.color.rgb = _GREY

    footer = section.footer.paragraphs[0]
    footer.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for piece in ("Page ", "PAGE", " of ", "NUMPAGES"):
        if piece.isupper():
            _add_field(footer, piece)
        else:
            footer.add_run(piece).font.size = Pt(8)


def _add_field(paragraph: Paragraph, instruction: str) -> None:
    """A simple field (PAGE, NUMPAGES) that Word recomputes when it lays the page out."""
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), instruction)
    run = paragraph.add_run("1")
    run.font.size = Pt(8)
    field.append(run._r)
    paragraph._p.append(field)


def _styled(document: DocxDocument, text: str, style_name: str) -> None:
    """``add_paragraph(text, style=name)`` without python-docx's per-call style search.

    Resolving a style by name scans every style in the template (~1 ms a paragraph,
    the largest cost of a document); the id is resolved once per document instead.
    """
    ids = document.__dict__.setdefault("_synthcomp_style_ids", {})
    if style_name not in ids:
        ids[style_name] = document.styles[style_name].style_id
    document.add_paragraph(text)._p.style = ids[style_name]


def _add_section(document: DocxDocument, section: Section, style: DocumentStyle) -> None:
    level = 2 if _SUBSECTION.match(section.heading) else 1
    _styled(document, section.heading, f"Heading {level}")
    for text in section.paragraphs:
        document.add_paragraph(text)
    for text in section.bullets:
        _styled(document, text, "List Bullet")
    if section.table is not None:
        _add_table(document, section.table, style)
        document.add_paragraph()


def _add_table(document: DocxDocument, table: Table, style: DocumentStyle) -> None:
    """A 'Table Grid' table whose header row is accent-shaded, bold, white and repeats."""
    header, rows = square_table(table)
    grid = document.add_table(rows=1 + len(rows), cols=len(header))
    grid.style = document.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER

    header_row = grid.rows[0]
    _repeat_as_header(header_row._tr)
    for cell, text in zip(header_row.cells, header):
        cell.text = text
        _shade(cell._tc, style.accent_rgb)
        run = cell.paragraphs[0].runs[0] if cell.paragraphs[0].runs else None
        if run is not None:
            run.font.bold = True
            run.font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)

    for grid_row, values in zip(grid.rows[1:], rows):
        for cell, value in zip(grid_row.cells, values):
            cell.text = cell_text(value)
            if is_numeric(value):
                cell.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT
    for row in grid.rows:
        for cell in row.cells:
            cell.paragraphs[0].paragraph_format.space_after = Pt(0)


def _repeat_as_header(row: CT_Row) -> None:
    row.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def _shade(cell: CT_Tc, fill: str) -> None:
    properties = cell.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)
