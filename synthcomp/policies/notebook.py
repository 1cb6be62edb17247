"""What the scripted policy remembers over a month, and how it files what arrives.

``Month`` holds the deliverables (dependencies first), every source note, the replies
filed per deliverable, who was asked, and each deliverable's progress. ``Month.file``
sorts one inbox message: each fact goes to the deliverables whose project or client it
names (else to the ones the message is about), requests and comments to the ones the
message is about (ids in its subject, else the sender's deliverables), and shared files
become sources to read. ``week_plan`` drafts a valid ``WeekPlan`` from the state.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from synthcomp.models import Deliverable
from synthcomp.policies.drafting import Reply, SourceNote
from synthcomp.policies.observations import Briefing, split_reply
from synthcomp.toolresults import InboxItem

DAYS_PER_WEEK = 5
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")


def clean(value: Any) -> Any:
    """The value with control characters and lone surrogates removed from every string."""
    if isinstance(value, str):
        return _CONTROL.sub("", value)
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    return value


def call(tool: str, **args: Any) -> dict[str, Any]:
    """A tool call whose strings are safe to render into any document."""
    return {"tool": tool, "args": clean(args)}


def project(d: Deliverable) -> str:
    """The project a deliverable is about: its title before the colon, lower-cased."""
    return d.title.split(":")[0].strip().lower()


def names_of(d: Deliverable) -> set[str]:
    """Names a message may use for a deliverable: its project and, if the outcome says, its client."""
    names = {project(d)}
    client = re.search(r".* for (.+?)(?:,|\.|$)", d.outcome)  # the last "for": project names may hold one
    if client and len(client.group(1)) > 3:
        names.add(client.group(1).strip().lower())
    return names


def _file_about(path: str, d: Deliverable) -> bool:
    """Whether a shared file's name names the deliverable's project ('Harbour_Survey_figures_Ana.xlsx')."""
    name = re.sub(r"[_\-\s]+", " ", re.split(r"[\\/]", path)[-1].lower())
    start = " ".join(re.sub(r"[_\-\s]+", " ", project(d)).split()[:3])
    return bool(start) and name.startswith(start)


def ordered(deliverables: list[Deliverable]) -> list[Deliverable]:
    """Dependencies first (a stable topological order; a cycle falls back to the given order)."""
    ids = {d.id for d in deliverables}
    placed: list[Deliverable] = []
    remaining = list(deliverables)
    while remaining:
        done = {p.id for p in placed}
        ready = [d for d in remaining if all(dep in done or dep not in ids for dep in d.depends_on)]
        placed.append(ready[0] if ready else remaining[0])
        remaining.remove(placed[-1])
    return placed


@dataclass
class Progress:
    """Where one deliverable stands: version 0 is unwritten, 1 the first draft, 2+ revisions."""

    version: int = 0
    target: int = 0
    written: dict[str, int] = field(default_factory=dict)
    failures: dict[str, int] = field(default_factory=dict)
    written_day: int | None = None
    inputs_at_write: set[tuple[str, str]] = field(default_factory=set)
    review: str = "no"  # no | sent | failed


@dataclass
class Month:
    deliverables: list[Deliverable]
    collaborators: list[str]
    me: str = ""
    days_total: int | None = None
    sources: dict[str, SourceNote] = field(default_factory=dict)
    shared: dict[str, list[str]] = field(default_factory=dict)
    replies: dict[str, list[Reply]] = field(default_factory=dict)
    asked: dict[str, int] = field(default_factory=dict)
    replied: set[str] = field(default_factory=set)
    progress: dict[str, Progress] = field(default_factory=dict)
    seen_messages: set[str] = field(default_factory=set)
    planned_weeks: set[int] = field(default_factory=set)
    currency: str = ""
    listed_home: bool = False
    last_day: int = -1

    @classmethod
    def start(cls, deliverables: list[Deliverable], collaborators: list[str]) -> Month:
        month = cls(deliverables=ordered(deliverables), collaborators=collaborators)
        for d in month.deliverables:
            month.progress[d.id], month.replies[d.id], month.shared[d.id] = Progress(), [], []
            for path in d.sources:
                month.sources.setdefault(path, SourceNote(path=path))
        return month

    def by_id(self, ident: str) -> Deliverable | None:
        return next((d for d in self.deliverables if d.id == ident), None)

    def people(self) -> list[str]:
        """Everyone to ask: the deliverables' collaborators first, then the other colleagues."""
        return list(dict.fromkeys([*(c for d in self.deliverables for c in d.collaborators), *self.collaborators]))

    def about(self, message: InboxItem) -> list[Deliverable]:
        words = set(re.findall(r"[\w.-]+", message.subject))
        return ([d for d in self.deliverables if d.id in words]
                or [d for d in self.deliverables if message.sender in d.collaborators] or list(self.deliverables))

    def file(self, message: InboxItem) -> bool:
        """File a new message's facts, requests, comments and shared files; False if seen before."""
        if message.id in self.seen_messages:
            return False
        self.seen_messages.add(message.id)
        self.replied.add(message.sender)
        parts = split_reply(message.reading(), message.sender)
        targets = self.about(message)
        named = {d.id: [f for f in parts.facts if any(n in f.lower() for n in names_of(d))] for d in self.deliverables}
        unnamed = [f for f in parts.facts if not any(f in fs for fs in named.values())]
        for d in self.deliverables:
            mine = d in targets
            reply = Reply(sender=message.sender, day=message.day, facts=named[d.id] + (unnamed if mine else []),
                          comments=parts.comments if mine else [], requests=parts.requests if mine else [])
            if reply.facts or reply.comments or reply.requests:
                self.replies[d.id].append(reply)
            for path in message.attachments:
                if _file_about(path, d) if any(_file_about(path, x) for x in self.deliverables) else mine:
                    self.sources.setdefault(path, SourceNote(path=path, shared=True))
                    if path not in self.shared[d.id]:
                        self.shared[d.id].append(path)
        return True


