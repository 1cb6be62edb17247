"""What a policy makes of what it reads: the tables in a file, the parts of a reply.

The env hands every tool result over as data too (``info["data"]``, read with
``synthcomp.toolresults.data_of``), so nothing here parses how a tool words its output
for a policy that reads the data. What is left is reading content: the tables in a
file's text as ``read_file`` extracts it (XLSX sheets as ``## Sheet: name`` then
``a | b | c`` rows; CSV as is; DOCX tables as ``a | b`` rows), and what a collaborator's
reply says (:func:`split_reply`). :func:`parse_read` and :func:`parse_inbox` read the
text of ``read_file`` and ``check_inbox`` for the policies that see only the text
(``gamers.py``). None of them raises on odd input: an unexpected observation parses to nothing.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from typing import Any, Literal

from synthcomp import measures, ospath
from synthcomp.models import PendingFact
from synthcomp.toolresults import Briefing as BriefingData, ChangeAsked, data_of

ColumnKind = Literal["text", "date", "int", "number", "currency"]

_NUMBER = re.compile(r"^(?P<cur>[A-Z]{3} |[$€£¥₹])?(?P<num>[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|[-+]?\.\d+)$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:T[\d:.]+)?$")
_MONEY = re.compile(r"\b([A-Z]{3}) \d{1,3}(?:,\d{3})*\.\d{2}\b")
_TRUNCATED = "\n[... truncated: "
_HEAD_ONLY = "\n[... the file goes on; use the shell (head, tail, grep) to see more]"
_TOTAL_LABELS = {"total", "totals", "grand total", "sum"}
LEDGER_RULE = re.compile(r"^The (?P<label>.+?) for (?P<subject>.+?) is the total of (?P<column>.+?) over the rows of the "
                         r"(?P<sheet>.+?) sheet whose (?P<key>.+?) is (?P<value>.+?), in (?P<file>[^,]+?)\.$")
"""How a colleague says which rows of their ledger make a figure (``truth.statement``)."""


def parse_number(text: str) -> float | None:
    """``1,234.50``, ``INR 5,082.50``, ``$3`` or ``-0.5`` as a float; None for anything else."""
    match = _NUMBER.match(text.strip())
    if match is None:
        return None
    try:
        return float(match.group("num").replace(",", ""))
    except ValueError:
        return None


@dataclass
class Total:
    """A column's total as a report quotes it."""

    column: str
    how: measures.Aggregation
    value: float
    quoted: str

    @property
    def word(self) -> str:
        return "total" if self.how == "sum" else "average"


