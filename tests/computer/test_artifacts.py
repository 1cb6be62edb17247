"""Artifacts as a user opening them would judge them: they open, they hold what the
content asked for, they look like this user's files, and they are byte-reproducible."""

from __future__ import annotations

import io
import re
import shutil
import zipfile
from datetime import datetime, timedelta, timezone

import pytest
from docx import Document
from docx.oxml.ns import qn
from openpyxl import load_workbook
from PIL import Image
from pptx import Presentation
from pptx.enum.chart import XL_CHART_TYPE
from pptx.enum.shapes import MSO_SHAPE_TYPE
from pptx.util import Inches

from synthcomp.computer.artifacts import CONTENT_TYPES, render_artifact
from synthcomp.computer.artifacts.extract import extract_text
from synthcomp.errors import InputError
from synthcomp.models import (
    ArchiveContent, ArchiveMember, ArtifactContent, Chart, Column, DeckContent, DocumentContent,
    DocumentStyle,
    ImageContent, Section, Series, Sheet, Slide, SystemContent, Table, TextContent,
    WorkbookContent,
)

WHEN = datetime(2025, 3, 14, 9, 30, 0)
ACCENT = "1F6F8B"


def make_style(**changes: str) -> DocumentStyle:
    values = dict(body_font="Calibri", heading_font="Georgia", accent_rgb=ACCENT,
                  slide_layout="band", page_size="A4")
    values.update(changes)
    return DocumentStyle(**values)


def inspection_report(paragraph_repeats: int = 1) -> DocumentContent:
    """A water-utility inspection report: numbered sections, findings table, actions."""
    prose = ("The inspection of Pump Station 4 on 11 March covered the wet well, both duty "
             "pumps, the surge vessel and the telemetry outstation. ") * paragraph_repeats
    return DocumentContent(
        title="Pump Station 4 \u2014 Quarterly Inspection Report",
        subtitle="Leeds North distribution zone",
        author="Ana Ruiz",
        sections=[
            Section(heading="1 Summary",
                    paragraphs=[prose, "Overall condition: \u201cfair\u201d."]),
            Section(
                heading="2 Findings",
                paragraphs=[prose],
                table=Table(
                    columns=["Asset", "Condition", "Vibration (mm/s)", "Est. cost"],
                    rows=[["Duty pump A", "Good", 2.1, 0], ["Duty pump B", "Poor", 7.8, 4200],
                          ["Surge vessel", "Fair", 0.4, 950], ["Outstation RTU", "Good", 0.0, 0]],
                ),
            ),
            Section(heading="2.1 Pump B bearing wear", paragraphs=[prose]),
            Section(heading="3 Actions",
                    bullets=["Replace pump B bearings before May",
                             "Re-test surge vessel pre-charge \u2192 2.5 bar"]),
        ],
    )


def budget_workbook() -> WorkbookContent:
    """Three sheets: costs with a total row, a monthly tracker, and a contacts list."""
    return WorkbookContent(
        title="PS4 maintenance budget 2025",
        author="Ana Ruiz",
        sheets=[
            Sheet(
                name="Costs",
                columns=[Column(name="Item", type="text"), Column(name="Qty", type="int"),
                         Column(name="Unit cost (GBP)", type="currency"),
                         Column(name="Hours", type="number"), Column(name="Share", type="percent"),
                         Column(name="Ordered", type="date")],
                rows=[["Bearing kit", 2, 640.0, 6.5, 0.4, "2025-03-02"],
                      ["Seal set", 4, 85.5, 2.0, 0.1, "2025-03-05"],
                      ["Pre-charge test", 1, "1,200", 3.0, "50%", "2025-03-09"],
                      ["Contingency", None, 300, None, None, None]],
                total_row=True,
            ),
            Sheet(
                name="Monthly",
                columns=[Column(name="Month", type="date"), Column(name="Callouts", type="int"),
                         Column(name="Spend", type="currency")],
                rows=[[f"2025-{m:02d}-01", 3 + m, 1000.0 + 250 * m] for m in range(1, 7)],
                total_row=True,
            ),
            Sheet(
                name="Contacts",
                columns=[Column(name="Name", type="text"), Column(name="Role", type="text")],
                rows=[["Priya Shah", "Mechanical fitter"], ["Tom Brook", "Telemetry"]],
            ),
        ],
    )


