"""The retrospective on Claude: it reads the judged trajectory; invented citations are sent back."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from synthcomp.cli import app
from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.sim.config import SimConfig
from synthcomp.sim.runner import run_simulation
from synthcomp.workspace import computer_dir, sim_dir, workspace_of
from tests.brains.fake_anthropic import FakeAnthropic, tool_use


def findings(sim: str, day: int, step: int) -> list[dict[str, Any]]:
    return tool_use({"worked": ["Read the sources first."], "failed": ["Drafted before the owner replied."],
                     "items": [{"situation": "The report was drafted on day 2.", "lesson": "Wait for the data owner.",
                                "kind": "failure", "practice": "wait-for-data-owners",
                                "evidence": [{"sim": sim, "day": day, "step": step}]}]})


@pytest.mark.bwrap
def test_a_retrospective_written_by_claude_cites_real_steps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            fake_api: FakeAnthropic) -> None:
    made = create_computers(CreateRequest.from_cli(out=tmp_path, n=1, seed=4, os_name="windows", personas=None, workers=1))
    computer = computer_dir(tmp_path, made[0].id)
    run_simulation(SimConfig(computer=computer, policy="scripted", days=3, sandbox="local"))
    sim = sim_dir(workspace_of(computer), f"{made[0].id}-scripted-s0")
    relative = sim.relative_to(tmp_path).as_posix()
    fake_api.replies += [findings(relative, 99, 1), findings(relative, 1, 2)]
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    result = CliRunner().invoke(app, ["retrospect", str(sim), "--brain", "claude", "--base-url", fake_api.base_url])
    assert result.exit_code == 0, result.output
    assert len(fake_api.requests) == 2 and fake_api.requests[0]["model"] == "claude-opus-4-6"
    prompt = fake_api.requests[0]["messages"][0]["content"]
    assert re.search(r"^d0\.s1 \w+", prompt, re.M) and "Rubric results" in prompt
    repair = fake_api.requests[1]["messages"][-1]["content"][0]
    assert repair["is_error"] and "d99.s1" in repair["content"]
    report = json.loads((sim / "retrospective.json").read_text())
    (item,) = report["items"]
    line = (sim / "days" / "01" / "trajectory.jsonl").read_text().splitlines()[2]
    assert item["evidence"][0]["tool"] == json.loads(line)["info"]["tool"] and item["practice"] == "wait-for-data-owners"
    assert "model usage: 2 request(s)" in result.output
