"""Host folders as tar streams for a sandbox, and archives from a sandbox onto the host.

An archive that comes out of a jail holds whatever the agent made, so it is never
handed to ``tarfile.extractall`` (whose ``data`` filter has been bypassed before:
CVE-2025-4517). ``unpack`` first checks every member with the supervisor's own rule
book (``inside.archive.check_member``: relative names, no ``..``, bounded names and
sizes, regular files and folders only), then writes the members itself: every parent
must be a real folder, files are opened with ``O_NOFOLLOW``, modes lose their special
bits and keep the owner's read and write.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO

from synthcomp.errors import InputError
from synthcomp.sandbox.inside import archive

UID = GID = 1000
"""The synthetic user inside every jail, and the owner written into archives for it."""

HOST_LIMITS = archive.Limits(members=200_000, file_bytes=1 << 30, total_bytes=8 << 30)


def pack_dir(host_dir: Path, out: IO[bytes], *, uid: int = UID, gid: int = GID) -> str:
    """Write a PAX tar of the contents of ``host_dir`` (not the folder itself) to ``out``.

    Returns the tree's digest (``inside.archive.digest``).

    Raises:
        InputError: ``host_dir`` is not a folder, or holds a socket or device.
    """
    host_dir = Path(host_dir)
    if not host_dir.is_dir():
        raise InputError(f"{host_dir} is not a directory")
    try:
        digest, _ = archive.pack(str(host_dir), out.write, uid=uid, gid=gid, limit=HOST_LIMITS.members)
    except archive.ArchiveError as exc:
        raise InputError(f"{host_dir} cannot be packed: {exc}") from exc
    return digest


def unpack(handle: IO[bytes], host_dir: Path) -> int:
    """Check every member of a seekable archive, then write it below ``host_dir`` (created if missing).

    Returns how many members were written.

    Raises:
        InputError: a member breaks a rule (nothing was written).
    """
    try:
        archive.check_all(handle, exact=False, limits=HOST_LIMITS)
        handle.seek(0)
        host_dir = Path(host_dir)
        host_dir.mkdir(parents=True, exist_ok=True)
        return archive.unpack(str(host_dir), handle, exact=False, limits=HOST_LIMITS)
    except archive.ArchiveError as exc:
        raise InputError(f"refused an archive from the sandbox: {exc}") from exc


def tree_digest(host_dir: Path) -> str:
    """Paths, kinds, modes, mtimes (ns), bytes and link targets of a host tree, as one sha256.

    Two trees with the same digest are the same computer, as far as a user can tell; it
    is the digest a snapshot records and a restore must reproduce.
    """
    return archive.digest(os.fspath(host_dir), limit=HOST_LIMITS.members)
