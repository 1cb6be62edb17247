"""The files the scripted policy writes, laid out from a :class:`~synthcomp.policies.drafting.Brief`.

``report_spec``, ``workbook_spec`` and ``deck_spec`` return the ``spec`` argument of
``create_document`` (a ``DocumentContent``, ``WorkbookContent`` or ``DeckContent``
without its author); ``text_output`` writes CSV and Markdown outputs. The report always
has an executive summary first, the key figures of each source table with its file,
risks, recommendations, sources, collaborators' input and next steps with owners; the
sections collaborators asked for beyond those are added; a revision lists its changes.
"""

from __future__ import annotations

import csv
import io
import math
import re
from typing import Any

from synthcomp.policies.drafting import Brief, file_name
from synthcomp.policies.observations import DataTable, format_total, parse_number

MAX_ROWS = 400
MAX_CATEGORIES = 10


# ---------------------------------------------------------------------- report


def _key_figures_section(brief: Brief, table: DataTable) -> dict[str, Any]:
    totals = table.totals()
    name = file_name(table.source)
    where = f"the '{table.name}' sheet of {name}" if name.lower().endswith(".xlsx") else name
    return {
        "heading": f"Key figures: {file_name(table.source).rsplit('.', 1)[0]}"[:120],
        "paragraphs": [f"The figures below were computed from the {len(table.rows)} rows of {where}. Amounts and "
                       "counts are the totals of the rows, while rates and measures are their averages, which is "
                       "how the workbook's own Total row treats them."],
        "table": {"columns": ["Measure", "Total or average", "Source file"],
                  "rows": [[t.column, t.quoted, name] for t in totals]},
    }


def _stated_section(brief: Brief) -> dict[str, Any] | None:
    stated = brief.stated_figures()
    if not stated:
        return None
    return {"heading": "Figures from collaborators",
            "paragraphs": ["These figures are not in the project files; they were given by the people who hold "
                           "them and are quoted as they gave them."],
            "table": {"columns": ["Measure", "Value", "Given by"], "rows": [list(s) for s in stated]}}


def _breakdown_section(brief: Brief, table: DataTable) -> dict[str, Any] | None:
    groups, numeric = table.by_group(), table.numeric_columns()
    if len(groups) < 2 or not numeric:
        return None
    kinds = table.kinds()
    names = [table.columns[j] for j in numeric]
    rows = [[key, *[format_total(kinds[j], v, brief.currency) for j, v in zip(numeric, values)]] for key, values in groups]
    return {
        "heading": f"Breakdown by {table.columns[0].lower()}",
        "paragraphs": [f"The table breaks the figures down by {table.columns[0].lower()} (source: "
                       f"{file_name(table.source)}). The highest {names[0].lower()} is at "
                       f"{max(groups, key=lambda g: g[1][0])[0]}."],
        "table": {"columns": [table.columns[0], *names], "rows": rows[:MAX_ROWS]},
    }


def _source_bullets(brief: Brief) -> list[str]:
    bullets = []
    for note in brief.listed_sources():
        name = file_name(note.path)
        if note.status == "read":
            detail = note.title or name
            if note.shared:
                detail += " (shared by a collaborator)"
            if note.tables and note.ext in {"xlsx", "csv", "tsv"}:
                detail += "; " + ", ".join(f"{t.name} ({len(t.rows)} rows)" for t in note.tables[:4])
                columns = [t.column for table in note.tables[:1] for t in table.totals()]
                if columns:
                    detail += "; gave " + ", ".join(columns[:6])
            if note.shared and (given := brief.ledger_figures(note.path)):
                detail += "; gave " + ", ".join(given)
            elif note.shared and note.tables:
                detail += "; lists " + ", ".join(r[0] for r in note.tables[0].rows[:4] if r)
            if note.figures:
                detail += "; reports " + ", ".join(f"{m} {v}" for m, v in note.figures[:3])
            bullets.append(f"{name}: {detail}")
        else:
            bullets.append(f"{name}: could not be read ({note.error or 'not reached yet'})")
    return bullets or ["No source files were listed for this deliverable."]


