"""``synthcomp simulate`` end to end: a month offline, kill -9 and resume, bad input."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synthcomp import ospath
from synthcomp.cli import app
from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.workspace import computer_dir, sim_dir, workspace_of
from tests.processes import gc_leaves_nothing_of

runner = CliRunner()


@pytest.fixture(scope="module")
def computer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sim-ws")
    made = create_computers(CreateRequest.from_cli(out=out, n=1, seed=31, os_name="windows", personas=None, workers=1))
    return computer_dir(out, made[0].id)


def _copy_workspace(computer: Path, dest: Path) -> Path:
    target = computer_dir(dest, computer.name)
    shutil.copytree(computer, target, symlinks=True)
    return target


def _simulate(computer: Path, *extra: str) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "synthcomp.cli", "simulate", str(computer), "--policy", "scripted",
           "--sandbox", "local", "--seed", "5", *extra]
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _sim_dir(computer: Path) -> Path:
    return sim_dir(workspace_of(computer), f"{computer.name}-scripted-s5")


@pytest.mark.bwrap
def test_a_month_of_scripted_work_offline(computer: Path, tmp_path: Path) -> None:
    comp = _copy_workspace(computer, tmp_path)
    proc = _simulate(comp, "--days", "20")
    out, _ = proc.communicate(timeout=600)
    assert proc.returncode == 0, out
    sim = _sim_dir(comp)
    setup = json.loads((sim / "setup.json").read_text())
    state = json.loads((sim / "state.json").read_text())
    updated = json.loads((sim / "computer" / "computer.json").read_text())
    assert 3 <= len(setup["deliverables"]) <= 6 and 5 <= len(setup["collaborators"]) <= 8
    assert list((sim / "private").iterdir()), "collaborators hold private files outside the sandbox"
    os_name = updated["policy"]["os"]
    for deliverable in setup["deliverables"]:
        for output in deliverable["outputs"]:
            assert (sim / "computer" / "files" / ospath.to_physical(os_name, output["path"])).is_file(), output["path"]
    assert state["outbox"] and any(m["sender"] != "me" for m in state["inbox"])
    shared = [a for m in state["inbox"] for a in m["attachments"]]
    assert shared and all((sim / "computer" / "files" / ospath.to_physical(os_name, a)).is_file() for a in shared)
    original_ids = {f["id"] for f in json.loads((comp / "computer.json").read_text())["plan"]["files"]}
    new_ids = {f["id"] for f in updated["plan"]["files"]} - original_ids
    assert new_ids
    assert any(e["kind"] == "derived_from" and e["target"] in new_ids for e in updated["plan"]["edges"])
    judgement = json.loads((sim / "judgement.json").read_text())
    assert 0 < judgement["score"] <= 1
    assert len(list((sim / "days").iterdir())) == 20
    cleaned = runner.invoke(app, ["gc", "--sim", str(sim)])
    assert cleaned.exit_code == 0 and "removed 20 checkpoint snapshot(s)" in cleaned.output
    assert not list((sim / "checkpoints").glob("day-*.json")) and not list((sim / "snapshots").iterdir())


@pytest.mark.bwrap
def test_kill_minus_nine_then_resume_gives_the_same_final_tree(computer: Path, tmp_path: Path) -> None:
    straight = _copy_workspace(computer, tmp_path / "a")
    proc = _simulate(straight, "--days", "8")
    assert proc.wait(timeout=600) == 0
    killed = _copy_workspace(computer, tmp_path / "b")
    proc = _simulate(killed, "--days", "8")
    progress = _sim_dir(killed) / "progress.json"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and proc.poll() is None:
        if progress.exists() and json.loads(progress.read_text())["last_finished_day"] >= 2:
            os.kill(proc.pid, signal.SIGKILL)
            break
        time.sleep(0.005)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "the run finished before it could be killed"
    gc_leaves_nothing_of([proc.pid], tmp_path)
    resumed = _simulate(killed, "--days", "8")
    out, _ = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, out
    a = json.loads((_sim_dir(straight) / "computer" / "computer.json").read_text())
    b = json.loads((_sim_dir(killed) / "computer" / "computer.json").read_text())
    assert a["content_hash"] == b["content_hash"]
    assert a["plan"] == b["plan"]
    for day_dir in (_sim_dir(killed) / "days").iterdir():
        events = [json.loads(line)["event"] for line in (day_dir / "trajectory.jsonl").read_text().splitlines()]
        assert events.count("reset") == 1, f"day {day_dir.name} was recorded twice"
    replay = _simulate(killed, "--days", "8", "--restart-from-day", "3")
    assert replay.wait(timeout=600) == 0
    c = json.loads((_sim_dir(killed) / "computer" / "computer.json").read_text())
    assert c["content_hash"] == a["content_hash"]


def test_bad_inputs_are_one_line_and_exit_2(computer: Path, tmp_path: Path) -> None:
    missing = runner.invoke(app, ["simulate", str(tmp_path / "nope"), "--sandbox", "local"])
    assert missing.exit_code == 2 and missing.output.startswith("error:") and "not a computer" in missing.output
    unknown = runner.invoke(app, ["simulate", str(computer), "--policy", "scripte", "--sandbox", "local"])
    assert unknown.exit_code == 2 and "scripted" in unknown.output
    comp = _copy_workspace(computer, tmp_path / "c")
    sim = _sim_dir(comp)
    sim.mkdir(parents=True)
    (sim / "setup.json").write_text('{"deliverables": 7}')
    corrupt = runner.invoke(app, ["simulate", str(comp), "--sandbox", "local", "--seed", "5"])
    assert corrupt.exit_code == 2 and "corrupt" in corrupt.output
    assert len([line for line in corrupt.output.splitlines() if line.strip()]) == 1


@pytest.mark.docker
def test_a_docker_simulation_replays_from_a_checkpoint_and_cleans_up(computer: Path, tmp_path: Path) -> None:
    comp = _copy_workspace(computer, tmp_path)
    args = ["simulate", str(comp), "--policy", "scripted", "--sandbox", "docker", "--seed", "5", "--days", "3"]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    sim = _sim_dir(comp)
    straight = json.loads((sim / "computer" / "computer.json").read_text())["content_hash"]
    replay = runner.invoke(app, [*args, "--restart-from-day", "2"])
    assert replay.exit_code == 0, replay.output
    assert json.loads((sim / "computer" / "computer.json").read_text())["content_hash"] == straight
    cleaned = runner.invoke(app, ["gc", "--sim", str(sim)])
    assert cleaned.exit_code == 0 and "removed 3 checkpoint snapshot(s)" in cleaned.output
