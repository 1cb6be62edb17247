"""One budget per run that stops at a resumable checkpoint; models per role from a config file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synthcomp.cli import app
from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.workspace import computer_dir, sim_dir
from tests.brains.fake_anthropic import FakeAnthropic
from tests.brains.test_claude_judge import rubric_model
from tests.brains.test_claude_policy import work_model

FIXED_USAGE = {"input_tokens": 1000, "output_tokens": 200}
PER_REQUEST_USD = (1000 * 3.0 + 200 * 15.0) / 1_000_000
"""What one fake Sonnet reply billed ``FIXED_USAGE`` costs."""


@pytest.mark.bwrap
def test_a_spent_budget_stops_at_the_last_finished_day_and_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                   fake_api: FakeAnthropic) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    made = create_computers(CreateRequest.from_cli(out=tmp_path, n=1, seed=12, os_name="windows", personas=None, workers=1))
    computer = computer_dir(tmp_path, made[0].id)
    fake_api.default, fake_api.fixed_usage = work_model, FIXED_USAGE
    command = ["simulate", str(computer), "--policy", "claude", "--days", "2", "--sandbox", "local",
               "--base-url", fake_api.base_url]
    budget = 5 * PER_REQUEST_USD  # day 1 takes four requests; the budget runs out early on day 2
    stopped = CliRunner().invoke(app, [*command, "--budget-usd", f"{budget:.6f}"])
    assert stopped.exit_code == 3, stopped.output
    assert "days finished: 1 of 2" in stopped.output and "budget" in stopped.output
    sim = sim_dir(tmp_path, f"{made[0].id}-claude-s0")
    assert json.loads((sim / "progress.json").read_text())["last_finished_day"] == 0
    assert not (sim / "summary.json").exists()
    spent = len(fake_api.requests)
    assert spent == 5
    resumed = CliRunner().invoke(app, [*command, "--budget-usd", "1"])
    assert resumed.exit_code == 0, resumed.output
    assert len(fake_api.requests) == spent + 3  # day 2's first request came from the cache
    state = json.loads((sim / "state.json").read_text())
    assert len(state["log"]) == 2
    usage = json.loads((sim / "summary.json").read_text())["usage"]
    assert usage == {**usage, "requests": 3, "cached": 1}


def test_models_per_role_come_from_the_config_file_and_flags_win(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                 fake_api: FakeAnthropic) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    made = create_computers(CreateRequest.from_cli(out=tmp_path, n=1, seed=5, os_name="macos", personas=None, workers=1))
    settings = tmp_path / "models.toml"
    settings.write_text(f'base_url = "{fake_api.base_url}"\nretries = 0\n\n[models]\nrubric = "claude-haiku-4-5"\n')
    fake_api.default = rubric_model
    out = tmp_path / "rubric.json"
    result = CliRunner().invoke(app, ["rubric", str(computer_dir(tmp_path, made[0].id)), "--runs", "2",
                                      "--brain", "claude", "--model-config", str(settings), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert [r["model"] for r in fake_api.requests] == ["claude-haiku-4-5"] * 2
    rubric = json.loads(out.read_text())
    assert rubric["drafts"] == 2 and rubric["criteria"]
    assert "model usage: 2 request(s)" in result.output
    again = CliRunner().invoke(app, ["rubric", str(computer_dir(tmp_path, made[0].id)), "--runs", "1", "--brain",
                                     "claude", "--model-config", str(settings), "--model-rubric", "claude-opus-4-6"])
    assert again.exit_code == 0, again.output
    assert fake_api.requests[-1]["model"] == "claude-opus-4-6"


@pytest.mark.parametrize("content, problem", [
    ('[models]\nwork = 3\n', "models.work"),
    ('budget = 5\n', "budget"),
    ('models = [', "not TOML"),
])
def test_a_bad_config_file_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str,
                                             problem: str) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    settings = tmp_path / "models.toml"
    settings.write_text(content)
    result = CliRunner().invoke(app, ["create", "--out", str(tmp_path / "ws"), "--brain", "claude",
                                      "--model-config", str(settings)])
    assert result.exit_code == 2 and result.output.startswith("error: --model-config") and problem in result.output
    assert not (tmp_path / "ws").exists()
