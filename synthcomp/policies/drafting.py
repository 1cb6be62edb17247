"""What the scripted policy knows about one deliverable: a :class:`Brief`.

A brief gathers the deliverable's sources as read (their tables, titles and the figures
they quote) and what collaborators wrote (facts, requests, comments), and derives what a
report says from them: the totals of the source tables (computed from the rows, quoted
as the source documents quote theirs: ``1,234.56``, ``61,328``, ``INR 5,082.50``), the
risks and recommendations the data supports, next steps with owners, and the sections
collaborators asked for. ``synthcomp.policies.documents`` lays it out as files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath, PureWindowsPath
from typing import Literal

from synthcomp.models import Deliverable
from synthcomp.measures import how_to_total
from synthcomp.policies.observations import DataTable, Total, ledger_total

MAX_TABLES = 3
STANDARD_TOPICS = ("summary", "risk", "next step", "recommendation", "source")
_STATED = re.compile(r"\bthe (?P<label>[a-z][a-z ,'-]{2,60}?) for (?P<subject>.{2,120}?) is (?P<value>[A-Z]{3} [\d,]+(?:\.\d+)?|[\d,]+(?:\.\d+)?)",
                     re.I)
"""What every report already covers: requests about these need no new section."""


def file_name(path: str) -> str:
    """The last component of an OS-style path (Windows or POSIX)."""
    return PureWindowsPath(path).name if "\\" in path or re.match(r"^[A-Za-z]:", path) else PurePosixPath(path).name


@dataclass
class SourceNote:
    """One source file: whether it was read, and what it holds."""

    path: str
    status: Literal["pending", "read", "failed"] = "pending"
    title: str = ""
    gist: str = ""
    tables: list[DataTable] = field(default_factory=list)
    figures: list[tuple[str, str]] = field(default_factory=list)
    truncated: bool = False
    error: str = ""
    shared: bool = False
    """Attached to a collaborator's reply rather than listed in the objectives."""

    @property
    def ext(self) -> str:
        name = file_name(self.path)
        return name.rsplit(".", 1)[-1].lower() if "." in name else ""


@dataclass
class Reply:
    """What a collaborator wrote that concerns one deliverable."""

    sender: str
    day: int
    facts: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)