def review_deck() -> DeckContent:
    """Six content slides: bullets, a table, a chart, bullets beside a chart, notes."""
    chart = Chart(title="Callouts per month", categories=["Jan", "Feb", "Mar", "Apr"],
                  series=[Series(name="2024", values=[4, 6, 5, 7]),
                          Series(name="2025", values=[3, 5, 4])])
    table = Table(columns=["Site", "Callouts", "Spend"],
                  rows=[["PS4", 12, 5400.0], ["PS7", 4, 1200.0], ["WTW Eccup", 9, 8800.5]])
    return DeckContent(
        title="Q1 Operations Review", subtitle="North zone pumping", author="Ana Ruiz",
        slides=[
            Slide(title="Agenda", bullets=["Q1 in numbers", "Pump B", "Budget", "Next steps"]),
            Slide(title="Q1 in numbers", bullets=["25 callouts", "Spend on budget"],
                  notes="Mention the February storm."),
            Slide(title="Callouts by site", table=table),
            Slide(title="Trend", chart=chart, notes="2025 is below 2024 every month."),
            Slide(title="Pump B", bullets=["Bearing wear", "Vibration 7.8 mm/s"], chart=chart),
            Slide(title="Next steps", bullets=["Order bearings", "Book outage"], table=table),
        ],
    )


def render(artifact_type: str, content: ArtifactContent, style: DocumentStyle | None = None,
           when: datetime = WHEN, seed: int = 7) -> bytes:
    return render_artifact(artifact_type, content, style or make_style(), when, seed)


def pdf_page_count(data: bytes) -> int:
    return len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", data))


SAMPLES = {
    "docx": inspection_report, "pdf": inspection_report, "xlsx": budget_workbook,
    "pptx": review_deck,
    "csv": lambda: TextContent(text="a,b\n1,2\n"),
    "md": lambda: TextContent(text="# Notes\n"),
    "txt": lambda: TextContent(text="todo\n"),
    "json": lambda: TextContent(text='{"a": 1}\n'),
    "py": lambda: TextContent(text="print('hi')\n"),
    "eml": lambda: TextContent(text="From: a@b.c\nSubject: Hi\n\nBody\n"),
    "png": lambda: ImageContent(style="chart", title="Spend", chart=review_deck().slides[3].chart),
    "jpg": lambda: ImageContent(style="scan", title="Delivery note", lines=["Received 2 kits"]),
    "zip": lambda: ArchiveContent(members=[
        ArchiveMember(name="report.docx", content=inspection_report()),
        ArchiveMember(name="data/notes.txt", content=TextContent(text="x")),
    ]),
    "system": lambda: SystemContent(flavor="thumbs_db"),
}


# --------------------------------------------------------------------------- dispatch


def test_every_artifact_type_has_a_sample() -> None:
    assert set(SAMPLES) == set(CONTENT_TYPES)


@pytest.mark.parametrize("artifact_type", sorted(CONTENT_TYPES))
def test_same_inputs_give_identical_bytes(artifact_type: str) -> None:
    content = SAMPLES[artifact_type]()
    first = render(artifact_type, content)
    assert first == render(artifact_type, content)
    assert len(first) > 0


@pytest.mark.parametrize("artifact_type", ["docx", "pptx"])
def test_a_file_owes_nothing_to_the_files_written_before_it(artifact_type: str) -> None:
    """DOCX and PPTX copies share their template's parts: writing one must not write into them."""
    content = SAMPLES[artifact_type]()
    first = render(artifact_type, content)
    deck = review_deck()
    other = (inspection_report(paragraph_repeats=3) if artifact_type == "docx"
             else deck.model_copy(update={"title": "Another deck", "slides": deck.slides[::-1] * 2}))
    render(artifact_type, other, style=make_style(accent_rgb="C00000", page_size="Letter"))
    render(artifact_type, other)
    assert render(artifact_type, content) == first


