"""A live ``synthcomp serve`` app on loopback (uvicorn in a thread) over a small workspace."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx2
import pytest
import uvicorn

from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.sandbox.config import sandbox_config
from synthcomp.serve.app import build_app
from synthcomp.serve.sessions import OpenRequest, SessionManager

TOKEN = "serve-test-token"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two computers."""
    out = tmp_path_factory.mktemp("served")
    create_computers(CreateRequest.from_cli(out=out, n=2, seed=12, os_name="windows", personas=None, workers=1))
    return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(manager: SessionManager, token: str | None = TOKEN,
            default: OpenRequest | None = None) -> Iterator[str]:
    """The app running on a free loopback port; its base URL. Stopped (and every session
    closed by its lifespan) on exit."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(manager, token, default), host="127.0.0.1", port=port,
                                           log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)


@contextmanager
def serve_process(workspace: Path, *options: str) -> Iterator[tuple[str, subprocess.Popen]]:
    """``synthcomp serve WORKSPACE *options`` in its own process, as it is deployed, once it
    answers /health: its URL and process. Stopped with SIGTERM on exit if still running."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen([sys.executable, "-m", "synthcomp.cli", "serve", str(workspace), "--port", str(port),
                                   *options], stdout=subprocess.DEVNULL, stderr=log)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx2.get(f"{url}/health").status_code == 200:
                        break
                except httpx2.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"synthcomp serve did not start: {log.read().decode(errors='replace')}")
                time.sleep(0.2)
            yield url, server
        finally:
            if server.poll() is None:
                server.send_signal(signal.SIGTERM)
                server.wait(timeout=120)


def local_manager(workspace: Path, **bounds) -> SessionManager:
    return SessionManager(workspace, sandbox_config("local"), **bounds)
