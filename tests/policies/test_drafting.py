"""The documents the scripted policy writes: valid specs that quote the source totals."""

from __future__ import annotations

import pytest

from synthcomp.models import DeckContent, Deliverable, DocumentContent, OutputArtifact, WorkbookContent
from synthcomp.policies.documents import deck_spec, report_spec, text_output, workbook_spec
from synthcomp.policies.drafting import Brief, Reply, SourceNote
from synthcomp.policies.observations import parse_read, pipe_tables, sheet_tables

from tests.policies.test_observations import XLSX

DOCX = ("# Survey report\nAcme - 2025\n\nThe figures below were checked against the source records of the survey.\n"
        "Measure | Total\nSpend | INR 1,000.00\n")


def _deliverable() -> Deliverable:
    return Deliverable(id="D1", title="Harbour survey: status report and analysis", outcome="A reviewed status report.",
                       outputs=[OutputArtifact(path="C:\\Users\\ana\\r.docx", artifact_type="docx")],
                       sources=["C:\\Users\\ana\\Projects\\Sales.xlsx", "C:\\Users\\ana\\Survey report.docx"],
                       collaborators=["Ana Lima"])


def _brief(revision: int = 0, replies: list[Reply] | None = None, with_data: bool = True) -> Brief:
    sources = []
    if with_data:
        read = parse_read(XLSX)
        sources.append(SourceNote(path=read.path, status="read", title="Sales", tables=sheet_tables(read.body, read.path)))
    doc = SourceNote(path="C:\\Users\\ana\\Survey report.docx", status="read", title="Survey report",
                     tables=pipe_tables(DOCX, "C:\\Users\\ana\\Survey report.docx", "Survey report"))
    doc.figures = [("Spend", "INR 1,000.00")]
    sources += [doc, SourceNote(path="C:\\Users\\ana\\gone.pdf", status="failed", error="No such file")]
    return Brief(deliverable=_deliverable(), sources=sources, replies=replies or [], awaiting=["Ana Lima"],
                 currency="INR", revision=revision, date="2025-04-08")


def _text(spec: dict) -> str:
    return repr(spec)


def test_report_quotes_the_source_totals() -> None:
    spec = report_spec(_brief())
    content = DocumentContent.model_validate({**spec, "author": "Ana"})
    text = _text(spec)
    for quoted in ("24.47", "INR 200.00", "2,299,600"):  # the open rate averaged, spend and visits summed
        assert quoted in text
    assert "73.40" not in text
    headings = [s.heading for s in content.sections]
    assert headings[:4] == ["Executive summary", "Purpose", "Key figures: Sales", "Breakdown by item"]
    assert {"Risks and issues", "Recommendations", "Sources reviewed", "Next steps"} <= set(headings)
    assert all("owner:" in b for b in content.sections[-1].bullets)
    assert "Inputs were requested from Ana Lima" in text and "still awaited from Ana Lima" in text
    assert "gone.pdf: could not be read (No such file)" in text


def test_revision_quotes_replies_and_adds_requested_sections() -> None:
    reply = Reply(sender="Ana Lima", day=2, facts=["The approved budget for Harbour survey is INR 12,500.00."],
                  requests=["a section on lessons learned", "an executive summary section at the top", "a glossary"])
    spec = report_spec(_brief(revision=1, replies=[reply]))
    content = DocumentContent.model_validate({**spec, "author": "Ana"})
    headings = [s.heading for s in content.sections]
    assert headings[0] == "Executive summary" and headings.count("Executive summary") == 1
    assert "Ana Lima confirmed the approved budget at INR 12,500.00." in content.sections[0].paragraphs
    stated = next(s for s in content.sections if s.heading == "Figures from collaborators")
    assert stated.table.rows == [["Approved budget", "INR 12,500.00", "Ana Lima"]]
    assert {"Lessons learned", "A glossary", "Changes in this version"} <= set(headings)
    assert "(revised)" in content.subtitle
    deck = DeckContent.model_validate({**deck_spec(_brief(revision=1, replies=[reply])), "author": "Ana"})
    assert "Lessons learned" in [s.title for s in deck.slides]


def test_workbook_has_typed_columns_and_total_rows() -> None:
    spec = workbook_spec(_brief(replies=[Reply("Ana Lima", 1, ["fact"], [])]))
    book = WorkbookContent.model_validate({**spec, "author": "Ana"})
    names = [s.name for s in book.sheets]
    assert names == ["Data", "Summary", "Key figures", "Inputs", "Sources"]
    assert book.sheets[3].rows == [["Ana Lima", 2, "fact", "fact"]]
    data = book.sheets[0]
    assert [c.type for c in data.columns] == ["text", "date", "number", "currency", "int"]
    assert data.columns[3].name == "Spend (INR)" and data.total_row
    assert data.rows[0] == ["Display", "2024-08-26", 24.1, 137.65, 1886458]
    assert book.sheets[1].total_row and book.sheets[1].rows[0][0] == "Display"


def test_deck_has_a_chart_of_the_first_table() -> None:
    deck = DeckContent.model_validate({**deck_spec(_brief()), "author": "Ana"})
    chart = next(s.chart for s in deck.slides if s.chart is not None)
    assert chart.categories == ["Display", "Email"] and chart.series[0].values == [17.05, 39.3]  # mean open rates


def test_without_data_files_the_documents_quote_what_sources_report() -> None:
    brief = _brief(with_data=False)
    report = DocumentContent.model_validate({**report_spec(brief), "author": "Ana"})
    assert "INR 1,000.00" in repr(report)
    WorkbookContent.model_validate({**workbook_spec(brief), "author": "Ana"})
    deck = DeckContent.model_validate({**deck_spec(brief), "author": "Ana"})
    assert all(s.chart is None for s in deck.slides)


@pytest.mark.parametrize("kind", ["csv", "md"])
def test_text_outputs(kind: str) -> None:
    text = text_output(_brief(), kind)
    assert "Spend (INR)" in text and "INR 200.00" in text


def test_an_empty_brief_still_gives_valid_documents() -> None:
    brief = Brief(deliverable=_deliverable(), sources=[], replies=[], awaiting=[], currency="", revision=0, date="")
    DocumentContent.model_validate({**report_spec(brief), "author": "A"})
    WorkbookContent.model_validate({**workbook_spec(brief), "author": "A"})
    DeckContent.model_validate({**deck_spec(brief), "author": "A"})
