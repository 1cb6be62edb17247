"""The Sandbox contract: what every backend (docker, local, fake) does, documented once.

A sandbox holds one synthetic computer. Inside it the computer's tree is mounted where
the OS puts it (Windows: ``/drives/C/...``; macOS: ``/Users/<name>/...``); the user is
non-root and their shell starts in their home. Every path a caller names goes through
``synthcomp.sandbox.paths`` (POSIX or Windows style, relative to the home) and must stay
inside the tree: ``..`` above it, absolute paths elsewhere and symlinks that lead out
are refused with ``PathEscape``.

Error boundary (STYLE.md rules 4-5): a command's non-zero exit, timeout or truncated
output is *data* in ``ExecResult``; a bad path is ``PathEscape`` (a ``ValueError``);
file-level failures are the builtin ``OSError`` subclasses (``FileNotFoundError``,
``IsADirectoryError``, ``PermissionError``, ``OSError(ENOSPC)``); a sandbox that cannot
be started or reached raises ``SandboxError``.
"""

from __future__ import annotations

import atexit
import json
import weakref
from abc import ABC, abstractmethod
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from synthcomp.errors import ExecTimeout, InputError, SandboxError
from synthcomp.sandbox.paths import Layout, to_sandbox_path


class ExecResult(BaseModel):
    """What a command did. Non-zero exits, timeouts and truncation are data, not errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stdout: str
    stderr: str
    exit_code: int = Field(description="The command's exit status; 128+N when signal N ended it.")
    timed_out: bool = Field(False, description="It ran past its timeout and its processes were killed.")
    truncated: bool = Field(False, description="Output was cut: head and tail kept, the middle marked.")
    duration_ms: float = Field(0.0, description="Wall time of the round trip.")

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out

    def check(self, cmd: str = "") -> ExecResult:
        """Return self if the command succeeded.

        Raises:
            ExecTimeout: it timed out.
            SandboxError: it exited non-zero (the message carries the exit code and stderr tail).
        """
        if self.timed_out:
            raise ExecTimeout(f"command timed out: {cmd!r}; stderr tail: {self.stderr[-500:]!r}")
        if self.exit_code != 0:
            raise SandboxError(
                f"command failed with exit code {self.exit_code}: {cmd!r}; stderr tail: {self.stderr[-500:]!r}"
            )
        return self


class SnapshotRef(BaseModel):
    """A handle on a snapshot; JSON-serializable, so a later process can restore it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    backend: Literal["docker", "local", "fake"]
    id: str = Field(description="Docker image id, or the snapshot directory's name.")
    tag: str = Field(description="The caller's name for it, e.g. 'day-07'.")
    computer_id: str
    os: Literal["windows", "macos"]
    username: str
    created: datetime
    location: str = Field("", description="Where it is stored: image reference or directory.")
    keep: bool = Field(False, description="Kept snapshots survive `synthcomp gc`.")


_OPEN: weakref.WeakSet[Sandbox] = weakref.WeakSet()


@atexit.register
def _close_all() -> None:
    for sandbox in list(_OPEN):
        try:
            sandbox.close()
        except Exception:  # noqa: BLE001 - interpreter exit: best effort
            pass


