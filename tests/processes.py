"""The processes below a pid, for tests and benchmarks that check nothing outlives its owner."""

from __future__ import annotations

import os
from pathlib import Path


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc; no psutil here)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as fh:
                parents[int(entry)] = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (ValueError, OSError):  # not a pid, or gone meanwhile
            continue
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def release_containers() -> None:
    """What this process's exit does first: discard its spare containers, finish removing closed ones."""
    from synthcomp.sandbox.docker import wait_retired
    from synthcomp.sandbox.spares import SPARES

    SPARES.close()
    wait_retired()


def gc_leaves_nothing_of(killed: list[int], tmp_path: Path) -> None:
    """``synthcomp gc`` after owners were SIGKILLed: no process of their bubblewrap jails is left.
    (A kill while bwrap set a jail up leaves bwrap's sandbox process waiting forever in the
    jail's cgroup, which names its owner.)"""
    from synthcomp.sandbox.gc import collect_garbage

    collect_garbage(snapshot_dir=tmp_path / "no-snapshots", docker=False)
    left = []
    for entry in os.listdir("/proc"):
        try:
            groups = Path(f"/proc/{entry}/cgroup").read_text() if entry.isdigit() else ""
        except OSError:
            continue
        if any(f"/synthcomp-{pid}@" in groups for pid in killed):
            left.append(entry)
    assert not left, f"processes of a killed owner's jails: {left}"
