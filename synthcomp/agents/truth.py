"""One truth per project: every figure, holder and deadline the month's work is judged on.

The truth is established once, when a simulation is set up, from the computer as it
was created and from a seeded draw, and is stored in ``setup.json``:

- *file figures*: for each data file a deliverable draws on (a workbook's data sheet or
  a CSV), every numeric column's total, summed or averaged as its label says
  (:mod:`synthcomp.measures`), exactly what the workbook's Total row evaluates to;
- *held figures*: figures that exist only with a collaborator (an approved budget, a
  contingency, committed spend), each held by exactly one person and computed from their
  ledger (:class:`Ledger`): a workbook of tens of rows in which only the rows of one status
  count, so the figure is the total of what the holder says to count, never a number
  they state;
- *event figures*: one per deliverable due after the first fortnight, which exists only
  from a day mid-month (a steering committee approves it, a forecast is revised): its
  holder cannot give it earlier, so the work that needs it cannot be finished earlier;
- *deadlines*: one per deliverable, held by one person, moved only to a future week; the
  deliverables are due in waves across the month (the first at the end of week 2, the last
  at the month's end), each after the first wave assigned (its inputs starting to exist)
  two days before the week ahead of its due week ends (``Deadline.opens_day``);
- *revisions*: a figure revised mid-month (``Figure.revised``); from that day the truth
  (``Truth.as_of``) and its holder quote the new value, and the judge expects it.

Everything else is derived from it: what each collaborator knows and says, the rows of
their private files (named per holder, so two never collide), the mid-month changes and
every figure the rubric expects. One fact, one value.
"""

from __future__ import annotations

import csv
import io
import random
import re
from typing import Callable, Literal

import openpyxl

from synthcomp import measures
from synthcomp.models import Strict

Reader = Callable[[str], bytes]
HELD = (("Approved budget", 40_000, 480_000), ("Contingency reserve", 4_000, 60_000),
        ("Committed spend to date", 8_000, 240_000))
"""Money figures only a collaborator holds: (label, low, high)."""
LEDGER_KINDS = {
    "Approved budget": ("Budget lines", "Line status", "Approved", ("Proposed", "Rejected"), "Amount"),
    "Contingency reserve": ("Risk register", "Risk status", "Open", ("Closed", "Transferred"), "Reserve held"),
    "Committed spend to date": ("Purchase orders", "PO status", "Committed", ("Cancelled", "Draft"), "PO value"),
}
"""How each held figure is kept: (sheet, status column, the status counted, the statuses
not counted, the amount column as a person names it, before its currency)."""
HELD_PER_PROJECT = 2
DAYS_PER_WEEK = 5
EVENT_FIGURES = (("Change order allowance", 20_000, 180_000, "the steering committee approves it"),
                 ("Revised full-year forecast", 90_000, 900_000, "finance closes the month"),
                 ("Agreed contract value", 60_000, 600_000, "the client signs the amendment"))
"""Figures that exist only from a day mid-month: (label, low, high, the event that makes them)."""


class Ledger(Strict):
    """Where a held figure comes from: the total of ``amount`` over the rows of ``sheet``
    in the holder's workbook ``file`` whose ``status_column`` is ``status``."""

    file: str
    sheet: str
    amount: str
    status_column: str
    status: str
    others: list[str]
    """The statuses of the rows that are not counted."""


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
    deliverable: str = ""
    """Set for an event figure: the one deliverable that reports it."""
    available_day: int = 0
    """The workday from which it exists (its holder can give it); 0 for most figures."""
    event: str = ""
    """What makes it exist on ``available_day`` (an event figure)."""
    revised: float | None = None
    """Its value from ``revised_day`` on, when it is revised mid-month."""
    revised_day: int | None = None
    ledger: Ledger | None = None
    """Set for a held figure: the holder's workbook it is the total of (until it is revised)."""

    def revised_by(self, day: int) -> bool:
        return self.revised is not None and self.revised_day is not None and day >= self.revised_day

    def on(self, day: int) -> Figure:
        """The figure as it stands on workday ``day`` (the revised value once it is revised)."""
        if not self.revised_by(day):
            return self
        return self.model_copy(update={"value": self.revised})

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
    opens_day: int = 0
    """The workday its inputs start to exist (its event figure comes a little later)."""

    @property
    def final_week(self) -> int:
        return self.moved_to or self.week

    def due_day(self, days: int) -> int:
        """The last workday of its (final) due week, within a month of ``days`` workdays."""
        return min(days, self.final_week * DAYS_PER_WEEK) - 1


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

    def deadline(self, deliverable: str) -> Deadline | None:
        return next((d for d in self.deadlines if d.deliverable == deliverable), None)

    def as_of(self, day: int) -> Truth:
        """The truth as it stands on workday ``day``: revised figures at their new values."""
        if not any(f.revised is not None for p in self.projects for f in p.figures):
            return self
        return self.model_copy(update={"projects": [
            p.model_copy(update={"figures": [f.on(day) for f in p.figures]}) for p in self.projects]})

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


