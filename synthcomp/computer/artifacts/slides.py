"""DeckContent -> PPTX with python-pptx: native tables and charts, speaker notes, a look.

Tables and charts are native objects (a chart can be edited in PowerPoint, its data sits
in the embedded workbook), because a deck whose chart is a picture is not what a
colleague sends. ``style.slide_layout`` picks the decoration: plain, an accent band
behind the title, or a thin accent rule under it.
"""

from __future__ import annotations

import functools
from datetime import datetime

from pptx import Presentation
from pptx.chart.data import CategoryChartData
from pptx.dml.color import RGBColor
from pptx.enum.chart import XL_CHART_TYPE, XL_LEGEND_POSITION
from pptx.enum.shapes import MSO_SHAPE
from pptx.enum.text import PP_ALIGN
from pptx.opc.oxml import serialize_part_xml
from pptx.opc.packuri import CONTENT_TYPES_URI, PACKAGE_URI, PackURI
from pptx.opc.serialized import _ContentTypesItem
from pptx.presentation import Presentation as PptxPresentation
from pptx.shapes.base import BaseShape
from pptx.slide import Slide as PptxSlide
from pptx.table import _Cell
from pptx.text.text import TextFrame
from pptx.util import Emu, Inches, Pt

from synthcomp.computer.artifacts.formatting import (
    cell_text, hex_of, is_numeric, long_date, palette, square_chart, square_table, tint,
)
from synthcomp.computer.artifacts.opc import Template, part_members
from synthcomp.computer.artifacts.zipnorm import Deflated, normalize_ooxml, normalize_parts
from synthcomp.models import Chart, DeckContent, DocumentStyle, Slide, Table

_WIDTH, _HEIGHT = Inches(13.333), Inches(7.5)  # 16:9, PowerPoint's default since 2013
_MARGIN = Inches(0.6)
_GAP = Inches(0.3)
_BODY_TOP = Inches(1.65)
_BODY_BOTTOM = _HEIGHT - Inches(0.5)
_TITLE_SLIDE, _TITLE_AND_CONTENT, _TITLE_ONLY = 0, 1, 5  # layouts of the default template
_WHITE = RGBColor(0xFF, 0xFF, 0xFF)
_GREY = RGBColor(0x59, 0x59, 0x59)
_REGION_WEIGHTS = {"bullets": 1.0, "table": 1.3, "chart": 1.3}


class _ChartData(CategoryChartData):
    """Chart data whose embedded workbook is byte-deterministic.

    python-pptx writes the chart's workbook with XlsxWriter, which stamps "now" into
    its core properties; the blob is normalised like any other OOXML package.
    """

    def __init__(self, when: datetime, author: str, title: str) -> None:
        super().__init__()
        self._when, self._author, self._title = when, author, title

    @property
    def xlsx_blob(self) -> bytes:
        blob = super().xlsx_blob
        return normalize_ooxml(blob, self._when, title=self._title, author=self._author)


def render_pptx(content: DeckContent, style: DocumentStyle, when: datetime) -> bytes:
    """The deck as PPTX bytes; the same arguments always give the same bytes."""
    template = _template()
    deck = template.copy()
    _count_part_names(deck)
    _title_slide(deck, content, style, when)
    for slide in content.slides:
        _content_slide(deck, slide, style, when, content.author)
    return normalize_parts(_package_parts(deck, template), when, title=content.title, author=content.author)


@functools.cache
def _template() -> Template[PptxPresentation]:
    """python-pptx's default template at 16:9, parsed once; every deck shares its masters,
    layouts and theme (a deck writes into the presentation part and parts of its own)."""
    deck = Presentation()
    deck.slide_width, deck.slide_height = _WIDTH, _HEIGHT
    return Template(deck, (deck.part,))


def _package_parts(deck: PptxPresentation, template: Template[PptxPresentation]) -> dict[str, bytes | Deflated]:
    """The package's members as ``Presentation.save`` would zip them, without zipping."""
    package = deck.part.package
    parts = tuple(package.iter_parts())
    return {
        CONTENT_TYPES_URI.membername: serialize_part_xml(_ContentTypesItem.xml_for(parts)),
        PACKAGE_URI.rels_uri.membername: package._rels.xml,
        **part_members(parts, template.shared),
    }


