"""Does the world contradict itself? Files, collaborators and the truth, checked together.

``synthcomp consistency WS`` sets up every computer of a workspace (the procedural setup
agent, as a simulation would) and lists each contradiction it finds:

- a data figure of the truth that its file no longer computes;
- a workbook whose Total row sums a column that must be averaged (or the reverse), or
  whose money format shows another currency than the column's label;
- a document quoting a total of the workbook it was derived from with another value;
- two collaborators stating different values for one figure, a stated figure the truth
  does not hold, a deadline stated by two people or by nobody;
- two private files with one name, or a holder's ledger whose counted rows do not total
  the figure it keeps;
- a mid-month change that moves a deadline into the past.

A world without contradictions returns an empty list.
"""

from __future__ import annotations

import io
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from synthcomp import measures
from synthcomp.agents import ledgers, truth
from synthcomp.agents.criteria.reading import read_deliverable
from synthcomp.agents.setup import SetupPlan, procedural_setup, write_private_files
from synthcomp.agents.truth import Reader
from synthcomp.computer.show import load_computer
from synthcomp.models import Computer
from synthcomp.ospath import tree_reader

_FORMULA = re.compile(r"^=(SUM|AVERAGE)\(", re.I)
_STATED = re.compile(r"^The (?P<name>.+?) for (?P<project>.+?) is (?P<value>.+)\.$")


@dataclass(frozen=True)
class Contradiction:
    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def check_computer(computer_dir: Path, seed: int = 0, days: int = 20) -> list[Contradiction]:
    """Every contradiction between the computer's files, its setup's collaborators and its truth."""
    computer = load_computer(computer_dir)
    read = tree_reader(computer_dir / "files", computer.policy.os)
    setup = procedural_setup(computer, read, seed, days=days)
    found = _truth_against_files(setup, read) + _workbooks(computer, read) + _documents(computer, read)
    found += _collaborators(setup) + _events(setup, days)
    with tempfile.TemporaryDirectory() as private:
        write_private_files(setup, computer, Path(private))
        found += _private_files(setup, Path(private))
    return found


def _truth_against_files(setup: SetupPlan, read: Reader) -> list[Contradiction]:
    found = []
    for project in setup.truth.projects:
        labels = [f.label for f in project.figures]
        found += [Contradiction(project.code, f"the truth holds '{label}' twice")
                  for label in sorted({x for x in labels if labels.count(x) > 1})]
        for figure in (f for f in project.figures if f.source):
            again = {f.label: f for f in truth.file_figures(read, figure.source, project.code, 0)}
            if figure.label not in again or again[figure.label].value != figure.value:
                found.append(Contradiction(figure.source, f"computes {figure.label} differently from the truth "
                                                          f"({figure.quoted})"))
    return found


def _workbooks(computer: Computer, read: Reader) -> list[Contradiction]:
    found = []
    for f in (f for f in computer.plan.files if f.artifact_type == "xlsx" and f.content_mode != "system"):
        try:
            book = openpyxl.load_workbook(io.BytesIO(read(f.path)))
        except Exception:  # noqa: BLE001 - a file that does not open has nothing to contradict
            continue
        for sheet in book.worksheets:
            header = [c.value for c in next(sheet.iter_rows(min_row=1, max_row=1), [])]
            for row in sheet.iter_rows(min_row=2):
                for cell in row:
                    label = header[cell.column - 1] if cell.column - 1 < len(header) else None
                    if not isinstance(label, str):
                        continue
                    if isinstance(cell.value, str) and (match := _FORMULA.match(cell.value)):
                        wanted = "SUM" if measures.how_to_total(label) == "sum" else "AVERAGE"
                        if match.group(1).upper() != wanted:
                            found.append(Contradiction(f"{f.path} [{sheet.title}!{cell.coordinate}]",
                                                       f"{match.group(1).upper()} of '{label}', which is totalled "
                                                       f"by {wanted}"))
                    code = measures.currency_of(label)
                    if code and '"' in (cell.number_format or "") and not _format_shows(cell.number_format, code):
                        found.append(Contradiction(f"{f.path} [{sheet.title}!{cell.coordinate}]",
                                                   f"format {cell.number_format} for a {code} column"))
    return found


