"""Fixture computers (made once per session) and a loop that plays one workday."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import gymnasium as gym
import pytest

import synthcomp.env  # noqa: F401 - registers synthcomp/Workday-v1
from synthcomp.agents.setup import procedural_setup, write_private_files
from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.computer.show import load_computer
from synthcomp.sim.episode import run_episode
from synthcomp.ospath import tree_reader
from synthcomp.policies import Policy
from synthcomp.workspace import computer_dirs


@pytest.fixture(scope="session")
def computers(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Three small computers (two Windows, one macOS) with the procedural brain."""
    out = tmp_path_factory.mktemp("policy-ws")
    request = CreateRequest.from_cli(out=out, n=3, seed=11, os_name="mixed", personas=None, workers=1)
    create_computers(request)
    return list(computer_dirs(out))


@dataclass
class Day:
    """What one played workday did."""

    actions: list[Any] = field(default_factory=list)
    observations: list[str] = field(default_factory=list)
    infos: list[dict[str, Any]] = field(default_factory=list)
    """Each step's info."""
    errors: int = 0
    reward: float = 0.0
    terminated: bool = False
    out_of_steps: bool = False
    """The step budget ended the day (not the policy's end_day)."""
    ended: bool = False
    """The policy's end_day ended it."""
    info: dict[str, Any] = field(default_factory=dict)
    start: dict[str, Any] = field(default_factory=dict)
    """The reset info."""
    score: float = 0.0
    """The rubric score after the day, read from the env's state (the policy never sees it)."""


def play_day(env: gym.Env, policy: Policy) -> Day:
    """One workday through the shared loop (``run_episode``), as a test reads it."""
    episode = run_episode(env, policy)
    return Day(actions=[s.action for s in episode.steps], observations=[s.observation for s in episode.steps],
               infos=[s.info for s in episode.steps],
               errors=sum(s.error for s in episode.steps), reward=episode.reward, terminated=episode.terminated,
               out_of_steps=episode.ended_by == "step_budget", ended=episode.ended_by == "end_day",
               info=episode.last.info, start=episode.info, score=env.unwrapped.state.score)


@pytest.fixture
def make_env(tmp_path: Path) -> Callable[..., gym.Env]:
    """``make_env(computer, sandbox="fake", days=3, step_budget=150)``; every env is closed afterwards.

    The collaborators' private files are written (as a simulation runner does), so files
    shared in replies land in Downloads.
    """
    made: list[gym.Env] = []

    def make(computer: Path, sandbox: str = "fake", days: int = 3, step_budget: int = 150, **kwargs: Any) -> gym.Env:
        run_dir = tmp_path / f"run-{len(made)}"
        loaded = load_computer(computer)
        setup = procedural_setup(loaded, tree_reader(computer / "files", loaded.policy.os), 0, days=days)
        write_private_files(setup, load_computer(computer), run_dir / "private")
        env = gym.make("synthcomp/Workday-v1", computer=computer, sandbox=sandbox, days=days, step_budget=step_budget,
                       run_dir=run_dir, setup=setup, private_dir=run_dir / "private", **kwargs)
        made.append(env)
        return env

    yield make
    for env in made:
        env.close()
