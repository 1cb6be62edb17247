"""The supervisor's main loop: a hello, then one request at a time until the owner hangs up.

Under bubblewrap requests come on stdin and answers go to stdout. In Docker those are the
container's attach stream, which passes through dockerd and containerd-shim, so the
hello may name a unix socket the host listens on (bind-mounted into the container): the
supervisor connects to it before it answers the hello, proves itself with the hello's
token, and from then on every request and answer travels on that socket.

A request names an operation (an ``op_*`` method). The answer is one frame, or, for
data longer than a frame (``read``, ``pack``), ``"more"`` chunks then the final frame;
``write`` and ``unpack`` may read a stream of ``chunk`` frames ending in ``end`` first.
Failures are answers too (``{"ok": false, "error": kind, "errno": n, "message": ...}``),
so a bad path or a full disk never desynchronizes the channel. The fake backend calls
``Supervisor.serve`` in-process, so every backend answers file work with the same code.
"""

from __future__ import annotations

import ctypes
import errno
import os
import select
import socket
import sys
import traceback
from collections import deque
from dataclasses import dataclass
from typing import Callable

from . import archive, commands
from .files import Escape, Identity, Tree
from .index import ChangeWatcher
from .protocol import CHUNK, Decoder, ProtocolError, frame

PR_SET_DUMPABLE, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 4, 47, 4
Send = Callable[[dict, bytes], None]
PREPARE_AFTER_S = 0.001
"""How long after a command's answer the next command's bash is started (see ``main``)."""


class Channel:
    """Frames between the owner and the supervisor: stdin and stdout, or one socket for both."""

    def __init__(self, read_fd: int = 0, write_fd: int = 1) -> None:
        self.read_fd, self.write_fd = read_fd, write_fd
        self._decoder = Decoder()
        self._frames: deque[tuple[dict, bytes]] = deque()

    def fill(self) -> bool:
        """Read what is there (one read); False at end of stream."""
        data = os.read(self.read_fd, 1 << 20)
        if not data:
            return False
        self._frames.extend(self._decoder.feed(data))
        return True

    def waiting(self, timeout_s: float) -> bool:
        """Whether a request is there, or comes within ``timeout_s``."""
        return bool(self._frames) or bool(select.select([self.read_fd], [], [], timeout_s)[0])

    def recv(self) -> tuple[dict, bytes] | None:
        while not self._frames:
            if not self.fill():
                return None
        return self._frames.popleft()

    def send(self, header: dict, payload: bytes = b"") -> None:
        view = memoryview(frame(header, payload))
        while view:
            view = view[os.write(self.write_fd, view):]

    @classmethod
    def connect(cls, path: str) -> "Channel":
        """The host's unix socket at ``path`` (close-on-exec: no command ever inherits it)."""
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.connect(path)
        fd = sock.detach()
        return cls(fd, fd)


class StreamIn:
    """What ``write`` and ``unpack`` read: payloads of ``chunk`` frames up to an ``end`` frame."""

    def __init__(self, next_frame: Callable[[], tuple[dict, bytes] | None]) -> None:
        self._next, self._buffer, self.ended = next_frame, bytearray(), False

    def read(self, n: int = -1) -> bytes:
        while not self.ended and (n < 0 or len(self._buffer) < n):
            got = self._next()
            if got is None:
                raise SystemExit(0)  # the owner is gone mid-transfer
            header, payload = got
            if header.get("op") == "end":
                self.ended = True
            elif header.get("op") == "chunk":
                self._buffer += payload
            else:
                raise ProtocolError(f"expected a chunk of the stream, got {header.get('op')!r}")
        n = len(self._buffer) if n < 0 else min(n, len(self._buffer))
        data = bytes(self._buffer[:n])
        del self._buffer[:n]
        return data

    def drain(self) -> None:
        while not self.ended:
            self.read(CHUNK)


class StreamOut:
    """A file object ``pack`` writes to: full chunks go out as ``"more"`` frames."""

    def __init__(self, send: Send) -> None:
        self._send, self._buffer = send, bytearray()

    def write(self, data: bytes) -> None:
        self._buffer += data
        while len(self._buffer) >= CHUNK:
            self._send({"more": True}, bytes(self._buffer[:CHUNK]))
            del self._buffer[:CHUNK]

    def flush(self) -> None:
        if self._buffer:
            self._send({"more": True}, bytes(self._buffer))
            self._buffer.clear()


@dataclass
class Request:
    header: dict
    payload: bytes
    stream: StreamIn | None
    send: Send
    owner: Channel | None

    def __getitem__(self, key: str):
        return self.header[key]


