"""The computer's tree as every file tool sees it: one set of path rules, regular files only.

Paths arrive absolute and normalized (the host resolves what the agent wrote, lexically)
and are checked again here. Symlinks are resolved by hand, component by component, the
way ``chroot`` would: an absolute target starts at the sandbox's ``/``, and a walk that
leaves the tree (other than passing through the directories above its root) is an
``Escape``, so a link to ``/etc`` or ``../../..`` leads nowhere. Opens never follow a
link and never block (``O_NOFOLLOW | O_NONBLOCK``); only regular files are read or
written, so a FIFO, socket or device is an error, not a hang. Reads are capped.

The supervisor does this work while no agent process exists (each command's processes
end with it), so nothing can change the tree between a check and its use. In Docker
the supervisor is root; agent-facing operations run under ``Identity.agent()`` (the
filesystem uid/gid of the agent), so permissions and ownership are the agent's own.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import io
import os
import re
import stat
import time
import zipfile
from typing import Iterator

NAME_MAX = 255
PATH_MAX = 4096
MAX_LINKS = 40
KINDS = {stat.S_IFDIR: "dir", stat.S_IFREG: "file", stat.S_IFLNK: "link", stat.S_IFIFO: "fifo",
         stat.S_IFSOCK: "socket", stat.S_IFCHR: "device", stat.S_IFBLK: "device"}
_OFFICE_PARTS = ("word/document", "xl/sharedStrings", "xl/worksheets/", "ppt/slides/slide")
_TAGS = re.compile(r"<[^>]+>")


class Escape(ValueError):
    """A path, or a symlink on it, leads outside the computer's tree."""


def kind_of(mode: int) -> str:
    return KINDS.get(stat.S_IFMT(mode), "other")


def _not_regular(mode: int, path: str) -> OSError:
    return OSError(errno.EINVAL, f"Not a regular file (it is a {kind_of(mode)})", path)


class Identity:
    """Whose permissions file work uses: the agent's, when the supervisor runs as root.

    ``setfsuid``/``setfsgid`` change only the identity used for file access (and the
    owner of new files); moving away from uid 0 also drops the file capabilities from
    the effective set, and moving back restores them, so a root supervisor reads and
    writes exactly as the agent would, then packs snapshots as root.
    """

    def __init__(self, uid: int | None, gid: int | None) -> None:
        self.switch = uid is not None and os.geteuid() == 0
        self.uid, self.gid = uid, gid
        self._libc = ctypes.CDLL(None, use_errno=True) if self.switch else None

    @contextlib.contextmanager
    def agent(self) -> Iterator[None]:
        if not self.switch:
            yield
            return
        self._libc.setfsgid(self.gid)
        self._libc.setfsuid(self.uid)
        try:
            yield
        finally:
            self._libc.setfsuid(0)
            self._libc.setfsgid(0)


