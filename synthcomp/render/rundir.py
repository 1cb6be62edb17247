"""The per-user folder of the render service: its socket, start lock, log and scratch.

Whoever can create the socket's folder, or swap it for a symlink, can impersonate the
service and read every document sent to it. So the folder is trusted only when it is a
real directory (not a symlink), owned by this user and closed to everyone else (mode
0700); anything else is refused, never repaired.

Where it is, first match:
    ``$SYNTHCOMP_RENDER_DIR``          set explicitly (tests give each test its own)
    ``$XDG_RUNTIME_DIR/synthcomp``     when that runtime dir is set and owned by the user
    ``/tmp/synthcomp-render-<uid>``    made here with mode 0700
"""

from __future__ import annotations

import fcntl
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path

from synthcomp.errors import RenderError

DIR_VARIABLE = "SYNTHCOMP_RENDER_DIR"
LOCK_NAME = ".in-use"
"""The file in a scratch folder its service holds a lock on."""
MAX_SOCKET_PATH = 100  # sun_path holds 108 bytes with its NUL; keep a margin


@dataclass(frozen=True)
class RunDir:
    """The service's folder and the files in it."""

    path: Path

    @property
    def socket(self) -> Path:
        return self.path / "render.sock"

    @property
    def lock(self) -> Path:
        """Held (flock) by whoever probes for the service and, if it is gone, starts it."""
        return self.path / "render.lock"

    @property
    def log(self) -> Path:
        """The service's stdout and stderr."""
        return self.path / "render.log"

    def claim_scratch(self) -> tuple[Path, int]:
        """A new scratch folder for one service (its LibreOffice profiles, each request's files)
        and the descriptor whose lock marks it in use: keep it open for the service's life.

        Folders whose lock nobody holds are removed first: their service died without removing
        its own (a SIGKILL), and the kernel released its lock with it. The folder is named
        ``scratch-*`` in this private folder, so no other user can plant or swap one."""
        for folder in self.path.glob("scratch-*"):
            if _abandoned(folder):
                shutil.rmtree(folder, ignore_errors=True)
        folder = Path(tempfile.mkdtemp(prefix="scratch-", dir=self.path))
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        return folder, fd


def run_dir() -> RunDir:
    """This user's service folder, created if missing and checked before it is trusted.

    Raises:
        RenderError: the folder is a symlink, not a directory, another user's, open to
            group or others, or its socket path would be too long for a Unix socket.
    """
    explicit = os.environ.get(DIR_VARIABLE)
    if explicit:
        path = Path(explicit).absolute()
    else:
        runtime = os.environ.get("XDG_RUNTIME_DIR")
        if runtime and _owned_dir(Path(runtime)):
            path = Path(runtime) / "synthcomp"
        else:
            path = Path("/tmp") / f"synthcomp-render-{os.getuid()}"
    try:
        path.mkdir(mode=0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise RenderError(f"cannot create the render service's folder {path}: {exc.strerror}") from None
    check_private(path)
    found = RunDir(path)
    if len(os.fsencode(found.socket)) > MAX_SOCKET_PATH:
        raise RenderError(f"the render service's socket path {found.socket} is too long for a Unix socket; "
                          f"set {DIR_VARIABLE} to a shorter folder")
    return found


def check_private(path: Path) -> None:
    """Raise RenderError unless ``path`` is a real directory of this user's with mode 0700 or stricter."""
    try:
        info = os.lstat(path)
    except OSError as exc:
        raise RenderError(f"the render service's folder {path}: {exc.strerror}") from None
    if stat.S_ISLNK(info.st_mode):
        raise RenderError(f"refusing the render service's folder {path}: it is a symlink")
    if not stat.S_ISDIR(info.st_mode):
        raise RenderError(f"refusing the render service's folder {path}: not a directory")
    if info.st_uid != os.getuid():
        raise RenderError(f"refusing the render service's folder {path}: owned by uid {info.st_uid}, "
                          f"not this user ({os.getuid()})")
    if info.st_mode & 0o077:
        raise RenderError(f"refusing the render service's folder {path}: mode "
                          f"{stat.S_IMODE(info.st_mode):04o} lets others in (it must be 0700)")


def _abandoned(folder: Path) -> bool:
    """Whether no process holds ``folder``'s in-use lock (a folder without one is being set up)."""
    try:
        fd = os.open(folder / LOCK_NAME, os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    finally:
        os.close(fd)
    return True


def _owned_dir(path: Path) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid()
