"""Retrospectives, procedurally: what one simulation teaches (paper 4.2.2).

The analysis reads the trajectory next to the judgement and explains each lost rubric
criterion from the process: a deliverable never written, a source never read, a
collaborator's figures that arrived after the last draft (drafted too early, never
revised), requested changes never made, files shared into Downloads never opened, tool
calls that failed. Each finding becomes an :class:`ExperienceItem` whose evidence names
the steps that show it; what worked becomes "success" items. Lessons carry the
practice id (``synthcomp.skillmd.PRACTICES``) they teach, when there is one, so skills
built from them change what the scripted policy does.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from synthcomp import ospath
from synthcomp.models import (
    Collaborator, Computer, Criterion, Deliverable, ExperienceItem, Judgement, Message, Retrospective, Rubric, StepRef,
)
from synthcomp.skillmd import PRACTICES
from synthcomp.toolresults import Inbox, data_of

WRITE_TOOLS = {"create_document", "write_file"}
MAX_EVIDENCE = 5
_PATH_ERRORS = ("not found", "no such", "does not exist")
REVISE_AS_ASKED = "When a reviewer asks for changes, revise the deliverable and make every change listed."
"""The lesson of revise-after-feedback when the feedback was a list of changes (failed or done)."""
_CALL_ERRORS = ("unknown tool", "not valid json", "unexpected argument", "missing argument", "field required")


@dataclass
class Step:
    """One recorded step (``days/<day>/trajectory.jsonl`` line ``step``)."""

    day: int
    step: int
    tool: str | None
    args: dict[str, Any]
    observation: str
    error: bool
    data: dict[str, Any] | None = None
    """What the observation was made from (``info["data"]``); None in trajectories older than it."""


@dataclass
class Trajectory:
    """A simulation's steps, indexed the ways the analysis asks."""

    sim: str
    steps: list[Step]
    writes: dict[str, list[Step]] = field(default_factory=lambda: defaultdict(list))
    reads: dict[str, list[Step]] = field(default_factory=lambda: defaultdict(list))

    def __post_init__(self) -> None:
        for s in self.steps:
            path = str(s.args.get("path", "")).lower()
            if s.tool in WRITE_TOOLS and not s.error:
                self.writes[path].append(s)
            elif s.tool == "read_file" and not s.error:
                self.reads[path].append(s)

    def ref(self, step: Step, note: str = "") -> StepRef:
        return StepRef(sim=self.sim, day=step.day, step=step.step, tool=step.tool or "", note=note)

    def last(self) -> Step:
        return self.steps[-1]

    def inbox_step(self, message: Message) -> Step | None:
        """The check_inbox step that showed ``message``."""
        return next((s for s in self.steps if s.tool == "check_inbox" and _shows(s, message)), None)

    def asked(self, collaborator: str) -> Step | None:
        return next((s for s in self.steps if s.tool == "send_message" and not s.error
                     and s.args.get("to") == collaborator and not s.args.get("attachments")), None)


def analyse(*, sim: str, sim_id: str, computer: Computer, policy: str, deliverables: list[Deliverable],
            collaborators: list[Collaborator], inbox: list[Message], days: int, trajectory: list[Step],
            rubric: Rubric, judgement: Judgement) -> Retrospective:
    """The retrospective of one judged simulation (see the module docstring)."""
    t = Trajectory(sim, trajectory)
    results = {r.id: r for r in judgement.criteria}
    by_id = {d.id: d for d in deliverables}
    roles = {c.name: c.role for c in collaborators}
    received = [m for m in inbox if m.sender != "me" and m.deliver_day < days]
    items: list[ExperienceItem] = []
    worked: list[str] = []
    failed: list[str] = []
    for criterion in rubric.criteria:
        result = results.get(criterion.id)
        if result is None or result.skipped or criterion.weight == 0:
            continue
        deliverable = by_id.get(criterion.deliverable)
        if result.score >= 1:
            worked.append(criterion.text)
            items += _success(criterion, deliverable, t, received, roles)
        else:
            failed.append(f"{criterion.text} ({result.evidence})")
            items += _failure(criterion, deliverable, t, received, roles)
    process = _tool_errors(t) + _unread_shares(t, received)
    failed += [i.situation for i in process]
    items += process
    return Retrospective(sim_id=sim_id, computer_id=computer.id, occupation=computer.profile.occupation,
                         industry=computer.persona.industry or computer.profile.industry, policy=policy,
                         score=judgement.score, worked=worked, failed=failed, items=_dedupe(items))