def _count_part_names(deck: PptxPresentation) -> None:
    """Give the deck's package a constant-time ``next_partname``.

    python-pptx names each new notes slide, chart and chart workbook by walking every
    part of the package, which made a deck quadratic in its slides (200 slides with a
    chart and notes took 4 s). A deck being written only gains parts, numbered 1..n per
    name, so counting a name's parts once and then adding one gives the same names.
    """
    package = deck.part.package
    counts: dict[str, int] = {}

    def next_partname(template: str) -> PackURI:
        prefix = template[: (template % 42).find("42")]  # how python-pptx reads a template
        if prefix not in counts:
            counts[prefix] = sum(1 for part in package.iter_parts() if part.partname.startswith(prefix))
        counts[prefix] += 1
        return PackURI(template % counts[prefix])

    package.next_partname = next_partname


def _title_slide(
    deck: PptxPresentation, content: DeckContent, style: DocumentStyle, when: datetime
) -> None:
    slide = deck.slides.add_slide(deck.slide_layouts[_TITLE_SLIDE])
    title, subtitle = slide.placeholders[0], slide.placeholders[1]
    _place(title, _MARGIN, Inches(2.0), _WIDTH - 2 * _MARGIN, Inches(1.6))
    _place(subtitle, _MARGIN, Inches(3.9), _WIDTH - 2 * _MARGIN, Inches(1.6))
    title.text_frame.text = content.title
    _style_text(title.text_frame, style.heading_font, 40, RGBColor.from_string(style.accent_rgb))
    lines = [line for line in (content.subtitle, content.author, long_date(when)) if line]
    subtitle.text_frame.text = "\n".join(lines)
    _style_text(subtitle.text_frame, style.body_font, 20, _GREY)

    accent = RGBColor.from_string(style.accent_rgb)
    if style.slide_layout == "band":
        _rectangle(slide, 0, 0, _WIDTH, Inches(0.6), accent)
    elif style.slide_layout == "minimal":
        _rectangle(slide, (_WIDTH - Inches(3)) // 2, Inches(3.7), Inches(3), Pt(3), accent)


def _content_slide(
    deck: PptxPresentation, content: Slide, style: DocumentStyle, when: datetime, author: str
) -> None:
    layout = _TITLE_AND_CONTENT if content.bullets else _TITLE_ONLY
    slide = deck.slides.add_slide(deck.slide_layouts[layout])
    _decorated_title(slide, content.title, style)

    present = {"bullets": bool(content.bullets), "table": content.table is not None,
               "chart": content.chart is not None}
    regions = [name for name, here in present.items() if here]
    left = _MARGIN
    usable = _WIDTH - 2 * _MARGIN - _GAP * (len(regions) - 1)
    total_weight = sum(_REGION_WEIGHTS[name] for name in regions)
    height = _BODY_BOTTOM - _BODY_TOP
    for name in regions:
        width = Emu(int(usable * _REGION_WEIGHTS[name] / total_weight))
        if name == "bullets":
            _bullets(slide, content.bullets, style, left, width, height, crowded=len(regions) > 1)
        elif name == "table":
            _table(slide, content.table, style, left, width, height)
        else:
            _chart(slide, content.chart, style, left, width, height, when, author)
        left += width + _GAP

    if content.notes:
        slide.notes_slide.notes_text_frame.text = content.notes


def _decorated_title(slide: PptxSlide, text: str, style: DocumentStyle) -> None:
    """The slide title, with the band or rule ``style.slide_layout`` asks for."""
    accent = RGBColor.from_string(style.accent_rgb)
    title = slide.shapes.title
    title.text_frame.text = text
    if style.slide_layout == "band":
        band = _rectangle(slide, 0, 0, _WIDTH, Inches(1.3), accent)
        slide.shapes._spTree.insert(2, band._element)  # behind the title placeholder
        _place(title, _MARGIN, Inches(0.15), _WIDTH - 2 * _MARGIN, Inches(1.0))
        _style_text(title.text_frame, style.heading_font, 30, _WHITE)
    else:
        _place(title, _MARGIN, Inches(0.3), _WIDTH - 2 * _MARGIN, Inches(1.0))
        _style_text(title.text_frame, style.heading_font, 30, accent)
        if style.slide_layout == "minimal":
            _rectangle(slide, _MARGIN, Inches(1.35), _WIDTH - 2 * _MARGIN, Pt(2), accent)
    title.text_frame.paragraphs[0].alignment = PP_ALIGN.LEFT


def _bullets(
    slide: PptxSlide, bullets: list[str], style: DocumentStyle,
    left: int, width: int, height: int, *, crowded: bool,
) -> None:
    """Bullets in the layout's body placeholder (real bullets, outline levels)."""
    body = slide.placeholders[1]
    _place(body, left, _BODY_TOP, width, height)
    frame = body.text_frame
    frame.word_wrap = True
    frame.text = "\n".join(b.replace("\n", "\v") for b in bullets)  # \v: break inside a bullet
    size = 16 if crowded or len(bullets) > 7 else 20
    _style_text(frame, style.body_font, size, None)


def _table(
    slide: PptxSlide, table: Table, style: DocumentStyle, left: int, width: int, height: int
) -> None:
    """A native table: accent-filled bold header, accent-tinted bands, numbers right.

    Cells are reached through the XML rows: ``table.cell(row, col)`` looks the row up
    among all the rows on every call, which made a table quadratic in its rows.
    """
    header, rows = square_table(table)
    row_height = min(Inches(0.42), Emu(int(height / (1 + len(rows)))))
    count = 1 + len(rows)
    shape = slide.shapes.add_table(count, len(header), left, _BODY_TOP, width, row_height * count)
    grid = shape.table
    size = 14 if len(rows) <= 6 and len(header) <= 4 else 11 if len(rows) <= 12 else 9
    accent = RGBColor.from_string(style.accent_rgb)
    trs = grid._tbl.tr_lst
    for tc, text in zip(trs[0].tc_lst, header):
        cell = _Cell(tc, grid)
        cell.text = text
        cell.fill.solid()
        cell.fill.fore_color.rgb = accent
        _style_text(cell.text_frame, style.body_font, size, _WHITE, bold=True)
    bands = (_WHITE, RGBColor.from_string(hex_of(tint(style.accent_rgb, 0.85))))
    for row_index, (tr, values) in enumerate(zip(trs[1:], rows), start=1):
        for tc, value in zip(tr.tc_lst, values):
            cell = _Cell(tc, grid)
            cell.fill.solid()  # banded in the accent, not the template's blue
            cell.fill.fore_color.rgb = bands[row_index % 2]
            cell.text = cell_text(value)
            _style_text(cell.text_frame, style.body_font, size, None)
            if is_numeric(value):
                cell.text_frame.paragraphs[0].alignment = PP_ALIGN.RIGHT


def _chart(
    slide: PptxSlide, chart: Chart, style: DocumentStyle,
    left: int, width: int, height: int, when: datetime, author: str,
) -> None:
    """A native clustered column chart, one accent-family colour per series."""
    categories, series = square_chart(chart)
    data = _ChartData(when, author, chart.title)
    data.categories = categories
    for name, values in series:
        data.add_series(name, values)
    frame = slide.shapes.add_chart(
        XL_CHART_TYPE.COLUMN_CLUSTERED, left, _BODY_TOP, width, height, data
    )
    native = frame.chart
    native.has_title = True
    native.chart_title.text_frame.text = chart.title
    _style_text(native.chart_title.text_frame, style.heading_font, 16, None, bold=True)
    native.font.name = style.body_font
    native.font.size = Pt(12)
    native.has_legend = len(series) > 1
    if native.has_legend:
        native.legend.position = XL_LEGEND_POSITION.BOTTOM
        native.legend.include_in_layout = False
    for plot_series, colour in zip(native.plots[0].series, palette(style.accent_rgb, len(series))):
        plot_series.format.fill.solid()
        plot_series.format.fill.fore_color.rgb = RGBColor.from_string(hex_of(colour))


def _rectangle(
    slide: PptxSlide, left: int, top: int, width: int, height: int, fill: RGBColor
) -> BaseShape:
    """A borderless filled rectangle (band, rule)."""
    shape = slide.shapes.add_shape(MSO_SHAPE.RECTANGLE, left, top, width, height)
    shape.fill.solid()
    shape.fill.fore_color.rgb = fill
    shape.line.fill.background()
    shape.shadow.inherit = False
    return shape


def _place(shape: BaseShape, left: int, top: int, width: int, height: int) -> None:
    shape.left, shape.top, shape.width, shape.height = Emu(left), Emu(top), Emu(width), Emu(height)


def _style_text(
    frame: TextFrame, font: str, size: float, colour: RGBColor | None, *, bold: bool | None = None
) -> None:
    """Font, size and colour on every run of ``frame`` (python-pptx has no paragraph styles)."""
    for paragraph in frame.paragraphs:
        for run in paragraph.runs:
            run.font.name = font
            run.font.size = Pt(size)
            if bold is not None:
                run.font.bold = bold
            if colour is not None:
                run.font.color.rgb = colour
