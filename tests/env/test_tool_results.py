"""Every tool's data, on real output: it renders to exactly the text the agent read, it
survives JSON (trajectories, vector envs), and the readers of policies and of the
retrospective work from it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import gymnasium as gym
import pytest

import synthcomp.env  # noqa: F401 - registers synthcomp/Workday-v1
from synthcomp.sim.episode import run_episode
from synthcomp.agents.retrospective import Trajectory
from synthcomp.agents.setup import procedural_setup, write_private_files
from synthcomp.computer.show import load_computer
from synthcomp.env.workday import clip_observation
from synthcomp.ospath import tree_reader
from synthcomp.policies.observations import briefing_of, parse_inbox, parse_read
from synthcomp.policies.random_policy import RandomPolicy
from synthcomp.policies.scripted import ALL_PRACTICES, ScriptedPolicy
from synthcomp.sim.retrospect import load_steps
from synthcomp.toolresults import Briefing, ChangeAsked, FileText, Inbox, data_of

ALL_TYPES = {"shell", "list_dir", "read_file", "write_file", "create_document", "move", "delete", "search_files",
             "send_message", "check_inbox", "submit_week_plan", "end_day", "error", "briefing"}
LS = "Budget 2024.xlsx\nnotes.txt\nold drafts"


@dataclass
class Played:
    env: gym.Env
    run_dir: Path
    seen: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    """Every (observation, info) the env gave, mornings included."""

    def morning(self) -> tuple[str, dict[str, Any]]:
        observation, info = self.env.reset()
        self.seen.append((observation, info))
        return observation, info

    def step(self, action: Any) -> tuple[str, dict[str, Any]]:
        observation, _, _, _, info = self.env.step(action)
        self.seen.append((observation, info))
        return observation, info

    def call(self, tool: str, **args: Any) -> tuple[str, dict[str, Any]]:
        return self.step({"tool": tool, "args": args})


def _env(computer: Path, run_dir: Path, days: int) -> gym.Env:
    loaded = load_computer(computer)
    setup = procedural_setup(loaded, tree_reader(computer / "files", loaded.policy.os), 0, days=days)
    write_private_files(setup, loaded, run_dir / "private")
    return gym.make("synthcomp/Workday-v1", computer=computer, sandbox={"type": "fake", "responses": {"ls": LS}},
                    days=days, run_dir=run_dir, setup=setup, private_dir=run_dir / "private")


def _every_tool(played: Played) -> None:
    """One day that calls every tool, the ways that give different texts."""
    env, p = played.env.unwrapped, played
    p.morning()
    deliverable = next(d for d in env.setup.deliverables if d.sources and any(o.artifact_type == "docx" for o in d.outputs))
    output = next(o.path for o in deliverable.outputs if o.artifact_type == "docx")
    p.call("shell", command="ls")
    p.call("shell", command="no such command")
    p.call("list_dir", path=".")
    p.call("list_dir", path="Documents")
    for source in deliverable.sources:
        p.call("read_file", path=source)
    p.call("write_file", path="Documents/long.txt", content="x" * 900)
    p.call("read_file", path="Documents/long.txt", max_chars=400)  # cut: the rest counted
    p.call("read_file", path="Documents/long.txt", max_chars=10)  # only the head was read
    env.sandbox.write_bytes(env.sandbox.layout.home + "/Documents/blob.bin", bytes(range(256)) * 8)
    p.call("read_file", path="Documents/blob.bin")
    p.call("read_file", path="Documents/blob.bin", max_chars=5)
    p.call("write_file", path="Documents/scratch/notes.md", content="# Notes\nfirst\n")
    p.call("move", src="Documents/scratch/notes.md", dst="Documents/notes moved.md")
    p.call("delete", path="Documents/notes moved.md")
    p.call("list_dir", path="Documents/scratch")  # empty now
    p.call("search_files", query=deliverable.sources[0].replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0])
    p.call("search_files", query="zzz-nothing-matches-this")
    p.call("create_document", path=output, kind="docx",
           spec={"title": "Draft", "sections": [{"heading": "Summary", "paragraphs": ["A first draft."]}]})
    reviewer = deliverable.collaborators[0]
    p.call("send_message", to=reviewer, subject=f"[{deliverable.id}] Draft for review", body="Comments?",
           attachments=[output])
    p.call("send_message", to=env.state.collaborators[-1].name, subject="Inputs", body="Could you send the figures?")
    p.call("check_inbox")
    p.call("submit_week_plan", plan={"goals": ["Draft"], "activities": [
        {"day": 0, "kind": "deep_work", "description": "Draft the report", "files": [output]}]})
    p.step("not json")
    p.call("reed_file", path="x")
    p.call("read_file", path="Documents/missing.docx")
    p.call("read_file", path="../../../../etc/passwd")
    p.call("end_day", summary="Tried every tool.")


@pytest.fixture(scope="module", params=["windows", "macos"])
def played(request: pytest.FixtureRequest, computers: dict[str, Path],
           tmp_path_factory: pytest.TempPathFactory) -> Played:
    """Day 1 calls every tool; then the thorough scripted worker reads its mail for three days."""
    run_dir = tmp_path_factory.mktemp(f"tools-{request.param}")
    played = Played(_env(computers[request.param], run_dir, days=4), run_dir)
    _every_tool(played)
    worker = ScriptedPolicy(practices=ALL_PRACTICES)
    for _ in range(3):
        day = run_episode(played.env, worker, on_step=lambda step: played.seen.append((step.observation, step.info)))
        played.seen.insert(len(played.seen) - len(day.steps), (day.observation, day.info))
    played.env.close()
    return played


def test_every_observation_is_its_data_rendered(played: Played) -> None:
    types = set()
    for observation, info in played.seen:
        data = data_of(info)
        assert data is not None, observation[:200]
        assert clip_observation(data.render()) == observation
        if "objectives" in info:
            assert data.type == "briefing"
        else:
            assert data.type == ("error" if info["tool_error"] else info["tool"])
        again = json.loads(json.dumps(info))  # as a trajectory line or another process holds it
        assert data_of(again) == data
        types.add(data.type)
    assert types == ALL_TYPES


def test_the_data_says_what_the_text_says(played: Played) -> None:
    reads = [data_of(i) for _, i in played.seen if i["tool"] == "read_file" and not i["tool_error"]]
    assert {(r.truncated, r.more_chars is None, r.binary) for r in reads} >= {
        (False, True, False), (True, False, False), (True, True, False), (False, True, True), (True, False, True)}
    listings = [data_of(i) for _, i in played.seen if i["tool"] == "list_dir"]
    assert any(not listing.entries for listing in listings)
    home = listings[0]
    assert {e.kind for e in home.entries} >= {"dir"} and all(e.path.endswith(e.name) for e in home.entries)
    shell = next(data_of(i) for _, i in played.seen if i["tool"] == "shell")
    assert shell.stdout.splitlines() == LS.splitlines() and shell.exit_code == 0
    morning = data_of(played.seen[0][1], Briefing)
    computer = played.env.unwrapped.computer
    assert morning.user.full_name == computer.profile.full_name and morning.planned is None and morning.days_total == 4
    assert briefing_of(played.seen[0][1]).me == computer.profile.full_name
    assert briefing_of(played.seen[0][1]).needs_week_plan


def test_reviewers_send_their_changes_as_data(played: Played) -> None:
    inboxes = [data_of(i, Inbox) for _, i in played.seen if i["tool"] == "check_inbox"]
    reviewed = [m for inbox in inboxes for m in inbox.messages if m.requested_changes]
    assert reviewed, "the draft sent on day 1 came back with changes"
    for message in reviewed:
        reading = message.reading()
        asked = [part for part in reading if isinstance(part, ChangeAsked)]
        assert asked == message.requested_changes
        assert not any(isinstance(part, str) and change.text in part for part in reading for change in asked)
        assert all(c.what and c.what in c.text for c in asked)
    state = played.env.unwrapped.state
    asked = [r.changes for r in state.reviews]
    assert all(m.requested_changes in asked for m in state.inbox if m.requested_changes)


def test_the_text_readers_left_to_the_fakers_agree_with_the_data(played: Played) -> None:
    """gamers.py sees only the text: its parsers read real output as the data has it."""
    checked = 0
    for observation, info in played.seen:
        data = data_of(info)
        if isinstance(data, Inbox):
            parsed = parse_inbox(observation)
            assert [(m.id, m.sender, m.day, m.subject, m.new, m.attachments) for m in parsed] == [
                (m.id, m.sender, m.day, m.subject, m.new, m.attachments) for m in data.messages]
            assert ["\n".join(m.body).rstrip("\n") for m in parsed] == [m.body.rstrip("\n") for m in data.messages]
            checked += 1
        elif isinstance(data, FileText):
            read = parse_read(observation)
            assert read is not None and (read.path, read.body, read.truncated) == (data.path, data.text, data.truncated)
            checked += 1
    assert checked > 5


def test_the_retrospective_finds_the_steps_that_showed_each_message(played: Played) -> None:
    steps = load_steps(played.run_dir)
    assert all(s.data is not None for s in steps)
    from_data = Trajectory("sim", steps)
    from_text = Trajectory("sim", [replace(s, data=None) for s in steps])  # a trajectory older than the data
    received = [m for m in played.env.unwrapped.state.inbox if m.sender != "me" and m.read]
    assert received
    for message in received:
        shown, seen = from_data.inbox_step(message), from_text.inbox_step(message)
        assert shown is not None and seen is not None and (shown.day, shown.step) == (seen.day, seen.step)


@pytest.mark.parametrize("make", [lambda: ScriptedPolicy(practices=ALL_PRACTICES), lambda: RandomPolicy(seed=3)],
                         ids=["scripted", "random"])
def test_the_workers_act_on_the_data_alone(make, computers: dict[str, Path], tmp_path: Path) -> None:
    """The same policy, once with the text and once without: the same calls, day after day."""
    env = _env(computers["windows"], tmp_path, days=3)
    reading, blind = make(), make()
    try:
        for _ in range(3):
            observation, info = env.reset()
            reading.reset()
            blind.reset()
            for _ in range(60):
                action = reading.act(observation, info)
                assert blind.act("", info) == action
                observation, _, terminated, truncated, info = env.step(action)
                if terminated or truncated:
                    break
        if isinstance(reading, ScriptedPolicy):
            notes = reading.month.sources.values()
            assert any(n.tables for n in notes if n.ext == "xlsx") and reading.month.me
            assert any(reading.month.replies.values()), "replies were filed from the inbox data"
    finally:
        env.close()


def test_odd_data_reads_as_nothing() -> None:
    for info in [None, {}, {"data": None}, {"data": "x"}, {"data": {"type": "list_dir"}}, {"data": {"type": "nope"}},
                 {"data": {"type": "end_day", "summary": "x", "extra": 1}}]:
        assert data_of(info) is None
    assert data_of({"data": {"type": "end_day", "summary": "x"}}, Inbox) is None
