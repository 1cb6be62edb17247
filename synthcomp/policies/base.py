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
from typing import Annotated, Any, Literal, Protocol, Union, get_args, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from synthcomp.brains.model.client import Usage
from synthcomp.brains.model.config import PROVIDERS, ModelBrain
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

    @property
    def name(self) -> str:
        """What the CLI, sim ids and records call this policy."""
        return self.type  # type: ignore[attr-defined]

    @property
    def loads_skills(self) -> bool:
        """Whether this policy takes SKILL.md files."""
        return "skills" in type(self).model_fields

    def build(self, usage: Usage | None = None) -> Policy:
        """The policy (``usage``: the run's ledger, for policies that call a model)."""
        raise NotImplementedError


class ScriptedPolicyConfig(_Config):
    """The deterministic offline baseline (``synthcomp.policies.scripted``)."""

    type: Literal["scripted"] = "scripted"
    skills: list[Path] = Field(default_factory=list)
    """SKILL.md files whose ``metadata.practices`` it adopts."""

    def build(self, usage: Usage | None = None) -> Policy:
        from synthcomp.policies.scripted import ScriptedPolicy

        return ScriptedPolicy(seed=self.seed, skills=self.skills)


class RandomPolicyConfig(_Config):
    """Random valid-looking tool calls: the floor, and a fuzzer (``synthcomp.policies.random_policy``)."""

    type: Literal["random"] = "random"
    end_day_prob: float = Field(0.01, ge=0, le=1)
    """Chance that a step ends the day (0: the day only ends when the step budget is spent)."""
    junk_prob: float = Field(0.1, ge=0, le=1)
    """Chance that a step is malformed on purpose (bad JSON, unknown tool, bad arguments)."""

    def build(self, usage: Usage | None = None) -> Policy:
        from synthcomp.policies.random_policy import RandomPolicy

        return RandomPolicy(seed=self.seed, end_day_prob=self.end_day_prob, junk_prob=self.junk_prob)


class ModelPolicyConfig(_Config):
    """A model as the work agent (``synthcomp.policies.model``) on any provider: Claude, or
    a self-hosted model behind an OpenAI-compatible endpoint as the policy for RL. It is
    named after its provider (``claude``, ``openai``)."""

    type: Literal["model"] = "model"
    brain: ModelBrain
    """Provider, key, endpoint, models (role "work"), budget and cache."""
    skills: list[Path] = Field(default_factory=list)
    """SKILL.md files loaded into the system prompt."""

    @property
    def name(self) -> str:
        return self.brain.type

    def build(self, usage: Usage | None = None) -> Policy:
        from synthcomp.policies.model import ModelPolicy

        return ModelPolicy(self.brain.client(seed=self.seed, usage=usage), skills=self.skills, name=self.name)


PolicyConfig = Annotated[Union[ScriptedPolicyConfig, RandomPolicyConfig, ModelPolicyConfig], Field(discriminator="type")]
"""Any policy's config; parse with ``TypeAdapter(PolicyConfig).validate_python({"type": ...})``."""

POLICY_NAMES = (*(cls.model_fields["type"].default for cls in get_args(get_args(PolicyConfig)[0])
                  if cls is not ModelPolicyConfig), *PROVIDERS)
"""Every name ``policy_config`` takes: the offline policies, then the model work agent per provider."""


def policy_config(name: str, seed: int = 0, **options: Any) -> ScriptedPolicyConfig | RandomPolicyConfig | ModelPolicyConfig:
    """The config of the policy called ``name`` with its options; a provider's name
    (``claude``, ``openai``) needs ``brain=`` that provider's config.

    Raises:
        InputError: an unknown name (with the nearest known one), a missing brain, or bad options.
    """
    if name not in POLICY_NAMES:
        hint = did_you_mean(name, POLICY_NAMES)
        raise InputError(f"unknown policy {name!r}{hint}; policies: {', '.join(POLICY_NAMES)}")
    data: dict[str, Any] = {"type": name, "seed": seed, **options}
    if name in PROVIDERS:
        brain = options.get("brain")
        if brain is None:
            raise InputError(f"the {name} policy needs an API key: set {PROVIDERS[name].key_variable}")
        if getattr(brain, "type", name) != name:
            raise InputError(f"the {name} policy was given a {brain.type} brain")
        data["type"] = "model"
    try:
        return TypeAdapter(PolicyConfig).validate_python(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'][1:])) or name}: {e['msg']}" for e in exc.errors()[:4])
        raise InputError(f"bad options for the {name} policy: {problems}") from None


def policy_by_name(name: str, seed: int = 0, usage: Usage | None = None, **options: Any) -> Policy:
    """Build a policy by name with its config options (see ``policy_config``).

    ``usage`` is the run's ledger, shared by every model-backed role so one budget holds.

    Raises:
        InputError: an unknown name (with the nearest known one), or bad options.
    """
    return policy_config(name, seed, **options).build(usage)
