"""DockerSandbox: one container per computer, started from the offline-built image.

The container's PID 1 is the supervisor (``synthcomp.sandbox.inside``): the
container's uid 0 with only SETUID, SETGID, KILL and DAC_READ_SEARCH, which it needs
to start commands as the agent, end them, and snapshot files the agent locked. The
agent is uid 1000 with no capabilities, so it cannot signal, trace, re-limit or read
the supervisor (``/proc/1`` is not its own), and ``no-new-privileges`` keeps it there.
The container has ``network_mode=none`` and pids/memory/CPU limits. We talk to the
supervisor over a unix socket it connects back on (``supervisor_socket``; the attach
stream carries only the hello and the supervisor's stderr), never ``docker exec`` per
command; when this process goes away the socket closes, the supervisor reads EOF, ends
everything and exits, and the container removes itself (``auto_remove``).

The computer's tree lives in an anonymous ``local`` volume of type tmpfs with a size
limit, mounted at ``/drives`` or ``/Users``: filling the disk is ENOSPC inside the
sandbox, never a full host disk (fuse-overlayfs has no storage quota), and the user can
write nowhere else but /tmp (tmpfs too). Trees and snapshots move through the
supervisor as tar streams; snapshots live in the snapshot store, not in images.
"""

from __future__ import annotations

import io
import re
import secrets
import tarfile
import threading
import weakref
from pathlib import Path
from typing import Any, Callable

from synthcomp.errors import SandboxError
from synthcomp.sandbox.base import EXIT_WAITS
from synthcomp.sandbox.config import DockerSandboxConfig
from synthcomp.sandbox.gc import COMPUTER, DEFAULT_SNAPSHOTS, ROLE, owner_labels
from synthcomp.sandbox.image import connect, image_tag, require_image
from synthcomp.sandbox.jail import (
    SUPERVISOR_ARGV, SUPERVISOR_PATH, JailSandbox, Running, hostname_for, passwd_lines, supervisor_zip,
)
from synthcomp.sandbox.link import Link, RemoteLink, raise_for
from synthcomp.sandbox.paths import Layout
from synthcomp.sandbox.spares import SPARES, tree_fingerprint
from synthcomp.sandbox.store import DirSnapshotStore
from synthcomp.sandbox.tarball import GID, UID
from synthcomp.sandbox.supervisor_socket import SupervisorSocket
from synthcomp.sandbox.transport import MultiplexedSocketTransport, SupervisorSocketTransport

SUPERVISOR_CAPS = ["SETUID", "SETGID", "KILL", "DAC_READ_SEARCH"]
RETIRING: weakref.WeakSet[threading.Thread] = weakref.WeakSet()
"""Threads removing containers that were closed or replaced (``wait_retired`` waits for them)."""
_ETC_CACHE: dict[str, tuple[str, str]] = {}


def wait_retired() -> None:
    """Wait until every closed or replaced container of this process has been removed."""
    for thread in list(RETIRING):
        thread.join()


EXIT_WAITS.append(wait_retired)


def _safe(text: str, limit: int) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "-", text).strip("-.")[:limit] or "computer"


AGENT_SHELL = "/usr/libexec/synthcomp/bash"
"""Where ``images/computer/finalize.sh`` links the image's static bash."""