class Tree:
    """The tree under ``root`` (``/drives`` or ``/Users``), stored at ``base + root``.

    Args:
        base: the host directory standing for the sandbox's ``/`` ("" inside a jail).
        root: the tree's mount point.
        home: the user's home; ``trash``: where deleted things go.
        windows: a Windows computer (each ``/drives/X`` is a drive root).
        identity: whose permissions agent-facing work uses.
    """

    def __init__(self, base: str, *, root: str, home: str, trash: str, windows: bool,
                 identity: Identity | None = None) -> None:
        self.base = base.rstrip("/")
        self.root, self.home, self.trash, self.windows = root, home, trash, windows
        self.identity = identity or Identity(None, None)
        self.protected = {root, home, trash, home.rsplit("/", 1)[0]}

    # ------------------------------------------------------------------ paths

    def host(self, path: str) -> str:
        """Where an in-sandbox path is stored."""
        return self.base + path

    def inside(self, path: str) -> bool:
        return path == self.root or path.startswith(self.root + "/")

    def check(self, path: str) -> str:
        """``path`` if it is absolute, normalized, bounded and inside the tree.

        Raises:
            Escape: outside the tree. OSError(ENAMETOOLONG): a name or the path is too long.
        """
        if not isinstance(path, str) or not path.startswith("/") or "\0" in path:
            raise Escape(f"{path!r} is not an absolute path inside the computer")
        parts = path.split("/")[1:]
        if any(p in ("", ".", "..") for p in parts) or not self.inside(path):
            raise Escape(f"{path!r} is outside the computer (everything lives under {self.root}/)")
        if len(os.fsencode(path)) > PATH_MAX or any(len(os.fsencode(p)) > NAME_MAX for p in parts):
            raise OSError(errno.ENAMETOOLONG, "File name too long", path)
        return path

    def resolve(self, path: str, *, must_exist: bool = True, follow_last: bool = True) -> str:
        """The in-sandbox path with every symlink on it resolved inside the tree.

        Raises:
            Escape: a symlink leads outside the tree.
            FileNotFoundError: ``must_exist`` and something is missing.
            NotADirectoryError: a component that must be a folder is a file.
        """
        todo = self.check(path).split("/")[1:]
        done: list[str] = []
        links, missing = 0, False
        while todo:
            part = todo.pop(0)
            if part in ("", "."):
                continue
            if part == "..":
                if done:
                    done.pop()
                continue
            done.append(part)
            current = "/" + "/".join(done)
            if not (self.inside(current) or self.root.startswith(current + "/")):
                raise Escape(f"{path!r} leads through a symlink to {current}, outside the computer")
            if missing:
                continue
            try:
                st = os.lstat(self.host(current))
            except FileNotFoundError:
                missing = True
                continue
            if stat.S_ISLNK(st.st_mode) and (todo or follow_last):
                links += 1
                if links > MAX_LINKS:
                    raise OSError(errno.ELOOP, "Too many levels of symbolic links", path)
                target = os.readlink(self.host(current))
                done.pop()
                if target.startswith("/"):
                    done = []
                todo = target.split("/") + todo
            elif todo and not stat.S_ISDIR(st.st_mode):
                raise NotADirectoryError(errno.ENOTDIR, "Not a directory", path)
        real = "/" + "/".join(done)
        if not self.inside(real):
            raise Escape(f"{path!r} leads through a symlink to {real}, outside the computer")
        if missing and must_exist:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        return real

    def guard(self, path: str, action: str) -> None:
        """Refuse to move or delete the tree's root, a drive, ``Users``, the home or the trash.

        Raises:
            PermissionError: ``path`` is one of them or holds one of them.
        """
        drive = self.windows and path.rsplit("/", 1)[0] == self.root
        if drive or any(p == path or p.startswith(path + "/") for p in self.protected):
            raise PermissionError(errno.EPERM, f"Refusing to {action} it: the computer needs it", path)

    def clear(self, path: str) -> int:
        """Remove everything below the folder ``path`` (not links' targets); return how many entries.

        Folders are opened to their owner first, so a folder made unwritable goes too.
        """
        top = self.host(path)
        entries = []
        for rel, st in walk(top, 10**7, strict=True):  # a folder comes before it is listed: open it now
            if stat.S_ISDIR(st.st_mode):
                os.chmod(f"{top}/{rel}", stat.S_IMODE(st.st_mode) | stat.S_IRWXU)
            entries.append((rel, stat.S_ISDIR(st.st_mode)))
        for rel, folder in reversed(entries):  # children before their folder
            (os.rmdir if folder else os.unlink)(f"{top}/{rel}")
        return len(entries)

    def makedirs(self, path: str) -> None:
        """Create ``path`` and missing parents (``path`` is resolved: no links on it)."""
        parts = path.split("/")[1:]
        for depth in range(1, len(parts) + 1):
            current = "/" + "/".join(parts[:depth])
            if not self.inside(current):
                continue
            try:
                st = os.lstat(self.host(current))
            except FileNotFoundError:
                os.mkdir(self.host(current), 0o777)
                continue
            if not stat.S_ISDIR(st.st_mode):
                raise NotADirectoryError(errno.ENOTDIR, "Not a directory", current)

    # ------------------------------------------------------------------ files

    def read(self, path: str, limit: int, *, head: bool = False) -> tuple[bytes, int]:
        """(bytes, size) of a regular file: at most ``limit`` bytes.

        Args:
            head: return the first ``limit`` bytes of a larger file instead of refusing it.

        Raises:
            IsADirectoryError / OSError(EINVAL): a folder, or not a regular file.
            OSError(EFBIG): larger than ``limit`` and not ``head``.
        """
        real = self.resolve(path)
        fd = os.open(self.host(real), os.O_RDONLY | os.O_NONBLOCK | os.O_NOFOLLOW | os.O_CLOEXEC)
        try:
            st = os.fstat(fd)
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
            if not stat.S_ISREG(st.st_mode):
                raise _not_regular(st.st_mode, path)
            if st.st_size > limit and not head:
                raise OSError(errno.EFBIG, f"File too large ({st.st_size} bytes; at most {limit} are read at once)", path)
            chunks, left = [], min(st.st_size, limit)
            while left > 0:
                chunk = os.read(fd, min(left, 1 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                left -= len(chunk)
            return b"".join(chunks), st.st_size
        finally:
            os.close(fd)

    def write(self, path: str, data: bytes) -> str:
        """Create or replace a regular file, creating missing folders; returns its real path."""
        real = self.resolve(path, must_exist=False)
        target = self.host(real)
        try:
            st = os.lstat(target)
        except FileNotFoundError:
            pass
        else:
            if stat.S_ISDIR(st.st_mode):
                raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
            if not stat.S_ISREG(st.st_mode):
                raise _not_regular(st.st_mode, path)
        self.makedirs(real.rsplit("/", 1)[0])
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
        finally:
            os.close(fd)
        return real

    def listdir(self, path: str, limit: int) -> tuple[str, list[list], bool]:
        """(real path, [[kind, size, mtime_ns, name], ...] folders first, truncated?)."""
        real = self.resolve(path)
        if not stat.S_ISDIR(os.lstat(self.host(real)).st_mode):
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory", path)
        rows, truncated = [], False
        with os.scandir(self.host(real)) as entries:
            for entry in entries:
                if len(rows) >= limit:
                    truncated = True
                    break
                st = entry.stat(follow_symlinks=False)
                rows.append([kind_of(st.st_mode), st.st_size, st.st_mtime_ns, entry.name])
        rows.sort(key=lambda r: (r[0] != "dir", r[3].casefold(), r[3]))
        return real, rows, truncated

    def move(self, src: str, dst: str) -> tuple[str, str]:
        """Move ``src`` (a link moves as a link) to ``dst``, or into ``dst`` if it is a folder.

        Returns (real source, real destination).

        Raises:
            PermissionError: ``src`` is protected (see ``guard``).
            FileExistsError: the destination exists (nothing is overwritten).
            OSError(EINVAL): a folder into itself.
        """
        self.guard(self.check(src), "move")
        source = self.resolve(src, follow_last=False)
        self.guard(source, "move")
        dest = self.resolve(dst, must_exist=False)
        if os.path.isdir(self.host(dest)) and not os.path.islink(self.host(dest)):
            dest = self.check(dest + "/" + source.rsplit("/", 1)[1])
        if dest == source or dest.startswith(source + "/"):
            raise OSError(errno.EINVAL, "Cannot move a folder into itself", dst)
        if os.path.lexists(self.host(dest)):
            raise FileExistsError(errno.EEXIST, "Destination already exists", dest)
        self.makedirs(dest.rsplit("/", 1)[0])
        os.rename(self.host(source), self.host(dest))
        return source, dest

    def to_trash(self, path: str) -> tuple[str, str]:
        """Move ``path`` into the trash under a free name; returns (real path, its place in the trash)."""
        self.guard(self.check(path), "delete")
        target = self.resolve(path, follow_last=False)
        self.guard(target, "delete")
        self.makedirs(self.trash)
        name = target.rsplit("/", 1)[1]
        dot = name.rfind(".")
        stem, suffix = (name[:dot], name[dot:]) if dot > 0 else (name, "")
        candidate, number = name, 2
        while os.path.lexists(self.host(f"{self.trash}/{candidate}")):
            candidate, number = f"{stem} ({number}){suffix}", number + 1
        dest = self.check(f"{self.trash}/{candidate}")
        os.rename(self.host(target), self.host(dest))
        return target, dest

    # ------------------------------------------------------------------ walks

    def walk(self, top: str, limit: int) -> Iterator[tuple[str, os.stat_result]]:
        """Every entry below the real folder ``top`` (see the module-level ``walk``)."""
        for rel, st in walk(self.host(top), limit):
            yield f"{top}/{rel}", st

    def search(self, query: str, path: str, *, max_hits: int, budget_s: float, limit: int) -> tuple[list[str], bool]:
        """Regular files below ``path`` whose name or text (also inside DOCX/XLSX/PPTX) holds ``query``.

        Returns (paths in walk order, whether the search stopped early).
        """
        wanted = query.lower()
        real = self.resolve(path)
        if not stat.S_ISDIR(os.lstat(self.host(real)).st_mode):
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory", path)
        deadline = time.monotonic() + budget_s
        hits: list[str] = []
        for current, st in self.walk(real, limit):
            if len(hits) >= max_hits or time.monotonic() > deadline:
                return hits, True
            if stat.S_ISREG(st.st_mode) and self._matches(current, st, wanted):
                hits.append(current)
        return hits, False

    def _matches(self, path: str, st: os.stat_result, wanted: str) -> bool:
        name = path.rsplit("/", 1)[1]
        if wanted in name.lower():
            return True
        try:
            if name.lower().rsplit(".", 1)[-1] in ("docx", "xlsx", "pptx"):
                return self._office_holds(path, wanted)
            if st.st_size < 2_000_000:
                data, _ = self.read(path, 2_000_000)
                return wanted in data.decode("utf-8", "ignore").lower()
        except (OSError, zipfile.BadZipFile, ValueError, RuntimeError, EOFError):
            return False
        return False

    def _office_holds(self, path: str, wanted: str) -> bool:
        data, _ = self.read(path, 64 << 20)
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for info in archive.infolist():
                if info.filename.startswith(_OFFICE_PARTS) and info.file_size <= 16 << 20:
                    text = _TAGS.sub("", archive.read(info).decode("utf-8", "ignore"))
                    if wanted in text.lower():
                        return True
        return False


def walk(top: str, limit: int, *, strict: bool = False) -> Iterator[tuple[str, os.stat_result]]:
    """(path relative to ``top``, lstat) of every entry below the host folder ``top``.

    Sorted by name, parents before children, links not followed, at most ``limit``
    entries. A folder that cannot be listed is skipped, or with ``strict`` an error.
    """
    stack, seen = [""], 0
    while stack:
        folder = stack.pop()
        try:
            with os.scandir(f"{top}/{folder}" if folder else top) as it:
                names = sorted(e.name for e in it)
        except OSError:
            if strict:
                raise
            continue
        below = []
        for name in names:
            rel = f"{folder}/{name}" if folder else name
            st = os.lstat(f"{top}/{rel}")
            seen += 1
            if seen > limit:
                if strict:
                    raise OSError(errno.EFBIG, f"More than {limit} entries", top)
                return
            yield rel, st
            if stat.S_ISDIR(st.st_mode):
                below.append(rel)
        stack.extend(reversed(below))