class Sandbox(ABC):
    """One synthetic computer in a jail. Backends implement the abstract methods.

    Sandboxes are context managers; ``close()`` is idempotent and also runs at
    interpreter exit (``__del__`` is only a backstop).
    """

    backend: str = "abstract"

    def __init__(self, *, layout: Layout, computer_id: str) -> None:
        self.layout = layout
        self.computer_id = computer_id
        self.closed = False
        _OPEN.add(self)

    # ------------------------------------------------------------------ paths

    def resolve(self, path: str) -> str:
        """The absolute in-sandbox path for ``path`` (lexically; symlinks are checked on use).

        Args:
            path: POSIX (``/Users/ana/x``, ``Documents/x``, ``~/x``) or Windows style
                (``C:\\Users\\ana\\x``, ``D:/Projects``); relative paths start at the home.

        Raises:
            PathEscape: it leaves the computer's tree.
        """
        return to_sandbox_path(path, self.layout)

    # ------------------------------------------------------------------ contract

    @abstractmethod
    def exec(self, cmd: str, timeout_s: float = 30) -> ExecResult:
        """Run ``cmd`` with bash as the user, in the current directory (initially the home).

        ``cd`` and exported variables persist to the next command; background jobs do
        not outlive their command. stdin is empty.

        Args:
            cmd: a bash command line (may span lines).
            timeout_s: wall-clock limit; past it the command's processes are killed,
                ``timed_out`` is set and the sandbox stays usable.

        Returns:
            ExecResult with stdout/stderr (head and tail kept past the output cap), the
            exit code (137 for a killed command), and the timing.

        Raises:
            InputError: ``cmd`` holds a NUL byte or ``timeout_s`` is not positive.
            SandboxError: the sandbox is closed or broken.
        """

    @abstractmethod
    def read_bytes(self, path: str) -> bytes:
        """The bytes of a regular file.

        Raises:
            PathEscape: the path (or a symlink on it) leads outside the tree.
            FileNotFoundError / IsADirectoryError / PermissionError: as for ``open``.
        """

    @abstractmethod
    def write_bytes(self, path: str, data: bytes) -> None:
        """Create or replace a file as the user, creating missing parent directories.

        Raises:
            PathEscape: the path (or a symlink on it) leads outside the tree.
            IsADirectoryError / PermissionError / OSError(ENOSPC): as for ``open``/``write``.
        """

    @abstractmethod
    def put_tree(self, host_dir: Path, dest: str) -> None:
        """Copy the contents of ``host_dir`` into ``dest`` (created if missing) as one tar stream.

        Modes and mtimes are kept; files belong to the user.

        Raises:
            InputError: ``host_dir`` is not a directory.
            PathEscape: ``dest`` leads outside the tree.
        """

    @abstractmethod
    def get_tree(self, src: str, host_dir: Path) -> None:
        """Copy the contents of directory ``src`` into ``host_dir`` (created if missing).

        Modes and mtimes are kept; symlinks that would point outside ``host_dir`` and
        special files are skipped.

        Raises:
            PathEscape: ``src`` leads outside the tree.
            FileNotFoundError / NotADirectoryError: ``src`` is missing or not a directory.
        """

    @abstractmethod
    def snapshot(self, tag: str, state: dict[str, Any] | None = None, *, keep: bool = False) -> SnapshotRef:
        """Save the computer now (its whole tree, plus the caller's JSON ``state``).

        Args:
            tag: the caller's name for it (any text).
            state: JSON-serializable data returned by ``restore`` (e.g. the env's clock).
            keep: exempt it from ``synthcomp gc`` once this process is gone.

        Raises:
            InputError: ``state`` is not JSON-serializable.
            SandboxError: the backend could not store it.
        """

    @abstractmethod
    def restore(self, ref: SnapshotRef) -> dict[str, Any]:
        """Replace the running computer with the snapshot, in a fresh jail.

        The tree afterwards equals the tree at snapshot time (paths, bytes, modes,
        mtimes); the shell starts again in the home. On failure the current jail is kept.

        Returns:
            The ``state`` handed to ``snapshot``.

        Raises:
            InputError: ``ref`` belongs to another backend or computer.
            SandboxError: the snapshot no longer exists or the new jail failed to start.
        """

    @abstractmethod
    def list_snapshots(self) -> list[SnapshotRef]:
        """This computer's snapshots (of any process), oldest first."""

    @abstractmethod
    def delete_snapshot(self, ref: SnapshotRef) -> None:
        """Delete a snapshot; deleting one that is already gone is not an error."""

    @abstractmethod
    def _close(self) -> None:
        """Release the jail (backend part of ``close``)."""

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Stop and remove the jail. Idempotent."""
        if self.closed:
            return
        self.closed = True
        _OPEN.discard(self)
        self._close()

    def __enter__(self):
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        try:
            self.close()
        except Exception:  # noqa: BLE001 - a finalizer must not raise
            pass

    # ------------------------------------------------------------------ helpers

    @staticmethod
    def _state_json(state: dict[str, Any] | None) -> bytes:
        try:
            return json.dumps(state or {}, sort_keys=True).encode()
        except (TypeError, ValueError) as exc:
            raise InputError(f"snapshot state must be JSON-serializable: {exc}") from exc

    def _check_ref(self, ref: SnapshotRef, backend: str) -> None:
        if ref.backend != backend:
            raise InputError(f"snapshot {ref.tag!r} was taken by the {ref.backend} backend, not {backend}")
        if (ref.computer_id, ref.os, ref.username) != (self.computer_id, self.layout.os, self.layout.username):
            raise InputError(
                f"snapshot {ref.tag!r} belongs to computer {ref.computer_id} ({ref.os}, {ref.username}), "
                f"not {self.computer_id} ({self.layout.os}, {self.layout.username})"
            )

    def _require_open(self) -> None:
        if self.closed:
            raise SandboxError(f"{self} is closed")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.computer_id} ({self.layout.os})>"