def _name(path: str) -> str:
    return ospath.basename(path)


def _failure(c: Criterion, d: Deliverable | None, t: Trajectory, received: list[Message],
             roles: dict[str, str]) -> list[ExperienceItem]:
    name, writes = _name(c.path), t.writes.get(c.path.lower(), [])
    if not writes:
        return [_item("failure", f"The objectives asked for {name}; it was never written.",
                      "Write every output the objectives list, at the exact path they name, even as a first draft.",
                      "deliver-every-output", [t.ref(t.last(), "the month ended without it")])]
    write_refs = [t.ref(w, f"wrote {name}") for w in writes]
    if c.kind in ("opens", "renders", "page_range"):
        return [_item("failure", f"{name} was written but did not pass '{c.text}'.",
                      "Read a deliverable back after writing it and fix what does not open, render or fit.",
                      None, write_refs)]
    if c.kind == "figures_match":
        sources = [s.lower() for s in (d.sources if d else [])]
        if not any(t.reads.get(s) for s in sources):
            return [_item("failure", f"{name} was drafted without reading its source files.",
                          PRACTICES["read-sources-first"],
                          "read-sources-first", write_refs)]
        return [_item("failure", f"{name} quotes figures that differ from its sources' totals.",
                      "Quote source totals exactly as the source computes them.", None, write_refs)]
    message = _message_with(c, received)
    if message is None:
        holders = [n for n in (d.collaborators if d else []) if t.asked(n) is None]
        if holders:
            role = roles.get(holders[0], "collaborator")
            return [_item("failure", f"{name} lacked what {holders[0]} ({role}) knew; they were never asked.",
                          PRACTICES["ask-data-owners"],
                          "ask-data-owners", write_refs)]
        return [_item("failure", f"{name} did not satisfy '{c.text}'.",
                      "Check each deliverable against what its readers asked for before finishing.", None, write_refs)]
    seen = t.inbox_step(message)
    evidence = ([t.ref(seen, f"{message.sender}'s message arrived")] if seen else []) + write_refs[-1:]
    after_last = message.deliver_day > writes[-1].day or (seen is not None and _after(seen, writes[-1]))
    if not after_last:
        return [_item("failure", f"{message.sender}'s input was in hand before {name}'s last version but is missing "
                                 f"('{c.text}').", "Work every figure and request a collaborator sent into the deliverable.",
                      None, evidence)]
    who = f"{message.sender} ({roles.get(message.sender, 'collaborator')})"
    if c.kind == "revision_made" or message.requested_changes:
        return [_item("failure", f"{who} asked for changes to {name} on day {message.deliver_day + 1}; "
                                 "the file was not revised afterwards.",
                      REVISE_AS_ASKED,
                      "revise-after-feedback", evidence)]
    first = writes[0]
    items = [_item("failure", f"{name}'s last version predates {who}'s reply holding '{', '.join(c.expect[:2])}'.",
                   "When new figures or requests arrive after a draft, revise the deliverable to include them.",
                   "revise-after-feedback", evidence)]
    if message.deliver_day >= first.day:
        items.append(_item("failure", f"{name} was first drafted on day {first.day + 1}, before {who} answered on "
                                      f"day {message.deliver_day + 1}.",
                           "Ask the data owner before drafting: wait for the collaborators who hold a deliverable's "
                           "figures to reply before the first draft.",
                           "wait-for-data-owners", [t.ref(first, f"first draft of {name}"), *evidence[:1]]))
    return items


