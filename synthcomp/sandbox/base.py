"""The Sandbox contract: what every backend (docker, local, fake) does, documented once.

A sandbox holds one synthetic computer. Inside it the computer's tree is mounted where
the OS puts it (Windows: ``/drives/C/...``; macOS: ``/Users/<name>/...``); the user is
non-root and their shell starts in their home. Every path a caller names goes through
``synthcomp.sandbox.paths`` (POSIX or Windows style, relative to the home) and must stay
inside the tree: ``..`` above it, absolute paths elsewhere and symlinks that lead out
are refused with ``PathEscape``.

The agent's commands are untrusted. Everything else (file work, listings, change
detection, moving trees, snapshots) is done by the jail's supervisor
(``synthcomp.sandbox.inside``), which the agent cannot reach or configure, through a
``Link``. This class implements all of that once on top of ``link``; backends start
the jail (``_fresh``) and run commands (``exec``).

Error boundary (STYLE.md rules 4-5): a command's non-zero exit, timeout or truncated
output is *data* in ``ExecResult``; a bad path is ``PathEscape`` (a ``ValueError``);
file-level failures are the builtin ``OSError`` subclasses (``FileNotFoundError``,
``IsADirectoryError``, ``PermissionError``, ``OSError(ENOSPC)``, ``OSError(EFBIG)`` past
a read cap, ``OSError(EINVAL)`` for what is not a regular file); a sandbox that cannot
be started or reached raises ``SandboxError``.
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import tempfile
import weakref
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, Field

from synthcomp.errors import ExecTimeout, InputError, SandboxError
from synthcomp.sandbox.paths import Layout, to_sandbox_path

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    from synthcomp.sandbox.link import Link
    from synthcomp.sandbox.store import DirSnapshotStore

READ_LIMIT = 32 * 2**20
"""Most bytes one read returns: a larger file is ``OSError(EFBIG)`` (or its head, if asked)."""
WRITE_LIMIT = 64 * 2**20
"""Most bytes one write carries."""
MAX_TIMEOUT_S = 24 * 3600.0


class ExecResult(BaseModel):
    """What a command did. Non-zero exits, timeouts and truncation are data, not errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stdout: str
    stderr: str
    exit_code: int = Field(description="The command's exit status; 128+N when signal N ended it.")
    timed_out: bool = Field(False, description="It ran past its timeout and its processes were killed.")
    truncated: bool = Field(False, description="Output was cut: head and tail kept, the middle marked.")
    duration_ms: float = Field(0.0, description="Wall time of the round trip.")
    changed: list[str] | None = Field(None, description=(
        "With ``changes_stamp_ns``: the files the command created, modified or deleted (as ``tree_changes`` "
        "reports them), found in the same round trip; None when not asked."))

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
    id: str = Field(description="The snapshot directory's name.")
    tag: str = Field(description="The caller's name for it, e.g. 'day-07'.")
    computer_id: str
    os: Literal["windows", "macos"]
    username: str
    created: datetime
    location: str = Field("", description="The snapshot directory.")
    keep: bool = Field(False, description="Kept snapshots survive `synthcomp gc`.")


_OPEN: weakref.WeakSet[Sandbox] = weakref.WeakSet()
EXIT_WAITS: list[Callable[[], None]] = []
"""What interpreter exit waits for once every sandbox is closed: a backend's cleanup under way on
threads (exit joins threads before it runs atexit handlers, so it would not wait for those)."""


@atexit.register
def _close_all() -> None:
    for sandbox in list(_OPEN):
        try:
            sandbox.close()
        except Exception:  # noqa: BLE001 - interpreter exit: best effort
            pass
    for wait in EXIT_WAITS:
        try:
            wait()
        except Exception:  # noqa: BLE001 - interpreter exit: best effort
            pass


@dataclass(frozen=True)
class DirEntry:
    """One entry of a folder, as ``lstat`` sees it (a link is a link, never its target)."""

    kind: str  # dir | file | link | fifo | socket | device | other
    size: int
    mtime_ns: int
    name: str


@dataclass(frozen=True)
class Listing:
    path: str  # the folder's real path (links on the way resolved)
    entries: list[DirEntry]
    truncated: bool  # more entries than a listing returns