@dataclass
class DataTable:
    """A table read from a file: a sheet of a workbook, a CSV, or a table in a document."""

    name: str
    source: str
    columns: list[str]
    rows: list[list[str]]

    def kinds(self) -> list[ColumnKind]:
        """Each column's kind, inferred from its values (the first column stays text)."""
        kinds: list[ColumnKind] = []
        for j, name in enumerate(self.columns):
            values = [row[j].strip() for row in self.rows if j < len(row) and row[j].strip()]
            if j == 0 or not values:
                kinds.append("text")
            elif all(_DATE.match(v) for v in values):
                kinds.append("date")
            elif all(parse_number(v) is not None for v in values):
                integral = all("." not in v for v in values)
                if measures.currency_of(name):
                    kinds.append("currency")  # 'Contract value (EUR)'
                else:
                    kinds.append("int" if integral else "number")
            else:
                kinds.append("text")
        return kinds

    def numeric_columns(self) -> list[int]:
        return [j for j, kind in enumerate(self.kinds()) if kind in {"int", "number", "currency"}]

    def column_values(self, j: int) -> list[float]:
        return [v for row in self.rows if j < len(row) and (v := parse_number(row[j])) is not None]

    def totals(self) -> list[Total]:
        """Every numeric column's total: summed for amounts and counts, averaged for rates and
        measures (its label says which), quoted as the column's values are."""
        out = []
        for j in self.numeric_columns():
            column, values = self.columns[j], self.column_values(j)
            how = measures.how_to_total(column)
            currency = measures.currency_of(column)
            decimals = measures.decimals_for(values, how, currency)
            value = round(measures.total(values, how), decimals)
            out.append(Total(column=column, how=how, value=value, quoted=measures.quote(value, decimals, currency)))
        return out

    def total_where(self, column: str, key: str, value: str) -> Total | None:
        """The sum of ``column`` over the rows whose ``key`` column reads ``value`` (a ledger's
        figure: only the rows of one status count); None when either column is missing."""
        if column not in self.columns or key not in self.columns:
            return None
        j, k = self.columns.index(column), self.columns.index(key)
        values = [v for row in self.rows if k < len(row) and row[k].strip() == value
                  and j < len(row) and (v := parse_number(row[j])) is not None]
        currency = measures.currency_of(column)
        decimals = measures.decimals_for(values, "sum", currency)
        total = round(sum(values), decimals)
        return Total(column=column, how="sum", value=total, quoted=measures.quote(total, decimals, currency))

    def by_group(self) -> list[tuple[str, list[float]]]:
        """Totals of the numeric columns per value of the first column (sums or means, as
        :meth:`totals`), sorted by that value."""
        numeric = self.numeric_columns()
        hows = [measures.how_to_total(self.columns[j]) for j in numeric]
        groups: dict[str, list[list[float]]] = {}
        for row in self.rows:
            if not row or not row[0].strip():
                continue
            acc = groups.setdefault(row[0].strip(), [[] for _ in numeric])
            for i, j in enumerate(numeric):
                if j < len(row) and (v := parse_number(row[j])) is not None:
                    acc[i].append(v)
        return [(key, [round(measures.total(v, how), 6) for v, how in zip(values, hows)])
                for key, values in sorted(groups.items())]


def ledger_total(said: str, tables: list[DataTable]) -> tuple[re.Match[str], Total] | None:
    """A colleague's rule for a figure (``LEDGER_RULE``) and the total it gives over the
    sheets read (``tables``); None when ``said`` is no such rule or its sheet was not read."""
    rule = LEDGER_RULE.match(said.strip())
    if rule is None:
        return None
    sheets = [t for t in tables if ospath.basename(t.source).lower() == rule["file"].lower() and t.name == rule["sheet"]]
    total = sheets[0].total_where(rule["column"], rule["key"], rule["value"]) if sheets else None
    return (rule, total) if total is not None else None


def format_total(kind: ColumnKind, value: float, currency: str = "") -> str:
    """How a total is quoted in prose: thousands separators, two decimals unless an integer column."""
    if kind == "int":
        return f"{round(value):,}"
    text = f"{value:,.2f}"
    return f"{currency} {text}" if kind == "currency" and currency else text


@dataclass
class FileRead:
    """A successful ``read_file`` observation: the shown path and the extracted text."""

    path: str
    body: str
    truncated: bool


def parse_read(observation: str) -> FileRead | None:
    if not observation or observation.startswith("error:") or "\n" not in observation:
        return None
    path, body = observation.split("\n", 1)
    truncated = _TRUNCATED in body or body.endswith(_HEAD_ONLY)
    if body.endswith(_HEAD_ONLY):
        body = body[: -len(_HEAD_ONLY)]
    elif truncated:
        body = body[: body.index(_TRUNCATED)]
    return FileRead(path=path.strip(), body=body, truncated=truncated)


def _pipe_row(line: str) -> list[str]:
    return [cell.strip() for cell in line.split(" | ")]


def _data_rows(header: list[str], lines: list[list[str]]) -> list[list[str]]:
    rows = []
    for cells in lines:
        if cells and cells[0].strip().lower() in _TOTAL_LABELS:
            continue  # a total row: we compute our own
        if any(c.startswith("=") for c in cells):
            continue  # formulas are shown as written, not evaluated
        cells = (cells + [""] * len(header))[: len(header)]
        rows.append(cells)
    return rows


