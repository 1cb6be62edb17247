"""DocumentContent -> DOCX with python-docx, styled the way this user's Word is set up.

Styles (not direct run formatting) carry the fonts and accent, so the file behaves like
a real one in Word: the navigation pane lists the headings, restyling a heading restyles
them all, and the table header repeats on every page.
"""

from __future__ import annotations

import functools
import re
from datetime import datetime

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.opc.packuri import CONTENT_TYPES_URI, PACKAGE_URI
from docx.opc.pkgwriter import _ContentTypesItem
from docx.oxml.table import CT_Row, CT_Tbl, CT_Tc
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Inches, Length, Mm, Pt, RGBColor
from docx.styles.style import BaseStyle
from docx.table import Table as DocxTable
from docx.oxml.text.paragraph import CT_P
from docx.oxml.text.run import CT_R
from docx.text.paragraph import Paragraph
from docx.text.run import Run

from synthcomp.computer.artifacts.formatting import cell_text, is_numeric, long_date, square_table
from synthcomp.computer.artifacts.opc import Template, part_members
from synthcomp.computer.artifacts.zipnorm import Deflated, normalize_parts
from synthcomp.models import DocumentContent, DocumentStyle, Section, Table

_BREAKS = re.compile(r"([\t\r\n])")
_SUBSECTION = re.compile(r"^\d+\.\d+\b")
"""'2.1 Sampling' is a Heading 2; '2 Findings' and 'Findings' are Heading 1."""

_PAGE_SIZES = {"A4": (Mm(210), Mm(297)), "Letter": (Inches(8.5), Inches(11))}
_MARGINS = {"A4": Cm(2.5), "Letter": Inches(1)}
_GREY = RGBColor(0x59, 0x59, 0x59)
_STYLE_NAMES = ("Title", "Subtitle", "Heading 1", "Heading 2", "List Bullet", "Table Grid")


def render_docx(content: DocumentContent, style: DocumentStyle, when: datetime) -> bytes:
    """The document as DOCX bytes; the same arguments always give the same bytes."""
    template, ids = _template(style.model_dump_json())
    document = template.copy()
    _header(document, content.title)
    table_width = document._block_width  # read once: python-docx finds it by an XPath over the body

    _paragraph(document, content.title, ids["Title"])
    if content.subtitle:
        _paragraph(document, content.subtitle, ids["Subtitle"])
    byline = _paragraph(document, f"{content.author} \u00b7 {long_date(when)}")
    byline.runs[0].font.color.rgb = _GREY

    for section in content.sections:
        _add_section(document, section, style, table_width, ids)

    return normalize_parts(_package_parts(document, template), when, title=content.title, author=content.author)


@functools.lru_cache(maxsize=4)
def _template(style_json: str) -> tuple[Template[DocxDocument], dict[str, str]]:
    """python-docx's default template with this style's page and styles (the style comes
    as JSON, to be a cache key): set up once per user, whose documents all look alike, and
    shared by them (styles.xml and stylesWithEffects.xml, 790 KB, were most of the cost
    of a document). With it, the id of each style this module applies, by name: python-docx
    finds a style by scanning every style of the template (~1 ms a lookup)."""
    style = DocumentStyle.model_validate_json(style_json)
    document = Document()
    _page_setup(document, style)
    _apply_styles(document, style)
    section = document.sections[0]
    section.header.paragraphs[0].alignment = WD_ALIGN_PARAGRAPH.RIGHT  # the header part, before the footer's
    _footer(document)
    style_ids = {name: document.styles[name].style_id for name in _STYLE_NAMES}
    return Template(document, (document.part, section.header.part)), style_ids


def _package_parts(document: DocxDocument, template: Template[DocxDocument]) -> dict[str, bytes | Deflated]:
    """The package's members as ``Document.save`` would zip them, without zipping."""
    package = document.part.package
    parts = list(package.iter_parts())
    return {
        CONTENT_TYPES_URI.membername: _ContentTypesItem.from_parts(parts).blob,
        PACKAGE_URI.rels_uri.membername: package.rels.xml,
        **part_members(parts, template.shared),
    }


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


