"""One system prompt: the SFT export trains on what the Claude policy is prompted with."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import gymnasium as gym

import synthcomp.env  # noqa: F401 - registers synthcomp/Workday-v1
from synthcomp.sim.episode import run_episode
from synthcomp.brains.model.anthropic import AnthropicBrainConfig
from synthcomp.env.export import run_conversations
from synthcomp.env.prompt import system_prompt
from synthcomp.policies.model import ModelPolicy


class _Model:
    """A client that records what the policy sends: list the home, then end the day."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.config = AnthropicBrainConfig(api_key="unused")  # the policy reads its context budget

    def create(self, role: str, *, system: str, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> dict:
        self.requests.append({"system": system, "first": messages[0]["content"]})
        done = len(self.requests) > 1
        call = {"type": "tool_use", "id": f"toolu_{len(self.requests)}", "name": "end_day" if done else "list_dir",
                "input": {"summary": "Looked around."} if done else {"path": "."}}
        return {"content": [call]}


def test_the_export_writes_the_system_prompt_the_claude_policy_sends(computers: dict[str, Path], tmp_path: Path) -> None:
    model = _Model()
    policy = ModelPolicy(model)  # type: ignore[arg-type]
    env = gym.make("synthcomp/Workday-v1", computer=computers["windows"], sandbox="fake", days=2, run_dir=tmp_path)
    try:
        for _ in range(2):
            run_episode(env, policy)
    finally:
        env.close()
    conversations = [c for _, c in run_conversations(tmp_path)]
    assert len(conversations) == 2 == len({r["first"] for r in model.requests})
    sent = {(r["system"], r["first"]) for r in model.requests}
    exported = {(c["messages"][0]["content"], c["messages"][1]["content"]) for c in conversations}
    assert exported == sent  # the same system turn before the same briefing, day after day
    assert {s for s, _ in sent} == {system_prompt()}


def test_skills_are_appended_to_the_same_prompt(tmp_path: Path) -> None:
    skill = tmp_path / "SKILL.md"
    skill.write_text("---\nname: x\n---\nAsk the data owners first.\n", encoding="utf-8")
    policy = ModelPolicy(_Model(), skills=[skill])  # type: ignore[arg-type]
    assert policy.system == system_prompt([skill.read_text(encoding="utf-8")])
    assert policy.system.startswith(system_prompt() + "\n\nSkills:\n") and policy.system.endswith("first.\n")
