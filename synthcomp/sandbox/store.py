"""Snapshots as directories: ``<dir>/<computer>-<hex>/{tree.tar,state.json,meta.json}``.

Used by the local and fake backends (Docker keeps its snapshots as images). A snapshot
appears atomically (written under a hidden name, then renamed); ``meta.json`` carries
the ref and the owner labels ``synthcomp gc`` reads.
"""

from __future__ import annotations

import json
import re
import secrets
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from synthcomp.errors import SandboxError
from synthcomp.sandbox.base import SnapshotRef
from synthcomp.sandbox.gc import COMPUTER, KEEP, owner_labels
from synthcomp.sandbox.paths import Layout


class DirSnapshotStore:
    def __init__(self, root: Path, backend: str) -> None:
        self.root = Path(root)
        self.backend = backend

    def save(self, *, tag: str, computer_id: str, layout: Layout, tree: bytes, state_json: bytes, keep: bool) -> SnapshotRef:
        created = datetime.now(timezone.utc)
        name = f"{re.sub(r'[^A-Za-z0-9_.-]', '-', computer_id)[:80]}-{secrets.token_hex(4)}"
        folder = self.root / name
        partial = self.root / f".{name}.partial"
        partial.mkdir(parents=True)
        ref = SnapshotRef(
            backend=self.backend, id=name, tag=tag, computer_id=computer_id, os=layout.os,
            username=layout.username, created=created, location=str(folder), keep=keep,
        )
        labels = {COMPUTER: computer_id, KEEP: "1" if keep else "0", **owner_labels()}
        try:
            (partial / "tree.tar").write_bytes(tree)
            (partial / "state.json").write_bytes(state_json)
            (partial / "meta.json").write_text(json.dumps({"ref": ref.model_dump(mode="json"), "labels": labels}))
            partial.rename(folder)
        except OSError as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise SandboxError(f"cannot store snapshot {tag!r} in {self.root}: {exc}") from exc
        return ref

    def load(self, ref: SnapshotRef) -> tuple[bytes, dict[str, Any]]:
        """(tree tar, state) of a snapshot.

        Raises:
            SandboxError: it no longer exists.
        """
        folder = Path(ref.location)
        try:
            return (folder / "tree.tar").read_bytes(), json.loads((folder / "state.json").read_text())
        except (OSError, ValueError) as exc:
            raise SandboxError(f"snapshot {ref.tag!r} ({folder}) no longer exists: {exc}") from exc

    def list(self, computer_id: str) -> list[SnapshotRef]:
        refs = []
        for meta in self.root.glob("*/meta.json"):
            try:
                ref = SnapshotRef.model_validate(json.loads(meta.read_text())["ref"])
            except (OSError, ValueError, KeyError):
                continue
            if ref.computer_id == computer_id and ref.backend == self.backend:
                refs.append(ref)
        return sorted(refs, key=lambda r: r.created)

    def delete(self, ref: SnapshotRef) -> None:
        folder = Path(ref.location)
        if folder.parent.resolve() == self.root.resolve() and (folder / "meta.json").is_file():
            shutil.rmtree(folder, ignore_errors=True)
