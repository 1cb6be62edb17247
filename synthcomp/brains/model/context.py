"""Keeping one day's conversation inside the model's context window.

A workday is one conversation, and a day of 150 turns with 20,000-character reads
outgrows any window. Before each request the work agent's messages go through
:meth:`ContextKeeper.fit`: once the estimate passes ``COMPACT_AT`` of the budget, the
oldest tool results are replaced by a one-line stub (what the tool said first, how long
it was) until the conversation is back under ``COMPACT_TO``. The model's own turns (its
reasoning and every tool call it made: the day's decisions) are kept; only what the
tools answered, which the model can ask for again, is cleared. Clearing far below the
trigger means the cached prefix changes rarely, so prompt caching keeps paying.

If a provider still refuses a request as too long (its tokenizer counts more than the
estimate), :meth:`ContextKeeper.refused` lowers the budget to what the provider stated
and the next fit clears harder. The same code serves every provider, since every
request is written in the Messages format.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from synthcomp.brains.model.base import content_text

CHARS_PER_TOKEN = 3.5
"""A conservative characters-per-token for English and JSON (Claude's tokenizer averages 3.5-4)."""
IMAGE_TOKENS = 1_600
"""An image costs at most this many tokens (a page scaled to about 1.15 megapixels)."""
COMPACT_AT = 0.75
"""Share of the budget past which old tool results are cleared."""
COMPACT_TO = 0.5
"""Share of the budget clearing aims for."""
KEEP_RECENT = 3
"""The latest tool results are never cleared first: the model is working with them."""
STUB_CHARS = 160
LONG_INPUT_CHARS = 400
"""A tool call's argument longer than this (a whole file written) is shortened once its turn is old."""


def estimate_tokens(value: Any) -> int:
    """Tokens of a request part, estimated from its JSON (an image at ``IMAGE_TOKENS``)."""
    if isinstance(value, dict) and value.get("type") == "image":
        return IMAGE_TOKENS
    if isinstance(value, list):
        return sum(estimate_tokens(v) for v in value)
    if isinstance(value, dict) and isinstance(value.get("content"), list):
        return estimate_tokens(value["content"]) + estimate_tokens({k: v for k, v in value.items() if k != "content"})
    return math.ceil(len(json.dumps(value, ensure_ascii=False)) / CHARS_PER_TOKEN)


@dataclass
class ContextKeeper:
    """The token budget of one work agent's requests, and how a day is fitted into it."""

    budget: int
    """Input tokens a request may carry (the model's window, or what the provider said)."""
    cleared: int = 0
    """Tool results cleared so far (reported in the policy's stats)."""

    def fit(self, fixed_tokens: int, messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``messages`` unchanged when they fit, else with old tool results (then old long
        arguments, then recent results) cleared until they are under ``COMPACT_TO`` of the
        budget. ``fixed_tokens``: the system prompt and tools, which every request repeats."""
        total = fixed_tokens + estimate_tokens(messages)
        if total <= self.budget * COMPACT_AT:
            return messages
        target = self.budget * COMPACT_TO
        out = list(messages)
        results = [i for i, m in enumerate(out) if m["role"] == "user" and _tool_results(m)]
        calls = [i for i, m in enumerate(out) if m["role"] == "assistant"]
        passes = (("result", results[:-KEEP_RECENT]), ("call", calls[:-KEEP_RECENT]), ("result", results))
        for kind, indices in passes:
            for i in indices:
                if total <= target:
                    return out
                before = estimate_tokens(out[i])
                out[i] = _clear_results(out[i]) if kind == "result" else _shorten_calls(out[i])
                if kind == "result" and before != estimate_tokens(out[i]):
                    self.cleared += 1
                total += estimate_tokens(out[i]) - before
        return out

    def refused(self, sent_estimate: int, limit: int | None, count: int | None) -> None:
        """The provider refused a request as too long. Its limit, scaled by how far the
        estimate fell short of its count, is the new budget (without both figures: three
        quarters of what was sent), so the next fit clears enough."""
        if limit and count:
            self.budget = min(self.budget, math.floor(limit * sent_estimate / count))
        else:
            self.budget = min(self.budget, math.floor(sent_estimate * 0.75))


def _tool_results(message: dict[str, Any]) -> list[dict[str, Any]]:
    content = message["content"]
    return [] if isinstance(content, str) else [b for b in content if b.get("type") == "tool_result"]


def _clear_results(message: dict[str, Any]) -> dict[str, Any]:
    """The message with each tool result replaced by a stub naming its first line and size."""
    blocks = []
    for block in message["content"]:
        if block.get("type") == "tool_result" and not _is_stub(block):
            text = content_text(block.get("content", ""))
            first = (text.strip().splitlines() or [""])[0][:STUB_CHARS]
            block = {**block, "content": f"[cleared to keep the day within the model's context: {first!r}, "
                                         f"{len(text):,} characters; call the tool again if you need it]"}
        blocks.append(block)
    return {**message, "content": blocks}


def _shorten_calls(message: dict[str, Any]) -> dict[str, Any]:
    """An old assistant turn with long tool arguments (a file's whole text) cut to a note."""
    content = message["content"]
    if isinstance(content, str):
        return message
    blocks = []
    for block in content:
        if block.get("type") == "tool_use":
            block = {**block, "input": {k: _short(v) for k, v in (block.get("input") or {}).items()}}
        blocks.append(block)
    return {**message, "content": blocks}


def _short(value: Any) -> Any:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    if len(text) <= LONG_INPUT_CHARS:
        return value
    return f"{text[:STUB_CHARS]}… [{len(text):,} characters, cleared from the context]"


def _is_stub(block: dict[str, Any]) -> bool:
    content = block.get("content")
    return isinstance(content, str) and content.startswith("[cleared ")
