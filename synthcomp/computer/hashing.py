"""Content hash of a materialized tree: keys caches and runs, proves determinism."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def tree_hash(root: Path) -> str:
    """sha256 over every file's relative path, bytes and mtime (whole seconds), in path order."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        digest.update(rel.encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
        digest.update(str(int(os.stat(path).st_mtime)).encode() + b"\n")
    return digest.hexdigest()