class DockerSandbox(JailSandbox):
    """See the module docstring; the contract is ``Sandbox``'s."""

    backend = "docker"

    def __init__(
        self,
        tree: Path | None,
        *,
        os: str,
        username: str,
        computer_id: str,
        config: DockerSandboxConfig | None = None,
    ) -> None:
        self.config = config or DockerSandboxConfig()
        self.store = DirSnapshotStore(Path(self.config.snapshot_dir or DEFAULT_SNAPSHOTS), "docker")
        self._client = connect()
        self._tree_print: str | None = None
        self.image = self.config.image or image_tag()
        require_image(self._client, self.image)
        super().__init__(tree, layout=Layout(os, username), computer_id=computer_id)

    @property
    def container_id(self) -> str | None:
        return self._running.handle if self._running else None

    def labels(self) -> dict[str, str]:
        return {
            COMPUTER: self.computer_id,
            ROLE: "sandbox",
            "synthcomp.os": self.layout.os,
            "synthcomp.username": self.layout.username,
            **owner_labels(),
        }

    def agent_shell(self) -> str:
        """The image's statically linked bash (Debian's ``bash-static``, the same bash 5.2) under the
        name ``bash``: it starts in ~2.5 ms as the agent where the dynamic one takes ~3.9 ms, its
        relocations and library loading through the image's fuse-overlayfs root. The agent's own
        ``bash`` stays /bin/bash."""
        return AGENT_SHELL

    def run_options(self, supervisor_socket: SupervisorSocket) -> dict[str, Any]:
        """Keyword arguments of ``APIClient.create_container`` for this computer."""
        import docker.types

        cfg, layout = self.config, self.layout
        volume = docker.types.Mount(
            target=layout.root,
            source=None,
            type="volume",
            labels=self.labels(),
            driver_config=docker.types.DriverConfig(
                "local",
                {"type": "tmpfs", "device": "tmpfs", "o": f"size={cfg.disk_mb}m,uid={UID},gid={GID},mode=0755"},
            ),
        )
        host_config = self._client.api.create_host_config(
            network_mode="none",
            mounts=[volume, supervisor_socket.mount()],
            tmpfs={"/tmp": f"rw,nosuid,nodev,size={cfg.tmp_mb}m,mode=1777"},
            shm_size="16m",
            mem_limit=f"{cfg.memory_mb}m",
            memswap_limit=f"{cfg.memory_mb}m",
            nano_cpus=int(cfg.cpus * 1e9),
            pids_limit=cfg.pids,
            cap_drop=["ALL"],
            cap_add=SUPERVISOR_CAPS,
            security_opt=["no-new-privileges"],
            oom_score_adj=500,
            auto_remove=True,
            # No log driver: every byte the supervisor prints would also be written to the
            # host disk as JSON.
            log_config=docker.types.LogConfig(type="none"),
        )
        return dict(
            image=self.image,
            command=["/usr/bin/python3", *SUPERVISOR_ARGV],
            user="0:0",
            environment={"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8"},
            hostname=hostname_for(self.computer_id, cfg.hostname),
            labels=self.labels(),
            working_dir="/",
            stdin_open=True,
            detach=False,  # with stdin_open: StdinOnce, so our disconnect is the supervisor's EOF
            host_config=host_config,
            name=f"synthcomp-{_safe(self.computer_id, 40)}-{secrets.token_hex(3)}",
        )

    # ------------------------------------------------------------------ start / stop

    def _start(self, load: Callable[[Link], None]) -> Running:
        """A container with ``load`` run on it: a spare started ahead if there is one, else a new one."""
        key = self._spare_key() if self.config.spares else None
        running = SPARES.take(key) if key else None
        if running is not None:
            try:
                if load != self._initial_load:  # a spare holds the computer as created: empty it first
                    raise_for(running.link.request({"op": "clear", "path": self.layout.root}, timeout_s=600)[0])
                    load(running.link)
            except BaseException:
                self._discard(running)
                raise
        else:
            running = self._boot(load)
        if key:
            SPARES.refill(key, lambda: self._boot(self._initial_load), self._discard, self.config.spares)
        return running

    def _spare_key(self) -> tuple[str, ...]:
        """What two containers must share to be interchangeable: all that is fixed when one is created,
        and the computer's files a spare is loaded with."""
        if self._tree_print is None:
            self._tree_print = tree_fingerprint(self.initial_tree)
        return (self.image, self.computer_id, self.layout.os, self.layout.username, self.config.model_dump_json(),
                self._tree_print)

    def _boot(self, load: Callable[[Link], None]) -> Running:
        """Create and start a new container, say hello, run ``load``; remove it on failure."""
        import docker.errors

        api = self._client.api
        cid = None
        supervisor_socket = SupervisorSocket()
        try:
            cid = api.create_container(**self.run_options(supervisor_socket))["Id"]
            api.put_archive(cid, "/", self._boot_tar(cid))
            sockio = api.attach_socket(cid, params={"stdin": 1, "stdout": 1, "stderr": 1, "stream": 1})
            attach = MultiplexedSocketTransport(getattr(sockio, "_sock", sockio))
            api.start(cid)
            describe = f"docker sandbox {self.computer_id}"
            RemoteLink(attach, describe).start({**self.hello(), "link": supervisor_socket.hello()},
                                               self.config.start_timeout_s)
            transport = SupervisorSocketTransport(supervisor_socket.accept(self.config.start_timeout_s), attach)
            running = Running(RemoteLink(transport, describe), cid)
            load(running.link)
            return running
        except BaseException as exc:
            supervisor_socket.close()
            if cid:
                self._remove(cid)
            if isinstance(exc, docker.errors.APIError):
                raise SandboxError(f"cannot start a container for {self.computer_id} from {self.image}: {exc}") from exc
            raise

    def _boot_tar(self, cid: str) -> bytes:
        """/etc/passwd and /etc/group with the synthetic user, and the supervisor."""
        if self.image not in _ETC_CACHE:
            without_user = lambda text: "".join(l + "\n" for l in text.splitlines() if l.split(":")[2:3] != [str(UID)])
            _ETC_CACHE[self.image] = (without_user(self._image_file(cid, "/etc/passwd")),
                                      without_user(self._image_file(cid, "/etc/group")))
        passwd, group = _ETC_CACHE[self.image]
        user, user_group = passwd_lines(self.layout)
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name in ("opt", "opt/synthcomp"):
                info = tarfile.TarInfo(name)
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                tar.addfile(info)
            for name, data in (("etc/passwd", (passwd + user).encode()), ("etc/group", (group + user_group).encode()),
                               (SUPERVISOR_PATH.lstrip("/"), supervisor_zip())):
                info = tarfile.TarInfo(name)
                info.size, info.mode = len(data), 0o644
                tar.addfile(info, io.BytesIO(data))
        return buffer.getvalue()

    def _image_file(self, cid: str, path: str) -> str:
        """A text file of the image (read from the created, not yet started, container)."""
        stream, _ = self._client.api.get_archive(cid, path)
        with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as tar:
            member = tar.next()
            if member is None or not member.isreg() or member.size > 1 << 20:
                raise SandboxError(f"the image's {path} is not a small regular file")
            return tar.extractfile(member).read().decode()

    def _remove(self, cid: str) -> None:
        """Remove the container; returns once it is gone (an auto-removal under way is waited for)."""
        import docker.errors
        import requests.exceptions

        try:
            self._client.api.remove_container(cid, force=True, v=True)
        except docker.errors.NotFound:
            pass
        except docker.errors.APIError as exc:
            if exc.status_code != 409:  # 409: auto-remove already under way
                raise
            try:
                self._client.api.wait(cid, timeout=30, condition="removed")
            except (docker.errors.DockerException, requests.exceptions.RequestException):
                pass  # gone before the wait began (or still going after 30 s: gc's business then)

    def _discard(self, running: Running) -> None:
        running.link.close()
        self._remove(running.handle)

    def _retire(self, running: Running) -> None:
        """Close its link now (its supervisor ends everything and exits, and the container removes
        itself); the forced removal, a backstop that takes ~0.1 s, runs on a thread of its own so a
        restore or a reset does not wait for it. The process does not exit before it is done
        (``wait_retired`` is one of the ``EXIT_WAITS``)."""
        running.link.close()
        thread = threading.Thread(target=self._remove, args=(running.handle,), name="synthcomp-retire")
        RETIRING.add(thread)
        thread.start()

    def _close(self) -> None:
        running, self._running = self._running, None
        if running is not None:
            self._retire(running)