@pytest.mark.parametrize("artifact_type", ["docx", "xlsx", "pptx"])
def test_ooxml_records_when_in_entries_and_core_properties(artifact_type: str) -> None:
    content = SAMPLES[artifact_type]()
    data = render(artifact_type, content)
    assert data != render(artifact_type, content, when=WHEN + timedelta(days=1))
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        names = package.namelist()
        assert names[:2] == ["[Content_Types].xml", "_rels/.rels"]
        assert {info.date_time for info in package.infolist()} == {(2025, 3, 14, 9, 30, 0)}
        assert not any("thumbnail" in name for name in names)
        assert b"thumbnail" not in package.read("_rels/.rels")
        core = package.read("docProps/core.xml").decode()
    assert "<dc:creator>Ana Ruiz</dc:creator>" in core
    assert "<cp:lastModifiedBy>Ana Ruiz</cp:lastModifiedBy>" in core
    assert "<cp:revision>1</cp:revision>" in core
    assert core.count("2025-03-14T09:30:00Z") == 2


def test_aware_when_is_written_in_utc() -> None:
    when = datetime(2025, 3, 14, 10, 30, tzinfo=timezone(timedelta(hours=1)))
    data = render("xlsx", budget_workbook(), when=when)
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert "2025-03-14T09:30:00Z" in package.read("docProps/core.xml").decode()


@pytest.mark.parametrize(
    ("artifact_type", "content"),
    [("docx", budget_workbook()), ("xlsx", inspection_report()), ("pptx", TextContent(text="x")),
     ("png", TextContent(text="x")), ("csv", review_deck()), ("system", TextContent(text="x"))],
)
def test_mismatched_type_and_content_raise_input_error(
    artifact_type: str, content: ArtifactContent
) -> None:
    with pytest.raises(InputError, match=f"a {artifact_type} file is rendered from"):
        render(artifact_type, content)


def test_unknown_type_suggests_the_nearest() -> None:
    with pytest.raises(InputError, match="did you mean 'docx'"):
        render("dokx", inspection_report())


# --------------------------------------------------------------------------- docx


def test_docx_has_the_structure_and_look_the_content_asked_for() -> None:
    document = Document(io.BytesIO(render("docx", inspection_report())))
    styled = [(p.style.name, p.text) for p in document.paragraphs if p.text]
    assert styled[0] == ("Title", "Pump Station 4 \u2014 Quarterly Inspection Report")
    assert ("Subtitle", "Leeds North distribution zone") in styled
    assert ("Heading 1", "2 Findings") in styled
    assert ("Heading 2", "2.1 Pump B bearing wear") in styled
    assert ("List Bullet", "Replace pump B bearings before May") in styled

    [table] = document.tables
    assert [c.text for c in table.rows[0].cells] == [
        "Asset", "Condition", "Vibration (mm/s)", "Est. cost"]
    assert table.rows[2].cells[3].text == "4,200"
    assert table.style.name == "Table Grid"
    header_fill = table.rows[0].cells[0]._tc.tcPr.find(qn("w:shd")).get(qn("w:fill"))
    assert header_fill == ACCENT

    assert document.styles["Normal"].font.name == "Calibri"
    assert document.styles["Heading 1"].font.name == "Georgia"
    assert str(document.styles["Heading 1"].font.color.rgb) == ACCENT
    heading_fonts = document.styles["Heading 1"].element.rPr.rFonts
    assert heading_fonts.get(qn("w:asciiTheme")) is None  # a theme font would override Georgia

    section = document.sections[0]
    assert section.header.paragraphs[0].text == inspection_report().title
    assert b"NUMPAGES" in section.footer._element.xml.encode()
    assert round(section.page_width.mm) == 210
    assert document.core_properties.author == "Ana Ruiz"
    assert document.core_properties.created == WHEN.replace(tzinfo=timezone.utc)


def test_docx_letter_page_size() -> None:
    data = render("docx", inspection_report(), make_style(page_size="Letter"))
    document = Document(io.BytesIO(data))
    assert document.sections[0].page_width.inches == pytest.approx(8.5)


def test_docx_is_real_sized() -> None:
    assert 15_000 < len(render("docx", inspection_report())) < 200_000


# --------------------------------------------------------------------------- xlsx


