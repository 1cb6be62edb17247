"""Which files a step created, modified or deleted, and simulated mtimes for them.

After each mutating tool the sandbox's supervisor compares the tree with its previous
listing (in Python, inside the jail: well under a millisecond for a ~200-file computer,
and nothing the agent's shell can influence). Changed files get the simulated clock as
their mtime, so the same actions give the same tree whatever the wall clock says
(DESIGN.md, "Determinism").
"""

from __future__ import annotations

from datetime import datetime

from synthcomp.computer.materialize import epoch
from synthcomp.sandbox.base import Sandbox
from synthcomp.sandbox.paths import to_os_path


class TreeWatcher:
    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox
        sandbox.tree_changes(None)

    def changes(self, stamp: datetime, reported: list[str] | None = None) -> list[str]:
        """OS-style paths changed since the last call; created/modified ones get ``stamp`` as mtime.
        ``reported``: what the sandbox already answered with the step's command (one round
        trip instead of two); None asks it now."""
        changed = self.sandbox.tree_changes(epoch(stamp) * 10**9) if reported is None else reported
        return sorted(to_os_path(p, self.sandbox.layout) for p in changed)
