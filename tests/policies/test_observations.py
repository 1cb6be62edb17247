"""Reading content: the tables in a file as read_file extracts it (XLSX, CSV, DOCX), and the
parts of a collaborator's reply. What the tools return is data (tests/env/test_tool_results.py
checks it against their real output)."""

from __future__ import annotations

import random

import pytest

from synthcomp.agents.collaborators import reply_to
from synthcomp.models import Collaborator, Message, RequestedChange
from synthcomp.policies.observations import (
    DataTable, briefing_of, csv_table, currency_in, parse_number, parse_read, pipe_tables, sheet_tables, split_reply,
)
from synthcomp.toolresults import ChangeAsked, InboxItem

XLSX = """C:\\Users\\ana\\Projects\\Sales.xlsx
## Sheet: Data
Item | Date | Open rate (%) | Spend (INR) | Visits (visits)
Display | 2024-08-26 | 24.1 | 137.65 | 1886458
Email | 2024-08-27 | 39.3 | 61.06 | 413122
Display | 2024-09-01 | 10 | 1.29 | 20
Total |  | =SUM(C2:C4) | =SUM(D2:D4) | =SUM(E2:E4)

## Sheet: Notes
Item | Note
Owner | Ana
"""


@pytest.mark.parametrize("text, value", [
    ("1,234.50", 1234.5), ("INR 5,082.50", 5082.5), ("$3", 3.0), ("-0.5", -0.5), ("61328", 61328.0), (".5", 0.5),
    ("2024-08-26", None), ("Module ENG1024", None), ("1,23", None), ("", None), ("=SUM(A1:A3)", None),
])
def test_parse_number(text: str, value: float | None) -> None:
    assert parse_number(text) == value


def test_xlsx_sheets_become_tables_without_total_rows() -> None:
    read = parse_read(XLSX)
    assert read is not None and read.path == "C:\\Users\\ana\\Projects\\Sales.xlsx" and not read.truncated
    data, notes = sheet_tables(read.body, read.path)
    assert data.name == "Data" and notes.name == "Notes"
    assert len(data.rows) == 3  # the formula total row is dropped
    assert data.kinds() == ["text", "date", "number", "currency", "int"]
    # a rate is averaged, money and counts are summed: as the workbook's own Total row would
    assert [(t.column, t.how, t.quoted) for t in data.totals()] == [
        ("Open rate (%)", "mean", "24.47"), ("Spend (INR)", "sum", "INR 200.00"), ("Visits (visits)", "sum", "2,299,600")]
    assert data.by_group() == [("Display", [17.05, 138.94, 1886478.0]), ("Email", [39.3, 61.06, 413122.0])]
    assert notes.numeric_columns() == []


def test_truncated_read_is_flagged_and_cut() -> None:
    read = parse_read("/Users/ana/x.csv\na,b\n1,2\n[... truncated: 900 more characters; use max_chars to see more]")
    assert read is not None and read.truncated and read.body == "a,b\n1,2"


@pytest.mark.parametrize("observation", ["", "error: No such file or directory: /x", "no newline"])
def test_failed_reads_parse_to_none(observation: str) -> None:
    assert parse_read(observation) is None


def test_csv_and_document_tables() -> None:
    [table] = csv_table("Item,Date,Clicks (n)\nA,2024-01-01,3\nB,2024-01-02,4\n", "/x.csv", "x")
    assert [(t.column, t.how, t.value) for t in table.totals()] == [("Clicks (n)", "sum", 7.0)]
    body = "# Report\nIntro.\nMeasure | Total\nOpen rate (%) | 1,439.70\nSpend | INR 58,075,673.00\n\n## Next\nA | B | C\n1 | 2 | 3\n"
    first, second = pipe_tables(body, "/r.docx", "r")
    assert first.columns == ["Measure", "Total"] and first.rows[1] == ["Spend", "INR 58,075,673.00"]
    assert second.columns == ["A", "B", "C"] and second.rows == [["1", "2", "3"]]
    assert currency_in(body) == "INR"
    assert csv_table("not,a\n", "/y.csv", "y") == []


def _inbox_item(message: Message) -> InboxItem:
    """The message as check_inbox hands it over (tools.check_inbox)."""
    return InboxItem(id=message.id, sender=message.sender, day=message.deliver_day, subject=message.subject,
                     body=message.body, requested_changes=[ChangeAsked.of(c) for c in message.requested_changes])


ANA = Collaborator(name="Ana Lima", email="ana@example.com", role="Finance lead", background="", communication_style="brief",
                   knowledge=["The approved budget for Harbour survey is EUR 12,500.00."],
                   private_files=["figures.xlsx"], preferences=["a section on risks and issues"])
ASKED = Message(id="m0001", sender="me", to="Ana Lima", subject="[D1] Inputs needed", body="Could you send the figures?",
                sent_day=0, deliver_day=0)


def test_a_reply_is_sorted_into_facts_requests_and_comments() -> None:
    reply = reply_to(ASKED, ANA, 0, "m0002", random.Random(0)).message
    parts = split_reply(_inbox_item(reply).reading(), reply.sender)
    assert parts.facts == ["The approved budget for Harbour survey is EUR 12,500.00."]
    assert parts.requests == ["a section on risks and issues"] and parts.comments == [] and not parts.approved


def test_requested_changes_are_read_from_the_data_in_the_order_the_reply_gives_them() -> None:
    changes = [RequestedChange(kind="section", target="executive summary", text="add an executive summary",
                               what="an executive summary"),
               RequestedChange(kind="figure", target="F1", text="include this figure: The deadline is week 3.",
                               what="The deadline is week 3.")]
    draft = ASKED.model_copy(update={"subject": "[D1] Draft for review", "body": "Attached is my draft. Thoughts?"})
    reply = reply_to(draft, ANA, 2, "m0003", random.Random(0), changes=changes).message
    assert reply.requested_changes == changes
    item = _inbox_item(reply)
    reading = item.reading()
    assert reading.index(item.requested_changes[0]) < reading.index("Here is what I can tell you:")
    assert not any(isinstance(line, str) and "include this figure" in line for line in reading)
    parts = split_reply(reading, reply.sender)
    assert parts.requests == ["an executive summary"]
    assert parts.facts == ["The deadline is week 3.", "The approved budget for Harbour survey is EUR 12,500.00."]
    # the words are the reviewer's own: data that a body words otherwise is still read, after it
    reworded = item.model_copy(update={"body": "Hi,\nPlease rework the summary.\nAna"})
    assert split_reply(reworded.reading(), reply.sender).requests == ["an executive summary"]
    approved = reply_to(draft, ANA, 2, "m0004", random.Random(0), changes=[]).message
    assert split_reply(_inbox_item(approved).reading(), approved.sender).approved


def test_odd_replies_and_mornings() -> None:
    change = split_reply(["One more thing for Harbour survey: status report: please add a section on lessons learned."], "X")
    assert change.requests == ["a section on lessons learned"]
    moved = split_reply(["Heads-up: the deadline for Harbour survey has moved to the end of week 2."], "X")
    assert moved.facts == ["Heads-up: the deadline for Harbour survey has moved to the end of week 2."]
    for info in [{}, {"data": None}, {"data": {"type": "briefing"}}, {"data": {"type": "end_day", "summary": "x"}}]:
        assert briefing_of(info).days_total is None


def test_kinds_of_an_empty_table() -> None:
    table = DataTable(name="t", source="/t.csv", columns=["a", "b"], rows=[])
    assert table.kinds() == ["text", "text"] and table.totals() == [] and table.by_group() == []