def sheet_tables(body: str, source: str) -> list[DataTable]:
    """The sheets of an XLSX as ``read_file`` shows them."""
    tables: list[DataTable] = []
    name, lines = None, []

    def flush() -> None:
        if name is not None and len(lines) >= 2:
            header = lines[0]
            tables.append(DataTable(name=name, source=source, columns=header, rows=_data_rows(header, lines[1:])))

    for line in body.splitlines():
        if line.startswith("## Sheet: "):
            flush()
            name, lines = line[len("## Sheet: "):].strip(), []
        elif line.strip() and name is not None:
            lines.append(_pipe_row(line))
    flush()
    return tables


def csv_table(body: str, source: str, name: str) -> list[DataTable]:
    try:
        rows = [r for r in csv.reader(io.StringIO(body)) if any(c.strip() for c in r)]
    except csv.Error:
        return []
    if len(rows) < 2 or len(rows[0]) < 2:
        return []
    header = [c.strip() for c in rows[0]]
    body_rows = [[c.strip() for c in r] for r in rows[1:]]
    return [DataTable(name=name, source=source, columns=header, rows=_data_rows(header, body_rows))]


def pipe_tables(body: str, source: str, name: str) -> list[DataTable]:
    """Tables inside a document: runs of consecutive ``a | b`` lines (the first is the header)."""
    tables, block = [], []
    for line in [*body.splitlines(), ""]:
        if " | " in line and not line.startswith("#"):
            block.append(_pipe_row(line))
            continue
        if len(block) >= 2 and len(block[0]) >= 2:
            tables.append(DataTable(name=f"{name} table {len(tables) + 1}", source=source, columns=block[0],
                                    rows=_data_rows(block[0], block[1:])))
        block = []
    return tables


def document_title(body: str) -> str:
    for line in body.splitlines():
        if line.strip():
            return line.lstrip("# ").strip()
    return ""


def first_sentences(body: str, n: int = 2) -> str:
    """The first ``n`` sentences of prose (skipping headings, tables, bullets and short lines)."""
    for line in body.splitlines():
        text = line.strip()
        if len(text) < 60 or text.startswith(("#", "-", "•")) or " | " in text:
            continue
        sentences = re.split(r"(?<=[.!?])\s+", text)
        return " ".join(sentences[:n])
    return ""


def currency_in(text: str) -> str:
    """A currency code quoted like ``INR 5,082.50`` in ``text``, or ''."""
    match = _MONEY.search(text)
    return match.group(1) if match else ""


@dataclass
class InboxMessage:
    id: str
    sender: str
    day: int
    subject: str
    body: list[str] = field(default_factory=list)
    attachments: list[str] = field(default_factory=list)
    new: bool = False


_HEADER = re.compile(r"^(NEW )?\[([^\]]+)\] from (.+?), day (\d+): (.*)$")


def parse_inbox(observation: str) -> list[InboxMessage]:
    messages: list[InboxMessage] = []
    if not observation.startswith("inbox:"):
        return messages
    for line in observation.splitlines()[1:]:
        header = _HEADER.match(line)
        if header:
            messages.append(InboxMessage(id=header.group(2), sender=header.group(3), day=int(header.group(4)),
                                         subject=header.group(5), new=bool(header.group(1))))
        elif messages and line.startswith("attachments (saved): "):
            messages[-1].attachments = [a.strip() for a in line[len("attachments (saved): "):].split(", ") if a.strip()]
        elif messages:
            messages[-1].body.append(line)
    return messages


_GREETING = re.compile(r"^(hi|hello|dear|best|regards|thanks|thank you|cheers|kind regards)\b[ ,a-z]*[,.!]?$", re.I)
_NOISE = ("thanks for your message", "here is what i can tell you", "i have attached", "before it goes further",
          "noted, thanks", "let me know if you need")