@dataclass
class Brief:
    deliverable: Deliverable
    sources: list[SourceNote]
    replies: list[Reply]
    awaiting: list[str]
    currency: str
    revision: int
    date: str
    author: str = "me"
    builds_on: list[Deliverable] = field(default_factory=list)

    # ------------------------------------------------------------------ analysis
    def data_tables(self) -> list[DataTable]:
        """Up to three tables to analyse: a data sheet or CSV per source, else document tables."""
        chosen: list[DataTable] = []
        for note in self.sources:
            if note.ext not in {"xlsx", "csv", "tsv"} or note.shared:
                continue
            usable = [t for t in note.tables if t.numeric_columns() and len(t.rows) >= 2]
            preferred = [t for t in usable if t.name.lower().startswith("data")] or [
                t for t in usable if t.name.lower() not in {"summary", "notes"}] or usable
            if preferred:
                chosen.append(preferred[0])
        if not chosen:  # no data files: the tables of the latest document that has any
            for note in reversed(self.sources):
                chosen = [t for t in note.tables if len(t.columns) >= 3 and t.numeric_columns() and len(t.rows) >= 2]
                if chosen:
                    break
        unique: list[DataTable] = []
        for table in chosen:
            if not any(u.columns == table.columns and u.rows == table.rows for u in unique):
                unique.append(table)
        return unique[:MAX_TABLES]

    def key_figures(self) -> list[tuple[Total, str]]:
        """(total, source name) for every numeric column of the data tables."""
        return [(total, file_name(table.source)) for table in self.data_tables() for total in table.totals()]

    def current_facts(self) -> list[tuple[str, str]]:
        """(sender, fact) as they stand: a figure stated again (a revision) replaces what was
        said of it before."""
        out: list[tuple[str, str] | None] = []
        stated: dict[str, int] = {}
        for r in self.replies:
            for fact in map(self.computed, r.facts):
                match = _STATED.search(fact)
                label = f"{match.group('label')} for {match.group('subject')}".lower() if match else None
                if label is not None and label in stated:
                    out[stated[label]] = None
                if label is not None:
                    stated[label] = len(out)
                out.append((r.sender, fact))
        return list(dict.fromkeys(x for x in out if x is not None))

    def computed(self, fact: str) -> str:
        """A colleague's rule for a figure ('the total of Amount (EUR) over the rows of the
        Budget lines sheet whose Line status is Approved, in X.xlsx') as the figure it
        gives, computed from their file once it is read; the rule as said until then."""
        found = ledger_total(fact, [t for n in self.sources for t in n.tables])
        return fact if found is None else f"The {found[0]['label']} for {found[0]['subject']} is {found[1].quoted}."

    def ledger_figures(self, path: str) -> list[str]:
        """What a colleague's ledger at ``path`` gave, once read ('the approved budget (the
        Approved rows of Budget lines)'); its value is quoted where the figure is, since a
        revision may replace it."""
        tables = [t for n in self.sources if n.path == path for t in n.tables]
        return list(dict.fromkeys(f"the {rule['label']} (the {rule['value']} rows of {rule['sheet']})"
                                  for r in self.replies for fact in r.facts
                                  if (found := ledger_total(fact, tables)) is not None for rule in found[:1]))

    def stated_figures(self) -> list[tuple[str, str, str]]:
        """(label, value as stated, who stated it) for figures collaborators gave in a sentence
        such as 'The approved budget for Harbour Survey is EUR 12,480.00.' (the latest value)."""
        out = []
        for sender, fact in self.current_facts():
            match = _STATED.search(fact)
            if match:
                out.append((match.group("label")[:1].upper() + match.group("label")[1:], match.group("value"), sender))
        return out

    def quoted_figures(self) -> list[tuple[str, str, str]]:
        """(measure, value, source name) that documents among the sources quote."""
        seen, out = set(), []
        for note in self.sources:
            for measure, value in note.figures:
                if (measure, value) not in seen:
                    seen.add((measure, value))
                    out.append((measure, value, file_name(note.path)))
        return out

    def facts(self) -> list[str]:
        return [f"{sender}: {fact}" for sender, fact in self.current_facts()]

    def comments(self) -> list[str]:
        return list(dict.fromkeys(f"{r.sender}: {c}" for r in self.replies for c in r.comments))

    def requests(self) -> list[tuple[str, str]]:
        return list(dict.fromkeys((r.sender, q) for r in self.replies for q in r.requests))

    def listed_sources(self) -> list[SourceNote]:
        """The objective's sources, plus shared files that could be read."""
        return [n for n in self.sources if not n.shared or n.status == "read"]

    def headline(self) -> str:
        figures = self.key_figures()[:3]
        if figures:
            return "The latest figures give " + "; ".join(
                f"{t.word} {t.column.lower()} {t.quoted} ({s})" for t, s in figures) + "."
        quoted = self.quoted_figures()[:3]
        if quoted:
            return "The project documents report " + "; ".join(f"{m.lower()} {v} ({s})" for m, v, s in quoted) + "."
        return "No numeric source data was available; the report summarises the project documents."

    def deadline(self) -> str | None:
        """The latest deadline news from collaborators, if any."""
        dated = [f for r in self.replies for f in r.facts if "deadline" in f.lower() or "end of week" in f.lower()]
        return dated[-1] if dated else None

    # ------------------------------------------------------------------ judgement
    def risks(self) -> list[str]:
        risks = []
        tables = self.data_tables()
        if tables:
            table, groups = tables[0], tables[0].by_group()
            summed = [i for i, j in enumerate(table.numeric_columns()) if how_to_total(table.columns[j]) == "sum"]
            total = sum(v[summed[0]] for _, v in groups) if groups and summed else 0
            if total > 0 and len(groups) >= 2:
                top = max(groups, key=lambda g: g[1][summed[0]])
                column = table.columns[table.numeric_columns()[summed[0]]]
                risks.append(f"Concentration: {top[0]} accounts for {top[1][summed[0]] / total:.0%} of the "
                             f"{column.lower()} recorded in {file_name(table.source)}, so a change there moves the total.")
            elif len(groups) >= 2 and table.numeric_columns():
                column = table.columns[table.numeric_columns()[0]]
                spread = sorted(groups, key=lambda g: g[1][0])
                risks.append(f"Spread: the {column.lower()} varies between {spread[0][0]} and {spread[-1][0]}, "
                             "so the average hides differences that need a closer look.")
        failed = [file_name(n.path) for n in self.sources if n.status == "failed" and not n.shared]
        if failed:
            risks.append(f"Source files that could not be read are not reflected: {', '.join(failed)}.")
        if self.awaiting:
            risks.append(f"Inputs still awaited from {', '.join(self.awaiting)}; figures may change.")
        if deadline := self.deadline():
            risks.append(f"Timing: {deadline}")
        for label, value, who in self.stated_figures()[:2]:
            risks.append(f"The {label.lower()} of {value} rests on {who}'s figure; if it changes, the plan "
                         "changes with it.")
        return risks or ["No material risks found in the source data; the figures reconcile with the documents."]

    def recommendations(self) -> list[str]:
        recs = []
        tables = self.data_tables()
        if tables and tables[0].numeric_columns() and len(groups := tables[0].by_group()) >= 2:
            metric = tables[0].columns[tables[0].numeric_columns()[0]].lower()
            hi, lo = max(groups, key=lambda g: g[1][0]), min(groups, key=lambda g: g[1][0])
            recs.append(f"Review {lo[0]} ({lo[1][0]:,.2f}) against {hi[0]} ({hi[1][0]:,.2f}) before the next period: "
                        f"{lo[0]} has the lowest {metric} in the data and {hi[0]} the highest.")
        if any("budget" in f.lower() for r in self.replies for f in r.facts):
            recs.append("Reconcile the approved budget with the totals in this report before it is signed off.")
        recs.append("Keep the analysis workbook as the single source for the figures quoted here, so that later "
                    "versions stay consistent with each other.")
        if self.awaiting:
            recs.append(f"Agree a date with {', '.join(self.awaiting)} for the missing inputs, so that the final "
                        "version is not delayed.")
        return recs

    def next_steps(self) -> list[str]:
        d, me = self.deliverable, self.author
        people = d.collaborators or self.awaiting
        names = self.measure_names()
        stated = [label for label, _, _ in self.stated_figures()]
        named = [*dict.fromkeys([*names[:2], *stated[:1]])]
        what = "the " + ", the ".join(n.lower() for n in named) + " and the other figures" if named else "the figures"
        steps = [f"Confirm {what} with {people[0]} - owner: {people[0]}" if people else
                 f"Confirm {what} against the source files - owner: {me}"]
        steps += [f"Check the {label.lower()} of {value} with {who} again before sign-off - owner: {me}"
                  for label, value, who in self.stated_figures()[:2]]
        if self.awaiting:
            steps.append(f"Follow up on the inputs requested from {', '.join(self.awaiting)} - owner: {me}")
        if self.revision:
            steps.append(f"Finalize and file the final version with the project records - owner: {me}")
        else:
            steps.append(f"Incorporate review comments in a revised version - owner: {me}")
        if deadline := self.deadline():
            steps.append(f"Deliver by the agreed date ({deadline.rstrip('.')}) - owner: {me}")
        return steps

    def extra_sections(self) -> list[tuple[str, list[str], str]]:
        """(heading, bullets, who asked) for requested sections the standard report lacks."""
        out, seen = [], set()
        for sender, request in self.requests():
            lowered = request.lower()
            if "lessons learned" in lowered:
                heading, bullets = "Lessons learned", self.lessons()
            elif any(topic in lowered for topic in STANDARD_TOPICS):
                continue
            else:
                match = re.search(r"section on (.+)", request, re.I)
                heading = (match.group(1) if match else request).strip(" .")[:80]
                heading = heading[:1].upper() + heading[1:]
                bullets = [f"Added at the request of {sender}: {request}."]
            if heading.lower() not in seen:
                seen.add(heading.lower())
                out.append((heading, bullets, sender))
        return out

    def measure_names(self) -> list[str]:
        """The names of the figures this brief reports (the data's measures, then the stated ones)."""
        from synthcomp.measures import name_of

        return [*dict.fromkeys([*(name_of(t.column) for t, _ in self.key_figures()),
                                *(label for label, _, _ in self.stated_figures())])]

    def lessons(self) -> list[str]:
        stated = self.stated_figures()
        asked = (f"Asking {stated[0][2]} for the {stated[0][0].lower()} in the first week" if stated else
                 "Asking collaborators for their figures in the first week")
        lessons = [f"{asked} avoided rework later in the month.",
                   "Sending a draft for review early meant that comments could be handled while there was still "
                   "time to act on them."]
        names = [file_name(n.path) for n in self.sources if not n.shared]
        if len(names) > 1:
            lessons.append(f"The project files exist in several versions; the latest was used ({names[-1]}).")
        if self.data_tables():
            lessons.append("Totals were recomputed from the source rows rather than copied from earlier reports.")
        return lessons
