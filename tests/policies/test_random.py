"""RandomPolicy on the fake sandbox: many tools, malformed calls, never a crash, seeded."""

from __future__ import annotations

import json
from pathlib import Path

from synthcomp.policies import RandomPolicy
from synthcomp.policies.random_policy import TOOLS

from tests.policies.conftest import play_day


def _tool(action) -> str | None:
    if isinstance(action, str):
        try:
            action = json.loads(action)
        except json.JSONDecodeError:
            return None
    return action.get("tool") if isinstance(action, dict) else None


def test_a_random_day_exercises_every_tool_and_survives(computers: list[Path], make_env) -> None:
    env = make_env(computers[0], step_budget=300)
    policy = RandomPolicy(seed=7, end_day_prob=0.0, junk_prob=0.2)
    day = play_day(env, policy)
    assert day.out_of_steps and len(day.actions) == 300 and not day.ended
    used = {_tool(a) for a in day.actions}
    assert set(TOOLS) <= used, f"unused: {set(TOOLS) - used}"
    assert 30 <= day.errors < 300
    for action in day.actions:
        json.dumps(action)  # every call is JSON-serializable
    seen = {e["path"] for o in day.infos if (o.get("data") or {}).get("type") == "list_dir"
            for e in o["data"]["entries"]}  # objectives name no sources: paths come from what it listed
    seen |= {o.path for d in env.unwrapped.state.deliverables for o in d.outputs}
    read = {a["args"].get("path") for a in day.actions if isinstance(a, dict) and a.get("tool") == "read_file"
            and isinstance(a.get("args"), dict)}
    assert read & seen, "paths come from the listings and the objectives"
    env.close()
    env.close()


def test_same_seed_same_calls(computers: list[Path], make_env) -> None:
    runs = []
    for _ in range(2):
        env = make_env(computers[1], step_budget=80)
        runs.append(play_day(env, RandomPolicy(seed=3)).actions)
    assert runs[0] == runs[1]
    env = make_env(computers[1], step_budget=80)
    assert play_day(env, RandomPolicy(seed=4)).actions != runs[0]


def test_it_ends_days_with_the_given_probability(computers: list[Path], make_env) -> None:
    env = make_env(computers[2], days=5, step_budget=150)
    policy = RandomPolicy(seed=1, end_day_prob=0.2, junk_prob=0.0)
    days = [play_day(env, policy) for _ in range(5)]
    assert sum(d.ended for d in days) >= 4
    assert days[-1].terminated
    assert all(0 <= d.score <= 1 for d in days)
