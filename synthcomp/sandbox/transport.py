"""The byte pipes between this process and a jail's supervisor.

The bubblewrap backend talks over the child's stdin/stdout/stderr pipes; Docker over
the container's attach socket, whose 8-byte frame headers tell stdout from stderr.
Docker requests and answers then move to a unix socket of their own
(``SupervisorSocketTransport``). All are non-blocking: ``Link`` multiplexes reads and writes
with a selector.
"""

from __future__ import annotations

import os
import struct
from typing import Protocol

from synthcomp.errors import SandboxError

STDOUT, STDERR = 1, 2


class Transport(Protocol):
    def read_fds(self) -> list[int]: ...

    def write_fd(self) -> int: ...

    def write(self, data: memoryview) -> int:
        """Write what fits without blocking; return the number of bytes written."""

    def read(self, fd: int) -> list[tuple[int, bytes]] | None:
        """Read what is there as (STDOUT|STDERR, bytes) pieces; None at end of stream."""

    def close(self) -> None: ...


class PipeTransport:
    """A child process's stdin/stdout/stderr pipes (the bwrap backend)."""

    def __init__(self, stdin: int, stdout: int, stderr: int) -> None:
        self._fds = {stdout: STDOUT, stderr: STDERR}
        self._stdin = stdin
        for fd in (stdin, stdout, stderr):
            os.set_blocking(fd, False)

    def read_fds(self) -> list[int]:
        return list(self._fds)

    def write_fd(self) -> int:
        return self._stdin

    def write(self, data: memoryview) -> int:
        try:
            return os.write(self._stdin, data)
        except BlockingIOError:
            return 0
        except BrokenPipeError as exc:
            raise SandboxError("the sandbox's supervisor is gone (its stdin is closed)") from exc

    def read(self, fd: int) -> list[tuple[int, bytes]] | None:
        try:
            data = os.read(fd, 1 << 20)
        except BlockingIOError:
            return []
        return [(self._fds[fd], data)] if data else None

    def close(self) -> None:
        pass  # the pipes belong to the Popen object, which closes them


class _Socket:
    """One non-blocking socket to a supervisor: a send that fits, a receive, a gone peer."""

    def __init__(self, sock) -> None:  # a connected socket.socket
        self._sock = sock
        self._sock.setblocking(False)

    def write_fd(self) -> int:
        return self._sock.fileno()

    def write(self, data: memoryview) -> int:
        try:
            return self._sock.send(data)
        except BlockingIOError:
            return 0
        except OSError as exc:
            raise SandboxError(f"the sandbox's supervisor is gone ({exc})") from exc

    def _receive(self) -> bytes | None:
        """What is there (b"" if nothing yet); None at end of stream."""
        try:
            return self._sock.recv(1 << 20) or None
        except BlockingIOError:
            return b""
        except OSError:
            return None

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass


class MultiplexedSocketTransport(_Socket):
    """Docker's attach stream (no TTY): 8-byte frame headers tell stdout from stderr."""

    def __init__(self, sock) -> None:
        super().__init__(sock)
        self._buffer = bytearray()

    def read_fds(self) -> list[int]:
        return [self._sock.fileno()]

    def read(self, fd: int) -> list[tuple[int, bytes]] | None:
        data = self._receive()
        if data is None:
            return None
        self._buffer += data
        pieces = []
        while len(self._buffer) >= 8:
            stream, size = struct.unpack(">BxxxL", self._buffer[:8])
            if len(self._buffer) < 8 + size:
                break
            pieces.append((STDERR if stream == 2 else STDOUT, bytes(self._buffer[8 : 8 + size])))
            del self._buffer[: 8 + size]
        return pieces


class SupervisorSocketTransport(_Socket):
    """Requests and answers on the unix socket the supervisor connected to (``supervisor_socket``);
    the attach stream only carries what it prints to stderr, and its end says the container is gone."""

    def __init__(self, sock, attach: MultiplexedSocketTransport) -> None:
        super().__init__(sock)
        self._attach = attach

    def read_fds(self) -> list[int]:
        return [self._sock.fileno(), *self._attach.read_fds()]

    def read(self, fd: int) -> list[tuple[int, bytes]] | None:
        if fd != self._sock.fileno():
            pieces = self._attach.read(fd)
            return None if pieces is None else [(STDERR, data) for _, data in pieces]
        data = self._receive()
        if data is None:
            return None
        return [(STDOUT, data)] if data else []

    def close(self) -> None:
        super().close()
        self._attach.close()
