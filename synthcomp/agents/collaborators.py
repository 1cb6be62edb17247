"""Collaborators, procedural backend: later replies, shared files, concrete feedback (paper 3.1.2).

A message sent on day d is answered on day d + latency (one more day when the
collaborator is unreliable that day). A request for information is answered with what
they know, and their private reference files are shared (they land in the user's
Downloads when the reply arrives). A draft sent for review gets feedback that names
concrete changes: the preferences it does not meet yet and the facts it does not quote.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Protocol

from synthcomp.models import Collaborator, Message

_ASKS = ("?", "send", "share", "data", "figure", "number", "could you", "can you", "please", "need")
PREFERENCE_CHECKS = {
    "an executive summary section at the top": ("executive summary",),
    "a section on risks and issues": ("risk",),
    "a next steps section with owners": ("next steps",),
    "every figure quoted with its source file": ("source",),
    "a short recommendations section": ("recommendation",),
    "a section on lessons learned": ("lessons learned",),
}
"""How a preference is recognised in a draft's text (lower-cased); shared with the judge."""


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


def unmet_preferences(collaborator: Collaborator, text: str) -> list[str]:
    lowered = text.lower()
    return [p for p in collaborator.preferences
            if not any(k in lowered for k in PREFERENCE_CHECKS.get(p, (p.lower(),)))]


def missing_facts(collaborator: Collaborator, text: str) -> list[str]:
    """Facts whose key figure (the token with digits) the text does not quote."""
    missing = []
    for fact in collaborator.knowledge:
        figures = [w.strip(".,") for w in fact.split() if any(ch.isdigit() for ch in w)]
        if figures and not any(f in text for f in figures):
            missing.append(fact)
    return missing


def reply_to(
    message: Message, collaborator: Collaborator, day: int, message_id: str, rng: random.Random,
    draft_texts: list[str] | None = None,
) -> Reply:
    """The collaborator's answer to ``message``; ``draft_texts`` are its attachments' text."""
    text = f"{message.subject}\n{message.body}".lower()
    asks = any(token in text for token in _ASKS)
    first = collaborator.name.split()[0]
    greeting, sign_off, characteristic = _voice(collaborator)
    lines = [greeting, ""] + ([characteristic, ""] if characteristic else [])
    shared: list[str] = []
    if draft_texts:
        draft = "\n".join(draft_texts)
        changes = [f"add {p}" for p in unmet_preferences(collaborator, draft)]
        changes += [f"include this figure: {fact}" for fact in missing_facts(collaborator, draft)]
        if changes:
            lines += change_request(changes)
        else:
            lines.append("Thanks for the draft: it covers what I need. Good to go from my side.")
    if asks:
        if collaborator.knowledge:
            lines += ["", "Here is what I can tell you:", *[f"- {fact}" for fact in collaborator.knowledge]]
        if collaborator.private_files:
            shared = list(collaborator.private_files)
            lines += ["", "I have attached the reference file(s): " + ", ".join(shared) + "."]
    if not draft_texts and not asks:
        lines.append(f"Noted, thanks for the update on '{message.subject}'.")
    if collaborator.preferences and not draft_texts:
        lines += ["", "For the final version I would like to see " + " and ".join(collaborator.preferences) + "."]
    lines += ["", sign_off, first]
    return Reply(message=reply_message(message, collaborator, day, message_id, rng, "\n".join(lines)), shared=shared)


def change_request(changes: list[str]) -> list[str]:
    """The lines asking for changes to a draft; ``rubric.requested_changes`` reads them back."""
    return ["Thanks for the draft. Before it goes further, please make these changes:", *[f"- {c}" for c in changes]]


def reply_message(message: Message, collaborator: Collaborator, day: int, message_id: str, rng: random.Random,
                  body: str) -> Message:
    """The reply, delivered after the collaborator's latency (a day later when unreliable)."""
    delay = collaborator.reply_latency_days + (0 if rng.random() < collaborator.reliability else 1)
    return Message(id=message_id, sender=collaborator.name, to="me", subject=f"RE: {message.subject}", body=body,
                   sent_day=day, deliver_day=day + delay)


class Responder(Protocol):
    """Writes collaborators' replies: :func:`reply_to` offline, or a model-backed responder."""

    def __call__(self, message: Message, collaborator: Collaborator, day: int, message_id: str, rng: random.Random,
                 draft_texts: list[str] | None = None) -> Reply: ...
