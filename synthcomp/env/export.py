"""Trajectories -> chat-format JSONL for supervised fine-tuning.

One line per workday: the briefing as the user turn, then each step as an assistant
tool call and the tool's result, in the OpenAI-compatible ``messages`` + ``tools``
layout most SFT trainers read. Steps whose action was not a valid tool call are kept
as plain assistant text followed by the error, so a model also learns from mistakes.
The system turn is the prompt the Claude policy sends (``env.prompt``; a trajectory does
not record skills, so it is the prompt without them).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from synthcomp.brains.model.openai import openai_tool
from synthcomp.env.prompt import system_prompt
from synthcomp.env.registry import REGISTRY
from synthcomp.env.tools import tool_definitions
from synthcomp.errors import InputError


def openai_tools() -> list[dict[str, Any]]:
    """The env's tools in the OpenAI ``tools`` layout SFT trainers read."""
    return [openai_tool(d) for d in tool_definitions()]


def day_conversation(lines: list[dict[str, Any]]) -> dict[str, Any]:
    messages: list[dict[str, Any]] = [{"role": "system", "content": system_prompt()}]
    for n, entry in enumerate(lines):
        if entry["event"] == "reset":
            messages.append({"role": "user", "content": entry["observation"]})
            continue
        action = entry["action"]
        if isinstance(action, str):
            try:
                action = json.loads(action)
            except json.JSONDecodeError:
                pass
        if isinstance(action, dict) and action.get("tool") in REGISTRY:
            call_id = f"call_{n}"
            messages.append({"role": "assistant", "content": None, "tool_calls": [{
                "id": call_id, "type": "function",
                "function": {"name": action["tool"], "arguments": json.dumps(action.get("args", {}), ensure_ascii=False)},
            }]})
            messages.append({"role": "tool", "tool_call_id": call_id, "content": entry["observation"]})
        else:
            messages.append({"role": "assistant", "content": action if isinstance(action, str) else json.dumps(action)})
            messages.append({"role": "user", "content": entry["observation"]})
    return {"messages": messages, "tools": openai_tools()}


def run_conversations(run_dir: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(day, conversation)`` for every recorded workday under ``run_dir``, in day order.

    The SFT file and the dataset view (``synthcomp.fleet.dataset``) both read runs
    through this, so the two never disagree on what a conversation is. Days sort by
    number, not by name, so a run longer than 99 days stays in order.
    """
    files = run_dir.glob("days/*/trajectory.jsonl")
    days = sorted((int(p.parent.name), p) for p in files if p.parent.name.isdigit())
    for day, path in days:
        lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        # a day may hold several resets (re-briefings, restores): each starts a conversation
        starts = [i for i, e in enumerate(lines) if e["event"] == "reset"] + [len(lines)]
        for a, b in zip(starts, starts[1:]):
            if b - a > 1:
                yield day, day_conversation(lines[a:b])


def export_trajectories(run_dir: Path, out: Path) -> int:
    """Write one chat line per recorded day under ``run_dir``; returns how many.

    Raises:
        InputError: ``run_dir`` holds no trajectories.
    """
    if not any(run_dir.glob("days/*/trajectory.jsonl")):
        raise InputError(f"no trajectories under {run_dir} (expected {run_dir}/days/<n>/trajectory.jsonl)")
    out.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with out.open("w", encoding="utf-8") as fh:
        for _, conversation in run_conversations(run_dir):
            fh.write(json.dumps(conversation, ensure_ascii=False) + "\n")
            count += 1
    return count