def held_figures(project: str, project_name: str, currency: str, holders: list[str], rng: random.Random,
                 first_id: int) -> list[Figure]:
    """Money only collaborators hold: one holder per figure, rotating over ``holders``, each
    the total of a ledger the holder keeps; amounts in yen or won are a hundred times larger and whole."""
    chosen = rng.sample(HELD, k=HELD_PER_PROJECT)
    scale, decimals = (100, 0) if currency in measures.WHOLE_CURRENCIES else (1, 2)
    figures = []
    for i, (label, low, high) in enumerate(chosen):
        holder = holders[i % len(holders)]
        sheet, status_column, status, others, amount = LEDGER_KINDS[label]
        figures.append(Figure(
            id=f"F{first_id + i}", project=project, label=f"{label} ({currency})",
            value=round(rng.uniform(low, high) * scale, decimals), decimals=decimals, how="sum", currency=currency,
            holder=holder, ledger=Ledger(file=ledger_file(project_name, sheet, holder), sheet=sheet,
                                         amount=f"{amount} ({currency})", status_column=status_column, status=status,
                                         others=list(others))))
    return figures


def ledger_file(project_name: str, sheet: str, holder: str) -> str:
    """The name of a holder's ledger: the project's first words, what it lists, whose it is.
    Only word characters are kept, so a name like "Autumn/winter range" stays one file name."""
    stem = "_".join(re.findall(r"[\w-]+", project_name)[:3])
    return f"{stem}_{sheet.lower().replace(' ', '_')}_{holder.replace(' ', '_')}.xlsx"


def event_figure(project: str, currency: str, holder: str, deliverable: str, available_day: int,
                 rng: random.Random, ident: str, taken: set[str]) -> Figure | None:
    """A figure that exists only from ``available_day``, for one deliverable (see EVENT_FIGURES),
    under a label the project does not use yet (``taken``); None when every kind is used."""
    free = [e for e in EVENT_FIGURES if f"{e[0]} ({currency})" not in taken]
    if not free:
        return None
    label, low, high, event = rng.choice(free)
    scale, decimals = (100, 0) if currency in measures.WHOLE_CURRENCIES else (1, 2)
    return Figure(id=ident, project=project, label=f"{label} ({currency})", value=round(rng.uniform(low, high) * scale, decimals),
                  decimals=decimals, how="stated", currency=currency, holder=holder, deliverable=deliverable,
                  available_day=available_day, event=event)


def revised_value(figure: Figure, rng: random.Random) -> float:
    """A plausible revision: 6-18% up or down, in the figure's precision."""
    change = rng.uniform(0.06, 0.18) * rng.choice([-1, 1])
    return round(figure.value * (1 + change), figure.decimals)


def fact(figure: Figure, project_name: str) -> str:
    """How a holder states a figure's value: the one sentence every reply uses."""
    return f"The {figure.name.lower()} for {project_name} is {figure.quoted}."


def statement(figure: Figure, project_name: str, day: int) -> str:
    """What the holder says of a figure on workday ``day``: for a figure kept in a ledger,
    how to compute it from the workbook (never its total); once revised, the new value."""
    ledger = figure.ledger
    if ledger is None or figure.revised_by(day):
        return fact(figure.on(day), project_name)
    return (f"The {figure.name.lower()} for {project_name} is the total of {ledger.amount} over the rows "
            f"of the {ledger.sheet} sheet whose {ledger.status_column} is {ledger.status}, in {ledger.file}.")


def deadline_fact(deadline: Deadline, title: str, day: int = 0) -> str:
    """How the holder states a deadline on workday ``day`` (a move is news only from its day)."""
    moved = deadline.moved_to is not None and deadline.moved_on_day is not None and day >= deadline.moved_on_day
    return f"The final version of {title} is due by the end of week {deadline.moved_to if moved else deadline.week}."
