"""Trees as tar streams: pack a host directory for a sandbox, unpack one safely, hash one.

A computer moves into and out of a sandbox as one PAX tar stream (``put_archive`` /
``get_archive`` for Docker, ``tar`` through the shell for bubblewrap), never file by
file. Packing keeps modes and mtimes (sub-second, as PAX records) and gives every
entry to the sandbox user; unpacking on the host uses the ``data`` filter of
``tarfile`` and skips what it refuses (absolute or escaping links, devices).
"""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
from pathlib import Path

from synthcomp.errors import InputError


def pack_dir(host_dir: Path, *, uid: int, gid: int, prefix: str = "") -> bytes:
    """A PAX tar of the contents of ``host_dir`` (not the directory itself).

    Args:
        host_dir: the directory to pack; symlinks are stored as links, special files skipped.
        uid, gid: owner written into every entry.
        prefix: prepended to every member name (e.g. ``"drives/"``), with its directories.

    Raises:
        InputError: ``host_dir`` is not a directory.
    """
    host_dir = Path(host_dir)
    if not host_dir.is_dir():
        raise InputError(f"{host_dir} is not a directory")
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        if prefix:
            parts = prefix.strip("/").split("/")
            for depth in range(1, len(parts) + 1):
                info = tarfile.TarInfo("/".join(parts[:depth]))
                info.type, info.mode = tarfile.DIRTYPE, 0o755
                _own(info, uid, gid)
                info.mtime = host_dir.stat().st_mtime
                tar.addfile(info)
        for current, dirs, files in os.walk(host_dir):
            dirs.sort()
            base = Path(current)
            for name in [*dirs, *sorted(files)]:
                path = base / name
                arcname = prefix.strip("/") + "/" if prefix else ""
                arcname += path.relative_to(host_dir).as_posix()
                mode = os.lstat(path).st_mode
                if not (stat.S_ISREG(mode) or stat.S_ISDIR(mode) or stat.S_ISLNK(mode)):
                    continue
                info = tar.gettarinfo(str(path), arcname)
                _own(info, uid, gid)
                info.pax_headers = {"mtime": _exact(os.lstat(path).st_mtime_ns)}
                if info.isreg():
                    with open(path, "rb") as handle:
                        tar.addfile(info, handle)
                else:
                    tar.addfile(info)
    return buffer.getvalue()


def _exact(ns: int) -> str:
    """An mtime as PAX writes it to the nanosecond (a float would round it)."""
    return f"{ns // 10**9}.{ns % 10**9:09d}"


def _ns(text: str) -> int:
    seconds, _, fraction = text.partition(".")
    if seconds.startswith("-"):
        return round(float(text) * 10**9)
    return int(seconds) * 10**9 + int((fraction + "000000000")[:9])


def _own(info: tarfile.TarInfo, uid: int, gid: int) -> None:
    info.uid, info.gid, info.uname, info.gname = uid, gid, "", ""


def single_file_tar(name: str, data: bytes, *, mode: int = 0o600, uid: int = 0, gid: int = 0, mtime: float = 0) -> bytes:
    """A tar holding one regular file (for ``put_archive``)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size, info.mode, info.mtime = len(data), mode, mtime
        _own(info, uid, gid)
        tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def strip_first(data: bytes) -> bytes:
    """The same tar with the first path component of every member dropped (``drives/C`` -> ``./C``)."""
    source = tarfile.open(fileobj=io.BytesIO(data))
    buffer = io.BytesIO()
    with source, tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for member in source:
            rest = member.name.split("/", 1)[1] if "/" in member.name else ""
            member.name = "./" + rest if rest else "."
            tar.addfile(member, source.extractfile(member) if member.isreg() else None)
    return buffer.getvalue()


def files_in_tar(data: bytes) -> dict[str, bytes]:
    """Regular files of a tar (member name -> bytes)."""
    out = {}
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        for member in tar:
            if member.isreg():
                out[member.name] = tar.extractfile(member).read()
    return out


def unpack(data: bytes, host_dir: Path, *, strip: int = 0) -> list[str]:
    """Extract a tar into ``host_dir`` with the ``data`` filter; return what was skipped.

    Args:
        strip: leading path components to drop (``get_archive`` names the source dir).
    """
    host_dir = Path(host_dir)
    host_dir.mkdir(parents=True, exist_ok=True)
    skipped: list[str] = []

    def keep(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
        parts = member.name.split("/")
        if member.name in ("", ".", "./") or len([p for p in parts if p not in ("", ".")]) <= strip:
            return None
        name = "/".join([p for p in parts if p not in ("", ".")][strip:])
        member = member.replace(name=name, deep=False)
        try:
            return tarfile.data_filter(member, dest)
        except tarfile.FilterError:
            skipped.append(name)
            return None

    exact: list[tuple[Path, int]] = []

    def keep_exact(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
        kept = keep(member, dest)
        if kept is not None and not kept.issym() and "mtime" in member.pax_headers:
            exact.append((host_dir / kept.name, _ns(member.pax_headers["mtime"])))
        return kept

    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        tar.extractall(host_dir, filter=keep_exact)
    for path, ns in reversed(exact):  # children before their directories
        try:
            os.utime(path, ns=(ns, ns), follow_symlinks=False)
        except OSError:
            pass
    return skipped


def tree_digest(host_dir: Path) -> str:
    """sha256 over a host tree: relative paths, kinds, permission bits, file mtimes (ns), bytes, links.

    Two trees with the same digest are the same computer, as far as a user can tell.
    """
    digest = hashlib.sha256()
    host_dir = Path(host_dir)
    for current, dirs, files in os.walk(host_dir):
        dirs.sort()
        for name in [*dirs, *sorted(files)]:
            path = Path(current) / name
            st = os.lstat(path)
            rel = path.relative_to(host_dir).as_posix()
            if stat.S_ISLNK(st.st_mode):
                body = b"L" + os.readlink(path).encode()
            elif stat.S_ISDIR(st.st_mode):
                body = b"D"
            else:
                body = b"F" + hashlib.sha256(path.read_bytes()).digest()
                body += b"%d" % st.st_mtime_ns
            digest.update(b"%s\0%o\0%s\n" % (rel.encode(), stat.S_IMODE(st.st_mode), body))
    return digest.hexdigest()