def error_answer(exc: BaseException) -> dict:
    """A failure as an answer the host maps back to the same kind of exception."""
    if isinstance(exc, Escape):
        return {"ok": False, "error": "escape", "message": str(exc)}
    if isinstance(exc, archive.ArchiveError):
        return {"ok": False, "error": "archive", "message": str(exc)}
    if isinstance(exc, OSError):
        return {"ok": False, "error": "os", "errno": exc.errno or errno.EIO,
                "message": exc.strerror or str(exc)}
    if isinstance(exc, (ValueError, TypeError, KeyError)):
        return {"ok": False, "error": "input", "message": f"{type(exc).__name__}: {exc}"}
    return {"ok": False, "error": "internal", "message": "".join(traceback.format_exception_only(exc)).strip()}


def _agent_shell(wanted: str) -> str:
    """The shell the host asked for, or /bin/bash where this jail has none there (an image
    built before it had the static bash)."""
    return wanted if os.access(wanted, os.X_OK) else "/bin/bash"


def send_answer(send: Send, answer: dict, data: bytes) -> None:
    """``answer`` with ``data``: in the final frame if it fits, else as chunks before it."""
    if len(data) <= CHUNK:
        send(answer, data)
        return
    for start in range(0, len(data), CHUNK):
        send({"more": True}, data[start:start + CHUNK])
    send(answer, b"")


class Supervisor:
    """One jail's supervisor: its tree, how commands start, its limits.

    Args:
        hello: the host's first frame (see ``synthcomp.sandbox.jail.JailSandbox.hello``).
        base: the host folder standing for ``/`` ("" inside a jail).
    """

    def __init__(self, hello: dict, base: str = "") -> None:
        identity = Identity(hello.get("uid"), hello.get("gid"))
        self.tree = Tree(base, root=hello["root"], home=hello["home"], trash=hello["trash"],
                         windows=hello["windows"], identity=identity)
        self.watcher = ChangeWatcher(self.tree)
        self.commands = commands.Commands(commands.Launch(
            prefix=hello.get("launch_prefix", []), uid=identity.uid if identity.switch else None,
            gid=identity.gid if identity.switch else None, env=hello.get("env", {}),
            shell=_agent_shell(hello.get("shell", "/bin/bash"))))
        self.limits = hello.get("limits", {})
        self.archive_limits = archive.Limits(**hello.get("archive_limits", {}))
        self.owner = (hello.get("uid", 1000), hello.get("gid", 1000))

    def close(self) -> None:
        """Release what the supervisor holds outside its tree (the change index's inotify instance)."""
        self.watcher.close()

    def limit(self, name: str, default: int) -> int:
        return int(self.limits.get(name, default))

    def serve(self, header: dict, payload: bytes, *, send: Send, stream: StreamIn | None = None,
              owner: Channel | None = None) -> None:
        """Answer one request through ``send``; ``owner`` is the channel a running command watches."""
        request = Request(header, payload, stream, send, owner)
        try:
            handler = getattr(self, f"op_{header.get('op')}", None)
            if handler is None:
                raise ValueError(f"unknown operation {header.get('op')!r}")
            answer, data = handler(request)
        except SystemExit:
            raise
        except BaseException as exc:  # noqa: BLE001 - every failure is an answer
            if stream is not None:
                stream.drain()
            answer, data = error_answer(exc), b""
        send_answer(send, answer, data)

    # ------------------------------------------------------------------ agent work

    def op_exec(self, r: Request) -> tuple[dict, bytes]:
        if r.owner is None:
            raise ValueError("commands run only in a jail")
        answer, data = self.commands.run(r["cmd"], float(r["timeout_s"]), cap=self.limit("output", 65536),
                                         flood=self.limit("flood", 32 << 20), owner=r.owner)
        stamp = r.header.get("changes_stamp_ns")
        if stamp is not None:  # the change watcher's question, answered in the same round trip
            answer["changed"] = self.watcher.changes(int(stamp), self.limit("walk", 200_000))
        return {"ok": True, **answer}, data

    def op_read(self, r: Request) -> tuple[dict, bytes]:
        with self.tree.identity.agent():
            data, size = self.tree.read(r["path"], int(r["limit"]), head=bool(r.header.get("head")))
        return {"ok": True, "size": size}, data

    def op_write(self, r: Request) -> tuple[dict, bytes]:
        data = r.payload if r.stream is None else r.stream.read()
        with self.tree.identity.agent():
            return {"ok": True, "path": self.tree.write(r["path"], data)}, b""

    def op_list(self, r: Request) -> tuple[dict, bytes]:
        with self.tree.identity.agent():
            real, rows, truncated = self.tree.listdir(r["path"], self.limit("list", 10_000))
        return {"ok": True, "path": real, "entries": rows, "truncated": truncated}, b""

    def op_move(self, r: Request) -> tuple[dict, bytes]:
        with self.tree.identity.agent():
            source, dest = self.tree.move(r["src"], r["dst"])
        return {"ok": True, "src": source, "dst": dest}, b""

    def op_trash(self, r: Request) -> tuple[dict, bytes]:
        with self.tree.identity.agent():
            source, dest = self.tree.to_trash(r["path"])
        return {"ok": True, "src": source, "dst": dest}, b""

    def op_search(self, r: Request) -> tuple[dict, bytes]:
        with self.tree.identity.agent():
            hits, stopped = self.tree.search(r["query"], r["path"], max_hits=int(r.header.get("max_hits", 100)),
                                             budget_s=float(r.header.get("budget_s", 30)),
                                             limit=self.limit("walk", 200_000))
        return {"ok": True, "hits": hits, "stopped": stopped}, b""

    def op_changes(self, r: Request) -> tuple[dict, bytes]:
        stamp = r.header.get("stamp_ns")
        changed = self.watcher.changes(None if stamp is None else int(stamp), self.limit("walk", 200_000))
        return {"ok": True, "changed": changed}, b""

    # ------------------------------------------------------------------ trees

    def op_mkdirs(self, r: Request) -> tuple[dict, bytes]:
        with self.tree.identity.agent():
            real = self.tree.resolve(r["path"], must_exist=False)
            self.tree.makedirs(real)
        return {"ok": True, "path": real}, b""

    def op_clear(self, r: Request) -> tuple[dict, bytes]:
        """Empty a folder (a spare container's tree, before a snapshot goes in)."""
        with self.tree.identity.agent():
            real = self.tree.resolve(r["path"])
            return {"ok": True, "removed": self.tree.clear(real)}, b""

    def op_unpack(self, r: Request) -> tuple[dict, bytes]:
        if r.stream is None:
            raise ValueError("unpack reads a stream")
        with self.tree.identity.agent():
            real = self.tree.resolve(r["path"])
            count = archive.unpack(self.tree.host(real), r.stream, exact=bool(r.header.get("exact")),
                                   limits=self.archive_limits)
        r.stream.drain()
        return {"ok": True, "members": count}, b""

    def op_pack(self, r: Request) -> tuple[dict, bytes]:
        """As the supervisor: a snapshot holds files the agent made unreadable to itself too."""
        real = self.tree.resolve(r["path"])
        out = StreamOut(r.send)
        uid, gid = self.owner
        digest, skipped = archive.pack(self.tree.host(real), out.write, uid=uid, gid=gid,
                                       limit=self.archive_limits.members, files_only=bool(r.header.get("files_only")))
        out.flush()
        return {"ok": True, "digest": digest, "skipped": skipped}, b""

    def op_digest(self, r: Request) -> tuple[dict, bytes]:
        """The tree's digest, and its key (``archive.TreeIdentity``): a snapshot asks it first."""
        real = self.tree.resolve(r["path"])
        digest, key = archive.identify(self.tree.host(real), limit=self.archive_limits.members)
        return {"ok": True, "digest": digest, "key": key}, b""


