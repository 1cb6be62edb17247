"""The config tree: one SimConfig of typed policy, sandbox and brain, recorded without secrets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from synthcomp.brains.model.anthropic import AnthropicBrainConfig
from synthcomp.brains.model.config import ProceduralBrainConfig
from synthcomp.cli import app
from synthcomp.errors import InputError
from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.policies import ModelPolicyConfig, RandomPolicyConfig, ScriptedPolicyConfig, policy_config
from synthcomp.sandbox.config import DockerSandboxConfig, LocalSandboxConfig, sandbox_config
from synthcomp.sim.config import SimConfig, SimSettings
from synthcomp.sim.runner import check_settings, sim_dir_for

SECRET = "sk-test-never-on-disk"


def _claude(**options) -> AnthropicBrainConfig:
    return AnthropicBrainConfig(api_key=SECRET, budget_usd=2.0, cache_dir=Path("/tmp/cache"), **options)


def test_names_stand_for_default_configs_and_the_policy_takes_the_simulation_seed() -> None:
    config = SimConfig(computer=Path("ws/computers/ab/win-1"), policy="random", sandbox="local", seed=7)
    assert config.sandbox == LocalSandboxConfig()
    assert config.brain == ProceduralBrainConfig()
    assert config.policy == RandomPolicyConfig(seed=7)
    assert config.sim_id == "win-1-random-s7"
    assert SimSettings(policy="scripted").sandbox == DockerSandboxConfig()


def test_a_model_policy_is_named_after_its_provider_and_dumps_without_key_budget_or_cache() -> None:
    settings = SimSettings(policy=policy_config("claude", 3, brain=_claude()), brain=_claude(), seed=3)
    config = settings.on(Path("ws/computers/ab/mac-9"))
    assert config.sim_id == "mac-9-claude-s3"
    recorded = config.model_dump_json()
    assert SECRET not in recorded and "budget_usd" not in recorded and "cache_dir" not in recorded
    back = SimConfig.model_validate_json(recorded)  # a record reads back, and can be shown but not run
    assert isinstance(back.policy, ModelPolicyConfig) and back.policy.name == "claude"
    with pytest.raises(InputError, match="ANTHROPIC_API_KEY"):
        back.brain.client()


def test_skills_need_a_policy_that_loads_them() -> None:
    with pytest.raises(ValidationError, match="random policy takes no skills"):
        SimSettings(policy="random", skills=[Path("SKILL.md")])
    assert SimSettings(policy="scripted", skills=[Path("SKILL.md")]).policy == ScriptedPolicyConfig()
    result = CliRunner().invoke(app, ["simulate", "ws/computers/ab/win-1", "--policy", "random", "--skill", "x.md"])
    assert result.exit_code == 2 and "error: the random policy takes no skills" in result.output


def test_a_model_policy_needs_its_provider_brain() -> None:
    with pytest.raises(InputError, match="ANTHROPIC_API_KEY"):
        policy_config("claude")
    with pytest.raises(InputError, match="given a claude brain"):
        policy_config("openai", brain=_claude())


def test_sandbox_limits_come_from_a_toml_file(tmp_path: Path) -> None:
    limits = tmp_path / "sandbox.toml"
    limits.write_text("memory_mb = 768\npids = 64\n")
    assert sandbox_config("docker", limits) == DockerSandboxConfig(memory_mb=768, pids=64)
    limits.write_text("pidz = 64\n")
    with pytest.raises(InputError, match=r"--sandbox-config .*pidz: Extra inputs are not permitted"):
        sandbox_config("docker", limits)
    limits.write_text("disk_mb = 4000\n")
    with pytest.raises(InputError, match="disk_mb"):
        sandbox_config("local", limits)
    with pytest.raises(InputError, match="--sandbox must be docker or local"):
        sandbox_config("vm")


def test_a_simulation_recorded_before_the_tree_compares_alike(tmp_path: Path) -> None:
    computer = tmp_path / "computers" / "ab" / "win-1"
    config = SimConfig(computer=computer, policy="scripted", sandbox="local", days=3)
    sim = sim_dir_for(config)
    sim.mkdir(parents=True)
    flat = {"computer": str(computer), "policy": "scripted", "days": 3, "sandbox": "local", "seed": 0,
            "step_budget": 150, "brain": "procedural", "skills": []}
    (sim / "sim.json").write_text(json.dumps(flat))
    check_settings(config)  # the same settings, written the old way
    with pytest.raises(InputError, match="days 3, not 4"):
        check_settings(config.model_copy(update={"days": 4}))


@pytest.mark.bwrap
def test_cli_sandbox_limits_reach_the_recorded_simulation(tmp_path: Path) -> None:
    create_computers(CreateRequest.from_cli(out=tmp_path, n=1, seed=5, os_name="windows", personas=None, workers=1))
    computer = next((tmp_path / "computers").glob("*/*"))
    limits = tmp_path / "limits.toml"
    limits.write_text("memory_mb = 768\nmax_processes = 128\n")
    result = CliRunner().invoke(app, ["simulate", str(computer), "--days", "1", "--sandbox", "local",
                                      "--sandbox-config", str(limits)])
    assert result.exit_code == 0, result.output
    recorded = json.loads(next((tmp_path / "sims").glob("*/*/sim.json")).read_text())
    assert recorded["sandbox"]["memory_mb"] == 768 and recorded["sandbox"]["max_processes"] == 128
    limits.write_text("memory_mb = 1\n")
    bad = CliRunner().invoke(app, ["simulate", str(computer), "--sandbox", "local", "--sandbox-config", str(limits)])
    assert bad.exit_code == 2 and "--sandbox-config" in bad.output and "memory_mb" in bad.output
