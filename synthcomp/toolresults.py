"""What the env hands a policy beside the text: each tool's result as data, and its text.

Every tool returns one of the models below; the env puts it in ``info["data"]`` (as
``model_dump(mode="json")``) and shows the agent its :meth:`render`, so the observation
text is made from the data and never the other way round. The morning briefing is a
:class:`Briefing`, a refused call a :class:`Refusal`. A reader (a policy, the
retrospective) takes the data back with :func:`data_of` instead of parsing the text;
rewording a ``render`` changes what the agent reads and nothing that reads the data.

Messages keep their own data too: a reviewer's requested changes travel as
``Message.requested_changes``, and :func:`change_request` is the one place that words
them in a reply's body. This module imports nothing of ours but ``models`` (DESIGN.md,
"Layout"): the env, the agents and the policies all read it.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, TypeVar, Union

from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from synthcomp.models import Activity, ActivityLogEntry, Deliverable, PendingFact, RequestedChange, Strict

_LABELS = {"dir": "DIR ", "file": "FILE", "link": "LINK", "fifo": "PIPE", "socket": "SOCK", "device": "DEV "}


def size_text(n: int) -> str:
    """A byte count as a listing shows it: ``12 B``, ``36 KB``, ``1.2 MB``."""
    return f"{n} B" if n < 1024 else (f"{n / 1024:.0f} KB" if n < 1024**2 else f"{n / 1024**2:.1f} MB")


# --------------------------------------------------------------------------- files and shell


class ShellRun(Strict):
    """``shell``: what the command printed and how it ended."""

    type: Literal["shell"] = "shell"
    stdout: str
    stderr: str
    exit_code: int
    timed_out: bool
    timeout_s: float
    truncated: bool = Field(description="The output was cut (head and tail kept).")

    def render(self) -> str:
        parts = [self.stdout.rstrip("\n")] if self.stdout else []
        if self.stderr:
            parts.append("[stderr]\n" + self.stderr.rstrip("\n"))
        status = f"[exit {self.exit_code}]"
        if self.timed_out:
            status += f" [timed out after {self.timeout_s:g} s]"
        if self.truncated:
            status += " [output truncated: head and tail kept]"
        parts.append(status)
        return "\n".join(parts)


class DirEntry(Strict):
    """One entry of a folder, as ``lstat`` sees it (a link is a link)."""

    name: str
    path: str = Field(description="The entry's own path, in the computer's style.")
    kind: str = Field(description="dir, file, link, fifo, socket, device or other.")
    size: int
    mtime: dt.datetime


class DirListing(Strict):
    """``list_dir``: a folder's entries."""

    type: Literal["list_dir"] = "list_dir"
    path: str = Field(description="The folder, in the computer's style.")
    entries: list[DirEntry]
    truncated: bool = Field(description="The folder holds more entries than a listing shows.")

    def render(self) -> str:
        rows = []
        for entry in self.entries:
            size = "" if entry.kind == "dir" else size_text(entry.size)
            rows.append(f"{_LABELS.get(entry.kind, 'FILE')}  {entry.mtime:%Y-%m-%d %H:%M}  {size:>8}  {entry.name}")
        if self.truncated:
            rows.append("[... more entries not shown: list a subfolder, or use search_files]")
        header = f"{self.path} ({len(self.entries)} entries)"
        return "\n".join([header, *rows]) if rows else f"{header}: empty"


class FileText(Strict):
    """``read_file``: a file's text (office documents and PDFs extracted with their structure)."""

    type: Literal["read_file"] = "read_file"
    path: str = Field(description="The file, in the computer's style.")
    text: str = Field(description="What is shown of it; for a binary file, a note saying so.")
    truncated: bool = False
    more_chars: int | None = Field(None, description="How much was cut; None when only the file's head was read.")
    binary: bool = False

    def render(self) -> str:
        if not self.truncated:
            return f"{self.path}\n{self.text}"
        if self.more_chars is None:
            return f"{self.path}\n{self.text}\n[... the file goes on; use the shell (head, tail, grep) to see more]"
        return (f"{self.path}\n{self.text}\n[... truncated: {self.more_chars} more characters; "
                "use max_chars to see more]")


class FileWritten(Strict):
    """``write_file``."""

    type: Literal["write_file"] = "write_file"
    path: str
    chars: int

    def render(self) -> str:
        return f"wrote {self.chars} characters to {self.path}"


class DocumentCreated(Strict):
    """``create_document``."""

    type: Literal["create_document"] = "create_document"
    path: str
    format: Literal["docx", "xlsx", "pptx", "pdf"]
    size: int

    def render(self) -> str:
        return f"created {self.path} ({size_text(self.size)})"


class Moved(Strict):
    """``move``."""

    type: Literal["move"] = "move"
    src: str
    dst: str

    def render(self) -> str:
        return f"moved {self.src} -> {self.dst}"


class Trashed(Strict):
    """``delete``: the path and where it went in the trash."""

    type: Literal["delete"] = "delete"
    path: str
    trash_path: str

    def render(self) -> str:
        return f"moved {self.path} to the trash as {self.trash_path}"


