"""``SimConfig``: everything a simulation runs with, as one typed tree.

``SimSettings`` is what the CLI, the fleet and the server build once (a policy, a
sandbox and a brain, each a discriminated union, plus the month's shape); ``on(computer)``
makes the ``SimConfig`` of one computer. Names stand for the default config of their kind
(``policy="scripted"``, ``sandbox="local"``, ``brain="procedural"``), which is also how
sim.json files written before the tree read back. A config dumps without keys, budgets or
cache paths, so sim.json is a faithful record that never holds a secret.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import Field, model_validator

from synthcomp.brains.model.config import BrainConfig, ProceduralBrainConfig
from synthcomp.models import Strict
from synthcomp.policies.base import PolicyConfig
from synthcomp.sandbox.config import DockerSandboxConfig, SandboxConfig


class SimSettings(Strict):
    """How to simulate any computer (see the module docstring)."""

    policy: PolicyConfig
    """The work agent; its seed is the simulation's."""
    sandbox: SandboxConfig = Field(default_factory=DockerSandboxConfig)
    """Where the computer lives, with its limits."""
    brain: BrainConfig = Field(default_factory=ProceduralBrainConfig)
    """Who plays the setup agent and the collaborators."""
    days: int = Field(20, ge=1, le=260)
    seed: int = Field(0, ge=0)
    step_budget: int = Field(150, ge=1)
    skills: list[Path] = Field(default_factory=list)
    """SKILL.md files (or skill directories) the policy loads."""

    @model_validator(mode="before")
    @classmethod
    def _names_and_seed(cls, data: Any) -> Any:
        """A name stands for its kind's default config; the policy takes the simulation's seed."""
        if not isinstance(data, dict):
            return data
        data = {**data, **{k: {"type": data[k]} for k in ("sandbox", "brain") if isinstance(data.get(k), str)}}
        policy, seed = data.get("policy"), data.get("seed", 0)
        if isinstance(policy, str):
            data["policy"] = {"type": policy, "seed": seed}
        elif isinstance(policy, dict):
            data["policy"] = {**policy, "seed": seed}
        elif policy is not None and isinstance(seed, int) and seed >= 0:
            data["policy"] = policy.model_copy(update={"seed": seed})
        return data

    @model_validator(mode="after")
    def _skills_need_a_policy_that_loads_them(self) -> SimSettings:
        if self.skills and not self.policy.loads_skills:
            raise ValueError(f"the {self.policy.name} policy takes no skills")
        return self

    def on(self, computer: Path) -> SimConfig:
        """This simulation of ``computer``."""
        return SimConfig(computer=computer, **{name: getattr(self, name) for name in type(self).model_fields})


class SimConfig(SimSettings):
    """One simulation: settings and the computer they run on."""

    computer: Path

    @property
    def sim_id(self) -> str:
        """``<computer>-<policy>[-k<skills digest>]-s<seed>``: runs with and without skills never collide."""
        tag = ""
        if self.skills:
            digest = hashlib.sha256("\n".join(sorted(p.resolve().as_posix() for p in self.skills)).encode())
            tag = f"-k{digest.hexdigest()[:8]}"
        return f"{self.computer.name}-{self.policy.name}{tag}-s{self.seed}"