def _inputs(brief: Brief) -> list[str]:
    return [*brief.facts(), *brief.comments(), *[f"{s}: asked for {q}" for s, q in brief.requests()]][:24]


def _summary(brief: Brief) -> list[str]:
    """The executive summary in the report's own words: what it is, what the figures say,
    what collaborators confirmed and what is still open."""
    d = brief.deliverable
    paragraphs = [f"This {'revised ' if brief.revision else ''}report covers {d.title}. {brief.headline()}"]
    stated = brief.stated_figures()
    if stated:
        paragraphs.append(" ".join(f"{who} confirmed the {label.lower()} at {value}." for label, value, who in stated))
    status = (f"Inputs are still awaited from {', '.join(brief.awaiting)}, so some figures may change before the "
              "final version." if brief.awaiting else
              "All the inputs that were requested have been received and are reflected in this version.")
    paragraphs.append(f"{status} The sections below set out the figures, the risks we see and the steps that are "
                      "needed to finish the work.")
    return paragraphs


def _with_intro(heading: str, intro: str, bullets: list[str]) -> dict[str, Any]:
    return {"heading": heading, "paragraphs": [intro], "bullets": bullets}


def report_spec(brief: Brief) -> dict[str, Any]:
    """A DOCX/PDF status report (see the module docstring for its sections)."""
    d = brief.deliverable
    tables = brief.data_tables()
    sections: list[dict[str, Any]] = [
        {"heading": "Executive summary", "paragraphs": _summary(brief)},
        {"heading": "Purpose", "paragraphs": [
            d.outcome,
            f"This {'revised ' if brief.revision else ''}report draws on "
            f"{sum(n.status == 'read' for n in brief.listed_sources())} of the {len(brief.listed_sources())} files "
            "listed under Sources reviewed."]},
    ]
    if brief.builds_on:
        sections[-1]["paragraphs"].append("It builds on " + "; ".join(f"{x.id} ({x.title})" for x in brief.builds_on) + ".")
    sections += [_key_figures_section(brief, t) for t in tables]
    if stated := _stated_section(brief):
        sections.append(stated)
    if tables and (breakdown := _breakdown_section(brief, tables[0])):
        sections.append(breakdown)
    quoted = brief.quoted_figures()
    if quoted and not tables:
        sections.append({"heading": "Key figures", "paragraphs": ["Figures as quoted in the project documents."],
                         "table": {"columns": ["Measure", "Value", "Source file"], "rows": [list(q) for q in quoted[:12]]}})
    sections += [
        _with_intro("Risks and issues", "These are the risks that could change the figures or the timing of this "
                    "work, with the evidence for each of them.", brief.risks()),
        _with_intro("Recommendations", "We recommend the following actions, based on the figures above and on what "
                    "the collaborators told us.", brief.recommendations()),
        {"heading": "Sources reviewed", "bullets": _source_bullets(brief)},
    ]
    inputs = _inputs(brief)
    sections.append({"heading": "Input from collaborators", "bullets": inputs} if inputs else {
        "heading": "Input from collaborators",
        "paragraphs": [f"Inputs were requested from {', '.join(brief.awaiting) or 'the collaborators'}; "
                       "replies will be incorporated in the next version."]})
    sections += [{"heading": heading, "bullets": bullets} for heading, bullets, _ in brief.extra_sections()]
    if brief.revision:
        changes = [f"Added the {heading.lower()} section requested by {who}" for heading, _, who in brief.extra_sections()]
        changes += [f"Addressed {who}'s request for {q}" for who, q in brief.requests()][:6]
        changes += [f"Quoted the figures from {r.sender}" for r in brief.replies if r.facts][:6]
        sections.append({"heading": "Changes in this version", "bullets": list(dict.fromkeys(changes)) or [
            "Refreshed the figures and inputs"]})
    sections.append(_with_intro("Next steps", "The work that remains is listed below, each step with the person "
                                "who owns it.", brief.next_steps()))
    label = d.title.split(":", 1)[1].strip() if ":" in d.title else "status report"
    subtitle = f"{label[:1].upper()}{label[1:]} - {brief.date}" + (" (revised)" if brief.revision else "")
    return {"title": d.title, "subtitle": subtitle, "sections": sections}


# ---------------------------------------------------------------------- workbook


