"""simulate-many with a model work agent: the key reaches every worker but never the disk,
each simulation keeps its own budget, and one the budget stopped resumes on the next run."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from synthcomp.cli import app
from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.pool.manifest import read_manifest
from tests.brains.fake_anthropic import FakeAnthropic
from tests.brains.test_budget_and_settings import FIXED_USAGE, PER_REQUEST_USD
from tests.brains.test_claude_policy import work_model

KEY = "fleet-secret-key-1234"


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_api: FakeAnthropic) -> Path:
    """Two computers, the key in the environment and the fake model playing the work agent."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    fake_api.default, fake_api.fixed_usage = work_model, FIXED_USAGE
    create_computers(CreateRequest.from_cli(out=tmp_path, n=2, seed=12, os_name="mixed", personas=None, workers=1))
    return tmp_path


def _sims(workspace: Path) -> dict[str, dict]:
    return {key: r for (kind, key), r in read_manifest(workspace).items() if kind == "sim"}


@pytest.mark.bwrap
def test_a_fleet_of_claude_work_agents_runs_in_the_pool_and_never_writes_the_key(
        workspace: Path, fake_api: FakeAnthropic) -> None:
    result = CliRunner().invoke(app, ["simulate-many", str(workspace), "--policy", "claude", "--days", "1",
                                      "--sandbox", "local", "--concurrency", "2", "--base-url", fake_api.base_url])
    assert result.exit_code == 0, result.output
    sims = _sims(workspace)
    assert len(sims) == 2 and {r["status"] for r in sims.values()} == {"done"}
    assert all(r["policy"] == "claude" and r["usage"]["requests"] == 4 for r in sims.values())
    assert len(fake_api.requests) == 8  # four turns a day, one day, two computers
    leaked = [p for p in workspace.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]
    assert leaked == []


@pytest.mark.bwrap
def test_a_budget_stops_each_simulation_on_its_own_and_a_rerun_resumes_them(
        workspace: Path, fake_api: FakeAnthropic) -> None:
    command = ["simulate-many", str(workspace), "--policy", "claude", "--days", "2", "--sandbox", "local",
               "--concurrency", "2", "--base-url", fake_api.base_url]
    budget = 5 * PER_REQUEST_USD  # per simulation: day 1 takes four requests, day 2 runs out
    stopped = CliRunner().invoke(app, [*command, "--budget-usd", f"{budget:.6f}"])
    assert stopped.exit_code == 3, stopped.output
    assert "the budget stopped 2 of 2 simulations" in stopped.output
    sims = _sims(workspace)
    assert {r["status"] for r in sims.values()} == {"stopped"}
    assert {r["last_finished_day"] for r in sims.values()} == {0}
    assert len(fake_api.requests) == 10  # each simulation spent its own budget, not a shared one

    resumed = CliRunner().invoke(app, [*command, "--budget-usd", "1"])
    assert resumed.exit_code == 0, resumed.output
    sims = _sims(workspace)
    assert {r["status"] for r in sims.values()} == {"done"}
    assert all(r["days"] == 2 and r["usage"]["cached"] == 1 for r in sims.values())  # day 2 replayed, not redone
    again = CliRunner().invoke(app, [*command, "--budget-usd", "1"])
    assert again.exit_code == 0 and "skipped 2 finished" in again.output


def test_a_model_policy_without_its_key_fails_before_any_work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    result = CliRunner().invoke(app, ["simulate-many", str(tmp_path), "--policy", "claude", "--sandbox", "local"])
    assert result.exit_code == 2
    assert "ANTHROPIC_API_KEY" in result.output and "Traceback" not in result.output
    unknown = CliRunner().invoke(app, ["simulate-many", str(tmp_path), "--policy", "cluade", "--sandbox", "local"])
    assert unknown.exit_code == 2 and "did you mean 'claude'" in unknown.output
