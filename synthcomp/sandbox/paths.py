"""Paths an agent names, resolved inside the computer's tree (and nowhere else).

Inside a sandbox a Windows computer's drives are ``/drives/C``, ``/drives/D`` ... and a
macOS computer's users are ``/Users/<name>``; that directory (``Layout.root``) is the
whole writable world. ``to_sandbox_path`` turns what an agent writes
(``C:\\Users\\ana\\x.docx``, ``D:/Projects/x``, ``~/Documents``, ``Documents/x``,
``/Users/ana/x``) into an absolute in-sandbox POSIX path, lexically, and refuses what
leaves the root. Symlinks cannot be judged lexically: the backends resolve the real
path where the files are (``realpath`` in the jail, ``HostRoot`` on a host directory)
and refuse a result outside the root, with ``PathEscape`` too.
"""

from __future__ import annotations

import errno
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from synthcomp.errors import InputError, PathEscape

_DRIVE = re.compile(r"^([A-Za-z]):(?:[\\/]*)(.*)$", re.S)
_USERNAME = re.compile(r"^[a-z][a-z0-9._-]{0,31}$")


@dataclass(frozen=True)
class Layout:
    """Where a computer's tree and home are inside its sandbox."""

    os: str  # "windows" | "macos"
    username: str

    def __post_init__(self) -> None:
        if self.os not in ("windows", "macos"):
            raise InputError(f"unknown OS {self.os!r}: expected 'windows' or 'macos'")
        if not _USERNAME.match(self.username):
            raise InputError(f"bad username {self.username!r}: lowercase letters, digits, '.', '_', '-'")

    @property
    def root(self) -> str:
        """The tree's mount point: ``/drives`` (Windows) or ``/Users`` (macOS)."""
        return "/drives" if self.os == "windows" else "/Users"

    @property
    def top(self) -> str:
        """The tree's top directory relative to a computer's ``files/`` dir."""
        return self.root.lstrip("/")

    @property
    def home(self) -> str:
        return f"/drives/C/Users/{self.username}" if self.os == "windows" else f"/Users/{self.username}"


def to_sandbox_path(path: str, layout: Layout) -> str:
    """The absolute in-sandbox path ``path`` names, normalized lexically.

    Raises:
        InputError: empty, or holds a NUL byte.
        PathEscape: it is outside ``layout.root`` (``..`` above it, another absolute
            path, a UNC path, a drive path on a macOS computer, ``~other``).
    """
    if not isinstance(path, str) or not path:
        raise InputError("empty path")
    if "\0" in path:
        raise InputError(f"path {path!r} holds a NUL byte")
    windows = layout.os == "windows"
    if path.startswith(("\\\\", "//")) and windows:
        raise PathEscape(f"{path!r} is a network path; only this computer's drives are reachable")
    drive = _DRIVE.match(path)
    if drive:
        if not windows:
            raise PathEscape(f"{path!r} is a Windows drive path, but this is a macOS computer (paths start at /Users)")
        rest = drive.group(2).replace("\\", "/")
        raw = f"/drives/{drive.group(1).upper()}/{rest}"
    else:
        raw = path.replace("\\", "/") if windows else path
        if raw == "~" or raw.startswith("~/"):
            raw = layout.home + raw[1:]
        elif raw.startswith("~"):
            raise PathEscape(f"{path!r} names another user's home; only {layout.home} is this user's")
        elif not raw.startswith("/"):
            raw = f"{layout.home}/{raw}"
    parts: list[str] = []
    for part in raw.split("/"):
        if part in ("", "."):
            continue
        if part == "..":
            if not parts:
                raise PathEscape(f"{path!r} climbs above the filesystem root")
            parts.pop()
        else:
            parts.append(part)
    resolved = "/" + "/".join(parts)
    if not is_inside(resolved, layout):
        raise PathEscape(f"{path!r} resolves to {resolved}, outside the computer (everything lives under {layout.root}/)")
    return resolved


def is_inside(abs_path: str, layout: Layout) -> bool:
    """Whether a normalized absolute path is the tree root or below it."""
    return abs_path == layout.root or abs_path.startswith(layout.root + "/")


def to_os_path(abs_path: str, layout: Layout) -> str:
    """How the user would write an in-sandbox path: ``C:\\Users\\ana\\x`` or ``/Users/ana/x``."""
    if layout.os == "macos":
        return abs_path
    parts = PurePosixPath(abs_path).parts
    if len(parts) >= 3 and parts[1] == "drives":
        return parts[2] + ":\\" + "\\".join(parts[3:])
    return abs_path


# --------------------------------------------------------------------------- host side


class HostRoot:
    """A host directory standing for the sandbox's ``/``, opened without following links out.

    Each component is ``lstat``-ed; a symlink is read and resolved inside the root by
    hand (absolute targets start at the root, like ``chroot``), a result outside
    ``layout.root`` is refused, and the final open uses ``O_NOFOLLOW``. Nothing runs
    concurrently in the fake backend that uses it; the jail backends resolve inside the
    jail, as the user.
    """

    MAX_LINKS = 40

    def __init__(self, host_dir: Path, layout: Layout) -> None:
        self.host_dir = Path(host_dir)
        self.layout = layout

    def realpath(self, path: str, *, must_exist: bool) -> str:
        """The in-sandbox path with every symlink resolved (like ``realpath -e``/``-m``).

        Raises:
            PathEscape: a symlink leads outside the tree.
            FileNotFoundError: ``must_exist`` and something is missing.
        """
        abs_path = to_sandbox_path(path, self.layout)
        todo = [p for p in abs_path.split("/") if p]
        done: list[str] = []
        links = 0
        missing = False
        while todo:
            part = todo.pop(0)
            if part == ".":
                continue
            if part == "..":
                if done:
                    done.pop()
                continue
            candidate = "/" + "/".join([*done, part])
            if not missing:
                try:
                    st = os.lstat(self._host(candidate))
                except (FileNotFoundError, NotADirectoryError):
                    missing = True
                else:
                    if stat.S_ISLNK(st.st_mode):
                        links += 1
                        if links > self.MAX_LINKS:
                            raise OSError(errno.ELOOP, "Too many levels of symbolic links", path)
                        target = os.readlink(self._host(candidate))
                        todo = [p for p in target.split("/") if p] + todo
                        if target.startswith("/"):
                            done = []
                        continue
            done.append(part)
        real = "/" + "/".join(done)
        if not is_inside(real, self.layout):
            raise PathEscape(f"{path!r} leads through a symlink to {real}, outside the computer")
        if missing and must_exist:
            raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)
        return real

    def _host(self, abs_path: str) -> Path:
        return self.host_dir / abs_path.lstrip("/")

    def open_read(self, path: str) -> bytes:
        real = self.realpath(path, must_exist=True)
        host = self._host(real)
        if host.is_dir():
            raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
        fd = os.open(host, os.O_RDONLY | os.O_NOFOLLOW)
        with os.fdopen(fd, "rb") as handle:
            return handle.read()

    def open_write(self, path: str, data: bytes) -> str:
        real = self.realpath(path, must_exist=False)
        host = self._host(real)
        if host.is_dir():
            raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
        parent = self.realpath(str(PurePosixPath(real).parent), must_exist=False)
        self._host(parent).mkdir(parents=True, exist_ok=True)
        fd = os.open(host, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o644)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return real

    def host_path(self, path: str, *, must_exist: bool) -> Path:
        """The host path of a resolved in-sandbox path (symlinks resolved and checked)."""
        return self._host(self.realpath(path, must_exist=must_exist))