def test_xlsx_sheets_typed_cells_and_header() -> None:
    workbook = load_workbook(io.BytesIO(render("xlsx", budget_workbook())))
    assert workbook.sheetnames == ["Costs", "Monthly", "Contacts"]
    costs = workbook["Costs"]
    header = costs[1]
    assert [c.value for c in header] == [
        "Item", "Qty", "Unit cost (GBP)", "Hours", "Share", "Ordered"]
    assert all(c.font.bold and c.fill.fgColor.rgb.endswith(ACCENT) for c in header)
    assert costs.freeze_panes == "A2"
    assert costs.auto_filter.ref == "A1:F5"

    bearing = costs[2]
    assert bearing[1].value == 2 and isinstance(bearing[1].value, int)
    assert bearing[2].value == 640.0 and "£" in bearing[2].number_format
    assert bearing[3].number_format == "#,##0.00"
    assert bearing[4].value == 0.4 and bearing[4].number_format == "0.0%"
    assert bearing[5].is_date and bearing[5].value == datetime(2025, 3, 2)
    assert costs["C4"].value == 1200.0  # "1,200" typed as text in the content
    assert costs["E4"].value == 0.5  # "50%"
    assert costs.column_dimensions["C"].width > costs.column_dimensions["B"].width


def test_xlsx_total_row_totals_every_numeric_column_as_its_label_says() -> None:
    workbook = load_workbook(io.BytesIO(render("xlsx", budget_workbook())))
    costs = workbook["Costs"]
    total = [c.value for c in costs[6]]  # quantities and hours add up; a unit cost and a share are averaged
    assert total == ["Total", "=SUM(B2:B5)", "=AVERAGE(C2:C5)", "=SUM(D2:D5)", "=AVERAGE(E2:E5)", None]
    assert costs["C6"].number_format == costs["C2"].number_format
    monthly = workbook["Monthly"]
    assert monthly["B8"].value == "=SUM(B2:B7)" and monthly["C8"].value == "=SUM(C2:C7)"
    assert monthly["A8"].value == "Total"  # labelled in the first column that is not summed
    assert workbook["Contacts"].max_row == 3  # no total row asked for
    assert workbook.calculation.fullCalcOnLoad


def test_xlsx_properties() -> None:
    workbook = load_workbook(io.BytesIO(render("xlsx", budget_workbook())))
    assert workbook.properties.creator == "Ana Ruiz"
    assert workbook.properties.created == WHEN
    assert workbook.properties.modified == WHEN


# --------------------------------------------------------------------------- pptx


def test_pptx_slides_tables_charts_notes() -> None:
    deck = Presentation(io.BytesIO(render("pptx", review_deck())))
    slides = list(deck.slides)
    assert len(slides) == 7
    assert deck.slide_width == Inches(13.333)
    title_texts = [shape.text_frame.text for shape in slides[0].placeholders]
    assert "Q1 Operations Review" in title_texts
    assert any("Ana Ruiz" in text for text in title_texts)

    titles = [s.shapes.title.text_frame.text for s in slides[1:]]
    assert titles == [s.title for s in review_deck().slides]
    tables = [shape for shape in slides[3].shapes if shape.has_table]
    assert len(tables) == 1 and tables[0].table.cell(0, 0).text == "Site"
    charts = [shape.chart for shape in slides[4].shapes if shape.has_chart]
    assert len(charts) == 1
    chart = charts[0]
    assert chart.chart_type == XL_CHART_TYPE.COLUMN_CLUSTERED
    assert list(chart.plots[0].categories) == ["Jan", "Feb", "Mar", "Apr"]
    assert [s.name for s in chart.plots[0].series] == ["2024", "2025"]
    assert str(chart.plots[0].series[0].format.fill.fore_color.rgb) == ACCENT
    assert slides[4].notes_slide.notes_text_frame.text == "2025 is below 2024 every month."
    assert any(shape.has_chart for shape in slides[5].shapes)
    assert any(shape.has_table for shape in slides[6].shapes)


def test_pptx_fonts_and_layout_decoration() -> None:
    def accent_shapes(layout: str) -> list:
        data = render("pptx", review_deck(), make_style(slide_layout=layout))
        deck = Presentation(io.BytesIO(data))
        slide = deck.slides[1]
        title_run = slide.shapes.title.text_frame.paragraphs[0].runs[0]
        assert title_run.font.name == "Georgia"
        body_run = slide.placeholders[1].text_frame.paragraphs[0].runs[0]
        assert body_run.font.name == "Calibri"
        shapes = [s for s in slide.shapes if s.shape_type == MSO_SHAPE_TYPE.AUTO_SHAPE]
        return [s for s in shapes if str(s.fill.fore_color.rgb) == ACCENT]

    assert accent_shapes("classic") == []
    [band] = accent_shapes("band")
    assert band.top == 0 and band.height > Inches(1)
    [rule] = accent_shapes("minimal")
    assert rule.height < Inches(0.1)


