"""Collaborators on Claude (paper 3.1.2): replies written in character by the model.

The collaborator's card (role, background, style, what they know, what they prefer, the
private files they hold) and the user's message, with any attached draft's text, go to
the model; it answers with a :class:`CollaboratorAnswer`. Timing stays the simulation's:
replies arrive after the collaborator's latency, as offline. Requested changes are
written in the same form as the procedural feedback, so the rubric picks them up.
"""

from __future__ import annotations

import random

from pydantic import Field

from synthcomp.agents.collaborators import Reply, change_request, reply_message
from synthcomp.brains.claude.client import ClaudeClient
from synthcomp.brains.claude.creation import block
from synthcomp.models import Collaborator, Message, Strict

DRAFT_CHARS = 12_000
"""How much of each attached draft the collaborator reads."""


class CollaboratorAnswer(Strict):
    """What the model writes as the collaborator."""

    body: str = Field(min_length=1, description="The reply, in the collaborator's own voice, signed with their first name.")
    share_files: list[str] = Field(default_factory=list,
                                   description="Names of the collaborator's private files to attach (only those they hold).")
    changes: list[str] = Field(default_factory=list,
                               description="Concrete changes the attached draft still needs (empty when none was attached or it is fine).")


class ClaudeCollaborators:
    """A :class:`synthcomp.agents.collaborators.Responder` backed by the client's "collaborator" role."""

    def __init__(self, client: ClaudeClient):
        self.client = client

    def __call__(self, message: Message, collaborator: Collaborator, day: int, message_id: str, rng: random.Random,
                 draft_texts: list[str] | None = None) -> Reply:
        drafts = "\n\n".join(f"Attached draft:\n{text[:DRAFT_CHARS]}" for text in draft_texts or [])
        answer = self.client.structured("collaborator", CollaboratorAnswer, system=(
            f"You are {collaborator.name}, {collaborator.role}, a colleague of the user. Stay in character: "
            f"{collaborator.communication_style}. Share what you know when asked; share your private files only "
            "when they help; review drafts against your preferences and the facts you hold, naming concrete changes."),
            prompt=block("Your card", collaborator) + "\n\n" + block("Message from the user", {
                "subject": message.subject, "body": message.body}) + (f"\n\n{drafts}" if drafts else ""))
        shared = [name for name in answer.share_files if name in collaborator.private_files]
        body = answer.body + ("\n\n" + "\n".join(change_request(answer.changes)) if answer.changes else "")
        return Reply(message=reply_message(message, collaborator, day, message_id, rng, body), shared=shared)
