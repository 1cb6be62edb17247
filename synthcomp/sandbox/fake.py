"""FakeSandbox: real files on a temp dir, canned command output. For unit tests.

Later layers (tools, env, sim) test against it without Docker or bubblewrap. File
operations, path checks (``..``, drive paths, symlinks out of the tree) and
snapshots behave like the real backends; ``exec`` runs nothing: it answers from
``responses`` (command -> stdout) or exits 127, and records every command in
``commands``. Nothing here can touch the host outside its temp dir.
"""

from __future__ import annotations

import errno
import shutil
import tempfile
from pathlib import Path
from typing import Any, Callable

from synthcomp.errors import InputError
from synthcomp.sandbox import tarball
from synthcomp.sandbox.base import ExecResult, Sandbox, SnapshotRef
from synthcomp.sandbox.config import FakeSandboxConfig
from synthcomp.sandbox.jail import GID, UID
from synthcomp.sandbox.paths import HostRoot, Layout
from synthcomp.sandbox.store import DirSnapshotStore


class FakeSandbox(Sandbox):
    """See the module docstring; the contract is ``Sandbox``'s.

    Args:
        responder: optional ``cmd -> ExecResult | None``, asked before ``responses``.
    """

    backend = "fake"

    def __init__(
        self,
        tree: Path | None,
        *,
        os: str,
        username: str,
        computer_id: str,
        config: FakeSandboxConfig | None = None,
        responder: Callable[[str], ExecResult | None] | None = None,
    ) -> None:
        self._tmp: Path | None = None
        super().__init__(layout=Layout(os, username), computer_id=computer_id)
        self.config = config or FakeSandboxConfig()
        self.responder = responder
        self.commands: list[str] = []
        self._tmp = Path(tempfile.mkdtemp(prefix="synthcomp-fake-"))
        self.root_dir = self._tmp / "root"
        self.files = HostRoot(self.root_dir, self.layout)
        self.store = DirSnapshotStore(Path(self.config.snapshot_dir or self._tmp / "snapshots"), "fake")
        top = None if tree is None else Path(tree) / self.layout.top
        self._load(tarball.pack_dir(top, uid=UID, gid=GID) if top is not None and top.is_dir() else None)

    def _load(self, data: bytes | None) -> None:
        top = self.root_dir / self.layout.top
        shutil.rmtree(top, ignore_errors=True)
        top.mkdir(parents=True)
        if data:
            tarball.unpack(data, top)
        (self.root_dir / self.layout.home.lstrip("/")).mkdir(parents=True, exist_ok=True)

    def exec(self, cmd: str, timeout_s: float = 30) -> ExecResult:
        self._require_open()
        if "\0" in cmd:
            raise InputError("a command cannot contain NUL bytes")
        if not timeout_s > 0:
            raise InputError(f"timeout_s must be positive, got {timeout_s}")
        self.commands.append(cmd)
        if self.responder is not None:
            answer = self.responder(cmd)
            if answer is not None:
                return answer
        if cmd in self.config.responses:
            return ExecResult(stdout=self.config.responses[cmd], stderr="", exit_code=0)
        return ExecResult(stdout="", stderr=f"fake sandbox: command not scripted: {cmd}\n", exit_code=127)

    def read_bytes(self, path: str) -> bytes:
        self._require_open()
        return self.files.open_read(path)

    def write_bytes(self, path: str, data: bytes) -> None:
        self._require_open()
        self.files.open_write(path, data)

    def put_tree(self, host_dir: Path, dest: str) -> None:
        self._require_open()
        data = tarball.pack_dir(Path(host_dir), uid=UID, gid=GID)
        target = self.files.host_path(dest, must_exist=False)
        if target.exists() and not target.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory", dest)
        tarball.unpack(data, target)

    def get_tree(self, src: str, host_dir: Path) -> None:
        self._require_open()
        source = self.files.host_path(src, must_exist=True)
        if not source.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory", src)
        tarball.unpack(tarball.pack_dir(source, uid=UID, gid=GID), Path(host_dir))

    def snapshot(self, tag: str, state: dict[str, Any] | None = None, *, keep: bool = False) -> SnapshotRef:
        self._require_open()
        state_json = self._state_json(state)
        tree = tarball.pack_dir(self.root_dir / self.layout.top, uid=UID, gid=GID)
        return self.store.save(
            tag=tag, computer_id=self.computer_id, layout=self.layout, tree=tree, state_json=state_json, keep=keep
        )

    def restore(self, ref: SnapshotRef) -> dict[str, Any]:
        self._require_open()
        self._check_ref(ref, "fake")
        tree, state = self.store.load(ref)
        self._load(tree)
        return state

    def list_snapshots(self) -> list[SnapshotRef]:
        return self.store.list(self.computer_id)

    def delete_snapshot(self, ref: SnapshotRef) -> None:
        self.store.delete(ref)

    def _close(self) -> None:
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