class Sandbox(ABC):
    """One synthetic computer in a jail.

    Backends provide ``link`` (the supervisor), ``exec``, ``_fresh`` and ``_close``; the
    file work, trees and snapshots below are the same for all of them. Sandboxes are
    context managers; ``close()`` is idempotent and also runs at interpreter exit
    (``__del__`` is only a backstop).
    """

    backend: str = "abstract"
    store: DirSnapshotStore
    initial_tree: Path | None
    """The computer's ``files/`` folder it was started from (None: an empty computer)."""
    tree_limit: int = 1 << 34
    """Most bytes a tree archive leaving the sandbox may have."""

    def __init__(self, *, layout: Layout, computer_id: str) -> None:
        self.layout = layout
        self.computer_id = computer_id
        self.closed = False
        _OPEN.add(self)
        log.info("opening a %s for %s", type(self).__name__, computer_id)

    # ------------------------------------------------------------------ backend part

    @property
    @abstractmethod
    def link(self) -> Link:
        """The running computer's supervisor."""

    @abstractmethod
    def exec(self, cmd: str, timeout_s: float = 30, changes_stamp_ns: int | None = None) -> ExecResult:
        """Run ``cmd`` with bash as the user, in the current directory (initially the home).

        With ``changes_stamp_ns``, the answer also carries ``tree_changes(changes_stamp_ns)``
        taken right after the command, in the same round trip (a step that may change files
        then costs one trip, not two).

        ``cd`` and exported variables persist to the next command; every process the
        command started ends with it (background jobs, daemons); stdin is empty.

        Args:
            cmd: a bash command line (may span lines).
            timeout_s: wall-clock limit; past it the command's processes are killed,
                ``timed_out`` is set and the sandbox stays usable.

        Returns:
            ExecResult with stdout/stderr (head and tail kept past the output cap), the
            exit code (137 for a killed command), and the timing.

        Raises:
            InputError: ``cmd`` holds a NUL byte or is not UTF-8, or ``timeout_s`` is not
                positive and finite.
            SandboxError: the sandbox is closed or broken.
        """

    @abstractmethod
    def _fresh(self, load: Callable[[Link], None]) -> None:
        """Replace the running computer by a fresh, empty one that ``load`` fills.

        On failure (of ``load`` too) the running computer is kept and the error raised.
        """

    @abstractmethod
    def _close(self) -> None:
        """Release the jail (backend part of ``close``)."""

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

    def _ask(self, header: dict, path: str | None = None, **options: Any) -> tuple[dict, bytes]:
        from synthcomp.sandbox.link import raise_for

        self._require_open()
        answer, data = self.link.request(header, **options)
        return raise_for(answer, path), data

    @staticmethod
    def _check_command(cmd: str, timeout_s: float) -> None:
        if "\0" in cmd:
            raise InputError("a command cannot contain NUL bytes")
        try:
            cmd.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError("a command must be valid UTF-8 text") from None
        if not (timeout_s > 0 and math.isfinite(timeout_s) and timeout_s <= MAX_TIMEOUT_S):
            raise InputError(f"timeout_s must be positive and at most {MAX_TIMEOUT_S:g} s, got {timeout_s}")

    # ------------------------------------------------------------------ files

    def read_bytes(self, path: str, *, limit: int = READ_LIMIT, head: bool = False) -> bytes:
        """The bytes of a regular file (symlinks inside the tree are followed).

        Args:
            limit: most bytes returned; a larger file is refused unless ``head``.
            head: return the file's first ``limit`` bytes instead of refusing a larger one.

        Raises:
            PathEscape: the path (or a symlink on it) leads outside the tree.
            FileNotFoundError / IsADirectoryError / PermissionError: as for ``open``.
            OSError(EINVAL): a FIFO, socket or device; OSError(EFBIG): larger than ``limit``.
        """
        _, data = self._ask({"op": "read", "path": self.resolve(path), "limit": limit, "head": head}, path,
                            limit=limit + 1024)
        return data

    def write_bytes(self, path: str, data: bytes) -> None:
        """Create or replace a regular file as the user, creating missing parent folders.

        Raises:
            InputError: more than ``WRITE_LIMIT`` bytes.
            PathEscape: the path (or a symlink on it) leads outside the tree.
            IsADirectoryError / PermissionError / OSError(ENOSPC) / OSError(EINVAL): as above.
        """
        if len(data) > WRITE_LIMIT:
            raise InputError(f"{len(data)} bytes is more than one write may carry ({WRITE_LIMIT})")
        header = {"op": "write", "path": self.resolve(path)}
        if len(data) <= 1 << 20:
            self._ask(header, path, payload=bytes(data))
        else:
            self._ask(header, path, chunks=[bytes(data)])

    def list_dir(self, path: str) -> Listing:
        """The entries of a folder (a symlink to a folder inside the tree is followed).

        Raises:
            PathEscape / FileNotFoundError / NotADirectoryError / PermissionError.
        """
        answer, _ = self._ask({"op": "list", "path": self.resolve(path)}, path)
        return Listing(answer["path"], [DirEntry(*row) for row in answer["entries"]], answer["truncated"])

    def move(self, src: str, dst: str) -> tuple[str, str]:
        """Move ``src`` to ``dst``, or into ``dst`` if it is a folder; nothing is overwritten.

        Returns (real source, real destination).

        Raises:
            PermissionError: ``src`` is the home, a drive, ``Users``, the trash or holds one.
            FileExistsError: the destination exists. OSError(EINVAL): a folder into itself.
        """
        answer, _ = self._ask({"op": "move", "src": self.resolve(src), "dst": self.resolve(dst)}, src)
        return answer["src"], answer["dst"]

    def trash(self, path: str) -> tuple[str, str]:
        """Move ``path`` to the trash (``Layout.trash``) under a free name: recoverable.

        Returns (real path, its place in the trash).

        Raises:
            PermissionError: ``path`` is protected (see ``move``).
        """
        answer, _ = self._ask({"op": "trash", "path": self.resolve(path)}, path)
        return answer["src"], answer["dst"]

    def search(self, query: str, path: str, *, max_hits: int = 100, budget_s: float = 30) -> tuple[list[str], bool]:
        """Regular files below ``path`` whose name or text (DOCX/XLSX/PPTX too) holds ``query``.

        Returns (real paths, whether the search stopped at ``max_hits`` or ``budget_s``).
        """
        answer, _ = self._ask({"op": "search", "query": query, "path": self.resolve(path), "max_hits": max_hits,
                               "budget_s": budget_s}, path, timeout_s=budget_s + 60)
        return answer["hits"], answer["stopped"]

    def tree_changes(self, stamp_ns: int | None) -> list[str]:
        """Files created, modified or deleted since the previous call (the first sets the baseline).

        Created and modified files get ``stamp_ns`` as mtime; ``None`` only resets the baseline.
        """
        answer, _ = self._ask({"op": "changes", "stamp_ns": stamp_ns})
        return answer["changed"]

    def tree_digest(self) -> str:
        """One sha256 over the whole tree: paths, kinds, modes, mtimes (ns), bytes, link targets.

        Read by the supervisor, so files the user locked count too; equal digests are the
        same computer as far as anyone can tell. A snapshot records it, a restore reproduces it.
        """
        answer, _ = self._ask({"op": "digest", "path": self.layout.root}, timeout_s=600)
        return answer["digest"]

    # ------------------------------------------------------------------ trees

    def put_tree(self, host_dir: Path, dest: str) -> None:
        """Copy the contents of ``host_dir`` into ``dest`` (created if missing) as one tar stream.

        Modes, mtimes and symlinks are kept; files belong to the user.

        Raises:
            InputError: ``host_dir`` is not a directory or holds a socket or device.
            PathEscape: ``dest`` leads outside the tree.
        """
        if not Path(host_dir).is_dir():
            raise InputError(f"{host_dir} is not a directory")
        answer, _ = self._ask({"op": "mkdirs", "path": self.resolve(dest)}, dest)
        self._load_tree(self.link, Path(host_dir), answer["path"])

    def _load_tree(self, link: Link, host_dir: Path, dest: str) -> None:
        from synthcomp.sandbox.link import raise_for
        from synthcomp.sandbox.store import file_chunks
        from synthcomp.sandbox.tarball import pack_dir

        with tempfile.TemporaryFile() as handle:
            pack_dir(host_dir, handle)
            handle.seek(0)
            answer, _ = link.request({"op": "unpack", "path": dest, "exact": True}, chunks=file_chunks(handle),
                                     timeout_s=600)
        raise_for(answer, dest)

    def get_tree(self, src: str, host_dir: Path) -> list[str]:
        """Copy the regular files and folders below folder ``src`` into ``host_dir`` (created if missing).

        Modes (made readable and writable by their owner) and mtimes are kept; links and
        special files stay behind. The archive is checked member by member on the host
        before anything is written.

        Returns:
            What stayed behind (links and special files), relative to ``src``.

        Raises:
            PathEscape: ``src`` leads outside the tree.
            FileNotFoundError / NotADirectoryError: ``src`` is missing or not a folder.
        """
        from synthcomp.sandbox.tarball import unpack

        with tempfile.TemporaryFile() as handle:
            answer, _ = self._ask({"op": "pack", "path": self.resolve(src), "files_only": True}, src,
                                  sink=handle.write, limit=self.tree_limit, timeout_s=600)
            handle.seek(0)
            unpack(handle, Path(host_dir))
        return answer.get("skipped", [])

    # ------------------------------------------------------------------ snapshots

    def snapshot(self, tag: str, state: dict[str, Any] | None = None, *, keep: bool = False) -> SnapshotRef:
        """Save the computer now (its whole tree, plus the caller's JSON ``state``).

        The tree is stored exactly (files the user made unreadable, any file names,
        nanosecond mtimes, links, FIFOs) with its digest, which a restore must reproduce.

        Args:
            tag: the caller's name for it (any text).
            state: JSON-serializable data returned by ``restore`` (e.g. the env's clock).
            keep: exempt it from ``synthcomp gc`` once this process is gone.

        Raises:
            InputError: ``state`` is not JSON-serializable.
            SandboxError: the tree cannot be stored exactly (a socket or device in it) or
                the store failed; the running computer is unaffected.
        """
        from synthcomp.sandbox.link import raise_for

        self._require_open()
        state_json = self._state_json(state)

        def exact(answer: dict[str, Any]) -> dict[str, Any]:
            try:
                return raise_for(answer)
            except (InputError, OSError) as exc:
                raise SandboxError(f"snapshot {tag!r} of {self.computer_id} cannot be exact: {exc}") from exc

        def write_tree(write: Callable[[bytes], None]) -> str:
            return exact(self.link.request({"op": "pack", "path": self.layout.root}, sink=write,
                                           limit=self.tree_limit, timeout_s=600)[0])["digest"]

        # The tree's key first (a read inside the jail): a tree the store holds is not packed again.
        identity = exact(self.link.request({"op": "digest", "path": self.layout.root}, timeout_s=600)[0])
        return self.store.save(tag=tag, computer_id=self.computer_id, layout=self.layout,
                               tree=(identity["digest"], identity["key"]), write_tree=write_tree,
                               state_json=state_json, keep=keep)

    def restore(self, ref: SnapshotRef) -> dict[str, Any]:
        """Replace the running computer with the snapshot, in a fresh jail.

        The tree afterwards equals the tree at snapshot time (paths, bytes, modes,
        mtimes, links: its digest is checked); the shell starts again in the home. On
        failure the current computer is kept.

        Returns:
            The ``state`` handed to ``snapshot``.

        Raises:
            InputError: ``ref`` belongs to another backend or computer.
            SandboxError: the snapshot no longer exists, was altered, or does not restore exactly.
        """
        from synthcomp.sandbox.link import raise_for

        self._require_open()
        self._check_ref(ref, self.backend)
        chunks, state, digest = self.store.load(ref)

        def load(link: Link) -> None:
            answer, _ = link.request({"op": "unpack", "path": self.layout.root, "exact": True},
                                     chunks=chunks, timeout_s=600)
            raise_for(answer, self.layout.root)
            restored = raise_for(link.request({"op": "digest", "path": self.layout.root}, timeout_s=600)[0])["digest"]
            if restored != digest:
                raise SandboxError(f"snapshot {ref.tag!r} did not restore exactly (tree digest {restored[:12]} "
                                   f"instead of {digest[:12]})")

        log.info("restoring snapshot %r of %s into a fresh jail", ref.tag, self.computer_id)
        self._fresh(load)
        return state

    def list_snapshots(self) -> list[SnapshotRef]:
        """This computer's snapshots (of any process), oldest first."""
        return self.store.list(self.computer_id)

    def delete_snapshot(self, ref: SnapshotRef) -> None:
        """Delete a snapshot; deleting one that is already gone is not an error."""
        self.store.delete(ref)

    def restart(self) -> None:
        """Start the computer again as it was created, in a fresh jail: every change to its
        files, every process and the shell's folder and variables are gone (what a new
        episode of the same computer begins from). On failure the running computer is kept.

        Raises:
            SandboxError: no fresh jail could be started or filled.
        """
        self._require_open()
        log.info("restarting %s as created", self.computer_id)
        self._fresh(self._initial_load)

    def _initial_load(self, link: Link) -> None:
        """Fill a new jail with the computer as created (what a start and a restart begin from),
        and build its change index there (a spare's is built before anyone takes it)."""
        from synthcomp.sandbox.link import raise_for

        self._load_computer(link, self.initial_tree)
        raise_for(link.request({"op": "changes", "stamp_ns": None})[0])

    def _load_computer(self, link: Link, tree: Path | None) -> None:
        """Fill an empty computer from a computer's ``files/`` folder (or leave it empty), with a home."""
        from synthcomp.sandbox.link import raise_for

        top = None if tree is None else Path(tree) / self.layout.top
        if top is not None and top.is_dir():
            self._load_tree(link, top, self.layout.root)
        raise_for(link.request({"op": "mkdirs", "path": self.layout.home})[0], self.layout.home)

    @staticmethod
    def _check_tree(tree: Path | None, layout: Layout) -> Path | None:
        """A computer's ``files/`` folder, if it holds only the layout's top folder."""
        if tree is None:
            return None
        tree = Path(tree)
        if not tree.is_dir():
            raise InputError(f"computer tree {tree} is not a directory")
        extra = sorted(p.name for p in tree.iterdir() if p.name != layout.top)
        if extra:
            raise InputError(f"a {layout.os} computer's tree holds only {layout.top}/; {tree} also has {', '.join(extra)}")
        return tree

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Stop and remove the jail. Idempotent."""
        if self.closed:
            return
        self.closed = True
        _OPEN.discard(self)
        log.info("closing the %s of %s", type(self).__name__, self.computer_id)
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
