"""LocalSandbox: the same contract in a bubblewrap jail, for machines without Docker.

The jail has its own user, PID, network (loopback only), IPC and UTS namespaces; the
host's system directories (/usr, /etc, ...) are bound read-only and nothing else of
the host is visible (no /home, /root, /var, /work). The user is uid 1000 inside; when
synthcomp runs as root, bwrap itself runs as an unprivileged host uid (``run_as``), so
root-owned host files stay out of reach. The computer's tree lives in a size-limited
tmpfs at ``/drives`` or ``/Users`` (a full disk is ENOSPC, never a full host disk),
loaded with one tar stream through the shell; the jail's own root, /dev and /etc are
read-only, and /tmp and /dev/shm are small tmpfs mounts. RLIMIT_NPROC stops fork bombs.

The shell controller is PID 1 (``--as-pid-1``); a timeout signals it with SIGUSR1 by
the host pid bwrap reports on ``--info-fd``. ``--die-with-parent`` ends the jail when
this process dies. A snapshot is a copy of the tree (a tar file) plus the caller's
state in a directory of ``snapshot_dir``.
"""

from __future__ import annotations

import os
import re
import resource
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthcomp.errors import InputError, SandboxError
from synthcomp.sandbox.base import SnapshotRef
from synthcomp.sandbox.config import LocalSandboxConfig
from synthcomp.sandbox import tarball
from synthcomp.sandbox.gc import DEFAULT_SNAPSHOTS
from synthcomp.sandbox.jail import GID, UID, JailSandbox, hostname_for, passwd_lines, user_environment
from synthcomp.sandbox.paths import Layout
from synthcomp.sandbox.shell import CONTROLLER, PipeTransport, ShellSession
from synthcomp.sandbox.store import DirSnapshotStore

SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32", "etc", "opt")
"""Host top-level directories the jail sees (read-only); everything else stays hidden."""


@dataclass
class _Jail:
    process: subprocess.Popen
    pid: int  # host pid of the controller (PID 1 inside)
    session: ShellSession


