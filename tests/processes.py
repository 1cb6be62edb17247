"""The processes below a pid, for tests and benchmarks that check nothing outlives its owner."""

from __future__ import annotations

import os


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
