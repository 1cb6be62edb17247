"""An agent that attacks its own computer: what every hostile test shares.

Each test plays an agent that sees only what any agent sees (observations and tools)
and tries to steer, starve, crash or escape the code outside its sandbox. It runs on
every backend the attack applies to: the two jails, and the fake backend where the
attack needs no shell. After the whole suite nothing of it may be left: no container,
no jail process, no process of the agent's users on the host.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Callable, Iterator

import pytest

import synthcomp.env  # noqa: F401 - registers the tools
from synthcomp.env.workday import WorkdayEnv
from tests.processes import release_containers

JAILS = [pytest.param("local", marks=pytest.mark.bwrap, id="local"),
         pytest.param("docker", marks=pytest.mark.docker, id="docker")]
ALL = [*JAILS, pytest.param("fake", id="fake")]
AGENT_UIDS = (1000, 65534)
"""The agent's uid in a container, and the host uid bubblewrap jails run as."""


@pytest.fixture
def env_for(computers: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., WorkdayEnv]]:
    """``env_for(backend, os="windows", **env_options)``: a WorkdayEnv reset to day 0, closed afterwards."""
    import synthcomp.sandbox.docker
    import synthcomp.sandbox.local

    for module in (synthcomp.sandbox.docker, synthcomp.sandbox.local):
        monkeypatch.setattr(module, "DEFAULT_SNAPSHOTS", tmp_path / "snapshots")
    made: list[WorkdayEnv] = []

    def make(backend: str, os: str = "windows", **options) -> WorkdayEnv:
        options.setdefault("step_budget", 400)
        options.setdefault("days", 3)
        env = WorkdayEnv(computers[os], sandbox=backend, run_dir=tmp_path / f"run-{len(made)}", **options)
        made.append(env)
        env.reset(seed=0)
        return env

    yield make
    for env in made:
        env.close()


def call(env: WorkdayEnv, tool: str, **args) -> tuple[str, dict]:
    """One tool call; returns (observation, info)."""
    observation, _, _, _, info = env.step({"tool": tool, "args": args})
    return observation, info


def shell(env: WorkdayEnv, command: str, timeout_s: float = 30) -> str:
    return call(env, "shell", command=command, timeout_s=timeout_s)[0]


def home(env: WorkdayEnv) -> str:
    assert env.sandbox is not None
    return env.sandbox.layout.home


@contextlib.contextmanager
def host_memory_growth() -> Iterator[Callable[[], float]]:
    """Yields a function giving the growth of this process's peak memory (MB) since entering."""
    Path("/proc/self/clear_refs").write_text("5")  # resets the peak (VmHWM) to the current RSS

    def peak_kb() -> int:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM in /proc/self/status")

    start = peak_kb()
    yield lambda: (peak_kb() - start) / 1024


def agent_processes() -> list[str]:
    """Host processes run by an agent's uid (in a container, or a bubblewrap jail)."""
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            status = Path(entry.path, "status").read_text()
            uid = int(next(l for l in status.splitlines() if l.startswith("Uid:")).split()[1])
            if uid in AGENT_UIDS and "State:\tZ" not in status:
                found.append(f"{entry.name} {Path(entry.path, 'comm').read_text().strip()}")
        except (OSError, StopIteration, ValueError):
            continue
    return found


@pytest.fixture(scope="session", autouse=True)
def _nothing_outlives_the_attacks() -> Iterator[None]:
    """After the suite: no container of this process, no jail, no agent process on the host."""
    yield
    import time

    release_containers()
    deadline = time.monotonic() + 20
    while agent_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert agent_processes() == []
    try:
        import docker

        client = docker.from_env()
        left = client.containers.list(all=True, filters={"label": f"synthcomp.owner={os.getpid()}"},
                                      ignore_removed=True)
    except Exception:  # noqa: BLE001 - no daemon here: nothing to check
        return
    assert [c.name for c in left] == []
