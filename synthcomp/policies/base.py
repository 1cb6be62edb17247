"""The Policy contract, typed policy configs, and ``policy_by_name``.

A policy drives one ``WorkdayEnv`` (DESIGN.md, "Env contract"); the loop is
``synthcomp.sim.episode.run_episode(env, policy)``, which is::

    policy = policy_by_name("scripted", seed=0)
    observation, info = env.reset()
    policy.reset()
    while True:
        observation, reward, terminated, truncated, info = env.step(policy.act(observation, info))
        if terminated or truncated:   # the env ends the day: end_day or the step budget
            break

Contract:

- ``reset()`` is called with nothing after each ``env.reset()``: a new workday begins.
  What the policy remembers across days (files read, messages sent) is its own business;
  the next ``act`` receives the morning briefing and the reset ``info``, which alone
  carries ``objectives`` (the deliverables as dicts) and ``collaborators`` (names).
- ``act(observation, info)`` returns one tool call ``{"tool": name, "args": {...}}``,
  JSON-serializable (a fuzzer may also return a raw string, which the env parses as JSON
  and answers with ``tool_error`` when it is not a call). ``observation`` is the last
  tool result (or the briefing), ``info`` the env's info dict (``day``, ``date``,
  ``steps_left``, ``inbox_unread``, ``tool_error``, ...).
- Policies pickle: the simulation runner checkpoints them after each day.
- A policy never raises for an odd observation or info: whatever it is handed, it
  returns an action (at worst ``end_day``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal, Protocol, Union, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from synthcomp.brains.claude.client import ClaudeConfig, Usage, require_config
from synthcomp.errors import InputError, did_you_mean


@runtime_checkable
class Policy(Protocol):
    """Something that picks the next tool call of a workday (see the module docstring)."""

    name: str

    def reset(self) -> None:
        """A new workday begins (called after each ``env.reset()``)."""
        ...

    def act(self, observation: str, info: dict[str, Any]) -> dict[str, Any] | str:
        """The next tool call, ``{"tool": ..., "args": {...}}``; never raises."""
        ...


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    seed: int = Field(0, ge=0)
    """Seeds every random choice of the policy."""


class ScriptedPolicyConfig(_Config):
    """The deterministic offline baseline (``synthcomp.policies.scripted``)."""

    type: Literal["scripted"] = "scripted"
    skills: list[Path] = Field(default_factory=list)
    """SKILL.md files whose ``metadata.practices`` it adopts."""

    def build(self) -> Policy:
        from synthcomp.policies.scripted import ScriptedPolicy

        return ScriptedPolicy(seed=self.seed, skills=self.skills)


class RandomPolicyConfig(_Config):
    """Random valid-looking tool calls: the floor, and a fuzzer (``synthcomp.policies.random_policy``)."""

    type: Literal["random"] = "random"
    end_day_prob: float = Field(0.01, ge=0, le=1)
    """Chance that a step ends the day (0: the day only ends when the step budget is spent)."""
    junk_prob: float = Field(0.1, ge=0, le=1)
    """Chance that a step is malformed on purpose (bad JSON, unknown tool, bad arguments)."""

    def build(self) -> Policy:
        from synthcomp.policies.random_policy import RandomPolicy

        return RandomPolicy(seed=self.seed, end_day_prob=self.end_day_prob, junk_prob=self.junk_prob)


class ClaudePolicyConfig(_Config):
    """The Claude work agent (``synthcomp.policies.claude``); needs a Claude config."""

    type: Literal["claude"] = "claude"
    claude: ClaudeConfig
    """Key, endpoint, models (role "work"), budget and cache."""
    skills: list[Path] = Field(default_factory=list)
    """SKILL.md files loaded into the system prompt."""

    def build(self, usage: Usage | None = None) -> Policy:
        from synthcomp.brains.claude.client import ClaudeClient
        from synthcomp.policies.claude import ClaudePolicy

        config = self.claude.model_copy(update={"provider": "openai" if self.type == "openai" else "anthropic"})
        return ClaudePolicy(ClaudeClient(config, seed=self.seed, usage=usage), skills=self.skills)


class OpenAIPolicyConfig(ClaudePolicyConfig):
    """The same work agent on an OpenAI-compatible endpoint (vLLM, Ollama): a self-hosted
    model as the policy for RL. ``claude.base_url`` names the server, ``claude.models["work"]``
    the model it serves."""

    type: Literal["openai"] = "openai"  # type: ignore[assignment]


PolicyConfig = Annotated[Union[ScriptedPolicyConfig, RandomPolicyConfig, ClaudePolicyConfig, OpenAIPolicyConfig],
                         Field(discriminator="type")]
"""Any policy's config; parse with ``TypeAdapter(PolicyConfig).validate_python({"type": ...})``."""

POLICY_NAMES = ("scripted", "random", "claude", "openai")
MODEL_POLICIES = ("claude", "openai")


def policy_by_name(name: str, seed: int = 0, usage: Usage | None = None, **options: Any) -> Policy:
    """Build a policy by name with its config options.

    ``usage`` is the run's ledger, shared by every model-backed role so one budget holds.

    Raises:
        InputError: an unknown name (with the nearest known one), or bad options.
    """
    if name not in POLICY_NAMES:
        hint = did_you_mean(name, POLICY_NAMES)
        raise InputError(f"unknown policy {name!r}{hint}; policies: {', '.join(POLICY_NAMES)}")
    if name in MODEL_POLICIES:
        require_config(options.get("claude"), f"the {name} policy")
    try:
        config = TypeAdapter(PolicyConfig).validate_python({"type": name, "seed": seed, **options})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'][1:])) or name}: {e['msg']}" for e in exc.errors()[:4])
        raise InputError(f"bad options for the {name} policy: {problems}") from None
    return config.build(usage) if isinstance(config, ClaudePolicyConfig) else config.build()
