"""The simulation's state outside the files: clock, objectives, inbox, plans, log.

It is one pydantic model so that a snapshot is the sandbox's tree plus
``state.model_dump(mode="json")``, and restoring both reproduces the env exactly.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from pydantic import Field

from synthcomp.models import ActivityLogEntry, Collaborator, Deliverable, Message, Review, SimEvent, Strict, WeekPlan

DAYS_PER_WEEK = 5


def workday_date(start: datetime, day: int) -> date:
    """The calendar date of workday ``day`` (0-based), skipping weekends."""
    current = start.date()
    while current.weekday() >= 5:
        current += timedelta(days=1)
    remaining = day
    while remaining:
        current += timedelta(days=1)
        if current.weekday() < 5:
            remaining -= 1
    return current


class PendingFile(Strict):
    """A collaborator's private file on its way: it lands in Downloads on ``deliver_day``."""

    deliver_day: int
    name: str
    dest: str = Field(description="OS-style path in the user's Downloads.")


class SimState(Strict):
    """Everything the env remembers between steps and days, apart from the files."""

    computer_id: str
    start: datetime = Field(description="The computer's 'now' when the simulation began.")
    days_total: int = Field(ge=1)
    day: int = Field(0, ge=0, description="Index of the current (or next) workday.")
    in_day: bool = Field(False, description="A day has been reset and not yet ended.")
    steps_today: int = 0
    deliverables: list[Deliverable]
    collaborators: list[Collaborator]
    inbox: list[Message] = Field(default_factory=list)
    outbox: list[Message] = Field(default_factory=list)
    week_plans: list[WeekPlan] = Field(default_factory=list)
    log: list[ActivityLogEntry] = Field(default_factory=list)
    score: float = Field(0.0, description="Rubric score at the end of the last finished day.")
    pending_files: list[PendingFile] = Field(default_factory=list)
    events: list[SimEvent] = Field(default_factory=list)
    events_delivered: list[int] = Field(default_factory=list, description="Indexes into events.")
    changed_today: list[str] = Field(default_factory=list)
    reviews: list[Review] = Field(default_factory=list, description="Drafts sent for review and the changes asked.")
    answered: list[str] = Field(default_factory=list, description="Collaborators who have answered a request.")
    questions: dict[str, str] = Field(default_factory=dict, description=(
        "Collaborator -> the question they asked back, until the user's next message to them answers it."))
    milestones: dict[str, dict[str, int]] = Field(default_factory=dict, description=(
        "Deliverable -> milestone -> the workday it was met (env/milestones.py)."))
    due_scores: dict[str, float] = Field(default_factory=dict, description=(
        "Each deliverable's score at the close of its due day: work after it earns half (agents/timeliness.py)."))
    next_message: int = 1

    @property
    def today(self) -> date:
        return workday_date(self.start, self.day)

    @property
    def week(self) -> int:
        return self.day // DAYS_PER_WEEK

    @property
    def month_over(self) -> bool:
        return self.day >= self.days_total

    def open_deliverables(self) -> list[Deliverable]:
        """The deliverables assigned by today (later ones arrive on their ``opens_day``)."""
        return [d for d in self.deliverables if d.opens_day <= self.day]

    def unread(self) -> list[Message]:
        return [m for m in self.inbox if m.deliver_day <= self.day and not m.read]

    def plan_for_week(self) -> WeekPlan | None:
        return next((p for p in reversed(self.week_plans) if p.week == self.week), None)

    def new_message_id(self) -> str:
        ident = f"m{self.next_message:04d}"
        self.next_message += 1
        return ident
