"""A hostile spec or file cannot take the host: office content is bounded at the model,
writing is linear, and extraction is bounded in what it caches and what it unpacks."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from openpyxl import load_workbook
from pydantic import BaseModel, ValidationError

from synthcomp import models
from synthcomp.computer.artifacts import extract
from synthcomp.computer.artifacts.extract import cache_bytes, clear_extraction_cache, extract_text
from synthcomp.errors import InputError
from synthcomp.models import DeckContent, DocumentContent, WorkbookContent
from tests.computer.test_artifacts import budget_workbook, inspection_report, render, review_deck

LONG = "x" * models.MAX_TEXT_CHARS
"""The longest text any one field may hold."""


def document(**section: Any) -> dict[str, Any]:
    return {"title": "Report", "author": "Ana", "sections": [{"heading": "Findings", **section}]}


def sections(count: int, **section: Any) -> dict[str, Any]:
    return {"title": "Report", "author": "Ana", "sections": [{"heading": "H", **section}] * count}


def workbook(rows: list[list[Any]], columns: int = 1, sheets: int = 1) -> dict[str, Any]:
    sheet = {"name": "Data", "columns": [{"name": f"c{i}", "type": "text"} for i in range(columns)], "rows": rows}
    return {"title": "Book", "author": "Ana", "sheets": [sheet] * sheets}


def deck(count: int = 1, **slide: Any) -> dict[str, Any]:
    return {"title": "Deck", "author": "Ana", "slides": [{"title": "Slide", **slide}] * count}


def table(rows: int, columns: int, value: Any = 1) -> dict[str, Any]:
    return {"columns": [f"c{i}" for i in range(columns)], "rows": [[value] * columns] * rows}


def chart(categories: int, series: int = 1) -> dict[str, Any]:
    return {"title": "Spend", "categories": [f"c{i}" for i in range(categories)],
            "series": [{"name": f"s{i}", "values": [1.0] * categories} for i in range(series)]}


OVER_BOUNDS: dict[str, tuple[type[BaseModel], Callable[[], dict[str, Any]], str]] = {
    "text field": (DocumentContent, lambda: {**document(), "title": LONG + "x"},
                   "title.*at most 32767 characters"),
    "table cell": (DocumentContent, lambda: document(table={"columns": ["a"], "rows": [[LONG + "x"]]}),
                   "a cell holds at most 32,767 characters"),
    "digits cell is not read as a number": (WorkbookContent, lambda: workbook([["9" * len(LONG + "x")]]),
                                            "a cell holds at most 32,767 characters"),
    "sections": (DocumentContent, lambda: sections(models.MAX_SECTIONS + 1), "sections.*at most 1000 items"),
    "paragraphs": (DocumentContent, lambda: document(paragraphs=["p"] * (models.MAX_SECTION_ITEMS + 1)),
                   "paragraphs.*at most 1000 items"),
    "bullets": (DocumentContent, lambda: document(bullets=["b"] * (models.MAX_SECTION_ITEMS + 1)),
                "bullets.*at most 1000 items"),
    "document blocks": (DocumentContent, lambda: sections(20, paragraphs=["p"] * 500),
                        "a document holds at most 10,000 headings, paragraphs and bullets; this one has 10,020"),
    "table columns": (DocumentContent, lambda: document(table=table(1, models.MAX_TABLE_COLUMNS + 1)),
                      "columns.*at most 63 items"),
    "table row width": (DocumentContent, lambda: document(table={"columns": ["a"], "rows": [[1] * 64]}),
                        "rows.0.*at most 63 items"),
    "table rows": (DocumentContent, lambda: document(table=table(models.MAX_TABLE_ROWS + 1, 1)),
                   "rows.*at most 1000 items"),
    "document table cells": (DocumentContent, lambda: sections(11, table=table(49, 10)),
                             "a document holds at most 5,000 table cells; this one has 5,500"),
    "document table text": (DocumentContent, lambda: document(table=table(2, 1, "x" * 25_001)),
                            "a document holds at most 50,000 characters in tables"),
    "document text": (DocumentContent, lambda: document(paragraphs=[LONG] * 31),
                      "a document holds at most 1,000,000 characters of text"),
    "sheets": (WorkbookContent, lambda: workbook([], sheets=models.MAX_SHEETS + 1), "sheets.*at most 100 items"),
    "sheet rows": (WorkbookContent, lambda: workbook([[]] * (models.MAX_SHEET_ROWS + 1)),
                   "rows.*at most 50000 items"),
    "sheet columns": (WorkbookContent, lambda: workbook([], columns=models.MAX_SHEET_COLUMNS + 1),
                      "columns.*at most 200 items"),
    "sheet row width": (WorkbookContent, lambda: workbook([[1] * (models.MAX_SHEET_COLUMNS + 1)]),
                        "rows.0.*at most 200 items"),
    "workbook cells": (WorkbookContent, lambda: workbook([[1] * 50] * 2_501, columns=50, sheets=2),
                       "a workbook holds at most 250,000 data cells"),
    "padded cells count": (WorkbookContent, lambda: workbook([[1] * 200] + [[]] * 1_250),
                           "a workbook holds at most 250,000 data cells .*; this one has 250,200"),
    "workbook text": (WorkbookContent, lambda: workbook([[LONG]] * 31),
                      "a workbook holds at most 1,000,000 characters"),
    "slides": (DeckContent, lambda: deck(models.MAX_SLIDES + 1), "slides.*at most 200 items"),
    "slide bullets": (DeckContent, lambda: deck(bullets=["b"] * (models.MAX_SLIDE_BULLETS + 1)),
                      "bullets.*at most 30 items"),
    "deck table cells": (DeckContent, lambda: deck(11, table=table(24, 10)),
                         "a deck holds at most 2,500 table cells; this one has 2,750"),
    "deck charts": (DeckContent, lambda: deck(models.MAX_DECK_CHARTS + 1, chart=chart(3)),
                    "a deck holds at most 50 charts"),
    "chart categories": (DeckContent, lambda: deck(chart=chart(models.MAX_CHART_CATEGORIES + 1)),
                         "categories.*at most 1000 items"),
    "chart series": (DeckContent, lambda: deck(chart=chart(2, models.MAX_CHART_SERIES + 1)),
                     "series.*at most 50 items"),
    "deck chart values": (DeckContent, lambda: deck(21, chart=chart(1_000)),
                          "a deck holds at most 20,000 chart values; this one has 21,000"),
    "deck text": (DeckContent, lambda: deck(31, notes=LONG), "a deck holds at most 1,000,000 characters"),
}


# --------------------------------------------------------------------------- content bounds


@pytest.mark.parametrize("case", OVER_BOUNDS)
def test_a_spec_over_a_bound_is_refused_with_the_bound_named(case: str) -> None:
    model, spec, message = OVER_BOUNDS[case]
    with pytest.raises(ValidationError, match="(?s)" + message):  # the field's path, then its message
        model.model_validate(spec())


def test_specs_at_the_bounds_are_accepted() -> None:
    DocumentContent.model_validate(sections(10, paragraphs=["p"] * 999, table=table(49, 10)))
    WorkbookContent.model_validate(workbook([[1] * 50] * 5_000, columns=50))
    DeckContent.model_validate(deck(models.MAX_SLIDES, bullets=["b"] * models.MAX_SLIDE_BULLETS))
    DeckContent.model_validate(deck(20, chart=chart(models.MAX_CHART_CATEGORIES)))


def test_a_five_thousand_row_workbook_is_written() -> None:
    columns = [{"name": "Item", "type": "text"}, {"name": "Qty", "type": "int"},
               {"name": "Cost (EUR)", "type": "currency"}, {"name": "When", "type": "date"}]
    rows = [[f"item {i}", i, i * 1.5, f"2025-01-{1 + i % 28:02d}"] for i in range(5_000)]
    sheet = {"name": "Data", "columns": columns, "rows": rows, "total_row": True}
    data = render("xlsx", WorkbookContent.model_validate({"title": "Ledger", "author": "Ana", "sheets": [sheet]}))

    sheet = load_workbook(io.BytesIO(data))["Data"]
    assert sheet.max_row == 5_002
    assert [c.value for c in sheet[5_001]][:3] == ["item 4999", 4999, 7498.5]
    assert sheet["B5002"].value == "=SUM(B2:B5001)"
    assert sheet["C5001"].number_format.startswith('"€"')


def test_a_short_row_is_padded_with_blank_cells_formatted_by_column() -> None:
    content = WorkbookContent(title="T", author="A", sheets=[models.Sheet(
        name="S", columns=[models.Column(name="Item", type="text"), models.Column(name="Qty", type="int")],
        rows=[["a"], [], ["b", 2]])])

    sheet = load_workbook(io.BytesIO(render("xlsx", content)))["S"]
    assert sheet["B2"].value is None and sheet["B2"].number_format == "#,##0"
    assert sheet["B3"].number_format == "General"  # an empty row has no cells to format


# --------------------------------------------------------------------------- extraction cache


@pytest.fixture
def empty_cache():
    clear_extraction_cache()
    yield
    clear_extraction_cache()


def distinct_workbook(index: int) -> bytes:
    """An XLSX whose text (~1 MB) differs from every other index's."""
    rows = [[f"{index} {row} " + "x" * 32_000] for row in range(30)]
    return render("xlsx", WorkbookContent.model_validate(workbook(rows)))


