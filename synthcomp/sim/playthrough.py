"""One month of one policy on one computer, in memory: how policies are compared.

The env is made as a simulation makes it (the procedural setup, the collaborators'
private files written) on the fake sandbox, and stepped by the policy, which sees only
the observation and ``info``. Nothing is checkpointed or judged with rendering: this is
the quick loop the reward benchmarks and tests use to put honest and faking policies
side by side. The final tree can be copied out so the judge can be timed on it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import gymnasium as gym

import synthcomp.env  # noqa: F401 - registers synthcomp/Workday-v1
from synthcomp.agents.setup import SetupPlan, procedural_setup, write_private_files
from synthcomp.computer.show import load_computer
from synthcomp.sim.episode import run_episode
from synthcomp.env.state import SimState
from synthcomp.models import Computer
from synthcomp.ospath import tree_reader
from synthcomp.policies import Policy, policy_by_name
from synthcomp.policies.gamers import CopyPolicy, GamerPolicy, LoremPolicy, ParrotPolicy, TemplatePolicy
from synthcomp.policies.scripted import ALL_PRACTICES, ScriptedPolicy

GAMERS = {"lorem": LoremPolicy, "gamer": GamerPolicy, "template": TemplatePolicy, "parrot": ParrotPolicy,
          "copy": CopyPolicy}
"""Policies that try not to work (synthcomp/policies/gamers.py)."""


@dataclass
class Played:
    computer: Computer
    setup: SetupPlan
    state: SimState
    score: float
    """The sum of the month's rewards (= the final rubric score)."""
    rewards: list[float]
    """Each day's reward."""
    turns: int
    planning_turns: int
    """Steps up to and including each accepted week plan, summed over the month."""
    files: Path | None = None
    """The final tree, when it was kept."""

    def day_reaching(self, share: float) -> int | None:
        """The first workday (0-based) whose cumulative reward reaches ``share`` of the final score."""
        total = 0.0
        for day, reward in enumerate(self.rewards):
            total += reward
            if self.score > 0 and total >= share * self.score - 1e-9:
                return day
        return None


def make_policy(name: str, seed: int = 0) -> Policy:
    """A policy by name; "thorough" is the scripted worker with every practice on."""
    if name == "thorough":
        return ScriptedPolicy(seed=seed, practices=ALL_PRACTICES)
    if name in GAMERS:
        return GAMERS[name](seed=seed)
    return policy_by_name(name, seed)


def play_month(computer_dir: Path, policy: str, days: int, run_dir: Path, *, keep_files: bool = False,
               seed: int = 0) -> Played:
    computer = load_computer(computer_dir)
    setup = procedural_setup(computer, tree_reader(computer_dir / "files", computer.policy.os), seed, days=days)
    write_private_files(setup, computer, run_dir / "private")
    env = gym.make("synthcomp/Workday-v1", computer=computer_dir, sandbox="fake", days=days, run_dir=run_dir,
                   setup=setup, private_dir=run_dir / "private", seed=seed)
    agent = make_policy(policy, seed)
    try:
        rewards, turns, planning = [], 0, 0
        for day in range(days):
            episode = run_episode(env, agent, seed=seed if day == 0 else None)
            rewards.append(episode.reward)
            turns += len(episode.steps)
            planned = [i for i, step in enumerate(episode.steps, 1) if step.tool == "submit_week_plan" and not step.error]
            planning += planned[-1] if planned else 0
        total = sum(rewards)
        unwrapped = env.unwrapped
        files = None
        if keep_files:
            sandbox = unwrapped.sandbox
            files = run_dir / "final" / "files"
            sandbox.get_tree(sandbox.layout.root, files / sandbox.layout.top)
        return Played(computer=computer, setup=setup, state=unwrapped.state, score=round(total, 6), rewards=rewards,
                      turns=turns, planning_turns=planning, files=files)
    finally:
        env.close()
