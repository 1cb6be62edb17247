"""Docker-specific behaviour: run options, who is who inside, lifetime, snapshots without images."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from typing import Iterator

import pytest

from synthcomp.errors import SandboxError
from synthcomp.sandbox import DockerSandboxConfig
from synthcomp.sandbox import docker as docker_backend
from synthcomp.sandbox import spares
from tests.sandbox.conftest import fingerprint

pytestmark = pytest.mark.docker


def _gone(client, label: str, within_s: float = 30) -> bool:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if not client.containers.list(all=True, filters={"label": label}, ignore_removed=True):
            return True
        time.sleep(0.2)
    return False


def test_container_runs_offline_unprivileged_and_limited(make_sandbox, trees):
    sb = make_sandbox("docker", trees["macos"], os="macos", memory_mb=512, disk_mb=64, cpus=0.5, pids=128)
    attrs = sb._client.api.inspect_container(sb.container_id)
    host = attrs["HostConfig"]
    assert host["NetworkMode"] == "none"
    assert (host["PidsLimit"], host["Memory"], host["NanoCpus"]) == (128, 512 * 2**20, 500_000_000)
    assert host["CapDrop"] == ["ALL"] and "no-new-privileges" in host["SecurityOpt"]
    assert sorted(host["CapAdd"]) == sorted(f"CAP_{c}" for c in docker_backend.SUPERVISOR_CAPS) or \
        sorted(host["CapAdd"]) == sorted(docker_backend.SUPERVISOR_CAPS)
    assert host["LogConfig"]["Type"] == "none" and host["AutoRemove"]
    # PID 1 is the supervisor (the container's root, four capabilities); the agent has none
    assert attrs["Config"]["User"] == "0:0"
    assert sb.exec("id -u; grep CapEff /proc/self/status").stdout == "1000\nCapEff:\t0000000000000000\n"
    labels = attrs["Config"]["Labels"]
    assert labels["synthcomp.computer"] == sb.computer_id and labels["synthcomp.owner"].isdigit()
    mount = next(m for m in attrs["Mounts"] if m["Destination"] == "/Users")
    assert mount["Type"] == "volume"
    assert "size=65536k" in sb.exec("grep ' /Users ' /proc/mounts").stdout
    assert sb.exec("ls /Users/ana").stdout == "Desktop\nDocuments\nDownloads\n"


def test_commands_start_in_the_static_bash_and_look_like_bash(make_sandbox, trees, monkeypatch):
    sb = make_sandbox("docker", trees["macos"], os="macos")
    shell = sb.exec("echo $BASH $0; cat /proc/$$/comm; readlink /proc/$$/exe").stdout.split()
    assert shell == ["/bin/bash", "bash", "bash", docker_backend.AGENT_SHELL]
    # an image without it (built before the static bash): the dynamic one, and every command still runs
    monkeypatch.setattr(docker_backend.DockerSandbox, "agent_shell", lambda self: "/usr/libexec/nowhere/bash")
    older = make_sandbox("docker", trees["macos"], os="macos")
    assert older.exec("readlink /proc/$$/exe; echo ok").stdout == "/usr/bin/bash\nok\n"


def test_a_missing_image_is_reported_before_anything_starts():
    with pytest.raises(SandboxError, match="missing: build it with `synthcomp image build`"):
        DockerSandboxConfig(image="synthcomp/computer:000000000000").build(
            None, os="macos", username="bo", computer_id="c-none"
        )


@pytest.mark.parametrize("ending", ["exit", "kill"])
def test_no_container_outlives_its_owner(ending):
    client = docker_backend.connect()
    computer = f"c-owner-{uuid.uuid4().hex[:8]}"
    code = (
        "import os, sys, time\n"
        "from synthcomp.sandbox.docker import DockerSandbox\n"
        f"sb = DockerSandbox(None, os='macos', username='bo', computer_id={computer!r})\n"
        "print(sb.container_id, flush=True)\n"
        + ("sys.exit(0)\n" if ending == "exit" else "time.sleep(600)\n")
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert len(child.stdout.readline().strip()) == 64
    if ending == "kill":
        child.kill()  # no atexit, no finalizers: the closed attach stream ends the shell
        assert _gone(client, f"synthcomp.computer={computer}")
    else:
        child.wait(timeout=60)
        assert client.containers.list(all=True, filters={"label": f"synthcomp.computer={computer}"}, ignore_removed=True) == []
    child.wait(timeout=60)


def test_snapshots_are_exact_and_make_no_images(make_sandbox, trees, tmp_path):
    sb = make_sandbox("docker", trees["windows"], snapshot_dir=tmp_path / "snapshots")
    images_before = {i.id for i in sb._client.images.list(all=True)}
    assert sb.exec("echo secret > ~/locked.txt && chmod 000 ~/locked.txt && chmod 000 ~/Downloads && "
                   "mkfifo ~/pipe && ln -s /etc/passwd ~/pw && touch ~/'naïve – 東京.txt' && "
                   "touch -d '2020-01-02 03:04:05.123456789' ~/Documents/t.txt").ok
    at_k = fingerprint(sb)
    ref = sb.snapshot("unreadable")
    sb.exec("chmod 700 ~/locked.txt ~/Downloads && rm -rf ~/* && echo gone > ~/new.txt")
    sb.restore(ref)
    assert fingerprint(sb) == at_k
    assert sb.exec("stat -c '%y' ~/Documents/t.txt").stdout == "2020-01-02 03:04:05.123456789 +0000\n"
    # a chain: restore, work, snapshot again, restore again
    sb.write_bytes("~/later.txt", b"later")
    second = sb.snapshot("second")
    at_second = fingerprint(sb)
    sb.exec("rm ~/later.txt")
    sb.restore(second)
    assert fingerprint(sb) == at_second
    assert {r.tag for r in sb.list_snapshots()} == {"unreadable", "second"}
    assert {i.id for i in sb._client.images.list(all=True)} == images_before


@pytest.fixture
def own_spares(monkeypatch) -> Iterator[spares.Spares]:
    """This test's own spares, discarded after it."""
    mine = spares.Spares()
    monkeypatch.setattr(docker_backend, "SPARES", mine)
    yield mine
    mine.close()