def _success(c: Criterion, d: Deliverable | None, t: Trajectory, received: list[Message],
             roles: dict[str, str]) -> list[ExperienceItem]:
    name, writes = _name(c.path), t.writes.get(c.path.lower(), [])
    if not writes:
        return []
    if c.kind == "figures_match":
        reads = [r for s in (d.sources if d else []) for r in t.reads.get(s.lower(), []) if _after(writes[0], r)]
        if reads:
            return [_item("success", f"{name} quoted its sources' totals correctly.",
                          PRACTICES["read-sources-first"],
                          "read-sources-first", [t.ref(r, "read a source") for r in reads])]
    if c.kind in ("collaborator_info", "sections"):
        message = _message_with(c, received)
        asked = t.asked(message.sender) if message else None
        if message and asked:
            return [_item("success", f"Asking {message.sender} ({roles.get(message.sender, 'collaborator')}) brought "
                                     f"what {name} needed.",
                          PRACTICES["ask-data-owners"],
                          "ask-data-owners", [t.ref(asked, "asked"), t.ref(writes[-1], f"wrote {name}")])]
    if c.kind == "revision_made" and len(writes) > 1:
        return [_item("success", f"{name} was revised after feedback and made the requested change.",
                      REVISE_AS_ASKED,
                      "revise-after-feedback", [t.ref(w, f"revised {name}") for w in writes[1:]])]
    return []


def _tool_errors(t: Trajectory) -> list[ExperienceItem]:
    groups: dict[str, list[Step]] = defaultdict(list)
    for s in t.steps:
        if s.error:
            text = s.observation.lower()
            kind = ("path" if any(k in text for k in _PATH_ERRORS)
                    else "call" if any(k in text for k in _CALL_ERRORS) or s.tool is None else "other")
            groups[kind].append(s)
    items = []
    if groups["path"]:
        items.append(_item("failure", f"{len(groups['path'])} tool call(s) named paths that did not exist.",
                           PRACTICES["check-paths"],
                           "check-paths", [t.ref(s, s.observation.splitlines()[0][:120]) for s in groups["path"]]))
    if groups["call"]:
        items.append(_item("failure", f"{len(groups['call'])} tool call(s) were malformed (unknown tool, bad JSON or "
                                      "arguments).", "Call tools exactly as documented: valid JSON, known names, "
                                                     "the listed arguments.", None,
                           [t.ref(s, s.observation.splitlines()[0][:120]) for s in groups["call"]]))
    if groups["other"]:
        items.append(_item("failure", f"{len(groups['other'])} tool call(s) were refused.",
                           "Read a tool's error and change the call instead of repeating it.", None,
                           [t.ref(s, s.observation.splitlines()[0][:120]) for s in groups["other"]]))
    return items


def _unread_shares(t: Trajectory, received: list[Message]) -> list[ExperienceItem]:
    unread = [(m, a) for m in received for a in m.attachments if not t.reads.get(a.lower())]
    if not unread:
        return []
    refs = [t.ref(s, f"{m.sender} shared {_name(a)}") for m, a in unread if (s := t.inbox_step(m))]
    if not refs:
        return []
    return [_item("failure", f"{len(unread)} file(s) collaborators shared into Downloads were never opened.",
                  "Check the inbox and Downloads each morning and read the files collaborators shared.",
                  "check-downloads-each-morning", refs)]


def _message_with(c: Criterion, received: list[Message]) -> Message | None:
    """The collaborator message that carried what ``c`` expects (earliest first)."""
    keys = [k.lower() for k in c.expect]
    return next((m for m in received if keys and any(k in m.body.lower() for k in keys)), None)


def _shows(step: Step, message: Message) -> bool:
    """Whether a check_inbox step showed ``message`` (by its data; by its text in older trajectories)."""
    if step.data is None:
        return f"[{message.id}]" in step.observation
    inbox = data_of({"data": step.data}, Inbox)
    return inbox is not None and any(m.id == message.id for m in inbox.messages)


def _after(a: Step, b: Step) -> bool:
    return (a.day, a.step) > (b.day, b.step)


def _item(kind: str, situation: str, lesson: str, practice: str | None, evidence: list[StepRef]) -> ExperienceItem:
    return ExperienceItem(situation=situation, lesson=lesson, kind=kind, practice=practice,  # type: ignore[arg-type]
                          evidence=evidence[:MAX_EVIDENCE])


def _dedupe(items: list[ExperienceItem]) -> list[ExperienceItem]:
    """One item per (kind, practice or lesson) in a simulation, evidence pooled: a lesson
    counts once per simulation."""
    merged: dict[tuple[str, str], ExperienceItem] = {}
    for item in items:
        key = (item.kind, item.practice or item.lesson)
        if key in merged:
            kept = merged[key]
            refs = kept.evidence + [e for e in item.evidence if e not in kept.evidence]
            merged[key] = kept.model_copy(update={"evidence": refs[:MAX_EVIDENCE]})
        else:
            merged[key] = item
    return list(merged.values())
