"""Trees as tar streams, packed and unpacked by hand-checked rules (never ``extractall``).

Snapshots must be exact and archives from inside a jail must be harmless, so both
directions are written here rather than left to ``tarfile``'s filters:

- ``pack`` walks a folder without following links and writes a PAX stream: folders,
  regular files (read whatever their mode, when the packer may), symlinks as links,
  hard links as links to the first name, FIFOs; mtimes to the nanosecond. A socket or
  device cannot be recreated by the agent's user, so it makes the snapshot fail loudly.
  It also returns the tree's ``digest``, which a restore must reproduce.
- ``check_member`` is the one rule book for every archive read anywhere: relative
  names only, no ``..``, bounded names and sizes, and only the member types allowed.
- ``unpack`` writes members itself: each parent must be a real folder (never a link),
  files are opened with ``O_NOFOLLOW``, links and FIFOs only in ``exact`` mode (a
  snapshot restored into its own jail); modes and mtimes are applied last, children
  before their folders, so a folder of mode 000 still receives its files.
"""

from __future__ import annotations

import hashlib
import os
import stat
import tarfile
from dataclasses import dataclass
from typing import IO, Callable

from .files import NAME_MAX, PATH_MAX, kind_of, walk

READ_CHUNK = 1 << 20


class ArchiveError(ValueError):
    """An archive breaks a rule, or a tree cannot be archived exactly."""


@dataclass(frozen=True)
class Limits:
    """Bounds on one archive."""

    members: int = 200_000
    file_bytes: int = 1 << 30
    total_bytes: int = 4 << 30


def exact_mtime(ns: int) -> str:
    """An mtime as a PAX record, to the nanosecond (a float would round it)."""
    return f"{ns // 10**9}.{ns % 10**9:09d}"


def mtime_ns(member: tarfile.TarInfo) -> int:
    text = member.pax_headers.get("mtime")
    if text is None:
        return int(member.mtime) * 10**9
    seconds, _, fraction = text.partition(".")
    if seconds.startswith("-"):
        return round(float(text) * 10**9)
    return int(seconds) * 10**9 + int((fraction + "000000000")[:9])


def _name_ok(name: str) -> list[str]:
    """The components of a relative member name, or ArchiveError."""
    if not name or "\0" in name:
        raise ArchiveError(f"member name {name!r} is empty or holds a NUL byte")
    if name.startswith("/"):
        raise ArchiveError(f"member {name!r} has an absolute path")
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise ArchiveError(f"member {name!r} climbs out with '..'")
    if len(os.fsencode(name)) > PATH_MAX or any(len(os.fsencode(p)) > NAME_MAX for p in parts):
        raise ArchiveError(f"member name {name[:80]!r}... is too long")
    return parts


def check_member(member: tarfile.TarInfo, *, exact: bool, limits: Limits) -> str | None:
    """The member's normalized relative name, or None for the archive's own top folder.

    Args:
        exact: also allow symlinks, hard links within the archive and FIFOs.

    Raises:
        ArchiveError: naming the member and the rule it breaks.
    """
    parts = _name_ok(member.name)
    if member.isreg() or member.isdir():
        pass
    elif exact and member.issym():
        if not member.linkname or "\0" in member.linkname or len(os.fsencode(member.linkname)) > PATH_MAX:
            raise ArchiveError(f"symlink {member.name!r} has a bad target")
    elif exact and member.islnk():
        _name_ok(member.linkname)
    elif exact and member.isfifo():
        pass
    else:
        kind = "link" if (member.issym() or member.islnk()) else "special file"
        raise ArchiveError(f"member {member.name!r} is a {kind}; only regular files and folders are allowed")
    if member.size > limits.file_bytes:
        raise ArchiveError(f"member {member.name!r} is {member.size} bytes, more than {limits.file_bytes}")
    return "/".join(parts) if parts else None


def check_all(fileobj: IO[bytes], *, exact: bool, limits: Limits) -> int:
    """Check every member of a seekable archive before anything is written; return the count."""
    count = total = 0
    with tarfile.open(fileobj=fileobj, mode="r|", encoding="utf-8", errors="surrogateescape") as tar:
        for member in tar:
            check_member(member, exact=exact, limits=limits)
            count, total = count + 1, total + member.size
            if count > limits.members or total > limits.total_bytes:
                raise ArchiveError(f"the archive holds more than {limits.members} members or {limits.total_bytes} bytes")
    return count


# --------------------------------------------------------------------------- pack


class _Sink:
    """A write-only file object that hands every write to ``write``."""

    def __init__(self, write: Callable[[bytes], None]) -> None:
        self._write = write

    def write(self, data: bytes) -> int:
        self._write(bytes(data))
        return len(data)


