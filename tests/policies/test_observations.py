"""Parsing what the tools print: read_file (XLSX, CSV, DOCX), list_dir, check_inbox, the briefing."""

from __future__ import annotations

import pytest

from synthcomp.policies.observations import (
    DataTable, csv_table, currency_in, parse_briefing, parse_inbox, parse_listing, parse_number,
    parse_read, pipe_tables, sheet_tables, split_reply,
)

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


def test_listing_gives_os_style_paths() -> None:
    windows = parse_listing("C:\\Users\\ana\\Documents (3 entries)\nDIR   2025-01-02 09:00            Admin\n"
                            "FILE  2025-01-02 09:00      36 KB  Report (1).docx\nFILE  2025-01-02 09:00     12 B  a b.txt")
    assert [(e.kind, e.path) for e in windows] == [
        ("dir", "C:\\Users\\ana\\Documents\\Admin"), ("file", "C:\\Users\\ana\\Documents\\Report (1).docx"),
        ("file", "C:\\Users\\ana\\Documents\\a b.txt")]
    assert parse_listing("/Users/ana (1 entries)\nDIR   2025-01-02 09:00            Work")[0].path == "/Users/ana/Work"
    assert parse_listing("/Users/ana/empty (0 entries): empty") == []
    assert parse_listing("error: not a folder: /x") == []


def test_inbox_messages_and_reply_parts() -> None:
    text = ("inbox: 1 unread, 2 total\n\nNEW [m0003] from Ana Lima, day 2: RE: [D1, D2] Inputs\nHi,\n\n"
            "Here is what I can tell you:\n- The approved budget for Harbour survey is EUR 12,500.00.\n\n"
            "I have attached the reference file(s): figures.xlsx.\n\n"
            "For the final version I would like to see a section on risks and issues.\n\nBest,\nAna\n"
            "attachments (saved): C:\\Users\\me\\Downloads\\figures.xlsx\n\n"
            "[m0001] from Bo Chen, day 1: RE: Draft\nThanks for the draft. Before it goes further, please make these changes:\n"
            "- add an executive summary section at the top\n- include this figure: The deadline is the end of week 3.\n"
            "It reads well overall.\n\nBest,\nBo")
    new, old = parse_inbox(text)
    assert (new.id, new.sender, new.day, new.subject, new.new) == ("m0003", "Ana Lima", 2, "RE: [D1, D2] Inputs", True)
    assert new.attachments == ["C:\\Users\\me\\Downloads\\figures.xlsx"] and not old.new
    parts = split_reply(new.body, new.sender)
    assert parts.facts == ["The approved budget for Harbour survey is EUR 12,500.00."]
    assert parts.requests == ["a section on risks and issues"] and parts.comments == [] and not parts.approved
    parts = split_reply(old.body, old.sender)
    assert parts.requests == ["an executive summary section at the top"]
    assert parts.facts == ["The deadline is the end of week 3."] and parts.comments == ["It reads well overall."]
    change = split_reply(["One more thing for Harbour survey: status report: please add a section on lessons learned."], "X")
    assert change.requests == ["a section on lessons learned"]
    moved = split_reply(["Heads-up: the deadline for Harbour survey has moved to the end of week 2."], "X")
    assert moved.facts == ["Heads-up: the deadline for Harbour survey has moved to the end of week 2."]
    assert split_reply(["Hi,", "Thanks for the draft: it covers what I need. Good to go from my side.", "Best,", "Bo"],
                       "Bo Chen").approved
    assert parse_inbox("inbox: no messages yet") == [] and parse_inbox("error: x") == []


def test_briefing() -> None:
    briefing = parse_briefing("Workday 6 of 20 - Monday 12 May 2025\n...\nNo week plan yet: submit one with submit_week_plan.")
    assert (briefing.day_number, briefing.days_total, briefing.needs_week_plan) == (6, 20, True)
    assert parse_briefing("garbage").days_total is None


def test_kinds_of_an_empty_table() -> None:
    table = DataTable(name="t", source="/t.csv", columns=["a", "b"], rows=[])
    assert table.kinds() == ["text", "text"] and table.totals() == [] and table.by_group() == []
