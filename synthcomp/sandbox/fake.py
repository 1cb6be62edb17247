"""FakeSandbox: real files on a temp dir, canned command output. For unit tests.

Later layers (tools, env, sim) test against it without Docker or bubblewrap. File work,
trees and snapshots go to the real supervisor code (``inside.supervisor.Supervisor``)
called in-process on the temp dir, so paths, symlinks, protected folders, caps and
archives behave exactly as in the real backends; ``exec`` runs nothing: it answers
from ``responses`` (command -> stdout) or exits 127, and records every command in
``commands``. Nothing here can touch the host outside its temp dir.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from pathlib import Path
from typing import Callable

from synthcomp.sandbox.base import ExecResult, Sandbox
from synthcomp.sandbox.config import FakeSandboxConfig
from synthcomp.sandbox.inside.supervisor import Supervisor
from synthcomp.sandbox.link import InProcessLink, Link
from synthcomp.sandbox.paths import Layout
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
        self._link: InProcessLink | None = None
        super().__init__(layout=Layout(os, username), computer_id=computer_id)
        self.config = config or FakeSandboxConfig()
        self.responder = responder
        self.commands: list[str] = []
        self._tmp = Path(tempfile.mkdtemp(prefix="synthcomp-fake-"))
        self._generation = itertools.count()
        self.store = DirSnapshotStore(Path(self.config.snapshot_dir or self._tmp / "snapshots"), "fake")
        self.root_dir, link = self._new_root()
        self._link = link
        self.initial_tree = self._check_tree(tree, self.layout)
        self._initial_load(link)

    def _new_root(self) -> tuple[Path, InProcessLink]:
        """An empty computer: a folder standing for ``/`` with the tree's mount point, and its supervisor."""
        assert self._tmp is not None
        root_dir = self._tmp / f"root-{next(self._generation)}"
        (root_dir / self.layout.top).mkdir(parents=True)
        layout = self.layout
        supervisor = Supervisor({"root": layout.root, "home": layout.home, "trash": layout.trash,
                                 "windows": layout.os == "windows"}, base=str(root_dir))
        return root_dir, InProcessLink(supervisor)

    @property
    def link(self) -> Link:
        self._require_open()
        assert self._link is not None
        return self._link

    def exec(self, cmd: str, timeout_s: float = 30, changes_stamp_ns: int | None = None) -> ExecResult:
        result = self._scripted(cmd, timeout_s)
        if changes_stamp_ns is None:
            return result
        return result.model_copy(update={"changed": self.tree_changes(changes_stamp_ns)})

    def _scripted(self, cmd: str, timeout_s: float) -> ExecResult:
        """What the fake answers for ``cmd``: the responder's, a configured response, or 127."""
        self._require_open()
        self._check_command(cmd, timeout_s)
        self.commands.append(cmd)
        if self.responder is not None:
            answer = self.responder(cmd)
            if answer is not None:
                return answer
        if cmd in self.config.responses:
            return ExecResult(stdout=self.config.responses[cmd], stderr="", exit_code=0)
        return ExecResult(stdout="", stderr=f"fake sandbox: command not scripted: {cmd}\n", exit_code=127)

    def _fresh(self, load: Callable[[Link], None]) -> None:
        root_dir, link = self._new_root()
        try:
            load(link)
        except BaseException:
            shutil.rmtree(root_dir, ignore_errors=True)
            raise
        (old, old_link), (self.root_dir, self._link) = (self.root_dir, self._link), (root_dir, link)
        if old_link is not None:
            old_link.close()
        shutil.rmtree(old, ignore_errors=True)

    def _close(self) -> None:
        if self._link is not None:
            self._link.close()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
