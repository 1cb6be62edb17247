"""Leak collection: containers, volumes, snapshots, cgroups and socket folders whose owner process is gone.

Everything synthcomp creates carries ``synthcomp.owner=<pid>``,
``synthcomp.owner_start=<start time of that pid>`` and ``synthcomp.host=<hostname>``;
an owner is alive when a process with that pid *and* that start time exists here (a
reused pid does not count). Snapshots taken with ``keep=True`` are never collected.
Containers normally vanish on their own within a second of their owner's death (they
are started with auto-remove, and their supervisor exits when the owner's connection
closes); ``synthcomp gc`` catches the rest, and the empty cgroups of bubblewrap jails.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
from pathlib import Path

OWNER, OWNER_START, HOST = "synthcomp.owner", "synthcomp.owner_start", "synthcomp.host"
ROLE, KEEP, COMPUTER = "synthcomp.role", "synthcomp.keep", "synthcomp.computer"
DEFAULT_SNAPSHOTS = Path.home() / ".cache" / "synthcomp" / "snapshots"


def process_start(pid: int) -> str:
    """The start time of ``pid`` in clock ticks since boot ('' if there is no such process)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""
    return stat.rsplit(")", 1)[1].split()[19]


def owner_labels() -> dict[str, str]:
    """Labels naming this process as the owner."""
    return {OWNER: str(os.getpid()), OWNER_START: process_start(os.getpid()), HOST: socket.gethostname()}


def owner_tag() -> str:
    """This process as part of a name (a folder, a cgroup): ``<pid>@<start time>``."""
    return f"{os.getpid()}@{process_start(os.getpid())}"


def tag_owner_alive(tag: str) -> bool | None:
    """Whether the owner an ``owner_tag`` names is alive; None when ``tag`` is not one."""
    pid, at, start = tag.partition("@")
    if not (at and pid.isdigit() and start.isdigit()):
        return None
    return owner_alive({OWNER: pid, OWNER_START: start})


def owner_alive(labels: dict[str, str]) -> bool | None:
    """True/False for an owner on this host; None when it is another host's (left alone)."""
    if labels.get(HOST, socket.gethostname()) != socket.gethostname():
        return None
    try:
        pid = int(labels.get(OWNER, ""))
    except ValueError:
        return False
    start = process_start(pid)
    return bool(start) and labels.get(OWNER_START, start) == start


def collect_garbage(*, snapshot_dir: Path = DEFAULT_SNAPSHOTS, docker: bool = True) -> str:
    """Remove what dead owners left behind; return a printable report.

    Args:
        snapshot_dir: the local backend's snapshot store to sweep too.
        docker: also sweep the Docker daemon (skipped with a note when it is not running).

    Raises:
        Nothing on a missing daemon: the report says it was skipped.
    """
    from synthcomp.sandbox.cgroup import sweep

    lines: list[str] = []
    if docker:
        lines += _sweep_docker()
    lines += _sweep_dir(snapshot_dir)
    cgroups = sweep()
    if cgroups:
        lines.append(f"local: removed {len(cgroups)} cgroups: {', '.join(cgroups)}")
    folders = _sweep_links()
    if folders:
        lines.append(f"sockets: removed {len(folders)} folders: {', '.join(folders)}")
    return "\n".join(lines) if lines else "nothing to collect"


def _sweep_docker() -> list[str]:
    from synthcomp.errors import SandboxError
    from synthcomp.sandbox.image import connect

    try:
        client = connect()
    except SandboxError as exc:
        return [f"docker: skipped ({exc})"]
    import docker.errors

    removed = {"containers": [], "volumes": []}
    for container in client.containers.list(all=True, filters={"label": OWNER}, ignore_removed=True):
        if owner_alive(container.labels) is False:
            try:
                container.remove(force=True, v=True)
                removed["containers"].append(container.name)
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as exc:
                if exc.status_code != 409:  # 409: removal already in progress
                    raise
    for volume in client.volumes.list(filters={"label": OWNER}):
        if owner_alive(volume.attrs.get("Labels") or {}) is False:
            try:
                volume.remove()
                removed["volumes"].append(volume.name[:12])
            except docker.errors.NotFound:
                pass
            except docker.errors.APIError as exc:
                if exc.status_code != 409:  # still in use
                    raise
    return [
        f"docker: removed {len(names)} {kind}" + (f": {', '.join(names)}" if names else "")
        for kind, names in removed.items()
    ]


def _sweep_links() -> list[str]:
    from synthcomp.sandbox.supervisor_socket import stale_folders

    removed = []
    for folder in stale_folders():
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder.name)
    return removed


def _sweep_dir(snapshot_dir: Path) -> list[str]:
    from synthcomp.sandbox.store import collect_blobs

    if not snapshot_dir.is_dir():
        return []
    removed = []
    for entry in sorted(snapshot_dir.iterdir()):
        meta = entry / "meta.json"
        try:
            labels = json.loads(meta.read_text()).get("labels", {})
        except (OSError, ValueError):
            continue
        if labels.get(KEEP) == "1":
            continue
        if owner_alive(labels) is False:
            shutil.rmtree(entry, ignore_errors=True)
            removed.append(entry.name)
    blobs = collect_blobs(snapshot_dir)
    return [f"snapshots: removed {len(removed)}" + (f": {', '.join(removed)}" if removed else "")
            + (f"; {blobs} file blobs no snapshot names" if blobs else "")]
