"""Know the cost before paying it: the estimate a model-backed run prints first, against
what the same run then billed on the fake API (which bills as the Messages API does,
prompt-cache writes and reads included), through the real SDK."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synthcomp.brains.model.anthropic import AnthropicBrainConfig
from synthcomp.brains.model.context import COMPACT_AT
from synthcomp.brains.model.estimate import Workday, price
from synthcomp.brains.procedural import ProceduralCreationBrain
from synthcomp.cli import app
from synthcomp.computer.personas import load_catalog
from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.sim.config import SimConfig
from synthcomp.sim.runner import run_simulation
from synthcomp.workspace import computer_dir, sim_dir
from tests.brains.busy_worker import BusyWorker
from tests.brains.fake_anthropic import FakeAnthropic
from tests.brains.test_claude_creation import ProceduralModel
from tests.brains.test_claude_judge import rubric_model, scoring_model

TURNS = 30
"""The busy worker's turns in a day, and the step budget the estimate is given."""


def _estimated_usd(output: str) -> float:
    return float(re.search(r"^estimate: .*?~\$([\d,.]+) \(", output, re.M).group(1).replace(",", ""))


def _billed_usd(output: str) -> float:
    return float(re.search(r"model usage: .*?\$([\d.]+)", output, re.S).group(1))


def _within_2x(estimate: float, billed: float) -> None:
    assert billed > 0 and 0.5 <= estimate / billed <= 2, f"estimated ${estimate:.4f}, billed ${billed:.4f}"


def _settings(tmp_path: Path, caching: bool) -> list[str]:
    config = tmp_path / f"models-{caching}.toml"
    config.write_text(f"retries = 0\nprompt_caching = {str(caching).lower()}\n")
    return ["--model-config", str(config)]


def test_a_dry_run_calls_no_model_and_writes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     fake_api: FakeAnthropic) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    out = tmp_path / "ws"
    result = CliRunner().invoke(app, ["create", "--n", "4", "--out", str(out), "--brain", "claude",
                                      "--base-url", fake_api.base_url, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("estimate: ~") and re.search(r"^  creation +\d", result.output, re.M)
    assert fake_api.requests == [] and not out.exists()

    made = create_computers(CreateRequest.from_cli(out=out, n=1, seed=3, os_name="macos", personas=None, workers=1))
    computer = computer_dir(out, made[0].id)
    result = CliRunner().invoke(app, ["simulate", str(computer), "--policy", "claude", "--brain", "claude",
                                      "--base-url", fake_api.base_url, "--dry-run"])
    assert result.exit_code == 0, result.output
    assert {"setup", "collaborator", "work"} <= set(re.findall(r"^  (\w+) +[\d,]+ requests", result.output, re.M))
    assert fake_api.requests == [] and not (out / "sims").exists()
    monkeypatch.delenv("ANTHROPIC_API_KEY")  # a dry run calls nothing, so it needs no key
    keyless = CliRunner().invoke(app, ["simulate", str(computer), "--policy", "claude", "--dry-run"])
    assert keyless.exit_code == 0 and keyless.output.startswith("estimate: ~"), keyless.output
    offline = CliRunner().invoke(app, ["simulate", str(computer), "--dry-run"])
    assert offline.exit_code == 0 and "no model is called" in offline.output and not (out / "sims").exists()


def test_the_creation_estimate_is_within_2x_of_the_bill(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       fake_api: FakeAnthropic) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    request = CreateRequest.from_cli(out=tmp_path / "ws", n=1, seed=4, os_name="windows", personas=None, workers=1)
    model = ProceduralModel()
    model.brain = ProceduralCreationBrain(load_catalog(), request.jobs()[0].computer_seed)  # this computer's stand-in
    fake_api.default = model
    result = CliRunner().invoke(app, ["create", "--n", "1", "--seed", "4", "--os", "windows", "--out",
                                      str(tmp_path / "ws"), "--brain", "claude", "--base-url", fake_api.base_url])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("estimate: ~")  # before the work
    _within_2x(_estimated_usd(result.output), _billed_usd(result.output))


def test_a_long_day_stays_inside_the_context_and_caching_pays_for_it() -> None:
    day = Workday(turns=150, fixed=1_500)
    requests = day.requests(budget=60_000)
    assert max(r.prompt for r in requests) <= 60_000 * COMPACT_AT + day.result + day.call
    assert any(i and not r.repeated for i, r in enumerate(requests))  # cleared: only the tools and system read back
    config = AnthropicBrainConfig(api_key="test-key")
    cached = price(config, requests).total
    plain = price(config.model_copy(update={"prompt_caching": False}), requests).total
    assert cached.cache_read_tokens > 0.8 * cached.prompt_tokens and plain.cache_read_tokens == 0
    assert plain.prompt_tokens == cached.prompt_tokens and plain.usd > 2 * cached.usd


@pytest.mark.bwrap
def test_a_workday_estimate_is_within_2x_of_the_bill_and_caching_off_costs_more(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_api: FakeAnthropic) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    made = create_computers(CreateRequest.from_cli(out=tmp_path, n=1, seed=12, os_name="windows", personas=None,
                                                   workers=1))
    fake_api.default = BusyWorker(TURNS)
    costs = {}
    for caching in (True, False):
        shutil.rmtree(tmp_path / "sims", ignore_errors=True)  # the other setting's run
        result = CliRunner().invoke(app, ["simulate", str(computer_dir(tmp_path, made[0].id)), "--policy", "claude",
                                          "--days", "1", "--steps", str(TURNS), "--sandbox", "local",
                                          "--base-url", fake_api.base_url, *_settings(tmp_path, caching)])
        assert result.exit_code == 0, result.output
        usage = json.loads((sim_dir(tmp_path, f"{made[0].id}-claude-s0") / "summary.json").read_text())["usage"]
        assert usage["requests"] == TURNS
        costs[caching] = _estimated_usd(result.output), usage["usd"]
        _within_2x(*costs[caching])
    assert costs[False][0] > costs[True][0] and costs[False][1] > costs[True][1]


@pytest.mark.bwrap
def test_the_judge_estimate_is_within_2x_of_the_bill(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                    fake_api: FakeAnthropic) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "test-key")
    made = create_computers(CreateRequest.from_cli(out=tmp_path, n=1, seed=23, os_name="windows", personas=None,
                                                   workers=1))
    run_simulation(SimConfig(computer=computer_dir(tmp_path, made[0].id), policy="scripted", days=3, sandbox="local"))
    sim = sim_dir(tmp_path, f"{made[0].id}-scripted-s0")
    fake_api.replies += [rubric_model] * 5
    fake_api.default = scoring_model
    command = ["judge", str(sim), "--brain", "claude", "--no-render", "--base-url", fake_api.base_url]
    dry = CliRunner().invoke(app, [*command, "--dry-run"])
    assert dry.exit_code == 0 and fake_api.requests == [] and not (sim / "rubric-claude.json").exists()
    result = CliRunner().invoke(app, command)
    assert result.exit_code == 0, result.output
    assert _estimated_usd(result.output) == _estimated_usd(dry.output)
    _within_2x(_estimated_usd(result.output), _billed_usd(result.output))
