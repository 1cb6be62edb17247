"""FilePlan -> real files on disk (paper 2.3).

Files are written in Kahn order (see :mod:`graph`), each after everything it depends
on, so the brain can quote its predecessors' content. Logical paths map to the portable
layout of :mod:`synthcomp.ospath`; mtimes follow the plan and directories take the
newest mtime below them, so the tree's hash depends on the seed alone.
"""

from __future__ import annotations

import calendar
import hashlib
import os
import shutil
from datetime import datetime
from pathlib import Path

from synthcomp import ospath
from synthcomp.brains.base import ArtifactContext, CreationBrain, Predecessor
from synthcomp.computer.artifacts import render_artifact
from synthcomp.computer.graph import creation_order
from synthcomp.models import ArtifactContent, FilePlan, FilesystemPolicy, UserProfile


def epoch(when: datetime) -> int:
    """Plan timestamps are naive UTC."""
    return calendar.timegm(when.timetuple())


def materialize(
    plan: FilePlan, profile: UserProfile, policy: FilesystemPolicy, brain: CreationBrain, files_dir: Path, seed: int
) -> None:
    """Write every planned file under ``files_dir`` with its planned mtime."""
    contents: dict[str, ArtifactContent] = {}
    by_id = {f.id: f for f in plan.files}
    incoming, members = plan.links()
    for file in creation_order(plan):
        dest = files_dir / ospath.to_physical(policy.os, file.path)
        dest.parent.mkdir(parents=True, exist_ok=True)
        sources = incoming.get(file.id, [])
        if file.content_mode == "copy":
            original = by_id[sources[0][0]]
            shutil.copyfile(files_dir / ospath.to_physical(policy.os, original.path), dest)
            contents[file.id] = contents[original.id]
        else:
            context = ArtifactContext(
                profile=profile, policy=policy,
                predecessors=[Predecessor(by_id[s], kind, contents[s]) for s, kind in sources],  # type: ignore[arg-type]
                archive_members=[by_id[m] for m in members.get(file.id, [])],
            )
            content = brain.artifact_content(file, context)
            contents[file.id] = content
            dest.write_bytes(render_artifact(file.artifact_type, content, profile.style, file.timestamp, _file_seed(seed, file.id)))
        stamp = epoch(file.timestamp)
        os.utime(dest, (stamp, stamp))
    _stamp_directories(files_dir)


def _file_seed(seed: int, file_id: str) -> int:
    """A file's render seed: from its number for the ``f0001`` ids the procedural brain
    writes, else from a hash of the id (a model may name its files otherwise)."""
    digits = file_id.lstrip("f")
    if digits.isascii() and digits.isdigit() or not digits:
        return seed * 100_003 + int(digits or 0)
    return seed * 100_003 + int.from_bytes(hashlib.sha256(file_id.encode()).digest()[:6], "big")


def _stamp_directories(root: Path) -> None:
    """Each directory gets the newest mtime of what it holds (deepest first)."""
    for dirpath, dirnames, filenames in sorted(os.walk(root), key=lambda t: -t[0].count(os.sep)):
        children = [os.path.join(dirpath, n) for n in (*dirnames, *filenames)]
        if children:
            newest = max(os.stat(c).st_mtime for c in children)
            os.utime(dirpath, (newest, newest))
