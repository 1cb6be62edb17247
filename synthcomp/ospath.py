"""Logical paths in a computer's own OS style, and their portable on-disk form.

A leaf module (like ``errors``): brains, the pipeline, sandboxes and tools all need the
same mapping (DESIGN.md pipeline step 5). Windows ``D:\\Research\\x.pdf`` is stored as
``drives/D/Research/x.pdf``; macOS ``/Users/ana/x.pdf`` as ``Users/ana/x.pdf``.
"""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Callable

from synthcomp.errors import InputError

_DRIVE = re.compile(r"^([A-Za-z]):[\\/]?")


def join(os_name: str, base: str, *parts: str) -> str:
    """Join path parts in the OS's style (``\\`` on Windows, ``/`` on macOS)."""
    if os_name == "windows":
        return str(PureWindowsPath(base, *parts))
    return str(PurePosixPath(base, *parts))


def parts(os_name: str, logical: str) -> tuple[str, list[str]]:
    """Split a logical path into its root (``D:`` or ``/``) and its components."""
    if os_name == "windows":
        match = _DRIVE.match(logical)
        if not match:
            raise InputError(f"not an absolute Windows path (expected like C:\\Users\\...): {logical!r}")
        rest = logical[match.end():].replace("/", "\\")
        return f"{match.group(1).upper()}:", [p for p in rest.split("\\") if p]
    if not logical.startswith("/"):
        raise InputError(f"not an absolute macOS path (expected like /Users/...): {logical!r}")
    return "/", [p for p in logical.split("/") if p]


def to_physical(os_name: str, logical: str) -> PurePosixPath:
    """The portable relative path a logical path is stored at under ``files/``."""
    root, components = parts(os_name, logical)
    if os_name == "windows":
        return PurePosixPath("drives", root[0], *components)
    return PurePosixPath(*components)


MAX_NAME_BYTES = 255
"""The longest file or folder name the disk under ``files/`` stores (ext4, APFS, NTFS alike)."""


def unholdable(os_name: str, logical: str) -> str | None:
    """Why a computer cannot hold a file at ``logical`` (None: it can), in words a model can
    act on: not absolute in the OS's style, no file name, a ``.``/``..`` step (it would land
    elsewhere, or outside the tree), a NUL byte, a name too long for a disk, or on macOS a
    path outside /Users (the only part of a Mac the sandbox shows)."""
    if "\0" in logical:
        return "it holds a NUL byte"
    try:
        _, components = parts(os_name, logical)
    except InputError as exc:
        return str(exc)
    if not components:
        return "it names a drive or volume, not a file"
    if any(c in {".", ".."} for c in components):
        return "it has a '.' or '..' step; write the folders out"
    if any(len(c.encode()) > MAX_NAME_BYTES for c in components):
        return f"a name in it is longer than {MAX_NAME_BYTES} bytes"
    if os_name == "macos" and components[0] != "Users":
        return "on macOS every file lives under /Users"
    return None


def to_logical(os_name: str, physical: PurePosixPath | str) -> str:
    """Inverse of :func:`to_physical`."""
    components = PurePosixPath(physical).parts
    if os_name == "windows":
        if len(components) < 2 or components[0] != "drives":
            raise InputError(f"not under drives/<letter>/: {physical}")
        return str(PureWindowsPath(f"{components[1]}:\\", *components[2:]))
    return str(PurePosixPath("/", *components))


def parent(os_name: str, logical: str) -> str:
    return str((PureWindowsPath if os_name == "windows" else PurePosixPath)(logical).parent)


def name(os_name: str, logical: str) -> str:
    return (PureWindowsPath if os_name == "windows" else PurePosixPath)(logical).name


def basename(path: str) -> str:
    """The last component of a path written in either style (the OS need not be known)."""
    return re.split(r"[\\/]", path)[-1]


def folder(path: str) -> str:
    """The folder of a path written in either style (the path itself when it has none)."""
    cut = max(path.rfind("/"), path.rfind("\\"))
    return path[:cut] if cut > 0 else path


_STRAY = re.compile(r"\(\d+\)\.\w+$|^copy of |- copy\.|^~\$|^\.", re.I)


def is_stray(path: str) -> bool:
    """A duplicate ('x (1).docx', 'Copy of x'), an Office lock file ('~$x.docx') or a hidden
    file: nobody takes it for the original document."""
    return bool(_STRAY.search(basename(path)))


def name_words(text: str) -> str:
    """Lower-case words joined by single spaces, underscores and dashes read as spaces: how a
    search by a project's name matches 'Harbour_Survey-data' and 'Harbour Survey'."""
    return " ".join(re.sub(r"[_\-]+", " ", text.lower()).split())


def extension(path: str) -> str:
    """The lower-case extension without its dot ('' if none), for a path in either style."""
    stem_and_ext = basename(path)
    return stem_and_ext.rsplit(".", 1)[-1].lower() if "." in stem_and_ext else ""


def tree_reader(files_dir: Path, os_name: str) -> Callable[[str], bytes]:
    """Reads a logical path of the computer whose ``files/`` directory is ``files_dir``.

    Raises OSError for a missing file and ValueError for a path that leaves the tree."""

    def read(logical: str) -> bytes:
        physical = to_physical(os_name, logical)
        if ".." in physical.parts:
            raise ValueError(f"{logical} leaves the computer")
        return (files_dir / physical).read_bytes()

    return read
