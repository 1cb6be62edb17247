"""One workday of a policy: the loop every consumer shares (runner, CLI, benchmarks, tests).

The env owns the end of a day (Gymnasium's contract): an accepted ``end_day`` or a spent
step budget returns ``truncated=True``, the month's last day ``terminated=True``. So the
loop is Gymnasium's own: reset, then act and step until either flag is set. Nothing here
reads the tool names or the observation text to decide that a day is over.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import gymnasium as gym

from synthcomp.policies.base import Policy


@dataclass
class Step:
    """One tool call and what it returned."""

    action: dict[str, Any] | str
    observation: str
    reward: float
    terminated: bool
    truncated: bool
    info: dict[str, Any]
    policy_seconds: float
    env_seconds: float

    @property
    def tool(self) -> str | None:
        return self.info.get("tool")

    @property
    def error(self) -> bool:
        return bool(self.info.get("tool_error"))


@dataclass
class Episode:
    """A workday: the morning's briefing and info, then every step."""

    observation: str
    info: dict[str, Any]
    steps: list[Step] = field(default_factory=list)

    @property
    def reward(self) -> float:
        return sum(s.reward for s in self.steps)

    @property
    def last(self) -> Step:
        return self.steps[-1]

    @property
    def terminated(self) -> bool:
        """The month is over."""
        return bool(self.steps) and self.last.terminated

    @property
    def ended_by(self) -> str:
        """``end_day`` when the policy ended the day, ``step_budget`` when the env did."""
        return "end_day" if self.steps and self.last.tool == "end_day" and not self.last.error else "step_budget"


def run_episode(env: gym.Env, policy: Policy, *, seed: int | None = None, options: dict[str, Any] | None = None,
                on_step: Callable[[Step], None] | None = None) -> Episode:
    """Reset ``env`` (with ``seed`` and ``options``) and ``policy``, then step the policy until
    the env sets ``terminated`` or ``truncated``; ``on_step`` sees each step as it happens.

    The workday env always ends a day within its step budget, so this returns.
    """
    observation, info = env.reset(seed=seed, options=options)
    policy.reset()
    episode = Episode(observation=observation, info=info)
    while True:
        started = time.perf_counter()
        action = policy.act(observation, info)
        acted = time.perf_counter()
        observation, reward, terminated, truncated, info = env.step(action)
        step = Step(action=action, observation=observation, reward=float(reward), terminated=terminated,
                    truncated=truncated, info=info, policy_seconds=acted - started,
                    env_seconds=time.perf_counter() - acted)
        episode.steps.append(step)
        if on_step is not None:
            on_step(step)
        if terminated or truncated:
            return episode
