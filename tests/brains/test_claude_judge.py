"""The Claude judge sees the rubric, the text and the rendered pages; its scores are validated."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from synthcomp.cli import app
from synthcomp.computer.batch import CreateRequest, create_computers
from synthcomp.sim.runner import SimConfig, run_simulation
from synthcomp.workspace import computer_dir, sim_dir
from tests.brains.fake_anthropic import FakeAnthropic, tool_use


def scoring_model(body: dict[str, Any]) -> list[dict[str, Any]]:
    rubric_text = body["messages"][0]["content"][0]["text"]
    rubric = json.loads(re.search(r"```json\n(.*)\n```", rubric_text, re.S).group(1))
    return tool_use({"criteria": [{"id": c["id"], "score": 0.5, "evidence": "looked at it"} for c in rubric["criteria"]],
                     "summary": "Half way there."})


def rubric_model(body: dict[str, Any]) -> list[dict[str, Any]]:
    """A rubric drafter: present / opens / renders for every deliverable output it is shown."""
    facts = json.loads(re.search(r"```json\n(.*?)\n```", body["messages"][0]["content"], re.S).group(1))
    criteria = [{"id": f"c{i}", "text": f"{o['path']} {kind}", "deliverable": d["id"], "kind": kind, "path": o["path"]}
                for d in facts["deliverables"] for o in d["outputs"] for i, kind in enumerate(("file_present", "opens", "renders"))]
    return tool_use({"criteria": criteria})


@pytest.mark.bwrap
def test_judge_on_claude_with_screenshots(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = create_computers(CreateRequest.from_cli(out=tmp_path, n=1, seed=23, os_name="windows", personas=None, workers=1))
    computer = computer_dir(tmp_path, made[0].id)
    run_simulation(SimConfig(computer=computer, policy="scripted", days=3, sandbox="local"))
    sim = sim_dir(tmp_path, f"{made[0].id}-scripted-s0")
    fake = FakeAnthropic()
    try:
        fake.replies += [rubric_model] * 5 + [scoring_model]
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        result = CliRunner().invoke(app, ["judge", str(sim), "--brain", "claude", "--base-url", fake.base_url])
        assert result.exit_code == 0, result.output
        assert "model usage: 6 request(s)" in result.output
        rubric = json.loads((sim / "rubric-claude.json").read_text())
        assert rubric["drafts"] == 5 and {c["kind"] for c in rubric["criteria"]} == {"file_present", "opens", "renders"}
        content = fake.requests[5]["messages"][0]["content"]
        images = [b for b in content if b["type"] == "image"]
        assert images and all(b["source"]["media_type"] == "image/png" for b in images)
        assert {r["model"] for r in fake.requests} == {"claude-opus-4-6"}
        judgement = json.loads((sim / "judgement.json").read_text())
        assert judgement["judge"] == "claude" and judgement["score"] == 0.5 and judgement["summary"] == "Half way there."
        assert CliRunner().invoke(app, ["report", str(sim)]).exit_code == 0  # the report reads the Claude rubric
    finally:
        fake.close()