def test_pptx_embedded_chart_workbook_is_deterministic() -> None:
    data = render("pptx", review_deck())
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        embedded = [n for n in package.namelist() if n.startswith("ppt/embeddings/")]
        assert embedded
        with zipfile.ZipFile(io.BytesIO(package.read(embedded[0]))) as workbook:
            assert "2025-03-14T09:30:00Z" in workbook.read("docProps/core.xml").decode()


# --------------------------------------------------------------------------- pdf


def test_pdf_long_content_spans_pages_with_metadata() -> None:
    data = render("pdf", inspection_report(paragraph_repeats=30), make_style(page_size="Letter"))
    assert data.startswith(b"%PDF-")
    assert pdf_page_count(data) >= 2
    assert b"/CreationDate (D:20250314093000Z" in data
    assert b"/MediaBox [0 0 612.00 792.00]" in data


def test_pdf_short_content_is_one_page() -> None:
    short = DocumentContent(title="Memo", author="A", sections=[Section(heading="Hi")])
    assert pdf_page_count(render("pdf", short)) == 1


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs pdftotext (poppler-utils)")
def test_pdf_text_survives_core_font_encoding() -> None:
    text = extract_text("pdf", render("pdf", inspection_report(paragraph_repeats=30)))
    assert "Pump Station 4 \u2014 Quarterly Inspection Report" in text  # cp1252 em dash
    assert "\u201cfair\u201d" in text
    assert "pre-charge -> 2.5 bar" in text  # arrow replaced by ASCII
    assert "Duty pump B" in text and "4,200" in text
    assert re.search(r"Page 2 of \d+", text)


# --------------------------------------------------------------------------- text, images, zip


def test_text_types_are_utf8_with_unix_line_ends() -> None:
    data = render("csv", TextContent(text="Site,Temp \u00b0C\r\nPS4,12\rPS7,9\n"))
    assert data == "Site,Temp \u00b0C\nPS4,12\nPS7,9\n".encode()


@pytest.mark.parametrize("style", ["chart", "scan", "screenshot"])
@pytest.mark.parametrize("artifact_type", ["png", "jpg"])
def test_images_decode_at_a_realistic_size(style: str, artifact_type: str) -> None:
    content = ImageContent(style=style, title="Callouts", chart=review_deck().slides[3].chart,
                           lines=["Received with thanks", "Ref PS4-0142"])
    image = Image.open(io.BytesIO(render(artifact_type, content)))
    assert image.format == ("PNG" if artifact_type == "png" else "JPEG")
    assert 800 <= image.width <= 1600


def test_chart_image_uses_the_accent_colour() -> None:
    content = ImageContent(style="chart", title="x", chart=review_deck().slides[3].chart)
    image = Image.open(io.BytesIO(render("png", content))).convert("RGB")
    colours = {colour for _, colour in image.getcolors(maxcolors=1 << 16)}
    assert (0x1F, 0x6F, 0x8B) in colours


def test_scan_noise_follows_the_seed() -> None:
    content = ImageContent(style="scan", title="Delivery note", lines=["2 kits"])
    assert render("jpg", content, seed=1) != render("jpg", content, seed=2)


def test_chart_image_without_chart_is_an_input_error() -> None:
    with pytest.raises(InputError, match="no chart data"):
        render("png", ImageContent(style="chart", title="Spend"))


