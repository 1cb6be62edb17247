"""The setup agent and the collaborators on Claude, through the real SDK against the fake API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from synthcomp.agents.setup import procedural_setup
from synthcomp.cli import app
from synthcomp.computer.batch import CreateRequest, create_computers
from synthcomp.computer.show import load_computer
from synthcomp.workspace import computer_dir, sim_dir
from tests.brains.fake_anthropic import FakeAnthropic, tool_use


def collaborator_model(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Answers in character, and asks for one change whenever a draft is attached."""
    prompt = body["messages"][0]["content"]
    changes = ["add a section on risks and issues"] if "Attached draft" in prompt else []
    return tool_use({"body": "Hello from the model.\nBest, Sam", "changes": changes})


@pytest.mark.bwrap
def test_simulate_with_a_claude_setup_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = create_computers(CreateRequest.from_cli(out=tmp_path, n=1, seed=21, os_name="macos", personas=None, workers=1))
    computer = computer_dir(tmp_path, made[0].id)
    planned = procedural_setup(load_computer(computer), seed=99, days=2)
    fake = FakeAnthropic()
    try:
        fake.replies.append(tool_use(planned.model_dump(mode="json")))
        fake.default = collaborator_model
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        result = CliRunner().invoke(app, ["simulate", str(computer), "--brain", "claude", "--policy", "scripted",
                                          "--days", "2", "--sandbox", "local", "--base-url", fake.base_url,
                                          "--model-setup", "claude-opus-4-6"])
        assert result.exit_code == 0, result.output
        request = fake.requests[0]
        assert request["model"] == "claude-opus-4-6"
        assert request["tools"][0]["input_schema"]["title"] == "SetupPlan"
        assert "Files on the computer" in request["messages"][0]["content"]
        sim = sim_dir(tmp_path, f"{made[0].id}-scripted-s0")
        assert json.loads((sim / "setup.json").read_text()) == planned.model_dump(mode="json")
        assert json.loads((sim / "judgement.json").read_text())["score"] > 0
        collaborator_calls = [r for r in fake.requests if r["tools"][0]["input_schema"]["title"] == "CollaboratorAnswer"]
        assert collaborator_calls and all(r["model"] == "claude-sonnet-4-6" for r in collaborator_calls)
        inbox = json.loads((sim / "state.json").read_text())["inbox"]
        assert any("Hello from the model." in m["body"] for m in inbox if m["sender"] != "me")
        usage = json.loads((sim / "summary.json").read_text())["usage"]
        assert usage["requests"] == len(fake.requests) and set(usage["by_role"]) == {"setup", "collaborator"}
    finally:
        fake.close()
