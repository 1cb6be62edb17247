"""Collaborators on Claude (paper 3.1.2): replies written in character by the model.

The collaborator's card (role, background, style, what they know, what they prefer, the
private files they hold) and the user's message, with the changes an attached draft needs, go to
the model; it answers with a :class:`CollaboratorAnswer`. Timing stays the simulation's:
replies arrive after the collaborator's latency, as offline. What a reviewer asks of a
draft is decided from the truth (``collaborators.review_changes``), as offline: the
model is told the changes and puts them in its own words, and the reply lists them.
Attaching a file the collaborator does not hold goes back to the model; if it persists,
those attachments are dropped, and when no answer is usable the procedural reply is sent
(a warning in the run's usage says so).
"""

from __future__ import annotations

import random

from pydantic import Field

from synthcomp.agents.collaborators import Reply, reply_message, reply_to
from synthcomp.brains.model.client import ModelClient
from synthcomp.brains.model.creation import block
from synthcomp.models import Collaborator, Message, RequestedChange, Strict
from synthcomp.toolresults import change_request

class CollaboratorAnswer(Strict):
    """What the model writes as the collaborator."""

    body: str = Field(min_length=1, description="The reply, in the collaborator's own voice, signed with their first name.")
    share_files: list[str] = Field(default_factory=list,
                                   description="Names of the collaborator's private files to attach (only those they hold).")


class ClaudeCollaborators:
    """A :class:`synthcomp.agents.collaborators.Responder` backed by the client's "collaborator" role."""

    def __init__(self, client: ModelClient):
        self.client = client

    def __call__(self, message: Message, collaborator: Collaborator, day: int, message_id: str, rng: random.Random,
                 changes: list[RequestedChange] | None = None) -> Reply:
        review = ("" if changes is None else "\n\n" + block("The user attached a draft for your review; the changes "
                                                         "it needs (none: it is fine)", {"changes": [c.text for c in changes]}))
        plain: list[Reply] = []

        def degrade(got: CollaboratorAnswer | None) -> tuple[CollaboratorAnswer, str]:
            """The answer without files they do not hold, or the procedural reply (its own
            draw of the delay is discarded: the reply below makes the one draw)."""
            if got is not None:
                return got.model_copy(update={"share_files": _held(got, collaborator)}), "dropped files they do not hold"
            plain.append(reply_to(message, collaborator, day, message_id, random.Random(0), changes))
            return (CollaboratorAnswer(body=plain[0].message.body, share_files=plain[0].shared),
                    f"{collaborator.name} sent the procedural reply")

        answer = self.client.structured("collaborator", CollaboratorAnswer, system=(
            f"You are {collaborator.name}, {collaborator.role}, a colleague of the user. Stay in character: "
            f"{collaborator.communication_style}. Share what you know when asked; share your private files only "
            "when they help; review drafts against your preferences and the facts you hold, naming concrete changes."),
            prompt=block("Your card", collaborator) + "\n\n" + block("Message from the user", {
                "subject": message.subject, "body": message.body}) + review,
            check=lambda got: _attachment_problems(got, collaborator), degrade=degrade)
        listed = bool(changes) and not plain  # the procedural reply words the changes itself
        body = answer.body + ("\n\n" + "\n".join(change_request([c.text for c in changes])) if listed else "")
        return Reply(message=reply_message(message, collaborator, day, message_id, rng, body, changes),
                     shared=answer.share_files)


def _held(answer: CollaboratorAnswer, collaborator: Collaborator) -> list[str]:
    return [name for name in answer.share_files if name in collaborator.private_files]


def _attachment_problems(answer: CollaboratorAnswer, collaborator: Collaborator) -> list[str]:
    """Files the answer attaches that the collaborator does not hold."""
    stray = [name for name in answer.share_files if name not in collaborator.private_files]
    return [f"share_files {stray} are not among your private files ({collaborator.private_files})"] if stray else []