class SearchMatches(Strict):
    """``search_files``: the files whose name or content matched."""

    type: Literal["search_files"] = "search_files"
    query: str
    path: str = Field(description="The folder searched.")
    matches: list[str]
    stopped: bool = Field(description="The search stopped early (too many files or too slow).")

    def render(self) -> str:
        if not self.matches:
            return (f"no files under {self.path} match {self.query!r}"
                    + (" (the search stopped early: narrow the folder)" if self.stopped else ""))
        more = "\n[... the search stopped early: narrow the folder or the query]" if self.stopped else ""
        return f"{len(self.matches)} match(es) for {self.query!r}:\n" + "\n".join(self.matches) + more


# --------------------------------------------------------------------------- messages and control


class MessageSent(Strict):
    """``send_message``."""

    type: Literal["send_message"] = "send_message"
    id: str
    to: str
    email: str
    subject: str
    attachments: list[str]
    reply_within_days: int

    def render(self) -> str:
        return (f"sent to {self.to} <{self.email}>: {self.subject!r}"
                + (f" with {len(self.attachments)} attachment(s)" if self.attachments else "")
                + f". {self.to.split()[0]} usually replies within {self.reply_within_days} day(s).")


class ChangeAsked(Strict):
    """A change a reviewer asks of a draft, as the agent learns it (the judge's ids stay out)."""

    kind: Literal["section", "figure"]
    what: str = Field(description="The section to add, or the figure's sentence to include.")
    text: str = Field(description="How the reviewer put it.")

    @classmethod
    def of(cls, change: RequestedChange) -> ChangeAsked:
        return cls(kind=change.kind, what=change.what, text=change.text)


def change_request(texts: list[str]) -> list[str]:
    """The lines of a reply that ask for changes to a draft (one bullet per change)."""
    return ["Thanks for the draft. Before it goes further, please make these changes:", *[f"- {t}" for t in texts]]


def pending_note(items: list[PendingFact]) -> list[str]:
    """The lines of a reply that say what cannot be given yet and when to ask again."""
    return ["Not available yet (ask me again from the date given):", *[f"- {p.what} (from {p.date})" for p in items]]


class InboxItem(Strict):
    """One arrived message, as ``check_inbox`` shows it."""

    id: str
    sender: str
    day: int = Field(description="The workday it arrived.")
    subject: str
    body: str
    attachments: list[str] = Field(default_factory=list, description="Where shared files were saved.")
    new: bool = Field(False, description="Unread until this check.")
    requested_changes: list[ChangeAsked] = Field(default_factory=list)
    pending: list[PendingFact] = Field(default_factory=list, description="What could not be given yet, and when.")
    question: str = Field("", description="What the sender asks back before they can help (answer by message).")

    def reading(self) -> list[str | ChangeAsked | PendingFact]:
        """The body line by line, with the requested changes and the pending items as data in
        place of the lines that word them (:func:`change_request`, :func:`pending_note`; at
        the end if the body words them some other way)."""
        lines: list[str | ChangeAsked | PendingFact] = list(self.body.splitlines())
        for data, block in ((self.requested_changes, change_request([c.text for c in self.requested_changes])),
                            (self.pending, pending_note(self.pending))):
            if not data:
                continue
            at = next((i for i in range(len(lines) - len(block) + 1) if lines[i:i + len(block)] == block), None)
            lines = [*lines, *data] if at is None else [*lines[:at], *data, *lines[at + len(block):]]
        return lines


class Inbox(Strict):
    """``check_inbox``: every arrived message, unread first (all are read now)."""

    type: Literal["check_inbox"] = "check_inbox"
    messages: list[InboxItem]

    def render(self) -> str:
        if not self.messages:
            return "inbox: no messages yet"
        lines = [f"inbox: {sum(m.new for m in self.messages)} unread, {len(self.messages)} total"]
        for m in self.messages:
            flag = "NEW " if m.new else ""
            lines += ["", f"{flag}[{m.id}] from {m.sender}, day {m.day}: {m.subject}", m.body]
            if m.attachments:
                lines.append("attachments (saved): " + ", ".join(m.attachments))
        return "\n".join(lines)


class WeekPlanSaved(Strict):
    """``submit_week_plan``."""

    type: Literal["submit_week_plan"] = "submit_week_plan"
    week: int = Field(description="0-based.")
    activities: int
    unplanned: list[str] = Field(default_factory=list, description=(
        "Milestones due this week whose deliverable's outputs no activity names (the plan can be resubmitted)."))

    def render(self) -> str:
        text = f"week {self.week + 1} plan saved: {self.activities} activities"
        if self.unplanned:
            text += "\nmilestones due this week that no activity works on: " + "; ".join(self.unplanned)
        return text


class DayEnded(Strict):
    """``end_day``."""

    type: Literal["end_day"] = "end_day"
    summary: str

    def render(self) -> str:
        return "day ended"


class Refusal(Strict):
    """A call the env refused, or a step it could not run: what went wrong."""

    type: Literal["error"] = "error"
    message: str

    def render(self) -> str:
        return f"error: {self.message}"


# --------------------------------------------------------------------------- the briefing


