"""WorkdayEnv as a Gymnasium user drives it: check_env, tools, errors, snapshots, rewards."""

from __future__ import annotations

import json
from pathlib import Path

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.error import ResetNeeded
from gymnasium.utils.env_checker import check_env
from gymnasium.wrappers import RecordEpisodeStatistics, TimeLimit

import synthcomp.env  # noqa: F401 - registers synthcomp/Workday-v1
from synthcomp.env.workday import WorkdayEnv

BACKENDS = [pytest.param("local", marks=pytest.mark.bwrap), pytest.param("docker", marks=pytest.mark.docker)]


@pytest.fixture(autouse=True)
def _local_snapshots_in_tmp(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """LocalSandbox snapshots go to the test's tmp dir, not the user's cache."""
    import synthcomp.sandbox.local

    monkeypatch.setattr(synthcomp.sandbox.local, "DEFAULT_SNAPSHOTS", tmp_path / "snapshots")


def _call(env: WorkdayEnv, tool: str, **args):
    return env.step({"tool": tool, "args": args})


@pytest.mark.parametrize("backend", [pytest.param("fake"), *BACKENDS])
def test_check_env_passes(computers: dict[str, Path], backend: str, tmp_path: Path) -> None:
    env = gym.make("synthcomp/Workday-v1", computer=str(computers["windows"]), sandbox=backend, run_dir=tmp_path, step_budget=30)
    try:
        check_env(env.unwrapped, skip_render_check=True)
    finally:
        env.close()
    env.close()  # a second close is harmless


def test_a_random_action_is_a_tool_error_not_a_crash(computers: dict[str, Path], tmp_path: Path) -> None:
    with WorkdayEnv(computers["macos"], sandbox="fake", run_dir=tmp_path) as env:
        env.reset(seed=1)
        for _ in range(5):
            obs, reward, terminated, truncated, info = env.step(env.action_space.sample())
            assert info["tool_error"] and obs.startswith("error:") and reward == 0 and not terminated


@pytest.mark.parametrize(
    ("action", "needle"),
    [
        ("not json", "not valid JSON"),
        ('["list_dir"]', '"tool"'),
        ({"tool": "reed_file", "args": {"path": "x"}}, "did you mean 'read_file'"),
        ({"tool": "read_file", "args": {}}, "path: Field required"),
        ({"tool": "read_file", "args": {"path": "x", "bogus": 1}}, "bogus"),
        ({"tool": "read_file", "args": {"path": "../../../../etc/passwd"}}, "outside the computer"),
        ({"tool": "read_file", "args": {"path": "Documents/missing.docx"}}, "No such file"),
        ({"tool": "send_message", "args": {"to": "Nobody Atall", "subject": "s", "body": "b"}}, "unknown recipient"),
        ({"tool": "create_document", "args": {"path": "x.docx", "kind": "xlsx", "spec": {}}}, "does not end in .xlsx"),
        ({"tool": "create_document", "args": {"path": "x.docx", "kind": "docx", "spec": {"sections": "no"}}}, "bad docx spec"),
        ({"tool": "submit_week_plan", "args": {"plan": {"activities": []}}}, "bad week plan"),
        ({"tool": "end_day", "args": {"summary": "  "}}, "summary"),
    ],
)
def test_bad_calls_explain_themselves(computers: dict[str, Path], tmp_path: Path, action, needle: str) -> None:
    with WorkdayEnv(computers["windows"], sandbox="fake", run_dir=tmp_path) as env:
        env.reset()
        obs, _, terminated, truncated, info = env.step(action)
        assert info["tool_error"] and needle in obs, obs
        assert not terminated and not truncated


def test_step_before_reset_is_refused(computers: dict[str, Path], tmp_path: Path) -> None:
    with WorkdayEnv(computers["windows"], sandbox="fake", run_dir=tmp_path) as env, pytest.raises(ResetNeeded):
        env.step({"tool": "check_inbox", "args": {}})


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_shell_step_learns_what_it_changed_in_the_same_round_trip(computers: dict[str, Path], tmp_path: Path,
                                                                    backend: str) -> None:
    with WorkdayEnv(computers["windows"], sandbox=backend, run_dir=tmp_path) as env:
        env.reset()
        asked = []
        tree_changes = env.sandbox.tree_changes
        env.sandbox.tree_changes = lambda stamp: asked.append(stamp) or tree_changes(stamp)  # type: ignore[method-assign]
        _call(env, "write_file", path="kept.txt", content="one")  # another tool still asks after the step
        assert len(asked) == 1
        home = env.computer.policy.home
        obs, *_, info = _call(env, "shell", command="echo two > made.txt && rm kept.txt")
        assert info["files_changed"] == [f"{home}\\kept.txt", f"{home}\\made.txt"] and len(asked) == 1
        listing, *_ = _call(env, "list_dir", path=".")
        assert f"{env._now():%Y-%m-%d}" in next(line for line in listing.splitlines() if "made.txt" in line)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("os_name", ["windows", "macos"])
def test_every_tool_on_a_real_computer(computers: dict[str, Path], tmp_path: Path, backend: str, os_name: str) -> None:
    with WorkdayEnv(computers[os_name], sandbox=backend, run_dir=tmp_path) as env:
        briefing, info = env.reset()
        home = env.computer.policy.home
        docs = env.computer.policy.default_paths["documents"]
        assert home in briefing and info["objectives"] and info["collaborators"]
        obs, *_ , info = _call(env, "list_dir", path=docs)
        assert not info["tool_error"] and obs.startswith(docs)
        source = next(f for f in env.computer.plan.files if f.artifact_type == "docx" and f.content_mode == "synthesize")
        obs, *_, info = _call(env, "read_file", path=source.path)
        assert not info["tool_error"] and "# " in obs
        sep = "\\" if os_name == "windows" else "/"
        report = f"{docs}{sep}Reports{sep}summary.docx"
        obs, *_, info = _call(env, "create_document", path=report, kind="docx",
                              spec={"title": "Summary", "sections": [{"heading": "Totals", "paragraphs": ["Total 1,234.50"]}]})
        assert not info["tool_error"] and info["files_changed"] == [report]
        obs, *_, info = _call(env, "read_file", path=report)
        assert "Total 1,234.50" in obs
        obs, *_, info = _call(env, "write_file", path="notes.txt", content="remember the deadline")
        assert info["files_changed"] == [f"{home}{sep}notes.txt"]
        obs, *_, info = _call(env, "search_files", query="remember the deadline")
        assert f"{home}{sep}notes.txt" in obs
        obs, *_, info = _call(env, "move", src="notes.txt", dst=f"Documents{sep}notes.txt")
        assert not info["tool_error"], obs
        obs, *_, info = _call(env, "delete", path=f"Documents{sep}notes.txt")
        assert not info["tool_error"] and "trash" in obs
        obs, *_, info = _call(env, "shell", command="cd Documents && pwd && echo hi >&2; exit 3")
        assert "[exit 3]" in obs and "hi" in obs
        obs, *_, info = _call(env, "shell", command="pwd")
        assert "Documents" in obs  # cd persists
        obs, *_, info = _call(env, "send_message", to=info and env.state.collaborators[0].name, subject="Figures?",
                              body="Could you send the latest figures?", attachments=[report])
        assert not info["tool_error"], obs
        obs, reward, terminated, truncated, info = _call(env, "end_day", summary="drafted the summary")
        assert truncated and not terminated and reward == 0  # the month goes on; summary.docx is no output
        for _ in range(4):  # replies come on a later day: latency 1-2 days, sometimes one more
            env.reset()
            obs, *_, info = _call(env, "check_inbox")
            if "RE: Figures?" in obs:
                break
            _call(env, "end_day", summary="waiting")
        assert "RE: Figures?" in obs


@pytest.mark.parametrize("backend", BACKENDS)
def test_snapshot_restores_files_inbox_log_and_clock(computers: dict[str, Path], tmp_path: Path, backend: str) -> None:
    with WorkdayEnv(computers["macos"], sandbox=backend, run_dir=tmp_path) as env:
        env.reset()
        _call(env, "write_file", path="a.txt", content="before")
        _call(env, "send_message", to=env.state.collaborators[0].name, subject="Q", body="Can you help?")
        _call(env, "end_day", summary="day one")
        briefing, _ = env.reset()
        ref = env.snapshot("after-day-1")
        saved = env.state.model_dump()
        _call(env, "write_file", path="a.txt", content="after")
        _call(env, "write_file", path="b.txt", content="new")
        _call(env, "check_inbox")
        _call(env, "end_day", summary="day two")
        restored, _ = env.reset(options={"snapshot": ref})
        assert env.state.model_dump() == saved
        assert restored == briefing
        obs, *_ = _call(env, "read_file", path="a.txt")
        assert obs.endswith("before")
        obs, *_, info = _call(env, "read_file", path="b.txt")
        assert info["tool_error"]


def test_rewards_sum_to_the_final_score_and_the_month_terminates(computers: dict[str, Path], tmp_path: Path) -> None:
    with WorkdayEnv(computers["windows"], sandbox="fake", days=2, run_dir=tmp_path) as env:
        rewards, terminated = [], False
        for day in range(2):
            _, info = env.reset()
            output = info["objectives"][0]["outputs"][0]
            if day == 1:
                spec = {"sections": [{"heading": "Status", "paragraphs": [
                    "The work is on track for the date we agreed.", "The figures are being checked with the owners."],
                    "table": {"columns": ["Item", "State"], "rows": [["Data", "read"], ["Draft", "written"]]}}]}
                if output["artifact_type"] == "docx":
                    env.step({"tool": "create_document", "args": {"path": output["path"], "kind": "docx", "spec": spec}})
            _, reward, terminated, truncated, info = env.step({"tool": "end_day", "args": {"summary": f"day {day}"}})
            rewards.append(reward)
        assert terminated and not truncated
        assert sum(rewards) == pytest.approx(env.state.score) and env.state.score > 0


def test_step_budget_truncates_the_day(computers: dict[str, Path], tmp_path: Path) -> None:
    with WorkdayEnv(computers["windows"], sandbox="fake", step_budget=3, run_dir=tmp_path) as env:
        env.reset()
        flags = [env.step({"tool": "check_inbox", "args": {}})[3] for _ in range(3)]
        assert flags == [False, False, True]
        _, info = env.reset()
        assert info["day"] == 1 and env.state.log[-1].steps == 3


def test_wrappers_and_a_plain_loop(computers: dict[str, Path], tmp_path: Path) -> None:
    env = RecordEpisodeStatistics(TimeLimit(WorkdayEnv(computers["macos"], sandbox="fake", run_dir=tmp_path), max_episode_steps=4))
    obs, info = env.reset(seed=3)
    done, steps = False, 0
    while not done:
        obs, reward, terminated, truncated, info = env.step(json.dumps({"tool": "check_inbox", "args": {}}))
        done, steps = terminated or truncated, steps + 1
    assert steps == 4 and "episode" in info
    env.close()


def test_trajectory_and_render(computers: dict[str, Path], tmp_path: Path) -> None:
    with WorkdayEnv(computers["windows"], sandbox="fake", run_dir=tmp_path, render_mode="ansi") as env:
        env.reset()
        env.step({"tool": "check_inbox", "args": {}})
        env.step({"tool": "end_day", "args": {"summary": "done"}})
        text = env.render()
        assert "Workday 1" in text and "check_inbox" in text
        lines = [json.loads(line) for line in (tmp_path / "days" / "00" / "trajectory.jsonl").read_text().splitlines()]
        assert [line["event"] for line in lines] == ["reset", "step", "step"]
        assert lines[-1]["info"]["tool"] == "end_day"
    with WorkdayEnv(computers["windows"], sandbox="fake", run_dir=tmp_path, render_mode="rgb_array") as env:
        env.reset()
        frame = env.render()
        assert isinstance(frame, np.ndarray) and frame.ndim == 3 and frame.shape[2] == 3


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_envs_side_by_side_do_not_interfere(computers: dict[str, Path], tmp_path: Path, backend: str) -> None:
    with WorkdayEnv(computers["windows"], sandbox=backend, run_dir=tmp_path / "a") as a, \
         WorkdayEnv(computers["windows"], sandbox=backend, run_dir=tmp_path / "b") as b:
        a.reset()
        b.reset()
        a.step({"tool": "write_file", "args": {"path": "only-a.txt", "content": "a"}})
        obs, *_, info = b.step({"tool": "read_file", "args": {"path": "only-a.txt"}})
        assert info["tool_error"]
        obs, *_, info = a.step({"tool": "read_file", "args": {"path": "only-a.txt"}})
        assert obs.endswith("a") and not info["tool_error"]


def test_same_seed_and_actions_give_the_same_observations_and_rewards(computers: dict[str, Path], tmp_path: Path) -> None:
    actions = [{"tool": "list_dir", "args": {}}, {"tool": "check_inbox", "args": {}}, "oops",
               {"tool": "write_file", "args": {"path": "x.txt", "content": "x"}},
               {"tool": "end_day", "args": {"summary": "s"}}]
    runs = []
    for attempt in range(2):
        with WorkdayEnv(computers["windows"], sandbox="fake", run_dir=tmp_path / str(attempt)) as env:
            obs, _ = env.reset(seed=9)
            trace = [obs]
            for action in actions:
                obs, reward, terminated, truncated, info = env.step(action)
                trace.append((obs, reward, terminated, truncated, {k: v for k, v in info.items() if k != "duration_ms"}))
            runs.append(trace)
    assert runs[0] == runs[1]


def test_the_policy_never_sees_the_score_unless_a_trainer_asks(computers: dict[str, Path], tmp_path: Path) -> None:
    with WorkdayEnv(computers["windows"], sandbox="fake", days=2, run_dir=tmp_path / "a") as env:
        _, info = env.reset()
        _, _, _, _, info = env.step({"tool": "end_day", "args": {"summary": "done"}})
        assert "score" not in info and "rubric" not in json.dumps(info)
    with WorkdayEnv(computers["windows"], sandbox="fake", days=2, run_dir=tmp_path / "b", expose_score=True) as env:
        env.reset()
        _, reward, _, _, info = env.step({"tool": "end_day", "args": {"summary": "done"}})
        assert info["score"] == env.state.score == reward