def _settled(pool: spares.Spares, within_s: float = 60) -> None:
    """Wait until no spare is being started."""
    deadline = time.monotonic() + within_s
    while pool._pending and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_computer_started_again_restores_into_a_spare_with_nothing_of_the_agent(make_sandbox, trees, tmp_path,
                                                                                    own_spares):
    sb = make_sandbox("docker", trees["windows"], snapshot_dir=tmp_path / "snapshots")
    assert own_spares.count() == 0  # one start is a month in one container: no spare for it
    ref = sb.snapshot("clean")
    at_snapshot = fingerprint(sb)
    sb.exec("cd ~/Documents && export MARK=1 && echo left > /tmp/left && (sleep 300 &) && echo x > ~/x.txt")
    sb.restore(ref)  # the second start: a new container now, and a spare for the next
    _settled(own_spares)
    assert own_spares.count() == 1
    spare_ids = {c.id for c in sb._client.containers.list(filters={"label": f"synthcomp.computer={sb.computer_id}"})}
    sb.exec("echo again > /tmp/left && echo y > ~/y.txt")
    sb.restore(ref)
    assert sb.container_id in spare_ids, "the restore went into the container started ahead"
    assert fingerprint(sb) == at_snapshot
    seen = sb.exec("pwd; echo ${MARK:-unset}; [ -e /tmp/left ] && echo left || echo clean; "
                   "ps -e -o comm= | grep -c sleep").stdout.split()
    assert seen == [sb.layout.home, "unset", "clean", "0"], "the spare holds nothing of the agent's earlier steps"


def test_spares_are_bounded_per_process(make_sandbox, trees, own_spares, tmp_path):
    own_spares.limit = 1
    first = make_sandbox("docker", trees["windows"], snapshot_dir=tmp_path / "s")
    second = make_sandbox("docker", trees["macos"], os="macos", snapshot_dir=tmp_path / "s")
    for sb in (first, second):
        sb.restore(sb.snapshot("t"))  # each started twice: each wants a spare
        _settled(own_spares)
        assert own_spares.count() == 1
    labels = [f"synthcomp.computer={sb.computer_id}" for sb in (first, second)]
    live = [len(first._client.containers.list(filters={"label": label})) for label in labels]
    assert live == [1, 2], "the first computer's spare made room for the second's"


@pytest.mark.parametrize("ending", ["exit", "kill"])
def test_no_spare_outlives_its_owner(ending):
    client = docker_backend.connect()
    computer = f"c-spare-{uuid.uuid4().hex[:8]}"
    code = (
        "import sys, time\n"
        "from synthcomp.sandbox.docker import DockerSandbox\n"
        "from synthcomp.sandbox.spares import SPARES\n"
        f"sb = DockerSandbox(None, os='macos', username='bo', computer_id={computer!r})\n"
        "sb.restore(sb.snapshot('t'))\n"
        "while SPARES.count() < 1 or SPARES._pending: time.sleep(0.05)\n"
        "print('spare', flush=True)\n"
        + ("sys.exit(0)\n" if ending == "exit" else "time.sleep(600)\n")
    )
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "spare"
    assert len(client.containers.list(filters={"label": f"synthcomp.computer={computer}"})) == 2
    if ending == "kill":
        child.kill()
    child.wait(timeout=60)
    assert _gone(client, f"synthcomp.computer={computer}")
