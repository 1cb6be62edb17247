"""The Claude rubric and judge end to end: `synthcomp judge --brain claude` on a scripted
simulation, against the local fake Messages API. Unit-level cases (batches of pages,
repairs, degrading) are in ``test_claude_judge_pages.py``."""

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
from synthcomp.workspace import computer_dir, sim_dir
from tests.brains.fake_anthropic import FakeAnthropic, tool_use

PROSE = {"docx", "pdf", "pptx", "md", "txt"}


def scoring_model(body: dict[str, Any]) -> list[dict[str, Any]]:
    """A judge: integrity passes, everything else scores 0.5."""
    criteria = json.loads(re.search(r"Criteria:\n```json\n(.*?)\n```", body["messages"][0]["content"][0]["text"],
                                    re.S).group(1))
    return tool_use({"criteria": [{"id": c["id"], "score": 1 if c["kind"] == "integrity" else 0.5,
                                   "evidence": "looked at it", "spans": ["a quoted row"]} for c in criteria],
                     "summary": "Half way there."})


def rubric_model(body: dict[str, Any]) -> list[dict[str, Any]]:
    """A rubric drafter that follows the conventions: for every output it is shown, an integrity gate,
    its deliverable's figures, a coverage criterion per required topic (prose files), a page range,
    and a revisions criterion per change a review of it asked for."""
    facts = json.loads(re.search(r"```json\n(.*?)\n```", body["messages"][0]["content"], re.S).group(1))
    criteria = []
    for d in facts["deliverables"]:
        for o in d["outputs"]:
            def add(kind: str, **extra: Any) -> None:
                criteria.append({"kind": kind, "deliverable": d["id"], "path": o["path"], "text": f"{o['path']} {kind}",
                                 **extra})
            add("integrity")
            if d["expected_figures"]:
                add("figures", expect=[f["id"] for f in d["expected_figures"]])
            for topic in d["required_topics"] if o["artifact_type"] in PROSE else []:
                add("coverage", expect=[topic])
            add("visual", low=1, high=40)
            for review in (r for r in d["reviews"] if r["path"] == o["path"]):
                for change in review["changes"]:
                    add("revisions", expect=[change["expect"]], before=review["before"])
    return tool_use({"criteria": criteria})


@pytest.mark.bwrap
def test_judge_on_claude_with_every_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    made = create_computers(CreateRequest.from_cli(out=tmp_path, n=1, seed=23, os_name="windows", personas=None, workers=1))
    computer = computer_dir(tmp_path, made[0].id)
    run_simulation(SimConfig(computer=computer, policy="scripted", days=3, sandbox="local"))
    sim = sim_dir(tmp_path, f"{made[0].id}-scripted-s0")
    fake = FakeAnthropic()
    try:
        fake.replies += [rubric_model] * 5
        fake.default = scoring_model
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
        result = CliRunner().invoke(app, ["judge", str(sim), "--brain", "claude", "--base-url", fake.base_url])
        assert result.exit_code == 0, result.output
        assert f"model usage: {len(fake.requests)} request(s)" in result.output
        rubric = json.loads((sim / "rubric-claude.json").read_text())
        assert rubric["drafts"] == 5 and {"integrity", "figures", "visual"} <= {c["kind"] for c in rubric["criteria"]}
        assert all(c["weight"] == 0 for c in rubric["criteria"] if c["kind"] == "integrity")
        judged = fake.requests[5:]
        assert judged and {r["tools"][0]["input_schema"]["title"] for r in judged} == {"ClaudeScores"}
        images = [b for r in judged for b in r["messages"][0]["content"] if b["type"] == "image"]
        rendered = sorted((sim / "renders").glob("*/page-*.png"))
        assert rendered and len(images) == len(rendered)  # every rendered page, each once
        assert all(b["source"]["media_type"] == "image/png" for b in images)
        assert {r["model"] for r in fake.requests} == {"claude-opus-4-6"}
        judgement = json.loads((sim / "judgement.json").read_text())
        assert judgement["judge"] == "claude" and "Half way there." in judgement["summary"]
        assert {r["id"] for r in judgement["criteria"]} == {c["id"] for c in rubric["criteria"]}
        assert 0 < judgement["score"] <= 0.5
        assert CliRunner().invoke(app, ["report", str(sim)]).exit_code == 0  # the report reads the Claude rubric
    finally:
        fake.close()