def _format_shows(number_format: str, code: str) -> bool:
    from synthcomp.computer.artifacts.excel import currency_format

    return number_format == currency_format(f"x ({code})")


def _documents(computer: Computer, read: Reader) -> list[Contradiction]:
    """Documents derived from a workbook quote its totals as the workbook computes them."""
    by_id = {f.id: f for f in computer.plan.files}
    found = []
    for edge in (e for e in computer.plan.edges if e.kind == "derived_from"):
        source, target = by_id[edge.source], by_id[edge.target]
        if source.artifact_type not in {"xlsx", "csv"} or target.artifact_type not in {"docx", "pdf", "pptx"}:
            continue
        totals = {f.label: f for f in truth.file_figures(read, source.path, "", 0)}
        try:
            reading = read_deliverable(target.path, read(target.path))
        except OSError:
            continue
        for line in reading.table_rows:
            cells = [c.strip() for c in line.split(" | ")]
            figure = totals.get(cells[0])
            if figure is not None and len(cells) > 1 and cells[1] != figure.quoted:
                found.append(Contradiction(target.path, f"quotes {cells[0]} as {cells[1]}; {source.path} computes "
                                                        f"{figure.quoted}"))
    return found


def _collaborators(setup: SetupPlan) -> list[Contradiction]:
    found = []
    said = {truth.statement(f, p.name, 0): (p.name, f.name.lower()) for p in setup.truth.projects for f in p.figures}
    stated: dict[tuple[str, str], set[str]] = {}
    for c in setup.collaborators:
        for fact in c.knowledge:
            if fact in said:
                stated.setdefault(said[fact], set()).add(fact)
                continue
            match = _STATED.match(fact)
            if match is None or not any(ch.isdigit() for ch in fact) or match.group("name").startswith("final version"):
                continue
            stated.setdefault((match.group("project"), match.group("name").lower()), set()).add(fact)
            found.append(Contradiction(c.name, f"states '{fact}', which the truth does not hold"))
    found += [Contradiction(f"{project}: {name}", f"stated as {sorted(values)} by different people")
              for (project, name), values in stated.items() if len(values) > 1]
    titles = {d.id: d.title for d in setup.deliverables}
    for deadline in setup.truth.deadlines:
        sentence = truth.deadline_fact(deadline, titles[deadline.deliverable])
        holders = [c.name for c in setup.collaborators if sentence in c.knowledge]
        if holders != [deadline.holder]:
            found.append(Contradiction(deadline.deliverable, f"its deadline is stated by {holders or 'nobody'}, "
                                                             f"not by {deadline.holder} alone"))
    return found


def _events(setup: SetupPlan, days: int) -> list[Contradiction]:
    found = []
    for event in setup.events:
        if event.kind != "moved_deadline":
            continue
        deadline = next((x for x in setup.truth.deadlines if x.deliverable == event.deliverable), None)
        week_of_event = event.day // 5 + 1
        if deadline is None or deadline.moved_to is None or deadline.moved_to <= week_of_event:
            found.append(Contradiction(f"event on day {event.day}", f"moves {event.deliverable}'s deadline to the past "
                                                                    "or without the truth knowing"))
    return found


def _private_files(setup: SetupPlan, private: Path) -> list[Contradiction]:
    found = []
    names = [f.name.lower() for f in setup.private_files]
    found += [Contradiction(n, "two private files share this name") for n in sorted({n for n in names if names.count(n) > 1})]
    figures = {f.id: f for f in setup.truth.figures()}
    for item in setup.private_files:
        for figure in (figures[x] for x in item.figures if x in figures):
            if figure.holder != item.collaborator or figure.ledger is None or figure.ledger.file != item.name:
                found.append(Contradiction(item.name, f"it is not {item.collaborator}'s ledger of {figure.name}"))
            elif (total := ledgers.total(openpyxl.load_workbook(private / item.name), figure.ledger)) != figure.value:
                found.append(Contradiction(item.name, f"its {figure.ledger.status} rows total {total}, "
                                                      f"not {figure.quoted}"))
    return found
