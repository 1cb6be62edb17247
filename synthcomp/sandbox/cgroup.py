"""A memory and process cgroup per bubblewrap jail, where this host lets us make one.

A jail's tree and /tmp are tmpfs, whose pages are charged to the memory cgroup of
whoever wrote them, so one cgroup bounds the agent's processes and its disk together,
as Docker's does for a container. Making cgroups needs root and the cgroup v1 memory
and pids controllers (this project's machines; Docker's ``cgroupfs`` driver); a jail's
cgroup is made below the one this process is in, so it can never exceed its owner's
limits. Elsewhere ``create`` returns None and the caller falls back to per-process
rlimits.

A cgroup's name carries its owner's pid and start time. ``sweep`` (``synthcomp gc``) ends
whatever is still in the cgroups of dead owners and removes them: a jail whose owner was
killed while bubblewrap was setting it up can hang there for good (bwrap's sandbox
process waits on its parent, which died before it set the process free).
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from synthcomp.sandbox.gc import owner_tag, tag_owner_alive

PREFIX = "synthcomp-"
CONTROLLERS = ("memory", "pids")


def _mounts() -> dict[str, Path]:
    """controller -> where its v1 hierarchy is mounted."""
    found: dict[str, Path] = {}
    try:
        lines = Path("/proc/self/mountinfo").read_text().splitlines()
    except OSError:
        return found
    for line in lines:
        left, _, right = line.partition(" - ")
        fields, super_options = left.split(), right.split()
        if len(super_options) < 3 or super_options[0] != "cgroup":
            continue
        for controller in CONTROLLERS:
            if controller in super_options[2].split(","):
                found[controller] = Path(fields[4])
    return found


def _own_paths() -> dict[str, str]:
    """controller -> this process's cgroup path in that hierarchy."""
    own: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(","):
            own[controller] = path
    return own


class JailCgroup:
    """One cgroup (in each of the memory and pids hierarchies) for one jail."""

    def __init__(self, folders: list[Path]) -> None:
        self.folders = folders

    @classmethod
    def create(cls, name: str, *, memory_bytes: int, pids: int) -> JailCgroup | None:
        """Make the cgroup with its limits, or return None where that is not possible."""
        if os.geteuid() != 0:
            return None
        folders: list[Path] = []
        try:
            mounts, own = _mounts(), _own_paths()
            if any(c not in mounts or c not in own for c in CONTROLLERS):
                return None
            for controller in CONTROLLERS:
                folder = mounts[controller] / own[controller].lstrip("/") / f"{PREFIX}{owner_tag()}-{name}"
                folder.mkdir()
                folders.append(folder)
            memory, pid_folder = folders
            (memory / "memory.limit_in_bytes").write_text(str(memory_bytes))
            swap = memory / "memory.memsw.limit_in_bytes"
            if swap.exists():
                swap.write_text(str(memory_bytes))
            (pid_folder / "pids.max").write_text(str(pids))
        except OSError:
            for folder in folders:
                _rmdir(folder)
            return None
        return cls(folders)

    def enter(self) -> None:
        """Move the calling process into the cgroup (run in the jail's first process, before exec)."""
        for folder in self.folders:
            (folder / "cgroup.procs").write_text(str(os.getpid()))

    def remove(self, wait_s: float = 2.0) -> None:
        """Remove the cgroup once its processes are gone (the kernel may take a moment to reap them)."""
        deadline = time.monotonic() + wait_s
        for folder in self.folders:
            while not _rmdir(folder) and folder.exists() and time.monotonic() < deadline:
                time.sleep(0.01)


def _rmdir(folder: Path) -> bool:
    try:
        folder.rmdir()
    except OSError:
        return False
    return True


def sweep() -> list[str]:
    """Remove the jail cgroups of dead owners, ending any process still in them; and any empty
    one whose name says no owner (made before names carried it)."""
    removed = []
    mounts, own = _mounts(), _own_paths()
    for controller in CONTROLLERS:
        if controller not in mounts or controller not in own:
            continue
        parent = mounts[controller] / own[controller].lstrip("/")
        for folder in sorted(parent.glob(f"{PREFIX}*")):
            alive = tag_owner_alive(folder.name[len(PREFIX):].partition("-")[0])
            if alive:
                continue
            if (_end_processes(folder) if alive is False else not _processes(folder)) and _rmdir(folder):
                removed.append(f"{controller}:{folder.name}")
    return removed


def _processes(folder: Path) -> list[int]:
    try:
        return [int(pid) for pid in (folder / "cgroup.procs").read_text().split()]
    except (OSError, ValueError):
        return []


def _end_processes(folder: Path, wait_s: float = 5.0) -> bool:
    """SIGKILL every process of the cgroup until none is left; False if some stay past ``wait_s``."""
    deadline = time.monotonic() + wait_s
    while pids := _processes(folder):
        if time.monotonic() > deadline:
            return False
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        time.sleep(0.01)
    return True
