"""Which files a step created, modified or deleted, and simulated mtimes for them.

After each mutating tool the tree is listed once through the sandbox's persistent
shell (one ``find``: a few milliseconds for a ~200-file computer) and compared with the
previous listing. Changed files get the simulated clock as their mtime, so the same
actions give the same tree whatever the wall clock says (DESIGN.md, "Determinism").
"""

from __future__ import annotations

import shlex
from datetime import datetime

from synthcomp.computer.materialize import epoch
from synthcomp.sandbox.base import Sandbox
from synthcomp.sandbox.paths import to_os_path


class TreeWatcher:
    def __init__(self, sandbox: Sandbox):
        self.sandbox = sandbox
        self.listing = self._list()

    def _list(self) -> dict[str, tuple[str, str]]:
        root = shlex.quote(self.sandbox.layout.root)
        result = self.sandbox.exec(f"find {root} -type f -printf '%p\\t%s\\t%T@\\n'", timeout_s=60)
        listing = {}
        for line in result.stdout.splitlines():
            path, size, mtime = (line.rsplit("\t", 2) + ["", ""])[:3]
            listing[path] = (size, mtime)
        return listing

    def changes(self, stamp: datetime) -> list[str]:
        """OS-style paths changed since the last call; created/modified ones get ``stamp`` as mtime."""
        before, after = self.listing, self._list()
        touched = [p for p, meta in after.items() if before.get(p) != meta]
        deleted = [p for p in before if p not in after]
        if touched:
            seconds = epoch(stamp)
            quoted = " ".join(shlex.quote(p) for p in touched)
            self.sandbox.exec(f"touch -h -d @{seconds} -- {quoted}", timeout_s=60)
            for p in touched:
                after[p] = (after[p][0], f"{seconds}.0000000000")
        self.listing = after
        return sorted(to_os_path(p, self.sandbox.layout) for p in [*touched, *deleted])
