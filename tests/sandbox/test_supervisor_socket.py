"""The socket a Docker supervisor connects back on takes one caller, who must know the token."""

from __future__ import annotations

import socket
import threading

import pytest

from synthcomp.errors import SandboxError
from synthcomp.sandbox.inside.protocol import frame
from synthcomp.sandbox.supervisor_socket import MOUNT, SupervisorSocket


def _caller(listening: SupervisorSocket, first: bytes | None) -> threading.Thread:
    """A process in the container's place: connects to the socket's host path and says ``first``."""
    path = str(listening.folder / listening.hello()["path"].removeprefix(f"{MOUNT}/"))

    def run() -> None:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.connect(path)
            if first is not None:
                sock.sendall(first)
                sock.recv(1)  # until the host closes or keeps the connection

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_the_caller_with_the_token_is_taken_and_the_socket_is_gone_after():
    listening = SupervisorSocket()
    assert oct(listening.folder.stat().st_mode & 0o777) == "0o700"
    _caller(listening, frame({"token": listening.token}))
    conn = listening.accept(timeout_s=5)
    try:
        assert not listening.folder.exists()  # nobody else can connect now
        conn.sendall(b"x")
    finally:
        conn.close()


@pytest.mark.parametrize("first", [frame({"token": "0" * 32}), frame({}), b"\0\0\0\x05{}", None],
                         ids=["wrong-token", "no-token", "cut-short", "silent"])
def test_a_caller_without_the_token_is_refused(first):
    listening = SupervisorSocket()
    _caller(listening, first)
    with pytest.raises(SandboxError):
        listening.accept(timeout_s=0.5)
    assert not listening.folder.exists()


def test_nobody_connecting_is_a_clear_error():
    listening = SupervisorSocket()
    with pytest.raises(SandboxError, match="did not connect"):
        listening.accept(timeout_s=0.1)
    assert not listening.folder.exists()
