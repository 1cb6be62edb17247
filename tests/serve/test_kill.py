"""``synthcomp serve`` killed mid-load (SIGKILL: no shutdown runs) leaves nothing behind
once ``synthcomp gc`` has run: no jail process, no container of the dead server."""

from __future__ import annotations

import signal
import threading
import time
from pathlib import Path

import httpx2
import pytest
from typer.testing import CliRunner

from synthcomp.cli import app
from synthcomp.sandbox.gc import OWNER
from synthcomp.workspace import computer_dirs
from tests.processes import descendants
from tests.serve.conftest import serve_process


def _alive(pids: set[int]) -> set[int]:
    return {pid for pid in pids if Path(f"/proc/{pid}").exists()}


def _containers_of(pid: int) -> list:
    from synthcomp.sandbox.image import connect

    return connect().containers.list(all=True, filters={"label": f"{OWNER}={pid}"})


@pytest.mark.parametrize("backend", [pytest.param("local", marks=pytest.mark.bwrap),
                                     pytest.param("docker", marks=pytest.mark.docker)])
def test_a_killed_server_leaves_nothing_after_gc(workspace: Path, backend: str) -> None:
    with serve_process(workspace, "--sandbox", backend) as (url, server):
        ids = [d.name for d in computer_dirs(workspace)]
        sessions = [httpx2.post(f"{url}/sessions", json={"computer_id": ids[i % 2]}, timeout=120).json()["session_id"]
                    for i in range(3)]
        stop = threading.Event()

        def load(sid: str) -> None:
            with httpx2.Client(base_url=url, timeout=120) as http:
                while not stop.is_set():
                    try:
                        http.post(f"/sessions/{sid}/step", json={"tool": "shell", "args": {"command": "sleep 0.05; ls"}})
                    except httpx2.TransportError:
                        return  # the server is gone

        workers = [threading.Thread(target=load, args=(sid,)) for sid in sessions]
        for w in workers:
            w.start()
        time.sleep(1.0)
        below = descendants(server.pid)  # bubblewrap jails; a Docker sandbox runs under the daemon
        if backend == "docker":
            assert len(_containers_of(server.pid)) >= 3  # and a spare for the computer opened twice
        else:
            assert below
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=30)
        stop.set()
        for w in workers:
            w.join(timeout=30)
    result = CliRunner().invoke(app, ["gc"])
    assert result.exit_code == 0, result.output
    deadline = time.monotonic() + 30
    while (_alive(below) or (backend == "docker" and _containers_of(server.pid))) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not _alive(below), f"left running: {sorted(_alive(below))}"
    if backend == "docker":
        assert _containers_of(server.pid) == []