class User(Strict):
    full_name: str
    career_stage: str
    occupation: str
    organization: str
    department: str
    city: str


class Machine(Strict):
    os: str
    home: str
    documents: str
    downloads: str
    work_root: str


class Colleague(Strict):
    """A collaborator as the agent knows them (what they know and hold stays theirs)."""

    name: str
    email: str
    role: str
    communication_style: str


class Unread(Strict):
    id: str
    sender: str
    subject: str


class ToolLine(Strict):
    usage: str
    summary: str


class Briefing(Strict):
    """The morning briefing: who I am, the month's objectives, today's plan, the inbox, the log."""

    type: Literal["briefing"] = "briefing"
    day: int = Field(description="0-based workday.")
    days_total: int
    date: dt.date
    user: User
    computer: Machine
    objectives: list[Deliverable]
    met: dict[str, dict[str, int]] = Field(default_factory=dict, description=(
        "Deliverable -> milestone -> the workday it was met."))
    collaborators: list[Colleague]
    planned: list[Activity] | None = Field(description="Today's activities; None when the week has no plan yet.")
    unread: list[Unread]
    log: list[ActivityLogEntry] = Field(description="The latest entries, oldest first.")
    step_budget: int
    tools: list[ToolLine]

    def render(self) -> str:
        p, pc = self.user, self.computer
        lines = [
            f"Workday {self.day + 1} of {self.days_total} - {self.date:%A %d %B %Y}",
            f"You are {p.full_name}, {p.career_stage} {p.occupation} at {p.organization} ({p.department}), {p.city}.",
            f"Computer: {pc.os}, home {pc.home}, documents {pc.documents}, "
            f"downloads {pc.downloads}, project work under {pc.work_root}.",
            "", "Objectives for this month (more may be assigned as it goes):",
        ]
        for d in self.objectives:
            due = f" Due: end of workday {d.due_day + 1}." if d.due_day is not None else ""
            if d.due_day is not None:
                due += " Milestones (workday): " + ", ".join(f"{k} {v + 1}" for k, v in d.milestones().items()) + "."
            if self.met.get(d.id):
                due += " Met: " + ", ".join(f"{k} (workday {v + 1})" for k, v in self.met[d.id].items()) + "."
            new = " (assigned today)" if d.opens_day == self.day > 0 else ""
            lines.append(f"- [{d.id}]{new} {d.title}: {d.outcome}{due}")
            lines += [f"    output: {o.path} ({o.description})" for o in d.outputs]
            if d.sources:
                lines.append("    draw on: " + "; ".join(d.sources))
            if d.needs:
                lines.append("    needs (find them on the computer): " + "; ".join(d.needs))
            if d.depends_on:
                lines.append("    after: " + ", ".join(d.depends_on))
            if d.reviewers:
                lines.append("    signed off by: " + ", ".join(d.reviewers))
        lines += ["", "Collaborators:"]
        lines += [f"- {c.name} <{c.email}>, {c.role}: {c.communication_style}" for c in self.collaborators]
        today = self.planned or []
        lines += ["", "Planned for today:" if today else (
            "No week plan yet: submit one with submit_week_plan." if self.planned is None else "Nothing planned for today.")]
        lines += [f"- {a.kind}: {a.description}" + (f" (files: {', '.join(a.files)})" if a.files else "") for a in today]
        lines += ["", f"Inbox: {len(self.unread)} unread message(s)" + (" - use check_inbox." if self.unread else ".")]
        lines += [f"- from {m.sender}: {m.subject}" for m in self.unread]
        if self.log:
            lines += ["", "Activity log (most recent last):"]
            lines += [f"- day {e.day + 1} ({e.date}): {e.summary}" for e in self.log]
        lines += ["", f"You have {self.step_budget} tool calls today. Tools:"]
        lines += [f"- {t.usage}: {t.summary}" for t in self.tools]
        lines.append('Send one JSON tool call per step, e.g. {"tool": "list_dir", "args": {"path": "Documents"}}. '
                     "End the day with end_day.")
        return "\n".join(lines)


# --------------------------------------------------------------------------- reading it back

ToolData = Annotated[Union[
    ShellRun, DirListing, FileText, FileWritten, DocumentCreated, Moved, Trashed, SearchMatches, MessageSent, Inbox,
    WeekPlanSaved, DayEnded, Refusal, Briefing,
], Field(discriminator="type")]
"""Whatever ``info["data"]`` holds, told apart by its ``type``."""

_ADAPTER: TypeAdapter[Any] = TypeAdapter(ToolData)
M = TypeVar("M", bound=BaseModel)


def data_of(info: Any, model: type[M] | None = None) -> Any:
    """The data of a step (or a morning) from its ``info``; with ``model``, only data of that
    kind. None when there is none, or it is not what was asked: a reader never raises."""
    raw = info.get("data") if isinstance(info, dict) else None
    if isinstance(raw, BaseModel):
        raw = raw.model_dump(mode="json")
    if not isinstance(raw, dict):
        return None
    try:
        data = _ADAPTER.validate_python(raw)
    except (ValidationError, ValueError, TypeError):
        return None
    return data if model is None or isinstance(data, model) else None
