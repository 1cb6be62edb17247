"""What the Docker and bubblewrap backends share: everything but starting the jail.

Both run a ``ShellSession`` against the controller (PID 1 of the jail) and do file I/O
*through that shell, as the user*: a symlink is resolved by ``realpath`` inside the jail
and the result must stay under the tree root, so neither a ``..`` nor a link can reach
``/etc/shadow`` (and the user's own permissions apply on top). Tree moves and snapshots
differ per backend.
"""

from __future__ import annotations

import errno
import re
import shlex
from abc import abstractmethod
from pathlib import Path

from synthcomp.errors import InputError, PathEscape, SandboxError
from synthcomp.sandbox import tarball
from synthcomp.sandbox.base import ExecResult, Sandbox
from synthcomp.sandbox.paths import Layout
from synthcomp.sandbox.shell import ShellSession

UID = GID = 1000
"""The synthetic user inside every jail."""

MAX_TRANSFER = 512 * 2**20

# Exit codes of the transfer scripts below.
_MISSING, _ESCAPE, _ISDIR, _NOTDIR, _MKDIR = 60, 61, 62, 63, 64


def user_environment(layout: Layout, hostname: str) -> dict[str, str]:
    """The environment of the user's shell; identical in every backend."""
    return {
        "HOME": layout.home,
        "USER": layout.username,
        "LOGNAME": layout.username,
        "SHELL": "/bin/bash",
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "TZ": "UTC",
        "TERM": "dumb",
        "HOSTNAME": hostname,
        "TMPDIR": "/tmp",
        "PYTHONDONTWRITEBYTECODE": "1",
        "SYNTHCOMP_OS": layout.os,
    }


def hostname_for(computer_id: str, configured: str | None) -> str:
    """The computer's hostname: the configured one, else its id made DNS-safe."""
    return configured or re.sub(r"[^A-Za-z0-9.-]", "-", computer_id).strip("-.")[:63] or "computer"


def passwd_lines(layout: Layout) -> tuple[str, str]:
    """The /etc/passwd and /etc/group lines of the synthetic user."""
    return (
        f"{layout.username}:x:{UID}:{GID}:{layout.username}:{layout.home}:/bin/bash\n",
        f"{layout.username}:x:{GID}:\n",
    )


class JailSandbox(Sandbox):
    """A sandbox whose commands and file I/O go through one ``ShellSession``."""

    session: ShellSession

    def __init__(self, *, layout: Layout, computer_id: str) -> None:
        super().__init__(layout=layout, computer_id=computer_id)

    # ------------------------------------------------------------------ exec

    def exec(self, cmd: str, timeout_s: float = 30) -> ExecResult:
        self._require_open()
        if not timeout_s > 0:
            raise InputError(f"timeout_s must be positive, got {timeout_s}")
        return self.session.run(cmd, timeout_s)

    # ------------------------------------------------------------------ files

    def _checked(self, var: str, path: str, *, exists: bool, drain: int = 0) -> str:
        """Shell lines setting ``$var`` to the real path of ``path``, or exiting with a code.

        Symlinks are resolved first (``realpath -m``), so a link out of the tree is an
        escape even when its target does not exist; then existence is checked.
        """
        target = self.resolve(path)
        root = self.layout.root
        gulp = f"head -c {drain} >/dev/null; " if drain else ""
        lines = (
            f"{var}=$(realpath -m -- {shlex.quote(target)} 2>&1) || {{ {gulp}printf %s \"${var}\" >&2; exit {_MISSING}; }}\n"
            f"case ${var} in {root}|{root}/*) ;; *) {gulp}printf %s \"${var}\" >&2; exit {_ESCAPE};; esac\n"
        )
        if exists:
            lines += f'[ -e "${var}" ] || {{ {gulp}printf %s "${var}" >&2; exit {_MISSING}; }}\n'
        return lines

    def _raise_for(self, code: int, err: str, path: str, action: str) -> None:
        if code == 0:
            return
        if code == _ESCAPE:
            raise PathEscape(f"{path!r} leads through a symlink to {err.strip()}, outside the computer")
        if code == _MISSING:
            raise FileNotFoundError(errno.ENOENT, f"No such file or directory ({err.strip()})", path)
        if code == _ISDIR:
            raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
        if code == _NOTDIR:
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory", path)
        lowered = err.lower()
        if "no space left" in lowered or "disk quota" in lowered:
            raise OSError(errno.ENOSPC, f"No space left on device: the computer's disk is full ({err.strip()})", path)
        if "permission denied" in lowered or "operation not permitted" in lowered:
            raise PermissionError(errno.EACCES, f"Permission denied ({err.strip()})", path)
        if "not a directory" in lowered:
            raise NotADirectoryError(errno.ENOTDIR, f"Not a directory ({err.strip()})", path)
        if "no such file" in lowered:
            raise FileNotFoundError(errno.ENOENT, f"No such file or directory ({err.strip()})", path)
        raise SandboxError(f"{action} {path!r} failed with exit code {code}: {err.strip()[-500:]}")

    def read_bytes(self, path: str) -> bytes:
        self._require_open()
        script = self._checked("p", path, exists=True) + f'[ -d "$p" ] && exit {_ISDIR}\nexec cat -- "$p"\n'
        code, out, err = self.session.run_raw(script)
        self._raise_for(code, err, path, "reading")
        return out

    def write_bytes(self, path: str, data: bytes) -> None:
        self._require_open()
        if len(data) > MAX_TRANSFER:
            raise InputError(f"{len(data)} bytes is more than one write may carry ({MAX_TRANSFER})")
        n = len(data)
        script = (
            self._checked("p", path, exists=False, drain=n)
            + f'[ -d "$p" ] && {{ head -c {n} >/dev/null; exit {_ISDIR}; }}\n'
            + f'mkdir -p -- "${{p%/*}}" || {{ head -c {n} >/dev/null; exit {_MKDIR}; }}\n'
            + f'head -c {n} | {{ cat > "$p"; rc=$?; cat >/dev/null; exit $rc; }}\n'
        )
        code, _, err = self.session.run_raw(script, data)
        self._raise_for(code, err, path, "writing")

    def put_tree(self, host_dir: Path, dest: str) -> None:
        self._require_open()
        data = tarball.pack_dir(Path(host_dir), uid=UID, gid=GID)
        self._untar(data, dest)

    def _untar(self, data: bytes, dest: str) -> None:
        n = len(data)
        script = (
            self._checked("p", dest, exists=False, drain=n)
            + f'mkdir -p -- "$p" || {{ head -c {n} >/dev/null; exit {_MKDIR}; }}\n'
            + f'[ -d "$p" ] || {{ head -c {n} >/dev/null; exit {_NOTDIR}; }}\n'
            + f'head -c {n} | {{ tar -x -p --delay-directory-restore -f - -C "$p"; rc=$?; cat >/dev/null; exit $rc; }}\n'
        )
        code, _, err = self.session.run_raw(script, data)
        self._raise_for(code, err, dest, "unpacking into")

    def get_tree(self, src: str, host_dir: Path) -> None:
        self._require_open()
        tarball.unpack(self._tar(src), Path(host_dir))

    def _tar(self, src: str) -> bytes:
        script = (
            self._checked("p", src, exists=True)
            + f'[ -d "$p" ] || exit {_NOTDIR}\n'
            + 'exec tar -c --format=posix --sort=name --numeric-owner -f - -C "$p" .\n'
        )
        code, out, err = self.session.run_raw(script)
        self._raise_for(code, err, src, "archiving")
        return out

    @abstractmethod
    def _close(self) -> None: ...