_APPROVAL = ("good to go", "covers what i need", "looks good", "no further comments")
_WANTS = re.compile(r"(?:i would like to see|please add|please include|could you add|can you add)\s+(.+?)\.?$", re.I)


@dataclass
class ReplyParts:
    """A reply sorted by what it asks of the report."""

    facts: list[str] = field(default_factory=list)
    """Statements to quote: bullets, figures to include, dated news ("the deadline has moved ...")."""
    requests: list[str] = field(default_factory=list)
    """Things to add, as written: "an executive summary section at the top"."""
    comments: list[str] = field(default_factory=list)
    approved: bool = False
    changes_asked: bool = False
    pending: list[PendingFact] = field(default_factory=list)
    """What the sender could not give yet, and from which day to ask again."""


def split_reply(body: list[str | ChangeAsked | PendingFact], sender: str) -> ReplyParts:
    """Sort a reply into facts, requests and comments, in its order.

    ``body`` is its lines, with the changes a reviewer asked for as data where they stood
    (``InboxItem.reading()``): a figure to include is a fact, a section to add a request.
    Bullets are facts, except ``add X`` (a request) and ``include this figure: F`` (the fact
    F); "I would like to see A and B" / "please add X" are requests; prose with a figure in
    it is a fact; greetings, sign-offs and the sender's name are dropped.
    """
    parts = ReplyParts()
    first = sender.split()[0].lower() if sender.split() else ""
    for raw in body:
        if isinstance(raw, PendingFact):
            parts.pending.append(raw)
            continue
        if isinstance(raw, ChangeAsked):
            parts.changes_asked = True
            (parts.facts if raw.kind == "figure" else parts.requests).append(raw.what or raw.text)
            continue
        line = raw.strip()
        lowered = line.lower()
        if not line or _GREETING.match(line) or lowered in {first, sender.lower()}:
            continue
        if any(word in lowered for word in _APPROVAL):
            parts.approved = True
            continue
        if line.startswith(("- ", "* ", "• ")):
            item = line[2:].strip()
            if item.lower().startswith("add "):
                parts.requests.append(item[4:].strip())
            elif item.lower().startswith("include this figure:"):
                parts.facts.append(item.split(":", 1)[1].strip())
            else:
                parts.facts.append(item)
            continue
        wants = _WANTS.search(line)
        if wants:
            parts.requests.append(wants.group(1).strip())
        elif any(noise in lowered for noise in _NOISE):
            continue
        elif any(ch.isdigit() for ch in line):
            parts.facts.append(line)
        else:
            parts.comments.append(line)
    return parts


@dataclass
class Briefing:
    day_number: int | None = None
    days_total: int | None = None
    needs_week_plan: bool = False
    me: str = ""
    """The user's full name."""
    roots: list[str] = field(default_factory=list)
    """Where the user's files are: the project work root and the home."""


def search_plan(project: str, roots: list[str]) -> list[tuple[str, str]]:
    """(query, folder) pairs that find a project's files: its first three words as file names
    write them (underscores, then spaces) under each root; a root inside another is searched
    with it. No roots: the home."""
    words = project.split()[:3]
    outer = [r for r in dict.fromkeys(roots) if not any(r != o and r.lower().startswith(o.lower()) for o in roots)]
    return [(query, root) for root in outer or ["."] for query in dict.fromkeys(["_".join(words), " ".join(words)])]


def briefing_of(info: dict[str, Any]) -> Briefing:
    """What the morning's ``info["data"]`` says; an empty :class:`Briefing` without it."""
    data = data_of(info, BriefingData)
    if data is None:
        return Briefing()
    return Briefing(day_number=data.day + 1, days_total=data.days_total, needs_week_plan=data.planned is None,
                    me=data.user.full_name, roots=list(dict.fromkeys([data.computer.work_root, data.computer.home])))
