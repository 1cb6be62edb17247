"""Fleet scale: the same results on a local pool and on Ray, retries, backpressure, the
sharded workspace and its manifest."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synthcomp.cli import app
from synthcomp.pool.executor import LocalExecutor, RayExecutor, make_executor
from synthcomp.pool.manifest import FleetError, read_manifest
from synthcomp.fleet.simulations import simulate_many
from synthcomp.sim.config import SimSettings
from synthcomp.workspace import computer_dirs, shard_of, sim_dirs
from tests.processes import gc_leaves_nothing_of


def always_fails(item: int) -> int:
    raise RuntimeError(f"item {item} is broken")


def flaky_once(marker_dir: str) -> str:
    """Fails the first time it runs for a directory, then succeeds."""
    marker = Path(marker_dir) / "tried"
    if not marker.exists():
        marker.write_text("x")
        raise OSError("the sandbox went away")
    return "ok"


def timed(item: float) -> tuple[float, float]:
    started = time.time()
    time.sleep(item)
    return started, time.time()


@pytest.fixture(scope="module")
def ray_session() -> Iterator[None]:
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    yield
    ray.shutdown()


def _create(ws: Path, n: int, *extra: str) -> None:
    result = CliRunner().invoke(app, ["create", "--out", str(ws), "--n", str(n), "--seed", "11", "--os", "mixed",
                                      "--concurrency", "2", *extra])
    assert result.exit_code == 0, result.output


def _trees(ws: Path) -> dict[str, str]:
    return {d.name: json.loads((d / "computer.json").read_text())["content_hash"] for d in computer_dirs(ws)}


def _sims(ws: Path) -> dict[str, tuple]:
    out = {}
    for d in sim_dirs(ws):
        summary = json.loads((d / "summary.json").read_text())
        out[d.name] = (summary["score"], summary["turns"], summary["files_created"],
                       json.loads((d / "computer" / "computer.json").read_text())["content_hash"])
    return out


@pytest.mark.bwrap
def test_ray_and_the_local_pool_create_and_simulate_the_same_fleet(tmp_path: Path, ray_session: None) -> None:
    _create(tmp_path / "local", 20, "--executor", "local")
    _create(tmp_path / "ray", 20, "--executor", "ray")
    assert _trees(tmp_path / "local") == _trees(tmp_path / "ray") and len(_trees(tmp_path / "ray")) == 20
    for name in ("local", "ray"):
        result = CliRunner().invoke(app, ["simulate-many", str(tmp_path / name), "--n", "4", "--days", "2",
                                          "--sandbox", "local", "--concurrency", "2", "--executor", name])
        assert result.exit_code == 0, result.output
    assert _sims(tmp_path / "local") == _sims(tmp_path / "ray") and len(_sims(tmp_path / "ray")) == 4
    manifest = read_manifest(tmp_path / "ray")
    assert sum(kind == "computer" for kind, _ in manifest) == 20 and sum(kind == "sim" for kind, _ in manifest) == 4
    again = CliRunner().invoke(app, ["simulate-many", str(tmp_path / "ray"), "--n", "4", "--days", "2",
                                     "--sandbox", "local", "--executor", "ray"])
    assert again.exit_code == 0 and "simulated 0" in again.output and "skipped 4" in again.output


def test_the_workspace_is_sharded_by_id_prefix(tmp_path: Path) -> None:
    _create(tmp_path / "ws", 6)
    for directory in computer_dirs(tmp_path / "ws"):
        assert directory.parent.name == shard_of(directory.name) == directory.name.split("-")[1][:2]
    assert not any((tmp_path / "ws" / "computers").glob("*/computer.json"))  # nothing at the top level
    before = (tmp_path / "ws" / "manifest.jsonl").read_text().count("\n")
    _create(tmp_path / "ws", 6)  # a re-run makes nothing new
    assert len(_trees(tmp_path / "ws")) == 6 and before == 6


@pytest.mark.parametrize("executor", ["local", "ray"])
def test_a_task_that_keeps_failing_is_reported_with_every_attempt(executor: str, request: pytest.FixtureRequest) -> None:
    if executor == "ray":
        request.getfixturevalue("ray_session")
    outcomes = list(make_executor(executor, 2, attempts=3).run(always_fails, [1, 2], ["a", "b"]))
    assert sorted(o.key for o in outcomes) == ["a", "b"]
    for outcome in outcomes:
        assert outcome.status == "failed" and outcome.attempts == 3 and len(outcome.errors) == 3
        assert "is broken" in outcome.errors[-1]


def test_a_failed_attempt_is_retried_and_then_succeeds(tmp_path: Path) -> None:
    (outcome,) = LocalExecutor(2, attempts=3).run(flaky_once, [str(tmp_path)], ["only"])
    assert outcome.status == "done" and outcome.value == "ok" and outcome.attempts == 2
    assert outcome.errors == ["OSError: the sandbox went away"]


def test_never_more_tasks_in_flight_than_the_concurrency() -> None:
    spans = [o.value for o in LocalExecutor(2).run(timed, [0.3] * 6, [str(i) for i in range(6)])]
    assert len(spans) == 6
    peak = max(sum(start <= moment < end for start, end in spans) for moment, _ in spans)
    assert peak <= 2


def test_bad_fleet_options_are_one_clear_line(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["create", "--out", str(tmp_path / "ws"), "--executor", "dask"])
    assert result.exit_code == 2 and "--executor must be local or ray" in result.output
    result = CliRunner().invoke(app, ["simulate-many", str(tmp_path / "empty"), "--sandbox", "local"])
    assert result.exit_code == 2 and "no computers" in result.output
    with pytest.raises(FleetError, match="1 of 1 simulations failed"):
        raise FleetError("simulations", list(LocalExecutor(1, attempts=1).run(always_fails, [0], ["x"])), 1)


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


@pytest.mark.bwrap
def test_killing_a_pool_worker_mid_simulation_retries_it_and_completes(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    _create(ws, 3)
    command = [sys.executable, "-m", "synthcomp.cli", "simulate-many", str(ws), "--days", "4", "--sandbox", "local",
               "--concurrency", "2"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not any((ws / "sims").glob("*/*/checkpoints/day-00.json")):
        time.sleep(0.05)
    workers = _children(proc.pid)
    assert workers, "no pool worker to kill"
    os.kill(workers[0], signal.SIGKILL)
    output, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, output
    assert len([d for d in sim_dirs(ws) if (d / "summary.json").is_file()]) == 3
    records = [r for (kind, _), r in read_manifest(ws).items() if kind == "sim"]
    assert len(records) == 3 and all(r["status"] == "done" for r in records)
    assert any(r["attempts"] > 1 and "worker process died" in r["errors"] for r in records)
    gc_leaves_nothing_of(workers[:1], tmp_path)


@pytest.mark.bwrap
def test_killing_a_ray_worker_mid_simulation_retries_it_and_completes(tmp_path: Path, ray_session: None) -> None:
    ws = tmp_path / "ws"
    _create(ws, 2)
    killed: list[int] = []

    def kill_first_ray_simulation() -> None:
        deadline = time.monotonic() + 120
        while not killed and time.monotonic() < deadline:
            if any((ws / "sims").glob("*/*/checkpoints/day-00.json")):
                for entry in Path("/proc").iterdir():
                    try:
                        if entry.name.isdigit() and (entry / "cmdline").read_bytes().startswith(b"ray::simulate_task"):
                            os.kill(int(entry.name), signal.SIGKILL)
                            killed.append(int(entry.name))
                            return
                    except OSError:
                        continue
            time.sleep(0.05)

    killer = threading.Thread(target=kill_first_ray_simulation)
    killer.start()
    report = simulate_many(ws, RayExecutor(2), SimSettings(policy="scripted", days=4, sandbox="local"))
    killer.join()
    assert killed and len(report.done) == 2 and report.retried >= 1
    assert all((d / "summary.json").is_file() for d in sim_dirs(ws))
    gc_leaves_nothing_of(killed, tmp_path)