def test_the_cache_is_bounded_by_the_text_it_holds_and_cleared(empty_cache) -> None:
    files = [distinct_workbook(i) for i in range(40)]  # ~40 MB of text for a 32 MiB cache
    first = extract_text("xlsx", files[0])
    with ThreadPoolExecutor(4) as pool:
        for _ in pool.map(lambda data: extract_text("xlsx", data), files[1:]):
            assert cache_bytes() <= extract.CACHE_BYTES

    assert cache_bytes() > extract.CACHE_BYTES - 2 * 2**20  # it does keep texts, up to the bound
    assert extract_text("xlsx", files[0]) is not first  # the least recently used went first
    latest = extract_text("xlsx", files[-1])
    assert extract_text("xlsx", files[-1]) is latest  # a hit hands back the kept text
    clear_extraction_cache()
    assert cache_bytes() == 0
    assert extract_text("xlsx", files[-1]) is not latest


# --------------------------------------------------------------------------- hostile packages


def repacked(
    data: bytes, extra: dict[str, bytes] | None = None, change: Callable[[str, bytes], bytes] | None = None
) -> bytes:
    """``data`` (a ZIP) rewritten with members changed and/or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info)
            target.writestr(info.filename, change(info.filename, body) if change else body)
        for name, body in (extra or {}).items():
            target.writestr(name, body)
    return out.getvalue()


def test_a_zip_bomb_docx_is_refused(empty_cache) -> None:
    bomb = repacked(render("docx", inspection_report()), extra={"word/media/image1.png": bytes(64 * 2**20)})
    assert len(bomb) < 2**20
    with pytest.raises(InputError, match="zip bomb"):
        extract_text("docx", bomb)


def test_a_docx_unpacking_past_the_bound_is_refused(empty_cache, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(extract, "MAX_UNPACKED_BYTES", 2**20)
    padded = repacked(render("docx", inspection_report()), extra={"word/media/image1.png": bytes(2**20)})
    with pytest.raises(InputError, match="unpacking to .* bytes"):
        extract_text("docx", padded)


def test_a_package_of_too_many_members_is_refused_before_it_is_listed(empty_cache) -> None:
    members = {f"x/{i}": b"" for i in range(extract.MAX_MEMBERS)}
    crowded = repacked(render("xlsx", budget_workbook()), extra=members)
    with pytest.raises(InputError, match="members in a .*-byte directory"):
        extract_text("xlsx", crowded)


def test_a_file_that_is_not_a_zip_is_an_input_error(empty_cache) -> None:
    with pytest.raises(InputError, match="PPTX refused, not a readable ZIP package"):
        extract_text("pptx", b"\0" * 4096)


LAUGHS = '<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa">' + "".join(
    f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">' for i in range(8)) + "]>"
"""Nine nested entities, each ten of the one before: 10^9 characters if expanded."""


def with_laughs(member: str, tag: bytes) -> Callable[[str, bytes], bytes]:
    """A member change that declares LAUGHS and uses the last entity inside the first ``tag``."""
    def change(name: str, body: bytes) -> bytes:
        if name != member:
            return body
        start = body.index(b"?>") + 2 if body.startswith(b"<?xml") else 0
        text = body.index(b">", body.index(tag)) + 1
        return body[:start] + LAUGHS.encode() + body[start:text] + b"&i;" + body[text:]
    return change


@pytest.mark.parametrize(("kind", "sample", "member", "tag"), [
    ("docx", inspection_report, "word/document.xml", b"<w:t"),
    ("pptx", review_deck, "ppt/slides/slide2.xml", b"<a:t"),
    ("xlsx", budget_workbook, "xl/worksheets/sheet1.xml", b"<t>"),
])
def test_entity_expansion_is_refused_by_the_parsers(
    empty_cache, kind: str, sample: Callable[[], BaseModel], member: str, tag: bytes
) -> None:
    bomb = repacked(render(kind, sample()), change=with_laughs(member, tag))
    with pytest.raises(Exception) as info:
        extract_text(kind, bomb)
    causes = [info.value, info.value.__cause__]
    assert any("amplification" in str(exc) or type(exc).__name__ == "EntitiesForbidden" for exc in causes)