class LocalSandbox(JailSandbox):
    """See the module docstring; the contract is ``Sandbox``'s."""

    backend = "local"

    def __init__(
        self,
        tree: Path | None,
        *,
        os: str,
        username: str,
        computer_id: str,
        config: LocalSandboxConfig | None = None,
    ) -> None:
        self._jail: _Jail | None = None
        super().__init__(layout=Layout(os, username), computer_id=computer_id)
        self.config = config or LocalSandboxConfig()
        self.store = DirSnapshotStore(Path(self.config.snapshot_dir or DEFAULT_SNAPSHOTS), "local")
        try:
            data = None if tree is None else self._pack_tree(Path(tree))
            self._jail = self._start(data)
        except BaseException:
            self.closed = True
            raise

    def _pack_tree(self, tree: Path) -> bytes | None:
        if not tree.is_dir():
            raise InputError(f"computer tree {tree} is not a directory")
        top = self.layout.top
        extra = sorted(p.name for p in tree.iterdir() if p.name != top)
        if extra:
            raise InputError(f"a {self.layout.os} computer's tree holds only {top}/; {tree} also has {', '.join(extra)}")
        return tarball.pack_dir(tree / top, uid=UID, gid=GID) if (tree / top).is_dir() else None

    @property
    def session(self) -> ShellSession:  # type: ignore[override]
        self._require_open()
        return self._jail.session

    # ------------------------------------------------------------------ start / stop

    def bwrap_args(self, info_fd: int, passwd_fd: int, group_fd: int) -> list[str]:
        """The bubblewrap command line (without the controller) for this computer."""
        cfg, layout = self.config, self.layout
        hostname = hostname_for(self.computer_id, cfg.hostname)
        args = [
            cfg.bwrap, "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--uid", str(UID), "--gid", str(GID), "--hostname", hostname,
            "--die-with-parent", "--as-pid-1", "--new-session", "--info-fd", str(info_fd),
        ]
        for name in SYSTEM_DIRS:
            host = Path("/") / name
            if host.is_symlink():
                args += ["--symlink", os.readlink(host), str(host)]
            elif host.is_dir():
                args += ["--ro-bind", str(host), str(host)]
        args += [
            "--ro-bind-data", str(passwd_fd), "/etc/passwd",
            "--ro-bind-data", str(group_fd), "/etc/group",
            "--proc", "/proc", "--dev", "/dev",
            "--size", str(16 * 2**20), "--perms", "1777", "--tmpfs", "/dev/shm",
            "--size", str(cfg.tmp_mb * 2**20), "--perms", "1777", "--tmpfs", "/tmp",
            "--dir", "/var", "--symlink", "/tmp", "/var/tmp",
            "--size", str(cfg.disk_mb * 2**20), "--perms", "0755", "--tmpfs", layout.root,
            "--remount-ro", "/dev", "--remount-ro", "/",
            "--chdir", "/",
        ]
        return args

    def _start(self, tree_tar: bytes | None) -> _Jail:
        if shutil.which(self.config.bwrap) is None:
            raise SandboxError(
                f"bubblewrap ({self.config.bwrap}) is not installed: `sudo apt-get install bubblewrap` "
                "(or `make setup`), or use the docker sandbox"
            )
        hostname_env = hostname_for(self.computer_id, self.config.hostname)
        user_line, group_line = passwd_lines(self.layout)
        info_r, info_w = os.pipe()
        passwd_fd = _data_fd(_without_uid(Path("/etc/passwd"), user_line))
        group_fd = _data_fd(_without_uid(Path("/etc/group"), group_line))
        cmd = [*self.bwrap_args(info_w, passwd_fd, group_fd), "--", "/bin/bash", "--noprofile", "--norc", "-c", CONTROLLER]
        as_root = os.geteuid() == 0
        target_uid = self.config.run_as if as_root else os.getuid()
        nproc = self.config.max_processes + _processes_of(target_uid)

        def limits() -> None:
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))

        try:
            process = subprocess.Popen(
                cmd,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                pass_fds=(info_w, passwd_fd, group_fd),
                env=user_environment(self.layout, hostname_env),
                preexec_fn=limits,
                cwd="/",
                **(dict(user=target_uid, group=target_uid, extra_groups=[]) if as_root else {}),
            )
        finally:
            for fd in (info_w, passwd_fd, group_fd):
                os.close(fd)
        try:
            pid = _child_pid(info_r, process)
            session = ShellSession(
                PipeTransport(process.stdin.fileno(), process.stdout.fileno(), process.stderr.fileno()),
                lambda: os.kill(pid, signal.SIGUSR1),
                max_output_bytes=self.config.max_output_bytes,
                flood_bytes=self.config.flood_bytes,
                describe=f"local sandbox {self.computer_id}",
            )
            jail = _Jail(process, pid, session)
            session.start(self.config.start_timeout_s)
        except BaseException:
            _stop(process)
            raise
        if tree_tar:
            self._jail, previous = jail, self._jail
            try:
                self._untar(tree_tar, self.layout.root)
            except BaseException:
                self._jail = previous
                _stop(process)
                raise
            self._jail = previous
        return jail

    def _close(self) -> None:
        jail, self._jail = self._jail, None
        if jail is not None:
            jail.session.close()
            _stop(jail.process)

    # ------------------------------------------------------------------ snapshots

    def snapshot(self, tag: str, state: dict[str, Any] | None = None, *, keep: bool = False) -> SnapshotRef:
        self._require_open()
        state_json = self._state_json(state)
        return self.store.save(
            tag=tag, computer_id=self.computer_id, layout=self.layout, tree=self._tar(self.layout.root),
            state_json=state_json, keep=keep,
        )

    def restore(self, ref: SnapshotRef) -> dict[str, Any]:
        self._require_open()
        self._check_ref(ref, "local")
        tree, state = self.store.load(ref)
        new = self._start(tree)
        old, self._jail = self._jail, new
        old.session.close()
        _stop(old.process)
        return state

    def list_snapshots(self) -> list[SnapshotRef]:
        return self.store.list(self.computer_id)

    def delete_snapshot(self, ref: SnapshotRef) -> None:
        self.store.delete(ref)


def _without_uid(path: Path, line: str) -> bytes:
    """``path``'s lines minus any entry with our uid/gid, plus ``line``."""
    try:
        lines = path.read_text().splitlines()
    except OSError:
        lines = ["root:x:0:0:root:/root:/bin/bash"] if path.name == "passwd" else ["root:x:0:"]
    kept = [l for l in lines if l.split(":")[2:3] != [str(UID)] and l.split(":")[:1] != [line.split(":")[0]]]
    return ("\n".join(kept) + "\n" + line).encode()


def _data_fd(data: bytes) -> int:
    """A pipe's read end already holding ``data`` (for bwrap's --ro-bind-data)."""
    read, write = os.pipe()
    if len(data) > 60000:
        raise SandboxError("host /etc/passwd is too large to pass to bwrap")
    os.write(write, data)
    os.close(write)
    return read


def _processes_of(uid: int) -> int:
    count = 0
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid == uid:
                    count += 1
            except OSError:
                pass
    return count


def _child_pid(info_fd: int, process: subprocess.Popen) -> int:
    """The host pid of the jail's PID 1, from bwrap's --info-fd JSON."""
    chunks = []
    with os.fdopen(info_fd, "rb") as info:
        while True:
            chunk = info.read(4096)
            if not chunk:
                break
            chunks.append(chunk)
            if b"}" in chunk:
                break
    text = b"".join(chunks).decode(errors="replace")
    match = re.search(r'"child-pid"\s*:\s*(\d+)', text)
    if not match:
        _stop(process)
        err = process.stderr.read().decode(errors="replace") if process.stderr else ""
        raise SandboxError(f"bubblewrap failed to start the jail: {err.strip() or text or 'no output'}")
    return int(match.group(1))


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.kill()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        pass
    for stream in (process.stdin, process.stdout, process.stderr):
        try:
            stream and stream.close()
        except OSError:
            pass
