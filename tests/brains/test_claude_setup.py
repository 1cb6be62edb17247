"""The setup agent on Claude, through the real SDK against the fake API."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synthcomp.agents.setup import procedural_setup
from synthcomp.cli import app
from synthcomp.computer.batch import CreateRequest, create_computers
from synthcomp.computer.show import load_computer
from tests.brains.fake_anthropic import FakeAnthropic, tool_use


@pytest.mark.bwrap
def test_simulate_with_a_claude_setup_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = create_computers(CreateRequest.from_cli(out=tmp_path, n=1, seed=21, os_name="macos", personas=None, workers=1))
    computer = tmp_path / "computers" / made[0].id
    planned = procedural_setup(load_computer(computer), seed=99, days=2)
    fake = FakeAnthropic()
    try:
        fake.replies.append(tool_use(planned.model_dump(mode="json")))
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        result = CliRunner().invoke(app, ["simulate", str(computer), "--brain", "claude", "--policy", "scripted",
                                          "--days", "2", "--sandbox", "local", "--base-url", fake.base_url,
                                          "--model-setup", "claude-opus-4-6"])
        assert result.exit_code == 0, result.output
        request = fake.requests[0]
        assert request["model"] == "claude-opus-4-6"
        assert request["tools"][0]["input_schema"]["title"] == "SetupPlan"
        assert "Files on the computer" in request["messages"][0]["content"]
        sim = tmp_path / "sims" / f"{made[0].id}-scripted-s0"
        assert json.loads((sim / "setup.json").read_text()) == planned.model_dump(mode="json")
        assert json.loads((sim / "judgement.json").read_text())["score"] > 0
    finally:
        fake.close()
