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

from synthcomp import ospath
from synthcomp.models import Deliverable
from synthcomp.policies.drafting import Reply, SourceNote
from synthcomp.policies.observations import Briefing, search_plan, split_reply
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
    review: str = "no"  # no | sent | changes (asked for; send again once revised) | approved | failed
    reviewed_version: int = 0
    rounds: int = 0
    to_send: list[str] = field(default_factory=list)
    """Reviewers this round's draft still goes to."""
    verdicts: dict[str, bool] = field(default_factory=dict)
    """Reviewer -> signed off (True) or asked for changes (False), this round."""


@dataclass
class Finder:
    """Finding one deliverable's sources: search by its project's name (as file names write
    it, with underscores or spaces) under each root, list the folders the hits are in (for
    their dates), then take the newest data file and documents."""

    stem: str
    searches: list[tuple[str, str]]
    """(query, folder) still to run."""
    hits: list[str] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    done: bool = False


DATA_KINDS, DOC_KINDS = ("xlsx", "csv"), ("pdf", "docx")


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
    follow_up: dict[str, int] = field(default_factory=dict)
    """Person -> the workday from which to ask them again for what they could not give yet."""
    finders: dict[str, Finder] = field(default_factory=dict)
    """Deliverable id -> how its sources are being found (objectives name what, not where)."""
    mtimes: dict[str, float] = field(default_factory=dict)
    """Path -> modification time (POSIX seconds), from the folders listed."""
    listed: set[str] = field(default_factory=set)
    roots: list[str] = field(default_factory=list)
    """Where to search for files (the briefing's work root and home)."""
    questions: dict[str, str] = field(default_factory=dict)
    """Person -> what they asked back, until answered."""
    to_verify: list[str] = field(default_factory=list)
    """Outputs written and not yet read back ("verify-own-work")."""

    @classmethod
    def start(cls, deliverables: list[Deliverable], collaborators: list[str], roots: list[str] | None = None) -> Month:
        month = cls(deliverables=[], collaborators=collaborators, roots=list(roots or []))
        for d in ordered(deliverables):
            month.add(d)
        return month

    def add(self, d: Deliverable) -> None:
        """Take on a deliverable (at the start, or assigned mid-month); one that names what it
        needs but not where gets a finder."""
        self.deliverables.append(d)
        self.progress[d.id], self.replies[d.id], self.shared[d.id] = Progress(), [], []
        for path in d.sources:
            self.sources.setdefault(path, SourceNote(path=path))
        if not d.sources and d.needs:
            self.finders[d.id] = Finder(stem=" ".join(project(d).split()[:3]), searches=search_plan(project(d), self.roots))

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
        """File a new message's facts, requests, comments and shared files; False if seen before.
        What the sender could not give yet sets a day to ask them again; a reviewer's verdict
        moves the deliverable's review on."""
        if message.id in self.seen_messages:
            return False
        self.seen_messages.add(message.id)
        self.replied.add(message.sender)
        parts = split_reply([x for x in message.reading() if x != message.question], message.sender)
        targets = self.about(message)
        if message.question:
            self.questions[message.sender] = message.question
        for pending in parts.pending:
            self.follow_up[message.sender] = min(self.follow_up.get(message.sender, pending.day), pending.day)
        for d in targets if parts.approved or parts.changes_asked else []:
            progress = self.progress[d.id]
            if progress.review == "sent" and message.sender in (d.reviewers or d.collaborators):
                progress.verdicts[message.sender] = parts.approved and not parts.changes_asked
                if not progress.verdicts[message.sender]:
                    progress.review = "changes"
                elif all(progress.verdicts.get(r) for r in d.reviewers or [message.sender]):
                    progress.review = "approved"
        named: dict[str, list[str]] = {d.id: [] for d in self.deliverables}
        unnamed = []
        for fact in parts.facts:  # a fact goes to the deliverables whose name it carries most fully
            lowered = fact.lower()
            fit = {d.id: max((len(n) for n in names_of(d) if n in lowered), default=0) for d in self.deliverables}
            best = max(fit.values(), default=0)
            for ident, length in fit.items():
                if best and length == best:
                    named[ident].append(fact)
            if not best:
                unnamed.append(fact)
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

    def found(self, ident: str) -> None:
        """Choose a deliverable's sources from what its finder saw: the newest data file
        (an older draft or export is a distractor) and the two newest documents, among the
        search hits and the files of the project's own folders; a duplicate ('x (1).docx')
        is never the original."""
        finder, d = self.finders[ident], self.by_id(ident)
        finder.done = True
        if d is None:
            return
        ours = {o.path.lower() for x in self.deliverables for o in x.outputs}
        stem = ospath.name_words(finder.stem)
        in_folders = [p for p in self.mtimes if stem and stem in ospath.name_words(ospath.folder(p))]  # its own folders
        named = [p for p in finder.hits if stem in ospath.name_words(p)]  # a hit only for its content is another project's
        received = {p.lower() for paths in self.shared.values() for p in paths}
        candidates = [p for p in dict.fromkeys([*named, *in_folders])
                      if p.lower() not in ours and p.lower() not in received and not ospath.is_stray(p)]
        newest = sorted(candidates, key=lambda p: (self.mtimes.get(p, 0.0), p), reverse=True)
        data = [p for p in newest if ospath.extension(p) in DATA_KINDS][:1]
        docs = [p for p in newest if ospath.extension(p) in DOC_KINDS][:2]
        chosen = [*data, *docs]
        self.deliverables = [x.model_copy(update={"sources": chosen}) if x.id == ident else x for x in self.deliverables]
        for path in chosen:
            self.sources.setdefault(path, SourceNote(path=path))


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
