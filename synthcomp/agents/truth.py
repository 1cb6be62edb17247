"""One truth per project: every figure, holder and deadline the month's work is judged on.

The truth is established once, when a simulation is set up, from the computer as it
was created and from a seeded draw, and is stored in ``setup.json``:

- *file figures*: for each data file a deliverable draws on (a workbook's data sheet or
  a CSV), every numeric column's total, summed or averaged as its label says
  (:mod:`synthcomp.measures`), exactly what the workbook's Total row evaluates to;
- *held figures*: figures that exist only with a collaborator (an approved budget, a
  contingency, committed spend), each held by exactly one person;
- *deadlines*: one per deliverable, held by one person, moved only to a future week.

Everything else is derived from it: what each collaborator knows and says, the rows of
their private files (named per holder, so two never collide), the mid-month changes and
every figure the rubric expects. One fact, one value.
"""

from __future__ import annotations

import csv
import io
import random
from typing import Callable, Literal

import openpyxl

from synthcomp import measures
from synthcomp.models import Strict

Reader = Callable[[str], bytes]
HELD = (("Approved budget", 40_000, 480_000), ("Contingency reserve", 4_000, 60_000),
        ("Committed spend to date", 8_000, 240_000))
"""Money figures only a collaborator holds: (label, low, high)."""
HELD_PER_PROJECT = 2


class Figure(Strict):
    """One figure of a project, labelled as a report labels it."""

    id: str
    project: str = ""
    label: str
    value: float
    decimals: int
    how: Literal["sum", "mean", "stated"]
    currency: str = ""
    source: str = ""
    """The data file it is computed from (OS-style path); '' for a held figure."""
    holder: str = ""
    """The collaborator who holds it; '' for a figure in the files."""

    @property
    def quoted(self) -> str:
        return measures.quote(self.value, self.decimals, self.currency)

    @property
    def name(self) -> str:
        return measures.name_of(self.label)


class Deadline(Strict):
    deliverable: str
    week: int
    holder: str
    moved_to: int | None = None
    moved_on_day: int | None = None

    @property
    def final_week(self) -> int:
        return self.moved_to or self.week


class ProjectTruth(Strict):
    code: str
    name: str
    client: str
    currency: str
    figures: list[Figure]
    deliverables: list[str] = []
    """Ids of the deliverables about this project."""
    entities: list[str] = []
    """What the project's data rows are about (sites, products, accounts): what a report
    that read the data names when it discusses it."""

    def names(self) -> list[str]:
        """Proper names that may hold a figure's words or digits ('Supplier on-time-in-full
        improvement', 'Junction 14') and so are never read as a label or a value."""
        return sorted({self.name, self.client, *self.entities}, key=len, reverse=True)

    def people(self) -> list[str]:
        """Who holds the project's figures: a sentence that says who has or owns something
        is checkable."""
        return sorted({f.holder for f in self.figures if f.holder})

    def specifics(self) -> list[str]:
        """Words only someone who read the data or asked its holders would write: the
        figures' names and the entities of the data."""
        return [*dict.fromkeys([*(f.name for f in self.figures), *self.entities])]


class Truth(Strict):
    projects: list[ProjectTruth] = []
    deadlines: list[Deadline] = []

    def project(self, code: str) -> ProjectTruth | None:
        return next((p for p in self.projects if p.code == code), None)

    def project_of(self, deliverable: str) -> ProjectTruth | None:
        return next((p for p in self.projects if deliverable in p.deliverables), None)

    def figures(self, *, project: str | None = None, holder: str | None = None,
                sources: list[str] | None = None) -> list[Figure]:
        """Figures filtered by project, by holder and by source file (None: any)."""
        return [f for p in self.projects for f in p.figures
                if (project is None or f.project == project) and (holder is None or f.holder == holder)
                and (sources is None or f.source in sources or f.holder)]


def read_table(name: str, data: bytes) -> tuple[list[str], list[list]]:
    """The header and data rows of a data file: a workbook's first sheet (its Total row
    left out) or a CSV. Raises ValueError when it holds no table."""
    lowered = name.lower()
    if lowered.endswith(".xlsx"):
        sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    elif lowered.endswith(".csv"):
        rows = [[_number(c) for c in r] for r in csv.reader(io.StringIO(data.decode("utf-8", "replace")))]
    else:
        raise ValueError(f"{name} is not a data file")
    if not rows:
        raise ValueError(f"{name} is empty")
    header = [str(h) if h is not None else "" for h in rows[0]]
    body = [r for r in rows[1:] if r and r[0] not in ("Total", None)]
    return header, body


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def numeric_columns(header: list[str], rows: list[list]) -> list[int]:
    """Columns after the first whose every value is a number."""
    out = []
    for j in range(1, len(header)):
        values = [r[j] for r in rows if j < len(r) and r[j] not in (None, "")]
        if values and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
            out.append(j)
    return out


def file_figures(read: Reader, path: str, project: str, first_id: int) -> list[Figure]:
    """Every numeric column's total of one data file; [] when it cannot be read as a table."""
    try:
        header, rows = read_table(path, read(path))
    except (OSError, ValueError, KeyError, IndexError):
        return []
    figures = []
    for j in numeric_columns(header, rows):
        label = header[j]
        how = measures.how_to_total(label)
        values = [float(r[j]) for r in rows if j < len(r) and isinstance(r[j], (int, float))]
        decimals = measures.decimals_for(values, how, measures.currency_of(label))
        value = round(measures.total(values, how), decimals)
        figures.append(Figure(id=f"F{first_id + len(figures)}", project=project, label=label, value=value,
                              decimals=decimals, how=how, currency=measures.currency_of(label), source=path))
    return figures


def file_entities(read: Reader, path: str, limit: int = 30) -> list[str]:
    """The distinct values of a data file's first column (its rows' subjects)."""
    try:
        _, rows = read_table(path, read(path))
    except (OSError, ValueError, KeyError, IndexError):
        return []
    return [*dict.fromkeys(str(r[0]).strip() for r in rows if r and isinstance(r[0], str) and r[0].strip())][:limit]


def held_figures(project: str, currency: str, holders: list[str], rng: random.Random, first_id: int) -> list[Figure]:
    """Money only collaborators hold: one holder per figure, rotating over ``holders``;
    amounts in yen or won are a hundred times larger and whole."""
    chosen = rng.sample(HELD, k=HELD_PER_PROJECT)
    scale, decimals = (100, 0) if currency in measures.WHOLE_CURRENCIES else (1, 2)
    return [Figure(id=f"F{first_id + i}", project=project, label=f"{label} ({currency})",
                   value=round(rng.uniform(low, high) * scale, decimals), decimals=decimals, how="stated",
                   currency=currency, holder=holders[i % len(holders)])
            for i, (label, low, high) in enumerate(chosen)]


def fact(figure: Figure, project_name: str) -> str:
    """How a holder states a figure: the one sentence every reply and private file uses."""
    return f"The {figure.name.lower()} for {project_name} is {figure.quoted}."


def deadline_fact(deadline: Deadline, title: str) -> str:
    return f"The final version of {title} is due by the end of week {deadline.final_week}."
