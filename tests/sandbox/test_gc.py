from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import uuid

import pytest

from synthcomp.sandbox.base import SnapshotRef
from synthcomp.sandbox.gc import collect_garbage, owner_alive, owner_labels, process_start
from synthcomp.sandbox.image import connect, image_tag


def _dead_owner() -> dict[str, str]:
    child = subprocess.Popen(["true"])
    child.wait()
    return {"synthcomp.owner": str(child.pid), "synthcomp.owner_start": "1", "synthcomp.host": socket.gethostname()}


def test_owner_liveness_checks_pid_and_start_time():
    assert owner_alive(owner_labels()) is True
    mine = owner_labels()
    assert owner_alive({**mine, "synthcomp.owner_start": str(int(process_start(os.getpid())) + 1)}) is False
    assert owner_alive(_dead_owner()) is False
    assert owner_alive({**mine, "synthcomp.host": "elsewhere"}) is None
    assert owner_alive({}) is False


def test_local_snapshot_dirs_of_dead_owners_are_removed(tmp_path):
    for name, labels in [("dead", _dead_owner()), ("kept", {**_dead_owner(), "synthcomp.keep": "1"}),
                         ("mine", owner_labels())]:
        (tmp_path / name).mkdir()
        (tmp_path / name / "meta.json").write_text(json.dumps({"labels": labels}))
    report = collect_garbage(snapshot_dir=tmp_path, docker=False)
    assert report.splitlines()[0] == "snapshots: removed 1: dead"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kept", "mine"]


@pytest.mark.docker
def test_docker_leftovers_of_dead_owners_are_removed(tmp_path):
    client = connect()
    leaked = client.containers.create(
        image_tag(), ["true"], labels={**_dead_owner(), "synthcomp.role": "sandbox"}, network_disabled=True
    )
    computer = f"c-gc-{uuid.uuid4().hex[:8]}"
    code = (
        "import json, os\n"
        "from synthcomp.sandbox import DockerSandboxConfig\n"
        f"sb = DockerSandboxConfig(snapshot_dir={str(tmp_path)!r}).build(None, os='macos', username='bo', "
        f"computer_id={computer!r})\n"
        "refs = [sb.snapshot('lost'), sb.snapshot('kept', keep=True)]\n"
        "print(json.dumps([r.model_dump(mode='json') for r in refs]), flush=True)\n"
        "os._exit(0)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    lost, kept = (SnapshotRef.model_validate(r) for r in json.loads(out))
    report = collect_garbage(snapshot_dir=tmp_path)
    assert leaked.name in report
    assert sorted(p.name for p in tmp_path.iterdir()) == [kept.id]


def test_socket_folders_of_killed_owners_are_removed(tmp_path, monkeypatch):
    """A process killed while its container booted leaves its supervisor socket's folder; gc takes it."""
    import shutil
    import tempfile
    from pathlib import Path

    from synthcomp.sandbox.supervisor_socket import SupervisorSocket

    short = Path(tempfile.mkdtemp(prefix="gc-", dir="/tmp"))  # a socket's path has at most 107 bytes
    monkeypatch.setattr(tempfile, "tempdir", str(short))
    dead = _dead_owner()
    left = short / f"synthcomp-link-{dead['synthcomp.owner']}@1-x1"
    left.mkdir()
    unknown = short / "synthcomp-link-x2"  # no owner in its name: not ours to judge
    unknown.mkdir()
    live = SupervisorSocket()
    try:
        report = collect_garbage(snapshot_dir=tmp_path / "snapshots", docker=False)
        assert f"sockets: removed 1 folders: {left.name}" in report.splitlines()
        assert not left.exists() and unknown.is_dir() and live.folder.is_dir()
    finally:
        live.close()
        shutil.rmtree(short)


def test_a_jail_cgroup_of_a_killed_owner_is_emptied_and_removed(monkeypatch):
    """What a killed owner left in its jail's cgroup (a bwrap stuck in its set-up) is ended by gc."""
    from synthcomp.sandbox import cgroup

    made = cgroup.JailCgroup.create(f"gc-test-{uuid.uuid4().hex[:6]}", memory_bytes=64 << 20, pids=8)
    if made is None:
        pytest.skip("jail cgroups need root and the cgroup v1 memory and pids controllers")
    dead = _dead_owner()
    monkeypatch.setattr(cgroup, "owner_tag", lambda: f"{dead['synthcomp.owner']}@1")
    orphaned = cgroup.JailCgroup.create(f"gc-test-{uuid.uuid4().hex[:6]}", memory_bytes=64 << 20, pids=8)
    stuck = subprocess.Popen(["sleep", "300"], preexec_fn=orphaned.enter)
    try:
        removed = cgroup.sweep()
        assert stuck.wait(timeout=10) == -9, "the process left in the dead owner's cgroup is ended"
        assert {f"{c}:{f.name}" for c, f in zip(cgroup.CONTROLLERS, orphaned.folders)} <= set(removed)
        assert not any(f.exists() for f in orphaned.folders)
        assert all(f.exists() for f in made.folders), "a live owner's cgroup is left alone"
    finally:
        stuck.kill()
        made.remove()
        orphaned.remove()