class _HashingReader:
    def __init__(self, fd: int) -> None:
        self.fd, self.hash = fd, hashlib.sha256()

    def read(self, n: int = -1) -> bytes:
        data = os.read(self.fd, READ_CHUNK if n < 0 else min(n, READ_CHUNK))
        self.hash.update(data)
        return data


class TreeIdentity:
    """A tree's two hashes, taken entry by entry in walk order.

    ``digest`` covers paths, kinds, modes, mtimes, bytes and link targets: what a restore
    must reproduce. ``key`` also says which names are hard links of which, and frames
    every field by its length (a name may hold a newline, a link target anything), so two
    trees share a key only if a pack of either gives the same tar: the snapshot store
    names a tree's layout by it, and a snapshot of a tree it holds moves no bytes.
    """

    def __init__(self) -> None:
        self._digest, self._key = hashlib.sha256(), hashlib.sha256()

    def add(self, rel: str, kind: str, st: os.stat_result, body: str, first_name: str = "") -> None:
        """One entry; ``body`` is a file's sha256 or a symlink's target, ``first_name`` the name a hard link repeats."""
        mode = f"{stat.S_IMODE(st.st_mode):o}"
        self._digest.update(f"{rel}\0{kind}\0{mode}\0{st.st_mtime_ns}\0{body}\n".encode("utf-8", "surrogateescape"))
        for field in (rel, kind, mode, str(st.st_mtime_ns), body, first_name):
            data = field.encode("utf-8", "surrogateescape")
            self._key.update(b"%d:%s" % (len(data), data))

    def result(self) -> tuple[str, str]:
        """(digest, key) as hex."""
        return self._digest.hexdigest(), self._key.hexdigest()


