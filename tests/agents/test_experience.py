"""Experiential learning end to end: simulate training computers, write retrospectives,
mine occupation skills, and evaluate the scripted policy with and without them on
held-out computers (paper 4.2.2-4.2.3), offline."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synthcomp.cli import app
from synthcomp.models import Retrospective
from synthcomp.skillmd import read_skill
from synthcomp.workspace import sim_dirs

pytestmark = pytest.mark.bwrap
runner = CliRunner()
DAYS = "6"


def _ok(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    ws = tmp_path_factory.mktemp("learning") / "ws"
    _ok("create", "--out", str(ws), "--n", "10", "--seed", "5", "--concurrency", "2")
    _ok("split", str(ws), "--held-out", "0.3")
    _ok("simulate-many", str(ws), "--computers", "train", "--days", DAYS, "--sandbox", "local", "--concurrency", "2")
    skills = ws.parent / "skills"
    _ok("skills", str(ws), "--out", str(skills))
    return ws, skills


def _cited_line(ws: Path, citation: str) -> dict:
    path, line = citation.rsplit("#L", 1)
    return json.loads((ws / path).read_text().splitlines()[int(line) - 1])


def test_a_retrospective_explains_lost_criteria_with_steps_that_show_it(trained: tuple[Path, Path]) -> None:
    ws, _ = trained
    reports = [Retrospective.model_validate_json((d / "retrospective.json").read_text()) for d in sim_dirs(ws)]
    assert reports and all((d / "retrospective.md").is_file() for d in sim_dirs(ws))
    imperfect = [r for r in reports if r.score < 1]
    assert imperfect, "the baseline loses criteria somewhere"
    for report in imperfect:
        lessons = {i.practice for i in report.items if i.kind == "failure"}
        assert lessons & {"wait-for-data-owners", "revise-after-feedback"}, report.failed
    for report in reports:
        for item in report.items:
            for ref in item.evidence:
                step = _cited_line(ws, ref.cite())
                assert step["event"] == "step" and step["info"]["tool"] == ref.tool


def test_every_lesson_in_a_skill_points_back_to_its_trajectories(trained: tuple[Path, Path]) -> None:
    ws, skills = trained
    index = json.loads((skills / "index.json").read_text())
    assert {g["group"] for g in index["groups"]} == {"occupation", "industry", "general"}
    for group in index["groups"]:
        skill = read_skill(skills / group["name"])
        assert skill["name"] == group["name"] and re.fullmatch(r"[a-z0-9-]{1,64}", skill["name"])
        assert 0 < len(skill["description"]) <= 1024
        lessons = re.findall(r"^\d+\. \*\*(.+?)\*\* \(seen in (\d+) of", skill["body"], re.M)
        assert lessons and [int(n) for _, n in lessons] == sorted((int(n) for _, n in lessons), reverse=True)
        evidence = re.findall(r"^   - Evidence: (.+)$", skill["body"], re.M)
        assert len(evidence) == len(lessons)
        for line in evidence:
            for citation in re.findall(r"`([^`]+#L\d+)`", line):
                assert _cited_line(ws, citation)["event"] == "step"
    general = read_skill(skills / "general-office-work")
    assert {"wait-for-data-owners", "revise-after-feedback"} <= set(general["metadata"]["practices"])
    held_out = set(json.loads((ws / "split.json").read_text())["held_out"])
    assert not held_out & set(index["train_computers"]), "held-out computers never teach"


def test_skills_raise_the_scripted_policy_on_held_out_computers(trained: tuple[Path, Path]) -> None:
    ws, skills = trained
    output = _ok("evaluate", str(ws), "--policy", "scripted", "--skills", str(skills), "--computers", "held-out",
                 "--days", DAYS, "--sandbox", "local", "--concurrency", "2")
    assert "win" in output.lower()
    evaluation = json.loads(next((ws / "evaluations").glob("*.json")).read_text())
    rows = evaluation["computers"]
    assert rows and all(r["skill"] for r in rows), "every held-out computer finds a skill"
    baseline = [r["baseline"] for r in rows]
    skilled = [r["with_skills"] for r in rows]
    assert sum(skilled) > sum(baseline) and all(s >= b for s, b in zip(skilled, baseline))
    without = _ok("evaluate", str(ws), "--policy", "scripted", "--computers", "held-out", "--days", DAYS,
                  "--sandbox", "local", "--concurrency", "2")
    assert without  # the baseline alone: its scores are the same simulations, unchanged
    again = json.loads(sorted((ws / "evaluations").glob("*none*.json"))[0].read_text())
    assert [r["baseline"] for r in again["computers"]] == baseline


def test_the_claude_policy_puts_the_matching_skill_in_its_system_prompt(trained: tuple[Path, Path],
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.brains.fake_anthropic import FakeAnthropic, tool_use

    ws, skills = trained
    held_out = json.loads((ws / "split.json").read_text())["held_out"][0]
    computer = next(d for d in (ws / "computers").glob(f"*/{held_out}"))
    index = json.loads((skills / "index.json").read_text())
    fake = FakeAnthropic()
    fake.default = tool_use({"summary": "Done for today."}, name="end_day")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    try:
        result = runner.invoke(app, ["simulate", str(computer), "--policy", "claude", "--days", "1", "--sandbox",
                                     "local", "--base-url", fake.base_url, "--skill", str(skills)])
        assert result.exit_code == 0, result.output
        system = fake.requests[0]["system"]
        names = [g["name"] for g in index["groups"] if f"name: {g['name']}\n" in system]
        assert len(names) == 1 and "Lessons, most frequent first" in system
    finally:
        fake.close()
