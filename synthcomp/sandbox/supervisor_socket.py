"""The unix socket a container's supervisor talks on, instead of dockerd's attach stream.

Every byte of the attach stream passes through dockerd and containerd-shim: two more
processes to wake each way, about 1 ms a round trip on an idle machine, a third of a
``shell`` step. So the host listens on a unix socket in a fresh folder only it can enter,
bind-mounted read-only into the container at ``MOUNT``. The supervisor connects before it
answers the hello, when no agent process exists yet, and sends the hello's token first;
the host takes that one connection, checks the token, and removes the socket and its
folder. From then on nothing in the container can reach the host but through the
connection the supervisor holds (close-on-exec, in a process the agent cannot trace).
The folder's name carries its owner's pid and start time, so ``synthcomp gc`` removes one
whose owner was killed before it could (``stale_folders``).
"""

from __future__ import annotations

import hmac
import os
import secrets
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

from synthcomp.errors import SandboxError
from synthcomp.sandbox.gc import owner_tag, tag_owner_alive
from synthcomp.sandbox.inside.protocol import Decoder, ProtocolError

MOUNT = "/run/synthcomp"
_NAME = "supervisor.sock"
_PREFIX = "synthcomp-link-"


class SupervisorSocket:
    """One container's socket, from before the container is created until its supervisor connected."""

    def __init__(self) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{owner_tag()}-"))  # 0700: only this user enters
        self.token = secrets.token_hex(16)
        self._listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._listener.bind(str(self.folder / _NAME))
            # The supervisor is the container's root without CAP_DAC_OVERRIDE: it may pass the folder
            # (CAP_DAC_READ_SEARCH) but needs write permission on the socket itself.
            (self.folder / _NAME).chmod(0o666)
            self._listener.listen(1)
        except BaseException:
            self.close()
            raise

    def mount(self) -> Any:
        """The read-only bind mount of the socket's folder (a ``docker.types.Mount``)."""
        import docker.types

        return docker.types.Mount(target=MOUNT, source=str(self.folder), type="bind", read_only=True)

    def hello(self) -> dict[str, str]:
        """What the hello tells the supervisor: where to connect and what to say first."""
        return {"path": f"{MOUNT}/{_NAME}", "token": self.token}

    def accept(self, timeout_s: float) -> socket.socket:
        """The supervisor's connection, its token checked; the listener and its folder are gone after."""
        deadline = time.monotonic() + timeout_s
        try:
            self._listener.settimeout(timeout_s)
            conn, _ = self._listener.accept()
        except OSError as exc:
            raise SandboxError(f"the container's supervisor did not connect to its socket: {exc}") from exc
        finally:
            self.close()
        try:
            first = _first_frame(conn, deadline)
        except BaseException:
            conn.close()
            raise
        if not hmac.compare_digest(str(first.get("token", "")), self.token):
            conn.close()
            raise SandboxError("the process on the supervisor's socket did not know the token")
        return conn

    def close(self) -> None:
        self._listener.close()
        shutil.rmtree(self.folder, ignore_errors=True)


def _first_frame(conn: socket.socket, deadline: float) -> dict:
    decoder = Decoder()
    while True:
        conn.settimeout(max(0.001, deadline - time.monotonic()))
        try:
            data = conn.recv(4096)
            frames = decoder.feed(data)
        except (OSError, ProtocolError) as exc:
            raise SandboxError(f"the container's supervisor did not introduce itself on its socket: {exc}") from exc
        if frames:
            return frames[0][0]
        if not data:
            raise SandboxError("the container's supervisor closed its socket before introducing itself")


def stale_folders() -> list[Path]:
    """This user's socket folders whose owner process is gone (killed while its container booted)."""
    stale = []
    for folder in Path(tempfile.gettempdir()).glob(_PREFIX + "*"):
        try:
            mine = folder.lstat().st_uid == os.getuid() and folder.is_dir() and not folder.is_symlink()
        except OSError:
            continue
        if mine and tag_owner_alive(folder.name[len(_PREFIX):].partition("-")[0]) is False:
            stale.append(folder)
    return stale