def _sheet_name(base: str, used: set[str]) -> str:
    name = re.sub(r"[\[\]:*?/\\]", "-", base).strip()[:31] or "Sheet"
    candidate, i = name, 2
    while candidate.lower() in used:
        suffix = f" {i}"
        candidate, i = name[: 31 - len(suffix)] + suffix, i + 1
    used.add(candidate.lower())
    return candidate


def _cell(kind: str, text: str) -> str | int | float | None:
    if not text.strip():
        return None
    if kind in {"int", "number", "currency"}:
        value = parse_number(text)
        if value is None or not math.isfinite(value):
            return text
        return int(value) if kind == "int" and value.is_integer() else value
    return text


def _typed_columns(brief: Brief, table: DataTable) -> list[dict[str, str]]:
    columns = []
    for name, kind in zip(table.columns, table.kinds()):
        if kind == "currency":
            columns.append({"name": name, "type": "currency"})
        else:
            columns.append({"name": name or "Column", "type": kind})
    return columns


def workbook_spec(brief: Brief) -> dict[str, Any]:
    """An XLSX analysis: each source table typed with a total row, a summary, key figures, inputs, sources."""
    used: set[str] = set()
    sheets: list[dict[str, Any]] = []
    tables = brief.data_tables()
    for i, table in enumerate(tables):
        kinds = table.kinds()
        sheets.append({"name": _sheet_name("Data" if i == 0 else f"Data {i + 1}", used),
                       "columns": _typed_columns(brief, table),
                       "rows": [[_cell(k, c) for k, c in zip(kinds, row)] for row in table.rows[:MAX_ROWS]],
                       "total_row": True})
    if tables and len(tables[0].by_group()) >= 2:
        first, columns = tables[0], _typed_columns(brief, tables[0])
        numeric, kinds = first.numeric_columns(), first.kinds()
        sheets.append({
            "name": _sheet_name("Summary", used),
            "columns": [{"name": first.columns[0] or "Item", "type": "text"}, *[columns[j] for j in numeric]],
            "rows": [[key, *[int(v) if kinds[j] == "int" else v for j, v in zip(numeric, values)]]
                     for key, values in first.by_group()][:MAX_ROWS],
            "total_row": True,
        })
    text_columns = [{"name": "Measure", "type": "text"}, {"name": "Total", "type": "number"},
                    {"name": "As quoted", "type": "text"}, {"name": "Source file", "type": "text"}]
    if figures := brief.key_figures():
        sheets.append({"name": _sheet_name("Key figures", used), "columns": text_columns,
                       "rows": [[t.column, t.value, t.quoted, s] for t, s in figures]})
    elif quoted := brief.quoted_figures():
        sheets.append({"name": _sheet_name("Quoted figures", used), "columns": text_columns,
                       "rows": [[m, parse_number(v), v, s] for m, v, s in quoted]})
    if stated := brief.stated_figures():
        sheets.append({"name": _sheet_name("Collaborator figures", used), "rows": [list(s) for s in stated],
                       "columns": [{"name": "Measure", "type": "text"}, {"name": "Value", "type": "text"},
                                   {"name": "Given by", "type": "text"}]})
    current = set(brief.current_facts())  # a revised figure's old sentence is not quoted again
    inputs = [[r.sender, r.day + 1, kind, line] for r in brief.replies
              for kind, lines in (("fact", [brief.computed(f) for f in r.facts]), ("request", r.requests),
                                  ("comment", r.comments)) for line in lines
              if kind != "fact" or (r.sender, line) in current]
    if inputs:
        sheets.append({"name": _sheet_name("Inputs", used), "rows": inputs, "columns": [
            {"name": "Collaborator", "type": "text"}, {"name": "Workday", "type": "int"},
            {"name": "Kind", "type": "text"}, {"name": "Note", "type": "text"}]})
    sheets.append({"name": _sheet_name("Sources", used),
                   "columns": [{"name": "File", "type": "text"}, {"name": "Title", "type": "text"},
                               {"name": "Status", "type": "text"}],
                   "rows": [[file_name(n.path), n.title, n.status] for n in brief.listed_sources()] or [["(none)", "", ""]]})
    return {"title": f"{brief.deliverable.title} - analysis", "sheets": sheets}


