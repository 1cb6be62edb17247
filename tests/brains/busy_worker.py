"""A fake work model with a long, read-heavy day: it finds the office files, reads them one
after another (up to 20,000 characters each), looks at its inbox now and then and ends
the day after ``turns`` turns. It drives the real work policy through the fake API, so
the requests grow as a real model's do; the caching bench and the context tests use it."""

from __future__ import annotations

import re
from typing import Any

from tests.brains.fake_anthropic import tool_use

FIND = ("find . -type f \\( -name '*.docx' -o -name '*.xlsx' -o -name '*.pptx' -o -name '*.pdf' -o -name '*.md' "
        "-o -name '*.csv' -o -name '*.txt' \\) | sort | head -200")


class BusyWorker:
    """Call it with a request body (the fake's ``plain`` view); it answers with the next tool call."""

    def __init__(self, turns: int = 60):
        self.turns = turns

    def __call__(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        messages = body["messages"]
        turn = sum(1 for m in messages if m["role"] == "assistant")
        if turn == 0:
            name, args = "shell", {"command": FIND}
        elif turn >= self.turns - 1:
            name, args = "end_day", {"summary": f"Read {turn - 1} files and noted what each holds."}
        elif turn % 12 == 0:
            name, args = "check_inbox", {}
        else:
            files = _found(messages)
            name, args = ("read_file", {"path": files[turn % len(files)]}) if files else ("list_dir", {"path": "."})
        return [{"type": "text", "text": f"Turn {turn}: next I {name.replace('_', ' ')}."},
                *tool_use(args, name=name, ident=f"toolu_{turn:04d}")]


def _found(messages: list[dict[str, Any]]) -> list[str]:
    """The paths the first turn's ``find`` printed (they stay in the conversation unless cleared)."""
    for message in messages:
        if message["role"] != "user" or isinstance(message["content"], str):
            continue
        for block in message["content"]:
            if block.get("type") == "tool_result" and block.get("tool_use_id") == "toolu_0000":
                text = block["content"] if isinstance(block["content"], str) else ""
                return re.findall(r"^(\./.+)$", text, re.M)
    return []
