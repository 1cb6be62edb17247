"""Prompt caching and context management of the model work agent, through the real SDKs
against the fake API, which bills cache writes and reads and refuses over-long prompts
as the provider does."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from synthcomp.brains.model.anthropic import AnthropicBrainConfig
from synthcomp.brains.model.base import Billed
from synthcomp.brains.model.context import COMPACT_TO, ContextKeeper, estimate_tokens
from synthcomp.cli import app
from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.workspace import computer_dir, sim_dir
from tests.brains.busy_worker import BusyWorker
from tests.brains.fake_anthropic import FakeAnthropic, request_blocks


def _workday(tmp_path: Path, fake: FakeAnthropic, monkeypatch: pytest.MonkeyPatch, policy: str = "claude",
             settings: str = "") -> dict[str, Any]:
    """One model workday on a new computer in ``tmp_path`` (its own response cache); its summary."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    made = create_computers(CreateRequest.from_cli(out=tmp_path, n=1, seed=12, os_name="windows", personas=None,
                                                   workers=1))
    config = tmp_path / "models.toml"
    config.write_text(f"retries = 0\n{settings}")
    base_url = fake.base_url + ("/v1" if policy == "openai" else "")
    result = CliRunner().invoke(app, ["simulate", str(computer_dir(tmp_path, made[0].id)), "--policy", policy,
                                      "--days", "1", "--sandbox", "local", "--base-url", base_url,
                                      "--model-config", str(config)])
    assert result.exit_code == 0, result.output
    return json.loads((sim_dir(tmp_path, f"{made[0].id}-{policy}-s0") / "summary.json").read_text())


def _day_log(tmp_path: Path) -> list[dict[str, Any]]:
    return json.loads(next(tmp_path.glob("sims/*/*/state.json")).read_text())["log"]


@pytest.mark.bwrap
def test_a_long_workday_reads_most_of_its_input_from_the_cache_and_is_billed_for_it(
        tmp_path: Path, fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_api.default = BusyWorker(turns=40)
    usage = _workday(tmp_path / "cached", fake_api, monkeypatch)["usage"]
    assert usage["requests"] == 40 and usage["cache_read_share"] >= 0.8
    for request in fake_api.raw_requests:  # breakpoints on the tools, the system prompt and the newest turn
        assert "cache_control" in request["tools"][-1] and "cache_control" in request["system"][-1]
        assert "cache_control" in request["messages"][-1]["content"][-1]
    billed = Billed(usage["input_tokens"], usage["cache_write_tokens"], usage["cache_read_tokens"], usage["output_tokens"])
    assert usage["usd"] == pytest.approx(AnthropicBrainConfig(api_key="k").usd("claude-sonnet-4-6", billed), abs=1e-4)

    uncached = FakeAnthropic()
    try:
        uncached.default = BusyWorker(turns=40)
        plain = _workday(tmp_path / "plain", uncached, monkeypatch, settings="prompt_caching = false\n")["usage"]
    finally:
        uncached.close()
    assert plain["cache_read_tokens"] == plain["cache_write_tokens"] == 0
    assert not any("cache_control" in json.dumps(r) for r in uncached.raw_requests)
    assert usage["usd"] < plain["usd"] / 3  # the same day, a third of the price or less


@pytest.mark.bwrap
def test_an_openai_compatible_server_reports_its_own_cache_and_it_is_billed_at_its_rate(
        tmp_path: Path, fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_api.default = BusyWorker(turns=20)
    usage = _workday(tmp_path, fake_api, monkeypatch, policy="openai",
                     settings='[models]\nwork = "gpt-sonnet-like"\n')["usage"]
    assert not any("cache_control" in json.dumps(r) for r in fake_api.openai_requests)  # it caches by itself
    assert usage["cache_read_share"] >= 0.8 and usage["cache_write_tokens"] == 0
    assert usage["usd"] == pytest.approx((usage["input_tokens"] * 3 + usage["cache_read_tokens"] * 1.5
                                          + usage["output_tokens"] * 15) / 1e6, abs=1e-4)


@pytest.mark.bwrap
@pytest.mark.parametrize("policy", ["claude", "openai"])
def test_a_day_the_provider_refuses_as_too_long_is_compacted_and_still_completes(
        tmp_path: Path, fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch, policy: str) -> None:
    fake_api.default = BusyWorker(turns=60)  # 60 turns of 20,000-character reads: far past the window
    fake_api.context_window = 30_000  # the config believes the model has 128,000-200,000 tokens
    summary = _workday(tmp_path, fake_api, monkeypatch, policy=policy)
    refused = len(fake_api.requests) - summary["usage"]["requests"]
    assert refused >= 1
    assert summary["usage"]["requests"] == 60  # every turn answered after the refusal, the day ended by the model
    assert _day_log(tmp_path)[0]["summary"].startswith("Read ")
    assert sum(tokens for _, tokens in request_blocks(fake_api.requests[-1])) <= 30_000


@pytest.mark.bwrap
def test_a_configured_budget_keeps_every_request_under_it_without_a_refusal(
        tmp_path: Path, fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_api.default = BusyWorker(turns=50)
    fake_api.context_window = 60_000
    summary = _workday(tmp_path, fake_api, monkeypatch, settings="context_tokens = 40000\n")
    assert len(fake_api.requests) == summary["usage"]["requests"] == 50


@pytest.mark.bwrap
def test_a_window_too_small_for_anything_ends_the_day_early_instead_of_losing_it(
        tmp_path: Path, fake_api: FakeAnthropic, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_api.default = BusyWorker(turns=10)
    fake_api.context_window = 500  # smaller than the system prompt and tools
    _workday(tmp_path, fake_api, monkeypatch)
    assert "outgrew the model's context" in _day_log(tmp_path)[0]["summary"]


def _turn(i: int, result_chars: int) -> list[dict[str, Any]]:
    return [{"role": "assistant", "content": [{"type": "text", "text": f"reading file {i}"},
                                              {"type": "tool_use", "id": f"t{i}", "name": "read_file",
                                               "input": {"path": f"f{i}.md"}}]},
            {"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"t{i}",
                                          "content": f"file {i}\n" + "x" * result_chars, "is_error": False}]}]


def test_clearing_keeps_every_decision_and_the_newest_results_and_lands_well_under_the_budget() -> None:
    messages = [{"role": "user", "content": "Workday 1 briefing"}]
    for i in range(30):
        messages += _turn(i, 4_000)
    keeper = ContextKeeper(budget=20_000)
    fitted = keeper.fit(1_000, messages)
    assert 1_000 + estimate_tokens(fitted) <= 20_000 * COMPACT_TO
    assert fitted[0] == messages[0]
    assert [m for m in fitted if m["role"] == "assistant"] == [m for m in messages if m["role"] == "assistant"]
    results = [m["content"][0]["content"] for m in fitted if m["role"] == "user" and isinstance(m["content"], list)]
    assert results[0].startswith("[cleared ") and "'file 0'" in results[0] and "4,007 characters" in results[0]
    assert all(r.startswith("file ") for r in results[-3:])
    assert keeper.cleared == sum(r.startswith("[cleared ") for r in results)
    assert keeper.fit(1_000, fitted) == fitted  # a fitted day is left alone until it grows again


def test_a_refusal_lowers_the_budget_by_how_far_the_estimate_fell_short() -> None:
    keeper = ContextKeeper(budget=200_000)
    keeper.refused(sent_estimate=150_000, limit=100_000, count=300_000)
    assert keeper.budget == 50_000
    keeper.refused(sent_estimate=40_000, limit=None, count=None)
    assert keeper.budget == 30_000
