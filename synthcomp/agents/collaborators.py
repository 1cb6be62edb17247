"""Collaborators, procedural backend: later replies, shared files, concrete feedback (paper 3.1.2).

A message sent on day d is answered on day d + latency (one more day when the
collaborator is unreliable that day). A request for information is answered with what
they know on that day (:func:`availability`): a figure that does not exist yet (an event
figure before its day) is pending, with the day to ask again; a colleague who is not
fully reliable answers a first request in part and confirms the rest after two days.
Their private reference files are shared (they land in the user's Downloads when the
reply arrives). A draft sent for review gets feedback that names
concrete changes (:func:`review_changes`): the sections they asked for that it does not
cover with substance yet, and the figures they hold that it does not report right. What
is asked is decided here from the truth; a responder only phrases it, and the reply
carries the changes as data (``Message.requested_changes``) beside the words.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol

from synthcomp.agents.criteria import coverage, figures
from synthcomp.agents.criteria.reading import Reading
from synthcomp.agents import truth
from synthcomp.agents.truth import Figure, ProjectTruth
from synthcomp.models import Collaborator, Message, PendingFact, RequestedChange
from synthcomp.toolresults import change_request

_ASKS = ("?", "send", "share", "data", "figure", "number", "could you", "can you", "please", "need")
PREFERENCE_TOPICS = {
    "an executive summary section at the top": "executive summary",
    "a section on risks and issues": "risks",
    "a next steps section with owners": "next steps",
    "every figure quoted with its source file": "sources",
    "a short recommendations section": "recommendations",
    "a section on lessons learned": "lessons learned",
}
"""A preference and the coverage topic the judge checks it by."""


_VOICES = {
    "brief": ("Hi,", "Thanks,", ""),
    "friendly": ("Hi there,", "Best wishes,", "Hope the week is going well - happy to help."),
    "formal": ("Dear colleague,", "Kind regards,", "Please find my response below."),
    "busy": ("Hi,", "Cheers,", "Apologies for the slow reply; it has been a busy week."),
    "data-minded": ("Hi,", "Best,", "Please cite the source file next to every figure you use."),
}
"""Greeting, sign-off and a characteristic line per communication style (setup.STYLES)."""


def _voice(collaborator: Collaborator) -> tuple[str, str, str]:
    style = collaborator.communication_style.lower()
    return next((v for key, v in _VOICES.items() if style.startswith(key)), _VOICES["brief"])


@dataclass
class Reply:
    message: Message
    shared: list[str] = field(default_factory=list)
    """Names of private files attached to the reply."""


def asks_for_input(message: Message) -> bool:
    """Whether a message asks for something (figures, files, a decision)."""
    text = f"{message.subject}\n{message.body}".lower()
    return any(token in text for token in _ASKS)


@dataclass
class Availability:
    """What a collaborator can say on one day, and what they cannot say yet."""

    facts: list[str]
    pending: list[PendingFact]
    files: list[str] = field(default_factory=list)
    """The private files the facts given refer to (the ledgers to compute figures from)."""


def question_back(collaborator: Collaborator, project_names: list[str]) -> str:
    """What a data-minded colleague asks before sending figures ('' for the others): they
    want to know which figures are meant, and answer only once told."""
    if not collaborator.communication_style.lower().startswith("data-minded") or not project_names:
        return ""
    return (f"Before I send anything: which figures do you need for {' and '.join(project_names[:2])}, and "
            "are they for the report to the client or for internal use? Let me know and I will send them.")


CONFIRM_DAYS = 2
"""How long a colleague who answered in part takes to confirm the rest."""


def availability(collaborator: Collaborator, truth_now: truth.Truth, titles: dict[str, str], day: int,
                 date_of, first_answer: bool) -> Availability:
    """What ``collaborator`` can tell on workday ``day`` about the work assigned so far
    (``titles``: the open deliverables): the figures they hold that exist by then (at
    their value that day), the deadlines they hold as they stand that day, and what they
    know without figures; the rest is pending. ``date_of`` dates a workday. A colleague
    who is not fully reliable gives half of their figures on a first answer."""
    given: list[tuple[Figure, str]] = []
    pending = []
    for project in truth_now.projects:
        if not set(project.deliverables) & set(titles):
            continue  # work the user has not been given yet is not theirs to discuss
        for figure in project.figures:
            if figure.holder != collaborator.name or (figure.deliverable and figure.deliverable not in titles):
                continue
            if figure.available_day <= day:
                given.append((figure, project.name))
            else:
                pending.append(PendingFact(what=f"the {figure.name.lower()} for {project.name} (it exists once "
                                                f"{figure.event})", day=figure.available_day,
                                           date=date_of(figure.available_day)))
    if first_answer and collaborator.reliability < 1 and len(given) >= 2:
        later = day + CONFIRM_DAYS
        pending += [PendingFact(what=f"still confirming: the {figure.name.lower()} for {name}", day=later,
                                date=date_of(later)) for figure, name in given[len(given) // 2:]]
        given = given[:len(given) // 2]
    facts = [truth.statement(figure, name, day) for figure, name in given]
    files = [figure.ledger.file for figure, _ in given if figure.ledger is not None and not figure.revised_by(day)]
    facts += [truth.deadline_fact(d, titles[d.deliverable], day) for d in truth_now.deadlines
              if d.holder == collaborator.name and d.deliverable in titles]
    facts += [k for k in collaborator.knowledge if not any(ch.isdigit() for ch in k) and " is the total of " not in k]
    return Availability(facts=facts, pending=sorted(pending, key=lambda p: p.day), files=files)


def review_changes(draft: Reading, collaborator: Collaborator, held: list[Figure], project: ProjectTruth,
                   day: int, first: bool = False) -> list[RequestedChange]:
    """What a reviewer asks of a draft on workday ``day``: each section they prefer that it
    does not cover with substance, each figure they hold that it does not report right (as
    the judge reads it), said as they say it (how to compute it from their ledger, not its total).
    A first reading always finds something: when nothing of theirs is missing, the first
    section the draft does not yet cover with substance."""
    changes = []
    prose = draft.path.rsplit(".", 1)[-1].lower() in {"docx", "pdf", "pptx", "md", "txt"}

    def missing(topic: str) -> bool:
        return coverage.score(draft, topic, None, project.specifics(), project.people())[0] < 1

    def ask(topic: str) -> RequestedChange:
        what = f"a fuller section on {topic} (a few sentences, not just a heading)"
        return RequestedChange(kind="section", target=topic, text=f"add {what}", what=what)

    for preference in collaborator.preferences if prose else []:
        topic = PREFERENCE_TOPICS.get(preference)
        if topic and missing(topic):
            changes.append(ask(topic))
    reported = {p.figure.id for p in figures.findings(draft, project.figures, project.names()) if p.right}
    for figure in held:
        if figure.id not in reported:
            what = truth.statement(figure, project.name, day)
            changes.append(RequestedChange(kind="figure", target=figure.id, text=f"include this figure: {what}", what=what))
    if first and prose and not changes:
        changes += [ask(t) for t in list(dict.fromkeys(PREFERENCE_TOPICS.values()))[:5] if missing(t)][:1]
    return changes


def reply_to(
    message: Message, collaborator: Collaborator, day: int, message_id: str, rng: random.Random,
    changes: list[RequestedChange] | None = None,
) -> Reply:
    """The collaborator's answer to ``message``; ``changes`` is None unless a draft is attached."""
    asks = asks_for_input(message)
    first = collaborator.name.split()[0]
    greeting, sign_off, characteristic = _voice(collaborator)
    lines = [greeting, ""] + ([characteristic, ""] if characteristic else [])
    shared: list[str] = []
    if changes:
        lines += change_request([c.text for c in changes])
    elif changes is not None:
        lines.append("Thanks for the draft: it covers what I need. Good to go from my side.")
    if asks:
        if collaborator.knowledge:
            lines += ["", "Here is what I can tell you:", *[f"- {fact}" for fact in collaborator.knowledge]]
        if collaborator.private_files:
            shared = list(collaborator.private_files)
            lines += ["", "I have attached the reference file(s): " + ", ".join(shared) + "."]
    if changes is None and not asks:
        lines.append(f"Noted, thanks for the update on '{message.subject}'.")
    if collaborator.preferences and changes is None:
        lines += ["", "For the final version I would like to see " + " and ".join(collaborator.preferences) + "."]
    lines += ["", sign_off, first]
    return Reply(message=reply_message(message, collaborator, day, message_id, rng, "\n".join(lines), changes),
                 shared=shared)


def reply_message(message: Message, collaborator: Collaborator, day: int, message_id: str, rng: random.Random,
                  body: str, changes: list[RequestedChange] | None = None) -> Message:
    """The reply, delivered after the collaborator's latency (a day later when unreliable);
    ``changes`` are what it asks of an attached draft (the body words them with
    ``toolresults.change_request``)."""
    return Message(id=message_id, sender=collaborator.name, to="me", subject=f"RE: {message.subject}", body=body,
                   sent_day=day, deliver_day=day + reply_delay(collaborator, rng), requested_changes=list(changes or []))


def reply_delay(collaborator: Collaborator, rng: random.Random) -> int:
    """Workdays until a reply arrives: the latency, a day more when they are unreliable that day.
    A reply says what its author knows on the day it arrives (the env asks with the same draw)."""
    return collaborator.reply_latency_days + (0 if rng.random() < collaborator.reliability else 1)


class Responder(Protocol):
    """Writes collaborators' replies: :func:`reply_to` offline, or a model-backed responder."""

    def __call__(self, message: Message, collaborator: Collaborator, day: int, message_id: str, rng: random.Random,
                 changes: list[RequestedChange] | None = None) -> Reply: ...
