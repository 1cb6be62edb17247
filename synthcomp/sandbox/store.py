"""Snapshots as directories: ``<dir>/<computer>-<hex>/{tree.tar,state.json,meta.json}``.

Every backend keeps its snapshots here (the tree leaves the jail as one tar stream, so
no ``docker commit`` is needed). A snapshot appears atomically (written under a hidden
name, then renamed). ``meta.json`` carries the ref, the owner labels ``synthcomp gc``
reads, the sha256 of ``tree.tar`` (checked before a restore reads it) and the tree's
digest (which the restored tree must reproduce).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import shutil
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from synthcomp.errors import SandboxError
from synthcomp.sandbox.base import SnapshotRef
from synthcomp.sandbox.gc import COMPUTER, KEEP, owner_labels
from synthcomp.sandbox.paths import Layout

READ_CHUNK = 1 << 20


class _HashingWriter:
    def __init__(self, handle: IO[bytes]) -> None:
        self.handle, self.hash, self.size = handle, hashlib.sha256(), 0

    def write(self, data: bytes) -> None:
        self.handle.write(data)
        self.hash.update(data)
        self.size += len(data)


def file_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    """A file's bytes, one chunk at a time (never the whole file in memory)."""
    while chunk := handle.read(READ_CHUNK):
        yield chunk


class DirSnapshotStore:
    def __init__(self, root: Path, backend: str) -> None:
        self.root = Path(root)
        self.backend = backend

    def save(self, *, tag: str, computer_id: str, layout: Layout, write_tree: Callable[[Callable[[bytes], None]], str],
             state_json: bytes, keep: bool) -> SnapshotRef:
        """Store a snapshot; ``write_tree(write)`` writes the tar and returns the tree's digest.

        Raises:
            SandboxError: it could not be stored (nothing is left behind).
        """
        created = datetime.now(timezone.utc)
        name = f"{re.sub(r'[^A-Za-z0-9_.-]', '-', computer_id)[:80]}-{secrets.token_hex(4)}"
        folder, partial = self.root / name, self.root / f".{name}.partial"
        ref = SnapshotRef(
            backend=self.backend, id=name, tag=tag, computer_id=computer_id, os=layout.os,
            username=layout.username, created=created, location=str(folder), keep=keep,
        )
        labels = {COMPUTER: computer_id, KEEP: "1" if keep else "0", **owner_labels()}
        try:
            partial.mkdir(parents=True)
            with open(partial / "tree.tar", "wb") as handle:
                writer = _HashingWriter(handle)
                digest = write_tree(writer.write)
            (partial / "state.json").write_bytes(state_json)
            meta = {"ref": ref.model_dump(mode="json"), "labels": labels, "tree_sha256": writer.hash.hexdigest(),
                    "tree_bytes": writer.size, "digest": digest}
            (partial / "meta.json").write_text(json.dumps(meta))
            partial.rename(folder)
        except OSError as exc:
            raise SandboxError(f"cannot store snapshot {tag!r} in {self.root}: {exc}") from exc
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        return ref

    def load(self, ref: SnapshotRef) -> tuple[IO[bytes], dict[str, Any], str]:
        """(open tree.tar, state, tree digest) of a snapshot whose tar still has its recorded hash.

        Raises:
            SandboxError: it no longer exists, or its files were changed since it was taken.
        """
        folder = Path(ref.location)
        try:
            meta = json.loads((folder / "meta.json").read_text())
            state = json.loads((folder / "state.json").read_text())
            handle = open(folder / "tree.tar", "rb")
        except (OSError, ValueError) as exc:
            raise SandboxError(f"snapshot {ref.tag!r} ({folder}) no longer exists: {exc}") from exc
        digest = hashlib.sha256()
        for chunk in file_chunks(handle):
            digest.update(chunk)
        if digest.hexdigest() != meta.get("tree_sha256"):
            handle.close()
            raise SandboxError(f"snapshot {ref.tag!r} ({folder}) was changed since it was taken: its tree.tar "
                               "no longer has the recorded sha256")
        handle.seek(0)
        return handle, state, str(meta.get("digest", ""))

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