def _header(document: DocxDocument, title: str) -> None:
    """The title in the page header (right-aligned by the template)."""
    header = document.sections[0].header.paragraphs[0]
    header.text = title
    header.runs[0].font.size = Pt(8)
    header.runs[0].font.color.rgb = _GREY


def _footer(document: DocxDocument) -> None:
    """'Page N of M' fields in the page footer, the same in every document."""
    footer = document.sections[0].footer.paragraphs[0]
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


def _paragraph(document: DocxDocument, text: str = "", style_id: str | None = None) -> Paragraph:
    """``document.add_paragraph(text, style=name)`` in constant time.

    python-docx inserts each block before the body's closing ``w:sectPr``, found by
    scanning every child of the body, which made a document quadratic in its paragraphs
    (16,000 took four seconds); the sectPr is the body's last child, reached directly.
    The style comes as its id (see ``_Template.style_ids``).
    """
    p = OxmlElement("w:p")
    _append_block(document, p)
    if text:
        _add_run(p, text)
    if style_id is not None:
        p.style = style_id
    return Paragraph(p, document._body)


def _add_run(p: CT_P, text: str) -> CT_R:
    """The run ``paragraph.add_run(text)`` appends, its text added a piece at a time.

    python-docx adds run text a character at a time, to turn each tab into a ``w:tab``
    and each CR or LF into a ``w:br``, which was a fifth of the cost of a document; the
    same elements come from splitting the text at those characters.
    """
    r = p.add_r()
    for piece in _BREAKS.split(text):
        if piece == "\t":
            r.add_tab()
        elif piece in ("\r", "\n"):
            r.add_br()
        elif piece:
            r.add_t(piece)
    return r


def _append_block(document: DocxDocument, block: BaseOxmlElement) -> None:
    """Put a paragraph or table at the end of the body, before its section properties."""
    document.element.body[-1].addprevious(block)


def _add_section(
    document: DocxDocument, section: Section, style: DocumentStyle, table_width: Length, ids: dict[str, str]
) -> None:
    level = 2 if _SUBSECTION.match(section.heading) else 1
    _paragraph(document, section.heading, ids[f"Heading {level}"])
    for text in section.paragraphs:
        _paragraph(document, text)
    for text in section.bullets:
        _paragraph(document, text, ids["List Bullet"])
    if section.table is not None:
        _add_table(document, section.table, style, table_width, ids["Table Grid"])
        _paragraph(document)


def _add_table(document: DocxDocument, table: Table, style: DocumentStyle, width: Length, style_id: str) -> None:
    """A 'Table Grid' table whose header row is accent-shaded, bold, white and repeats.

    Cells are reached through the XML rows (``tr_lst``/``tc_lst``): python-docx's
    ``row.cells`` recomputes the grid layout on every call, which made tables the
    slowest part of a document.
    """
    header, rows = square_table(table)
    tbl = CT_Tbl.new_tbl(1 + len(rows), len(header), width)
    _append_block(document, tbl)
    grid = DocxTable(tbl, document._body)
    tbl.tblPr.style = style_id
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    trs = grid._tbl.tr_lst
    _repeat_as_header(trs[0])
    for index, (tr, values) in enumerate(zip(trs, [header, *rows])):
        for tc, value in zip(tr.tc_lst, values):
            text = value if index == 0 else cell_text(value)
            tc.clear_content()  # what ``cell.text = text`` does, with _add_run
            p = tc.add_p()
            r = _add_run(p, text)
            paragraph = Paragraph(p, grid)
            paragraph.paragraph_format.space_after = Pt(0)
            if index == 0:
                _shade(tc, style.accent_rgb)
                if text:
                    font = Run(r, paragraph).font
                    font.bold = True
                    font.color.rgb = RGBColor(0xFF, 0xFF, 0xFF)
            elif is_numeric(value):
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _repeat_as_header(row: CT_Row) -> None:
    row.get_or_add_trPr().append(OxmlElement("w:tblHeader"))


def _shade(cell: CT_Tc, fill: str) -> None:
    properties = cell.get_or_add_tcPr()
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    properties.append(shading)