def pack(top: str, write: Callable[[bytes], None], *, uid: int, gid: int, limit: int,
         files_only: bool = False) -> tuple[str, list[str]]:
    """Write a PAX tar of everything below the host folder ``top`` to ``write``.

    Args:
        files_only: leave out links, FIFOs and other special files (an archive for the host).

    Returns:
        (the tree's digest, what was left out).

    Raises:
        ArchiveError: something below ``top`` cannot be archived exactly (a socket, a device).
        OSError: a folder or file could not be read.
    """
    identity = TreeIdentity()
    skipped: list[str] = []
    first_name: dict[tuple[int, int], tuple[str, str]] = {}
    with tarfile.open(fileobj=_Sink(write), mode="w|", format=tarfile.PAX_FORMAT,
                      encoding="utf-8", errors="surrogateescape") as tar:
        for rel, st in walk(top, limit, strict=True):
            info = tarfile.TarInfo(rel)
            info.mode, info.uid, info.gid, info.uname, info.gname = stat.S_IMODE(st.st_mode), uid, gid, "", ""
            info.mtime = st.st_mtime_ns // 10**9
            info.pax_headers = {"mtime": exact_mtime(st.st_mtime_ns)}
            kind = kind_of(st.st_mode)
            body = link_to = ""
            if files_only and kind not in ("dir", "file"):
                skipped.append(rel)
                continue
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            elif kind == "file" and not files_only and (st.st_dev, st.st_ino) in first_name:
                info.type, (info.linkname, body) = tarfile.LNKTYPE, first_name[(st.st_dev, st.st_ino)]
                link_to = info.linkname
                tar.addfile(info)
            elif kind == "file":
                fd = os.open(f"{top}/{rel}", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
                try:
                    info.size = st.st_size
                    reader = _HashingReader(fd)
                    tar.addfile(info, reader)
                    body = reader.hash.hexdigest()
                finally:
                    os.close(fd)
                if st.st_nlink > 1:
                    first_name[(st.st_dev, st.st_ino)] = (rel, body)
            elif kind == "link":
                info.type, info.linkname = tarfile.SYMTYPE, os.readlink(f"{top}/{rel}")
                body = info.linkname
                tar.addfile(info)
            elif kind == "fifo":
                info.type = tarfile.FIFOTYPE
                tar.addfile(info)
            else:
                raise ArchiveError(f"{rel} is a {kind}: a snapshot cannot hold it exactly")
            identity.add(rel, kind, st, body, link_to)
    return identity.result()[0], skipped


def digest(top: str, *, limit: int) -> str:
    """The digest ``pack`` returns, of the tree as it is now (paths, kinds, modes, mtimes, bytes, links)."""
    return identify(top, limit=limit)[0]


def identify(top: str, *, limit: int) -> tuple[str, str]:
    """The tree's (digest, key) as it is now (``TreeIdentity``): the digest is the one ``pack`` returns."""
    identity = TreeIdentity()
    first_name: dict[tuple[int, int], tuple[str, str]] = {}
    for rel, st in walk(top, limit, strict=True):
        kind, body, link_to = kind_of(st.st_mode), "", ""
        if kind == "file" and (st.st_dev, st.st_ino) in first_name:
            link_to, body = first_name[(st.st_dev, st.st_ino)]  # as pack does: the bytes are read once
        elif kind == "file":
            fd = os.open(f"{top}/{rel}", os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
            try:
                reader = _HashingReader(fd)
                while reader.read():
                    pass
                body = reader.hash.hexdigest()
            finally:
                os.close(fd)
            if st.st_nlink > 1:
                first_name[(st.st_dev, st.st_ino)] = (rel, body)
        elif kind == "link":
            body = os.readlink(f"{top}/{rel}")
        identity.add(rel, kind, st, body, link_to)
    return identity.result()


# --------------------------------------------------------------------------- unpack


def _lstat(path: str) -> os.stat_result | None:
    try:
        return os.lstat(path)
    except FileNotFoundError:
        return None


def _parents(dest: str, rel: str) -> None:
    """Make sure every folder between ``dest`` and the member exists and is a real folder."""
    parts = rel.split("/")[:-1]
    for depth in range(1, len(parts) + 1):
        current = f"{dest}/{'/'.join(parts[:depth])}"
        st = _lstat(current)
        if st is None:
            os.mkdir(current, 0o700)
        elif not stat.S_ISDIR(st.st_mode):
            raise ArchiveError(f"{'/'.join(parts[:depth])} is not a real folder (a link or a file)")


def _copy(source: IO[bytes], fd: int, size: int) -> None:
    left = size
    while left > 0:
        chunk = source.read(min(left, READ_CHUNK))
        if not chunk:
            raise ArchiveError("the archive ends inside a file")
        view = memoryview(chunk)
        while view:
            view = view[os.write(fd, view):]
        left -= len(chunk)


def unpack(dest: str, fileobj: IO[bytes], *, exact: bool, limits: Limits) -> int:
    """Write the archive's members below the existing host folder ``dest``; return how many.

    Args:
        exact: a snapshot into its own jail: links and FIFOs too, modes exactly as stored.
            Otherwise only files and folders, and the owner can always read and write them.

    Raises:
        ArchiveError: a member breaks a rule (what came before it stays written).
        OSError: the disk is full, or a permission is missing.
    """
    fixups: list[tuple[str, int | None, int]] = []
    written: dict[str, str] = {}
    count = total = 0
    with tarfile.open(fileobj=fileobj, mode="r|", encoding="utf-8", errors="surrogateescape") as tar:
        for member in tar:
            rel = check_member(member, exact=exact, limits=limits)
            count, total = count + 1, total + member.size
            if count > limits.members or total > limits.total_bytes:
                raise ArchiveError(f"the archive holds more than {limits.members} members or {limits.total_bytes} bytes")
            if rel is None:
                continue
            _parents(dest, rel)
            path, existing = f"{dest}/{rel}", _lstat(f"{dest}/{rel}")
            mode = stat.S_IMODE(member.mode) if exact else (member.mode & 0o755) | (0o700 if member.isdir() else 0o600)
            if existing is not None and not member.isdir() and not (member.isreg() and stat.S_ISREG(existing.st_mode)):
                if stat.S_ISDIR(existing.st_mode) or not exact:
                    raise ArchiveError(f"{rel} would replace an existing {kind_of(existing.st_mode)}")
                os.unlink(path)
            if member.isdir():
                if existing is None:
                    os.mkdir(path, 0o700)
                elif not stat.S_ISDIR(existing.st_mode):
                    raise ArchiveError(f"{rel} would replace an existing {kind_of(existing.st_mode)} with a folder")
            elif member.isreg():
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o600)
                try:
                    _copy(tar.extractfile(member), fd, member.size)
                finally:
                    os.close(fd)
                written[rel] = path
            elif member.issym():
                os.symlink(member.linkname, path)
                mode = None
            elif member.islnk():
                target = written.get("/".join(_name_ok(member.linkname)))
                if target is None:
                    raise ArchiveError(f"hard link {rel} points at {member.linkname!r}, not a file written before it")
                os.link(target, path, follow_symlinks=False)
                continue
            else:
                os.mkfifo(path, 0o600)
            fixups.append((path, mode, mtime_ns(member)))
    for path, mode, ns in reversed(fixups):
        if mode is not None:
            os.chmod(path, mode)
        os.utime(path, ns=(ns, ns), follow_symlinks=False)
    return count