def test_zip_members_are_real_files_of_their_extension() -> None:
    content = ArchiveContent(members=[
        ArchiveMember(name="Reports/PS4 inspection.docx", content=inspection_report()),
        ArchiveMember(name="budget.xlsx", content=budget_workbook()),
        ArchiveMember(name="photo.jpeg", content=ImageContent(style="scan", title="t")),
        ArchiveMember(name="README", content=TextContent(text="read me")),
        ArchiveMember(name="inner.zip", content=ArchiveContent(members=[
            ArchiveMember(name="a.txt", content=TextContent(text="a"))])),
    ])
    with zipfile.ZipFile(io.BytesIO(render("zip", content))) as archive:
        assert archive.namelist() == ["Reports/PS4 inspection.docx", "budget.xlsx", "photo.jpeg",
                                      "README", "inner.zip"]
        assert {info.date_time for info in archive.infolist()} == {(2025, 3, 14, 9, 30, 0)}
        document = Document(io.BytesIO(archive.read("Reports/PS4 inspection.docx")))
        assert document.paragraphs[0].text.startswith("Pump Station 4")
        assert load_workbook(io.BytesIO(archive.read("budget.xlsx"))).sheetnames[0] == "Costs"
        assert Image.open(io.BytesIO(archive.read("photo.jpeg"))).format == "JPEG"
        assert archive.read("README") == b"read me"
        assert zipfile.ZipFile(io.BytesIO(archive.read("inner.zip"))).read("a.txt") == b"a"


def test_zip_member_of_unknown_kind_is_an_input_error() -> None:
    tiff = ArchiveMember(name="scan.tiff", content=ImageContent(style="scan", title="t"))
    content = ArchiveContent(members=[tiff])
    with pytest.raises(InputError, match="scan.tiff"):
        render("zip", content)


# --------------------------------------------------------------------------- OS noise


def system(flavor: str, owner: str = "", seed: int = 7) -> bytes:
    return render("system", SystemContent(flavor=flavor, owner=owner), seed=seed)


def test_thumbs_db_is_a_compound_file() -> None:
    data = system("thumbs_db")
    assert data.startswith(bytes.fromhex("D0CF11E0A1B11AE1"))
    assert len(data) % 512 == 0 and 4096 < len(data) < 16384
    assert "Root Entry".encode("utf-16-le") in data[1024:1536]  # the directory sector
    assert system("thumbs_db", seed=8) != data


def test_desktop_ini_is_utf16_with_bom() -> None:
    data = system("desktop_ini")
    assert data.startswith(b"\xff\xfe")
    text = data[2:].decode("utf-16-le")
    assert "[.ShellClassInfo]\r\n" in text and "IconResource=" in text


def test_ds_store_has_the_finder_header_and_size() -> None:
    data = system("ds_store")
    assert data.startswith(b"\x00\x00\x00\x01Bud1")
    assert len(data) == 6148


def test_office_lock_names_the_owner() -> None:
    data = system("office_lock", owner="Ana Ruiz")
    assert len(data) == 162
    assert data[0] == len("Ana Ruiz") and data[1:9] == b"Ana Ruiz"
    assert "Ana Ruiz".encode("utf-16-le") in data


# --------------------------------------------------------------------------- extract_text


def test_extract_docx_marks_headings_bullets_and_tables() -> None:
    text = extract_text("docx", render("docx", inspection_report()))
    assert "# Pump Station 4 \u2014 Quarterly Inspection Report" in text
    assert "\n## 2 Findings\n" in text and "\n### 2.1 Pump B bearing wear\n" in text
    assert "- Replace pump B bearings before May" in text
    assert "Duty pump B | Poor | 7.80 | 4,200" in text


def test_extract_xlsx_labels_sheets_and_shows_formulas() -> None:
    text = extract_text("xlsx", render("xlsx", budget_workbook()))
    assert "## Sheet: Costs\nItem | Qty | Unit cost (GBP)" in text
    assert "Bearing kit | 2 | 640 | 6.5 | 0.4 | 2025-03-02" in text
    assert "Total | =SUM(B2:B5) | =AVERAGE(C2:C5) | =SUM(D2:D5) | =AVERAGE(E2:E5)" in text
    assert "## Sheet: Contacts" in text


def test_extract_pptx_labels_slides_with_bullets_tables_charts_notes() -> None:
    text = extract_text("pptx", render("pptx", review_deck()))
    assert "## Slide 1: Q1 Operations Review" in text
    assert ("## Slide 3: Q1 in numbers\n- 25 callouts\n- Spend on budget\n"
            "Notes: Mention the February storm.") in text
    assert "WTW Eccup | 9 | 8,800.50" in text
    assert "Chart: Callouts per month" in text and "Series 2024: 4, 6, 5, 7" in text


def test_extract_text_types_and_unsupported() -> None:
    assert extract_text("md", "# Caf\u00e9\n".encode()) == "# Caf\u00e9\n"
    with pytest.raises(InputError, match="cannot extract text"):
        extract_text("png", b"")