# ---------------------------------------------------------------------- deck


def deck_spec(brief: Brief) -> dict[str, Any]:
    """A PPTX briefing: objective, key figures, a chart of the first table, risks, inputs, next steps."""
    d = brief.deliverable
    slides: list[dict[str, Any]] = [{"title": "Executive summary", "bullets": _summary(brief)}]
    if figures := brief.key_figures():
        slides.append({"title": "Key figures", "table": {"columns": ["Measure", "Total or average", "Source file"],
                                                           "rows": [[t.column, t.quoted, s] for t, s in figures[:8]]}})
    elif quoted := brief.quoted_figures():
        slides.append({"title": "Key figures", "table": {"columns": ["Measure", "Value", "Source file"],
                                                           "rows": [list(q) for q in quoted[:8]]}})
    tables = brief.data_tables()
    if tables and (numeric := tables[0].numeric_columns()):
        table = tables[0]
        groups = [(k, v) for k, v in table.by_group() if v and math.isfinite(v[0])][:MAX_CATEGORIES]
        if len(groups) >= 2:
            metric = table.columns[numeric[0]]
            slides.append({"title": f"{metric} by {table.columns[0].lower()}"[:120],
                           "notes": f"Source: {file_name(table.source)}",
                           "chart": {"title": metric, "categories": [k for k, _ in groups],
                                     "series": [{"name": metric, "values": [round(v[0], 2) for _, v in groups]}]}})
    if stated := brief.stated_figures():
        slides.append({"title": "Figures from collaborators", "table": {"columns": ["Measure", "Value", "Given by"],
                                                                         "rows": [list(s) for s in stated[:8]]}})
    slides += [{"title": "Risks and issues", "bullets": brief.risks()[:5]},
               {"title": "Recommendations", "bullets": brief.recommendations()[:5]},
               {"title": "Sources", "bullets": _source_bullets(brief)[:6]}]
    facts = brief.facts()
    for start in range(0, len(facts), 8):  # every fact, a readable number per slide
        slides.append({"title": "Input from collaborators" + (f" ({start // 8 + 1})" if len(facts) > 8 else ""),
                       "bullets": facts[start:start + 8]})
    others = [*brief.comments(), *[f"{s}: asked for {q}" for s, q in brief.requests()]]
    if others or not facts:
        slides.append({"title": "Requests and comments" if facts else "Input from collaborators", "bullets": others[:8] or [
            f"Awaiting replies from {', '.join(brief.awaiting) or 'the collaborators'}"]})
    slides += [{"title": heading, "bullets": bullets[:5]} for heading, bullets, _ in brief.extra_sections()]
    if brief.revision:
        slides.append({"title": "Changes since the last review", "bullets": list(dict.fromkeys(
            [f"Input from {r.sender} incorporated" for r in brief.replies]))[:5] or ["Figures refreshed"]})
    slides.append({"title": "Next steps", "bullets": brief.next_steps()})
    return {"title": d.title, "subtitle": f"Briefing - {brief.date}", "slides": slides}


# ---------------------------------------------------------------------- text


def text_output(brief: Brief, artifact_type: str) -> str:
    """A CSV (the key figures with their source files) or a Markdown version of the report."""
    if artifact_type == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["Measure", "Total or average", "Source file"])
        for t, s in brief.key_figures():
            writer.writerow([t.column, t.quoted, s])
        for m, v, s in brief.quoted_figures() if not brief.key_figures() else []:
            writer.writerow([m, v, s])
        return buffer.getvalue()
    spec = report_spec(brief)
    lines = [f"# {spec['title']}", "", spec["subtitle"], ""]
    for section in spec["sections"]:
        lines += [f"## {section['heading']}", ""]
        lines += [*section.get("paragraphs", []), ""] if section.get("paragraphs") else []
        lines += [f"- {b}" for b in section.get("bullets", [])]
        if table := section.get("table"):
            lines += ["", "| " + " | ".join(table["columns"]) + " |", "|" + "---|" * len(table["columns"])]
            lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in table["rows"]]
        lines.append("")
    return "\n".join(lines)
