"""A model as the work agent (paper 3.2), on any provider, through the env's own tool registry.

Each workday is one conversation: the morning briefing (which restores context from the
activity log and the inbox) opens it, every env observation comes back as the result of
the model's last tool call, and the day ends when the model calls ``end_day``; its
summary is the compacted context the next morning's briefing carries. A reply with no
tool call does nothing in the computer, so it is sent back with a reminder (``NUDGES``
times in a row at most); after that the day ends with the reply as its summary, and the
run's usage records a warning. Within a day, the
conversation is kept inside the model's context by ``brains.model.context`` (old tool
results cleared; a "prompt is too long" refusal lowers the budget and the turn is
retried), so a day is never lost to its length. Tool definitions
are generated from the env's registry, so they cannot drift from what the env accepts.
SKILL.md files, if given, are appended to the system prompt (``env.prompt``, which the
SFT export writes too).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthcomp.brains.model.client import ModelClient, PromptTooLong
from synthcomp.brains.model.context import ContextKeeper, estimate_tokens
from synthcomp.env.prompt import system_prompt
from synthcomp.env.tools import tool_definitions


REFUSALS = 4
"""Requests refused for length before the day is ended early."""
NUDGES = 2
"""Replies in a row without a tool call that are sent back before the day ends with the last one."""
NUDGE = ("You replied without calling a tool, so nothing happened on the computer. Continue the day's work "
         "with the tools, or call end_day with your summary if today's work is done.")


class ModelPolicy:
    """See the module docstring. Holds a network client, so it does not pickle: a resumed
    simulation starts it fresh, which the briefing makes cheap."""

    def __init__(self, client: ModelClient, skills: list[Path] | None = None, name: str = "claude"):
        """``name``: the provider's, which trajectories and summaries call the policy."""
        self.client = client
        self.name = name
        self.system = system_prompt([p.read_text(encoding="utf-8") for p in skills or []])
        self.tools = tool_definitions()
        self.fixed_tokens = estimate_tokens(self.system) + estimate_tokens(self.tools)
        self.context = ContextKeeper(client.config.context_budget)
        self.messages: list[dict[str, Any]] = []
        self.pending: str | None = None

    def reset(self) -> None:
        self.messages, self.pending = [], None

    def act(self, observation: str, info: dict[str, Any]) -> dict[str, Any]:
        if self.pending is None:
            self.messages.append({"role": "user", "content": observation})
        else:
            self.messages.append({"role": "user", "content": [{
                "type": "tool_result", "tool_use_id": self.pending, "content": observation,
                "is_error": bool(info.get("tool_error"))}]})
        for nudged in range(NUDGES + 1):
            reply = self._ask()
            if reply is None:
                self.pending = None
                return {"tool": "end_day", "args": {"summary": self._decisions()}}
            content = reply.get("content") or [{"type": "text", "text": "(no reply)"}]
            self.messages.append({"role": "assistant", "content": content})
            call = next((b for b in content if b.get("type") == "tool_use"), None)
            if call is not None:
                self.pending = call["id"]
                return {"tool": call["name"], "args": call.get("input") or {}}
            if nudged < NUDGES:
                self.messages.append({"role": "user", "content": NUDGE})
        text = " ".join(b.get("text", "") for b in content if b.get("type") == "text").strip()
        self.client.usage.warn(f"work agent: {NUDGES + 1} replies in a row without a tool call; "
                               "degraded: the day ended with the last reply as its summary")
        self.pending = None
        return {"tool": "end_day", "args": {"summary": text[:2000] or "(ended without a summary)"}}

    def _ask(self) -> dict[str, Any] | None:
        """The model's next turn, the conversation fitted to the context first; a refusal for
        length is answered by clearing harder and asking again. None: even the cleared
        conversation does not fit (the day ends with what the model decided so far)."""
        for _ in range(REFUSALS):
            self.messages = self.context.fit(self.fixed_tokens, self.messages)
            try:
                return self.client.create("work", system=self.system, messages=self.messages, tools=self.tools)
            except PromptTooLong as exc:
                self.context.refused(self.fixed_tokens + estimate_tokens(self.messages), exc.limit, exc.count)
        return None

    def _decisions(self) -> str:
        """An end-of-day summary from the model's own words today, for a day cut short by length."""
        said = [b.get("text", "") for m in self.messages if m["role"] == "assistant" and isinstance(m["content"], list)
                for b in m["content"] if b.get("type") == "text"]
        text = " ".join(t.strip() for t in said if t.strip())
        return "The day's conversation outgrew the model's context and was ended early. " + text[-1800:]