def _harden() -> None:
    """Keep the supervisor out of the agent's reach and its capabilities out of its children."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    if os.geteuid() == 0:
        os.setgroups([])
    os.umask(0o022)


def main() -> None:
    """Run as PID 1 of a jail: answer requests until the owner closes stdin."""
    channel = Channel()
    hello = channel.recv()
    if hello is None:
        return
    _harden()
    supervisor = Supervisor(hello[0])
    link = hello[0].get("link")
    socket_channel = Channel.connect(link["path"]) if link else None
    if socket_channel is not None:
        socket_channel.send({"token": link["token"]})
    channel.send({"ok": True, "ready": True, "python": sys.version.split()[0]})
    channel = socket_channel or channel
    while True:
        got = channel.recv()
        if got is None:
            break
        header, payload = got
        stream = StreamIn(channel.recv) if header.get("stream") else None
        supervisor.serve(header, payload, send=channel.send, stream=stream, owner=channel)
        # The next command's bash starts while the host is busy elsewhere; a jail that never ran a command
        # (a spare) holds no agent process. Not at once: a fork now would take the CPU the host's wake-up
        # for this answer lands on. If the next request comes first, its command starts its own bash.
        if header.get("op") == "exec" and not channel.waiting(PREPARE_AFTER_S):
            supervisor.commands.prepare()
    commands.end_everything()
