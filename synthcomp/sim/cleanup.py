"""Deleting a simulation's checkpoints (``synthcomp gc --sim``).

Checkpoints are kept snapshots: ``synthcomp gc`` never removes them on its own, since
``--restart-from-day`` needs them after the process that took them is gone. They live
inside the simulation directory (``snapshots/``) and are removed here by the refs the
simulation recorded, with the file blobs no snapshot there names any more.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from synthcomp.errors import InputError
from synthcomp.sandbox.base import SnapshotRef
from synthcomp.sandbox.store import collect_blobs


def delete_checkpoints(sim_dir: Path) -> int:
    """Remove every checkpoint snapshot of ``sim_dir``; returns how many were removed.

    Raises:
        InputError: ``sim_dir`` holds no checkpoints.
    """
    records = sorted((sim_dir / "checkpoints").glob("day-*.json"))
    if not records:
        raise InputError(f"{sim_dir} has no checkpoints (expected {sim_dir}/checkpoints/day-NN.json)")
    refs = [SnapshotRef.model_validate(json.loads(p.read_text())["snapshot"]) for p in records]
    removed = 0
    for ref in refs:
        if ref.location and (Path(ref.location) / "meta.json").is_file():
            shutil.rmtree(ref.location)
            removed += 1
    for path in records:
        path.unlink()
    for store in {Path(ref.location).parent for ref in refs if ref.location}:
        collect_blobs(store, grace_s=0)  # the simulation's own store: no other writer to wait for
    (sim_dir / "progress.json").unlink(missing_ok=True)
    return removed