@dataclass
class Today:
    day: int
    briefing: Briefing
    done: list[str] = field(default_factory=list)
    tried: set[str] = field(default_factory=set)
    acted: int = 0


def week_plan(month: Month, day: int) -> dict[str, Any]:
    """Goals and daily activities for the rest of this week, from where the work stands."""
    week = day // DAYS_PER_WEEK
    last = week * DAYS_PER_WEEK + DAYS_PER_WEEK - 1
    if month.days_total is not None:
        last = max(day, min(last, month.days_total - 1))
    outputs = [o.path for d in month.deliverables for o in d.outputs]
    drafted = all(p.version >= 1 for p in month.progress.values())
    gathering = any(n.status == "pending" for n in month.sources.values())
    activities: list[dict[str, Any]] = []
    for n in range(day, last + 1):
        if n == 0 or (n == day and gathering):
            activities += [
                {"day": n, "kind": "deep_work", "description": "Read the source files behind each deliverable",
                 "sources": list(month.sources)},
                {"day": n, "kind": "outreach", "description": "Ask collaborators for missing inputs and figures",
                 "collaborators": month.people()},
            ]
        elif not drafted and n <= max(day, 1):
            activities += [{"day": n, "kind": "deep_work", "description": f"Draft {d.id}: {d.title}",
                            "files": [o.path for o in d.outputs], "sources": list(d.sources),
                            "collaborators": list(d.collaborators)} for d in month.deliverables]
        else:
            activities += [
                {"day": n, "kind": "review", "description": "Revise the drafts with collaborators' replies and requests",
                 "files": outputs},
                {"day": n, "kind": "admin", "description": "Check the inbox and update the activity log"},
            ]
    goals = [f"{d.id}: {d.weekly_progress[min(week, len(d.weekly_progress) - 1)]}" if d.weekly_progress else
             f"{d.id}: {d.title}" for d in month.deliverables] or ["Keep the inbox and files in order"]
    return {"goals": goals, "activities": activities}
