"""The setup agent and the collaborators on Claude, through the real SDK against the fake API."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from synthcomp.agents.setup import procedural_setup
from synthcomp.cli import app
from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.computer.show import load_computer
from synthcomp.ospath import tree_reader
from synthcomp.workspace import computer_dir, sim_dir
from tests.brains.fake_anthropic import FakeAnthropic, tool_use


def collaborator_model(body: dict[str, Any]) -> list[dict[str, Any]]:
    """Answers in character; the changes a draft needs are decided by the world, not by it."""
    return tool_use({"body": "Hello from the model.\nBest, Sam"})


@pytest.mark.bwrap
def test_simulate_with_a_claude_setup_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = create_computers(CreateRequest.from_cli(out=tmp_path, n=1, seed=21, os_name="macos", personas=None, workers=1))
    computer = computer_dir(tmp_path, made[0].id)
    loaded = load_computer(computer)
    planned = procedural_setup(loaded, tree_reader(computer / "files", loaded.policy.os), seed=99, days=2)
    fake = FakeAnthropic()
    try:
        fake.replies.append(tool_use(planned.model_dump(mode="json", exclude={"truth", "private_files"})))
        fake.default = collaborator_model
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        result = CliRunner().invoke(app, ["simulate", str(computer), "--brain", "claude", "--policy", "scripted",
                                          "--days", "2", "--sandbox", "local", "--base-url", fake.base_url,
                                          "--model-setup", "claude-opus-4-6"])
        assert result.exit_code == 0, result.output
        request = fake.requests[0]
        assert request["model"] == "claude-opus-4-6"
        assert request["tools"][0]["input_schema"]["title"] == "SetupDraft"  # the truth is not the model's to write
        assert "Files on the computer" in request["messages"][0]["content"]
        sim = sim_dir(tmp_path, f"{made[0].id}-scripted-s0")
        setup = json.loads((sim / "setup.json").read_text())
        assert [d["id"] for d in setup["deliverables"]] == [d.id for d in planned.deliverables]
        assert [c["name"] for c in setup["collaborators"]] == [c.name for c in planned.collaborators]
        assert setup["truth"]["projects"] and setup["private_files"]  # grounded after the model answered
        assert json.loads((sim / "judgement.json").read_text())["score"] > 0
        collaborator_calls = [r for r in fake.requests if r["tools"][0]["input_schema"]["title"] == "CollaboratorAnswer"]
        assert collaborator_calls and all(r["model"] == "claude-sonnet-4-6" for r in collaborator_calls)
        inbox = json.loads((sim / "state.json").read_text())["inbox"]
        assert any("Hello from the model." in m["body"] for m in inbox if m["sender"] != "me")
        usage = json.loads((sim / "summary.json").read_text())["usage"]
        assert usage["requests"] == len(fake.requests) and set(usage["by_role"]) == {"setup", "collaborator"}
    finally:
        fake.close()
