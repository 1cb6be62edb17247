"""Nothing outlives its owner, each env keeps its own record, and the local jail hides the host."""

from __future__ import annotations

import subprocess
import sys
import time

import pytest

from synthcomp.env.workday import WorkdayEnv
from synthcomp.errors import InputError
from tests.hostile.conftest import JAILS, agent_processes, call, shell


def _gone(check, within_s: float) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("backend", JAILS)
def test_a_sigkilled_owner_mid_command_leaves_nothing_within_seconds(backend, computers, tmp_path):
    code = (
        "import sys\n"
        "from synthcomp.env.workday import WorkdayEnv\n"
        f"env = WorkdayEnv({str(computers['macos'])!r}, sandbox={backend!r}, run_dir={str(tmp_path / 'run')!r},\n"
        f"                 days=2)\n"
        "env.reset(seed=0)\n"
        "print(env.sandbox.computer_id, flush=True)\n"
        "env.step({'tool': 'shell', 'args': {'command': 'sleep 300 & setsid sleep 300 & sleep 300', 'timeout_s': 600}})\n"
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    computer = child.stdout.readline().strip()
    assert computer
    assert _gone(lambda: len([p for p in agent_processes() if p.endswith(" sleep")]) >= 3, 30)
    child.kill()  # mid-command: no atexit, no finalizer, no close()
    child.wait(timeout=30)
    assert _gone(lambda: agent_processes() == [], 10), agent_processes()
    if backend == "docker":
        import docker

        client = docker.from_env()
        label = f"synthcomp.owner={child.pid}"
        assert _gone(lambda: not client.containers.list(all=True, filters={"label": label}, ignore_removed=True), 10)


@pytest.mark.parametrize("backend", ["fake"])
def test_each_env_writes_its_own_trajectory(backend, computers, tmp_path):
    first = WorkdayEnv(computers["windows"], sandbox=backend)
    second = WorkdayEnv(computers["windows"], sandbox=backend)
    try:
        assert first.run_dir != second.run_dir
        for env, word in ((first, "first"), (second, "second")):
            env.reset(seed=0)
            call(env, "shell", command=f"echo {word}")
        for env, word, other in ((first, "first", "second"), (second, "second", "first")):
            text = (env.run_dir / "days/00/trajectory.jsonl").read_text()
            assert f"echo {word}" in text and f"echo {other}" not in text
        third = WorkdayEnv(computers["windows"], sandbox=backend, run_dir=first.run_dir)
        with pytest.raises(InputError, match="in use by another open env"):
            third.reset(seed=0)
        third.close()
    finally:
        first.close()
        second.close()
    again = WorkdayEnv(computers["windows"], sandbox=backend, run_dir=first.run_dir)  # free once the first closed
    again.reset(seed=0)
    again.close()


@pytest.mark.bwrap
def test_the_local_jail_sees_a_minimal_etc(env_for):
    env = env_for("local")
    observation = shell(env, "ls /etc; cat /etc/passwd; ls /etc/docker /etc/pip.conf /etc/apt /etc/shadow 2>&1 | "
                             "grep -c 'No such file'")
    assert "ana:x:1000:1000:" in observation or "1000:1000" in observation
    assert observation.rstrip().splitlines()[-2] == "4"
    assert "pip.conf" not in observation.split("root:x:0:0")[0]
    for secret in ("/etc/docker/daemon.json", "/etc/pip.conf", "/etc/apt/sources.list"):
        assert "No such file" in shell(env, f"cat {secret}")
