"""Collaborators, procedural backend: they answer on a later day, in their own style.

A message sent on day d is answered on day d + the collaborator's latency. A request
for information is answered with what the collaborator knows.
"""

from __future__ import annotations

from synthcomp.models import Collaborator, Message

_ASKS = ("?", "send", "share", "data", "figure", "number", "could you", "can you", "please")


def reply_to(message: Message, collaborator: Collaborator, day: int, message_id: str) -> Message:
    """The collaborator's answer to ``message``, delivered on a later day."""
    asks = any(token in message.body.lower() or token in message.subject.lower() for token in _ASKS)
    lines = ["Hi,", "", f"Thanks for your message about '{message.subject}'."]
    if asks and collaborator.knowledge:
        lines += ["Here is what I can tell you:", *[f"- {fact}" for fact in collaborator.knowledge]]
    elif message.attachments:
        lines.append("I had a look at the attachment; it is a good start. Please add a short summary up front.")
    else:
        lines.append("Noted, thanks. Let me know if you need anything from me.")
    lines += ["", "Best,", collaborator.name.split()[0]]
    return Message(
        id=message_id, sender=collaborator.name, to="me", subject=f"RE: {message.subject}",
        body="\n".join(lines), sent_day=day, deliver_day=day + collaborator.reply_latency_days,
    )
