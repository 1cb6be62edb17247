"""Both policies on a real sandbox (bubblewrap): a scripted day, a 150-step random day, scripted > random."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthcomp.policies import RandomPolicy, ScriptedPolicy
from synthcomp.policies.scripted import BASELINE

from tests.policies.conftest import play_day

REVISING = BASELINE | {"revise-after-feedback"}
"""The thorough worker: drafts early and revises on every new input."""

pytestmark = pytest.mark.bwrap


def test_a_full_scripted_day(computers: list[Path], make_env) -> None:
    env = make_env(computers[0], sandbox="local", days=3)
    policy = ScriptedPolicy()
    first, second = play_day(env, policy), play_day(env, policy)
    for day in (first, second):
        assert day.ended and not day.out_of_steps and day.errors == 0
    listing = first.observations[first.actions.index({"tool": "list_dir", "args": {"path": "."}})]
    assert "entries)" in listing and "Documents" in listing
    assert second.score > 0.4 and second.reward == second.score  # the drafts are written; sign-offs come later
    written = [o for a, o in zip(second.actions, second.observations) if a["tool"] == "create_document"]
    assert written and all(o.startswith("created ") for o in written)


@pytest.mark.parametrize("seed", [0, 1])
def test_a_random_day_of_150_steps(computers: list[Path], make_env, seed: int) -> None:
    env = make_env(computers[seed], sandbox="local", days=2, step_budget=150)
    day = play_day(env, RandomPolicy(seed=seed, end_day_prob=0.0, junk_prob=0.2))
    assert (day.out_of_steps and len(day.actions) == 150) or day.ended
    assert any(a.get("tool") == "shell" for a in day.actions if isinstance(a, dict))
    play_day(env, RandomPolicy(seed=seed + 10, end_day_prob=0.05))  # the env is still usable
    assert env.unwrapped.state.month_over
    env.close()
    env.close()
    assert env.unwrapped.sandbox is None


def test_scripted_beats_random(computers: list[Path], make_env) -> None:
    scores = {"scripted": [], "random": []}
    for computer in computers[:2]:
        for name, policy in (("scripted", ScriptedPolicy(practices=REVISING)), ("random", RandomPolicy(seed=0))):
            env = make_env(computer, sandbox="local", days=3)
            days = [play_day(env, policy) for _ in range(3)]
            assert env.unwrapped.state.month_over
            scores[name].append(days[-1].score)
            env.close()
    assert sum(scores["scripted"]) > sum(scores["random"]) + 1.0, scores
    assert min(scores["scripted"]) >= 0.6, scores
