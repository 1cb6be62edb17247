"""make_vector_env as an RL trainer drives it: batched reset/step, day-boundary autoreset, close."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.vector import AsyncVectorEnv, SyncVectorEnv, VectorEnv

from synthcomp.env.vector import make_vector_env
from synthcomp.env.workday import WorkdayEnv
from synthcomp.errors import InputError
from tests.processes import descendants

LIST_HOME = json.dumps({"tool": "list_dir", "args": {"path": "."}})
END_DAY = json.dumps({"tool": "end_day", "args": {"summary": "listed the home folder"}})


def _pair(computers: dict[str, Path]) -> list[Path]:
    return [computers["windows"], computers["macos"]]


def _bwrap_below(envs: AsyncVectorEnv) -> set[int]:
    pids: set[int] = set()
    for process in envs.processes:
        for pid in descendants(process.pid):
            try:
                if Path(f"/proc/{pid}/comm").read_text().strip() == "bwrap":
                    pids.add(pid)
            except OSError:
                continue
    return pids


@pytest.fixture
def local_envs(computers: dict[str, Path], tmp_path: Path) -> Iterator[VectorEnv]:
    envs = make_vector_env(_pair(computers), sandbox="local", days=3, step_budget=20, run_root=tmp_path)
    try:
        yield envs
    finally:
        envs.close()


# ---------------------------------------------------------------- input checks (no sandbox)

def test_no_computers_is_an_input_error() -> None:
    with pytest.raises(InputError, match="at least one computer"):
        make_vector_env([])


def test_a_directory_that_is_not_a_computer_fails_before_any_worker_starts(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="is not a computer"):
        make_vector_env([tmp_path])


def test_a_computer_twice_needs_a_run_root(computers: dict[str, Path]) -> None:
    with pytest.raises(InputError, match="listed twice"):
        make_vector_env([computers["windows"], computers["windows"]], sandbox="fake")


def test_run_dir_is_set_per_computer_not_by_the_caller(computers: dict[str, Path], tmp_path: Path) -> None:
    with pytest.raises(InputError, match="run_root"):
        make_vector_env(_pair(computers), sandbox="fake", run_dir=tmp_path)


# ---------------------------------------------------------------- the end of a day (fake sandbox)

def test_an_accepted_end_day_truncates_and_the_last_day_terminates(computers: dict[str, Path], tmp_path: Path) -> None:
    with WorkdayEnv(computers["windows"], sandbox="fake", days=2, run_dir=tmp_path) as env:
        env.reset(seed=0)
        *_, terminated, truncated, info = env.step(json.dumps({"tool": "end_day", "args": {"summary": " "}}))
        assert info["tool_error"] and not terminated and not truncated  # refused: the day goes on
        *_, terminated, truncated, _ = env.step(END_DAY)
        assert truncated and not terminated
        env.reset()
        *_, terminated, truncated, _ = env.step(END_DAY)  # the month's last day
        assert terminated and not truncated


def test_v0_is_kept_deprecated_with_its_old_flags(computers: dict[str, Path], tmp_path: Path) -> None:
    with pytest.warns(DeprecationWarning, match="out of date"):
        env = gym.make("synthcomp/Workday-v0", computer=computers["windows"], sandbox="fake", days=2, run_dir=tmp_path)
    try:
        env.reset(seed=0)
        *_, terminated, truncated, info = env.step(END_DAY)
        assert info["tool"] == "end_day" and not terminated and not truncated
    finally:
        env.close()


def test_sync_vector_env_autoresets_into_the_next_day(computers: dict[str, Path], tmp_path: Path) -> None:
    envs = make_vector_env(_pair(computers), sandbox="fake", days=3, run_root=tmp_path, asynchronous=False)
    try:
        assert isinstance(envs, SyncVectorEnv)
        envs.reset(seed=0)
        _, _, terminated, truncated, _ = envs.step([END_DAY, LIST_HOME])
        assert truncated.tolist() == [True, False] and not terminated.any()
        obs, _, _, _, infos = envs.step(["ignored", LIST_HOME])
        assert obs[0].startswith("Workday 2 of 3") and infos["day"].tolist() == [1, 0]
    finally:
        envs.close()


# ---------------------------------------------------------------- AsyncVectorEnv over bubblewrap

@pytest.mark.bwrap
def test_reset_and_step_are_batched_per_computer(
    local_envs: VectorEnv, computers: dict[str, Path], tmp_path: Path
) -> None:
    assert isinstance(local_envs, AsyncVectorEnv)
    obs, infos = local_envs.reset(seed=0)
    assert len(obs) == 2 and all(isinstance(o, str) and o.startswith("Workday 1 of 3") for o in obs)
    assert obs[0] != obs[1]  # two computers, two users
    assert infos["day"].tolist() == [0, 0] and len(infos["objectives"][0]) > 0

    obs, rewards, terminated, truncated, infos = local_envs.step([LIST_HOME, LIST_HOME])
    assert len(obs) == 2 and all(isinstance(o, str) and o for o in obs)
    assert "Documents" in obs[0] and "Documents" in obs[1]
    assert infos["tool"].tolist() == ["list_dir", "list_dir"] and not infos["tool_error"].any()
    assert rewards.tolist() == [0.0, 0.0] and not terminated.any() and not truncated.any()
    for index, os_name in enumerate(["windows", "macos"]):  # one run_dir per computer
        assert (tmp_path / f"{index}-{computers[os_name].name}" / "days" / "00" / "trajectory.jsonl").is_file()


@pytest.mark.bwrap
def test_end_day_truncates_and_the_next_step_is_the_next_briefing(local_envs: VectorEnv) -> None:
    local_envs.reset(seed=0)
    obs, _, terminated, truncated, infos = local_envs.step([END_DAY, LIST_HOME])
    assert obs[0] == "day ended" and truncated.tolist() == [True, False] and not terminated.any()

    # NEXT_STEP autoreset: computer 0 is reset instead of stepped (its action is ignored);
    # computer 1 takes its step as usual.
    obs, rewards, terminated, truncated, infos = local_envs.step([END_DAY, LIST_HOME])
    assert obs[0].startswith("Workday 2 of 3") and "day 1 (" in obs[0]  # yesterday's log entry
    assert "Documents" in obs[1]
    assert infos["day"].tolist() == [1, 0] and infos["_objectives"].tolist() == [True, False]
    assert rewards[0] == 0 and not terminated.any() and not truncated.any()

    obs, *_, infos = local_envs.step([LIST_HOME, LIST_HOME])  # computer 0 works on day 2
    assert infos["tool"].tolist() == ["list_dir", "list_dir"] and infos["day"].tolist() == [1, 0]


@pytest.mark.bwrap
def test_a_bad_call_in_one_computer_leaves_the_other_alone(local_envs: VectorEnv) -> None:
    local_envs.reset(seed=0)
    obs, _, terminated, truncated, infos = local_envs.step(["not json", LIST_HOME])
    assert obs[0].startswith("error:") and "not valid JSON" in obs[0]
    assert infos["tool_error"].tolist() == [True, False] and "Documents" in obs[1]
    assert not terminated.any() and not truncated.any()


@pytest.mark.bwrap
def test_close_leaves_no_bubblewrap_processes(computers: dict[str, Path], tmp_path: Path) -> None:
    envs = make_vector_env(_pair(computers), sandbox="local", days=3, run_root=tmp_path)
    assert isinstance(envs, AsyncVectorEnv)
    try:
        envs.reset(seed=0)
        jails = _bwrap_below(envs)
        assert len(jails) >= 2  # at least one bwrap per computer while running
    finally:
        envs.close()
    assert not [pid for pid in jails if Path(f"/proc/{pid}").exists()]
    assert not any(process.is_alive() for process in envs.processes)
    assert np.all([process.exitcode == 0 for process in envs.processes])


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
def test_each_computer_keeps_its_data_whole(computers: dict[str, Path], tmp_path: Path, asynchronous: bool) -> None:
    """info["data"] is one dict per computer, a refused call's beside a listing's."""
    envs = make_vector_env(_pair(computers), sandbox="fake", days=3, run_root=tmp_path, asynchronous=asynchronous)
    try:
        _, infos = envs.reset(seed=0)
        assert [d["type"] for d in infos["data"]] == ["briefing", "briefing"]
        obs, *_, infos = envs.step(["not json", LIST_HOME])
        first, second = infos["data"]
        assert first["type"] == "error" and obs[0] == f"error: {first['message']}"
        assert second["type"] == "list_dir" and obs[1].startswith(second["path"]) and infos["_data"].all()
    finally:
        envs.close()
