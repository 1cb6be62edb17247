"""What the Docker and bubblewrap backends share: everything but starting the jail.

Both start the supervisor (``synthcomp.sandbox.inside``) as the jail's PID 1 from a
zip they place at ``SUPERVISOR_PATH``, hand it the computer's layout, the agent's
identity and environment and the limits in one hello frame, and then talk to it
through a ``RemoteLink``. A backend supplies ``_start`` (a running jail whose
supervisor answered the hello) and ``_discard``; ``_fresh`` swaps jails for restores.
"""

from __future__ import annotations

import functools
import io
import re
import time
import zipfile
from abc import abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from synthcomp.sandbox.base import ExecResult, Sandbox
from synthcomp.sandbox.config import _Common
from synthcomp.sandbox.link import Link, RemoteLink, raise_for
from synthcomp.sandbox.paths import Layout
from synthcomp.sandbox.tarball import GID, UID

SUPERVISOR_PATH = "/opt/synthcomp/supervisor.pyz"
SUPERVISOR_ARGV = ["-I", "-S", "-B", SUPERVISOR_PATH]
"""After the jail's python3: isolated (no PYTHON* variables, no site-packages), no bytecode."""
_INSIDE = Path(__file__).resolve().parent / "inside"


@functools.cache
def supervisor_zip() -> bytes:
    """The ``inside`` package as a runnable zip (the same bytes every time)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(_INSIDE.glob("*.py")):
            info = zipfile.ZipInfo(f"inside/{path.name}", date_time=(2020, 1, 1, 0, 0, 0))
            archive.writestr(info, path.read_bytes())
        main = zipfile.ZipInfo("__main__.py", date_time=(2020, 1, 1, 0, 0, 0))
        archive.writestr(main, b"from inside.supervisor import main\nmain()\n")
    return buffer.getvalue()


def user_environment(layout: Layout, hostname: str) -> dict[str, str]:
    """The environment of the user's shell; identical in every backend."""
    return {
        "HOME": layout.home,
        "USER": layout.username,
        "LOGNAME": layout.username,
        "SHELL": "/bin/bash",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "TERM": "dumb",
        "HOSTNAME": hostname,
        "TMPDIR": "/tmp",
        "PYTHONDONTWRITEBYTECODE": "1",
        "SYNTHCOMP_OS": layout.os,
    }


def hostname_for(computer_id: str, configured: str | None) -> str:
    """The computer's hostname: the configured one, else its id made DNS-safe."""
    return configured or re.sub(r"[^A-Za-z0-9.-]", "-", computer_id).strip("-.")[:63] or "computer"


def passwd_lines(layout: Layout) -> tuple[str, str]:
    """The /etc/passwd and /etc/group lines of the synthetic user."""
    return (
        f"{layout.username}:x:{UID}:{GID}:{layout.username}:{layout.home}:/bin/bash\n",
        f"{layout.username}:x:{GID}:\n",
    )


@dataclass
class Running:
    """A started jail: its supervisor's link, and what the backend needs to end it."""

    link: RemoteLink
    handle: Any


class JailSandbox(Sandbox):
    """A sandbox whose commands and file work go to a supervisor in a jail."""

    config: _Common

    def __init__(self, tree: Path | None, *, layout: Layout, computer_id: str) -> None:
        self._running: Running | None = None
        super().__init__(layout=layout, computer_id=computer_id)
        self.tree_limit = int(getattr(self.config, "disk_mb", 256) * 2**20 * 1.25) + (64 << 20)
        self.initial_tree = self._check_tree(tree, layout)
        try:
            self._running = self._start(self._initial_load)
        except BaseException:
            self.closed = True
            raise

    # ------------------------------------------------------------------ backend part

    @abstractmethod
    def _start(self, load: Callable[[Link], None]) -> Running:
        """Start a jail, say hello to its supervisor, run ``load`` on it; clean up on failure."""

    @abstractmethod
    def _discard(self, running: Running) -> None:
        """End a jail and everything in it."""

    def hello(self) -> dict[str, Any]:
        """The supervisor's first frame: layout, the agent's identity and environment, limits."""
        layout, cfg = self.layout, self.config
        return {
            "root": layout.root, "home": layout.home, "trash": layout.trash, "windows": layout.os == "windows",
            "uid": UID, "gid": GID, "env": user_environment(layout, hostname_for(self.computer_id, cfg.hostname)),
            "launch_prefix": self.launch_prefix(), "shell": self.agent_shell(),
            "limits": {"output": cfg.max_output_bytes, "flood": cfg.flood_bytes},
        }

    def launch_prefix(self) -> list[str]:
        """argv put before each agent command's bash inside the jail (none by default)."""
        return []

    def agent_shell(self) -> str:
        """The bash each agent command runs in, inside the jail."""
        return "/bin/bash"

    # ------------------------------------------------------------------ running

    @property
    def link(self) -> Link:
        self._require_open()
        assert self._running is not None
        return self._running.link

    def exec(self, cmd: str, timeout_s: float = 30, changes_stamp_ns: int | None = None) -> ExecResult:
        self._require_open()
        self._check_command(cmd, timeout_s)
        cap = self.config.max_output_bytes
        started = time.perf_counter()
        request: dict[str, Any] = {"op": "exec", "cmd": cmd, "timeout_s": timeout_s}
        if changes_stamp_ns is not None:
            request["changes_stamp_ns"] = int(changes_stamp_ns)
        answer, data = self.link.request(request, limit=2 * cap + 4096, timeout_s=timeout_s + 60)
        raise_for(answer)
        split = answer["stdout_len"]
        stderr = data[split:].decode("utf-8", "replace")
        if answer["killed"] == "flood":
            stderr += f"\n[synthcomp: the command printed more than {self.config.flood_bytes} bytes and was killed]\n"
        elif answer["killed"] == "timeout":
            stderr += f"\n[synthcomp: timed out after {timeout_s:g} s; the command's processes were killed]\n"
        return ExecResult(
            stdout=data[:split].decode("utf-8", "replace"), stderr=stderr, exit_code=answer["exit_code"],
            timed_out=answer["killed"] == "timeout", truncated=answer["truncated"],
            duration_ms=(time.perf_counter() - started) * 1000, changed=answer.get("changed"),
        )

    def _fresh(self, load: Callable[[Link], None]) -> None:
        new = self._start(load)
        old, self._running = self._running, new
        if old is not None:
            self._retire(old)

    def _retire(self, running: Running) -> None:
        """End a jail a fresh one replaced (a restore): by default as ``_discard`` does."""
        self._discard(running)

    def _close(self) -> None:
        running, self._running = self._running, None
        if running is not None:
            self._discard(running)

