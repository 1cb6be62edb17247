"""Paths an agent names, resolved inside the computer's tree (and nowhere else).

Inside a sandbox a Windows computer's drives are ``/drives/C``, ``/drives/D`` ... and a
macOS computer's users are ``/Users/<name>``; that directory (``Layout.root``) is the
whole writable world. ``to_sandbox_path`` turns what an agent writes
(``C:\\Users\\ana\\x.docx``, ``D:/Projects/x``, ``~/Documents``, ``Documents/x``,
``/Users/ana/x``) into an absolute in-sandbox POSIX path, lexically, and refuses what
leaves the root. Symlinks cannot be judged lexically: the supervisor resolves them where
the files are (``inside.files.Tree``, the same code for every backend) and refuses a
result outside the root, with ``PathEscape`` too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import PurePosixPath

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

    @property
    def trash(self) -> str:
        """Where ``delete`` puts things: the Recycle Bin, or the user's ``.Trash``."""
        return "/drives/C/$Recycle.Bin" if self.os == "windows" else f"{self.home}/.Trash"


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
