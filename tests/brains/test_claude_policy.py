"""The Claude work policy in a 2-day simulation, through the real SDK against the fake API."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from synthcomp.cli import app
from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.env.registry import REGISTRY
from synthcomp.env.tools import tool_definitions
from synthcomp.policies.model import NUDGE
from synthcomp.workspace import computer_dir, sim_dir
from tests.brains.fake_anthropic import FakeAnthropic, tool_use


def work_model(body: dict[str, Any]) -> list[dict[str, Any]]:
    """A tiny scripted 'model': look around, write the first deliverable, ask someone, end the day."""
    briefing = body["messages"][0]["content"]
    turn = sum(1 for m in body["messages"] if m["role"] == "assistant")
    output = re.search(r"output: (.+?\.docx) \(", briefing).group(1)
    person = re.search(r"Collaborators:\n- (.+?) <", briefing).group(1)
    calls = [
        ("list_dir", {"path": "."}),
        ("create_document", {"path": output, "kind": "docx",
                             "spec": {"title": "Status report", "sections": [{"heading": "Executive summary",
                                                                              "paragraphs": ["Work in progress. " * 20]}]}}),
        ("send_message", {"to": person, "subject": "Figures", "body": "Could you send the latest figures?"}),
        ("end_day", {"summary": "Wrote a first draft and asked for figures."}),
    ]
    name, args = calls[min(turn, len(calls) - 1)]
    return [{"type": "text", "text": "Next step."}, *tool_use(args, name=name, ident=f"toolu_{turn:03d}")]


@pytest.mark.bwrap
def test_a_two_day_simulation_with_the_claude_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = create_computers(CreateRequest.from_cli(out=tmp_path, n=1, seed=12, os_name="windows", personas=None, workers=1))
    computer = computer_dir(tmp_path, made[0].id)
    fake = FakeAnthropic()
    try:
        fake.replies.extend([work_model] * 20)
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        result = CliRunner().invoke(app, ["simulate", str(computer), "--policy", "claude", "--days", "2",
                                          "--sandbox", "local", "--base-url", fake.base_url])
        assert result.exit_code == 0, result.output
        assert len(fake.requests) == 8  # four tool calls a day
        sim = sim_dir(tmp_path, f"{made[0].id}-claude-s0")
        state = json.loads((sim / "state.json").read_text())
        assert len(state["log"]) == 2 and state["outbox"]
        second_day = [r for r in fake.requests if "Workday 2" in r["messages"][0]["content"]]
        assert second_day and "Wrote a first draft" in second_day[0]["messages"][0]["content"]
        results = [b for r in fake.requests for m in r["messages"] if isinstance(m["content"], list)
                   for b in m["content"] if b.get("type") == "tool_result"]
        assert results and all(not b["is_error"] for b in results)
        for request in fake.requests:
            assert request["tools"] == tool_definitions()
    finally:
        fake.close()


def careless_model(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Talks instead of acting: one tool call after the first reminder, then words only."""
    turn = sum(1 for m in body["messages"] if m["role"] == "assistant")
    if turn == 1:
        return tool_use({"path": "."}, name="list_dir", ident="toolu_001")
    return [{"type": "text", "text": f"I will look into the quarterly figures next ({turn})."}]


@pytest.mark.bwrap
def test_a_reply_without_a_tool_call_is_sent_back_before_it_ends_the_day(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = create_computers(CreateRequest.from_cli(out=tmp_path, n=1, seed=12, os_name="windows", personas=None, workers=1))
    fake = FakeAnthropic()
    try:
        fake.default = careless_model
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        result = CliRunner().invoke(app, ["simulate", str(computer_dir(tmp_path, made[0].id)), "--policy", "claude",
                                          "--days", "1", "--sandbox", "local", "--base-url", fake.base_url])
        assert result.exit_code == 0, result.output
        # words, reminder, list_dir; then words, reminder, words, reminder, words: the day ends
        assert len(fake.requests) == 5
        reminded = [NUDGE in json.dumps(request["messages"][-1]) for request in fake.requests]
        assert reminded == [False, True, False, True, True]
        sim = sim_dir(tmp_path, f"{made[0].id}-claude-s0")
        state = json.loads((sim / "state.json").read_text())
        assert state["log"][0]["summary"] == "I will look into the quarterly figures next (4)."
        assert state["log"][0]["steps"] == 2  # list_dir and the closing end_day
        warnings = json.loads((sim / "summary.json").read_text())["usage"]["warnings"]
        assert any("without a tool call" in w for w in warnings)
    finally:
        fake.close()


def test_tool_schemas_match_the_env_tools_exactly() -> None:
    definitions = tool_definitions()
    assert [d["name"] for d in definitions] == list(REGISTRY)
    for d in definitions:
        spec = REGISTRY[d["name"]]
        assert d["input_schema"] == spec.input_schema()
        assert set(d["input_schema"].get("properties", {})) == set(spec.args_model.model_fields)


def test_the_claude_policy_without_a_key_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    made = create_computers(CreateRequest.from_cli(out=tmp_path, n=1, seed=13, os_name="macos", personas=None, workers=1))
    result = CliRunner().invoke(app, ["simulate", str(computer_dir(tmp_path, made[0].id)), "--policy", "claude",
                                      "--sandbox", "local"])
    assert result.exit_code == 2 and result.output.startswith("error:") and "ANTHROPIC_API_KEY" in result.output
