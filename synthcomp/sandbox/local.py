"""LocalSandbox: the same contract in a bubblewrap jail, for machines without Docker.

The jail has its own user, PID, network (loopback only), IPC and UTS namespaces. Of the
host it sees /usr and the libraries read-only, and a minimal /etc (the synthetic
user's passwd and group, hosts, the dynamic linker's cache, ``alternatives``): not the
host's configuration (no Docker or pip settings, no apt sources). Its PID 1 is the
supervisor, run by the host's system python3 with only CAP_DAC_READ_SEARCH (to
snapshot files the agent locked). Each agent command runs through a nested
``bwrap`` in a user and PID namespace of its own, with a fresh /proc: the supervisor's
process does not exist there, so the agent can neither signal, trace, re-limit nor
read it. When synthcomp runs as root, bwrap itself runs as an unprivileged host uid
(``run_as``) and the whole jail is in a memory and pids cgroup (``cgroup.JailCgroup``);
otherwise each process gets an address-space and process-count rlimit.

The computer's tree lives in a size-limited tmpfs at ``/drives`` or ``/Users``, /tmp
and /dev/shm are small tmpfs mounts, and everything else is read-only. The supervisor
ends the jail when its stdin closes, and ``--die-with-parent`` when this process dies.
"""

from __future__ import annotations

import functools
import os
import re
import resource
import secrets
import shutil
import signal
import subprocess
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from synthcomp.errors import SandboxError
from synthcomp.sandbox.cgroup import JailCgroup
from synthcomp.sandbox.config import LocalSandboxConfig
from synthcomp.sandbox.gc import DEFAULT_SNAPSHOTS
from synthcomp.sandbox.jail import (
    SUPERVISOR_ARGV, SUPERVISOR_PATH, JailSandbox, Running, hostname_for, passwd_lines, supervisor_zip,
)
from synthcomp.sandbox.link import Link, RemoteLink
from synthcomp.sandbox.paths import Layout
from synthcomp.sandbox.store import DirSnapshotStore
from synthcomp.sandbox.tarball import GID, UID
from synthcomp.sandbox.transport import PipeTransport

SYSTEM_DIRS = ("usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32")
"""Host top-level directories the jail sees (read-only); everything else stays hidden."""
HOST_ETC = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "alternatives")
"""The only host files of /etc the jail sees (read-only): what dynamic linking and Debian's
command alternatives need, nothing that configures a service or holds a credential."""


@dataclass
class _Jail:
    process: subprocess.Popen
    pid: int  # host pid of the supervisor (PID 1 inside)
    cgroup: JailCgroup | None


@functools.cache
def _supports_disable_userns(bwrap: str) -> bool:
    help_text = subprocess.run([bwrap, "--help"], capture_output=True, text=True).stdout
    return "--disable-userns" in help_text


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
        self.config = config or LocalSandboxConfig()
        self.store = DirSnapshotStore(Path(self.config.snapshot_dir or DEFAULT_SNAPSHOTS), "local")
        bwrap = shutil.which(self.config.bwrap)
        if bwrap is None:
            raise SandboxError(
                f"bubblewrap ({self.config.bwrap}) is not installed: `sudo apt-get install bubblewrap` "
                "(or `make setup`), or use the docker sandbox"
            )
        self._bwrap = str(Path(bwrap).resolve())
        if not Path(self.config.python).is_file():
            raise SandboxError(f"the jail's supervisor needs the system python3 at {self.config.python}: "
                               "`sudo apt-get install python3`, or set LocalSandboxConfig.python")
        super().__init__(tree, layout=Layout(os, username), computer_id=computer_id)

    @property
    def _jail(self) -> _Jail:
        self._require_open()
        assert self._running is not None
        return self._running.handle

    # ------------------------------------------------------------------ jail

    def bwrap_args(self, info_fd: int, data_fds: dict[str, int]) -> list[str]:
        """The bubblewrap command line (without the supervisor) for this computer."""
        cfg, layout = self.config, self.layout
        args = [
            self._bwrap, "--unshare-user", "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--uid", str(UID), "--gid", str(GID),
            "--hostname", hostname_for(self.computer_id, cfg.hostname),
            "--die-with-parent", "--as-pid-1", "--new-session", "--info-fd", str(info_fd),
            "--cap-add", "CAP_DAC_READ_SEARCH",
        ]
        for name in SYSTEM_DIRS:
            host = Path("/") / name
            if host.is_symlink():
                args += ["--symlink", os.readlink(host), str(host)]
            elif host.is_dir():
                args += ["--ro-bind", str(host), str(host)]
        for name in HOST_ETC:
            if (Path("/etc") / name).exists():
                args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
        for target, fd in data_fds.items():
            args += ["--ro-bind-data", str(fd), target]
        args += [
            "--proc", "/proc", "--dev", "/dev",
            "--size", str(16 * 2**20), "--perms", "1777", "--tmpfs", "/dev/shm",
            "--size", str(cfg.tmp_mb * 2**20), "--perms", "1777", "--tmpfs", "/tmp",
            "--dir", "/var", "--symlink", "/tmp", "/var/tmp",
            "--size", str(cfg.disk_mb * 2**20), "--perms", "0755", "--tmpfs", layout.root,
            "--remount-ro", "/dev", "--remount-ro", "/",
            "--chdir", "/",
        ]
        return args

    def launch_prefix(self) -> list[str]:
        """Each agent command: its own user and PID namespace, a /proc that shows only its processes."""
        root = self.layout.root
        prefix = [self._bwrap, "--unshare-user", "--uid", str(UID), "--gid", str(GID), "--unshare-pid",
                  "--die-with-parent", "--new-session"]
        if _supports_disable_userns(self._bwrap):
            prefix.append("--disable-userns")
        return [*prefix, "--ro-bind", "/", "/", "--bind", root, root, "--bind", "/tmp", "/tmp",
                "--dev-bind", "/dev", "/dev", "--proc", "/proc", "--chdir", "/", "--"]

    def _etc_files(self) -> dict[str, bytes]:
        user, group = passwd_lines(self.layout)
        hostname = hostname_for(self.computer_id, self.config.hostname)
        return {
            "/etc/passwd": f"root:x:0:0:root:/root:/usr/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n{user}".encode(),
            "/etc/group": f"root:x:0:\nnogroup:x:65534:\n{group}".encode(),
            "/etc/hostname": f"{hostname}\n".encode(),
            "/etc/hosts": f"127.0.0.1\tlocalhost\n127.0.1.1\t{hostname}\n".encode(),
            "/etc/nsswitch.conf": b"passwd: files\ngroup: files\nhosts: files\n",
            SUPERVISOR_PATH: supervisor_zip(),
        }

    def _start(self, load: Callable[[Link], None]) -> Running:
        cfg = self.config
        info_r, info_w = os.pipe()
        data_fds = {target: _memfd(data) for target, data in self._etc_files().items()}
        cmd = [*self.bwrap_args(info_w, data_fds), "--", cfg.python, *SUPERVISOR_ARGV]
        cgroup = JailCgroup.create(f"{re.sub(r'[^A-Za-z0-9_.-]', '-', self.computer_id)[:40]}-{secrets.token_hex(4)}",
                                   memory_bytes=cfg.memory_mb * 2**20, pids=cfg.max_processes)
        if cgroup is None:
            warnings.warn("no cgroup for the bubblewrap jail (needs root and cgroup v1 memory/pids): "
                          "memory and processes are limited per process only", RuntimeWarning, stacklevel=2)
        try:
            process = subprocess.Popen(
                cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                pass_fds=(info_w, *data_fds.values()), env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
                preexec_fn=self._jail_identity(cgroup), cwd="/",
            )
        finally:
            for fd in (info_w, *data_fds.values()):
                os.close(fd)
        jail = _Jail(process, 0, cgroup)
        try:
            jail.pid = _child_pid(info_r, process)
            link = RemoteLink(PipeTransport(process.stdin.fileno(), process.stdout.fileno(), process.stderr.fileno()),
                              f"local sandbox {self.computer_id}")
            running = Running(link, jail)
            link.start(self.hello(), cfg.start_timeout_s)
            load(link)
            return running
        except BaseException:
            _stop(jail)
            raise

    def _jail_identity(self, cgroup: JailCgroup | None) -> Callable[[], None]:
        """What the jail's first process does before exec: join the cgroup, drop root, set rlimits."""
        cfg = self.config
        as_root = os.geteuid() == 0
        target = cfg.run_as if as_root else os.getuid()
        nproc = cfg.max_processes + _processes_of(target)
        memory = cfg.memory_mb * 2**20

        def apply() -> None:
            if cgroup is not None:
                cgroup.enter()
            else:
                resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
            if as_root:
                os.setgroups([])
                os.setresgid(target, target, target)
                os.setresuid(target, target, target)
            resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))

        return apply

    def _discard(self, running: Running) -> None:
        running.link.close()
        _stop(running.handle)


def _memfd(data: bytes) -> int:
    """A file descriptor holding ``data``, for bwrap's ``--ro-bind-data``."""
    fd = os.memfd_create("synthcomp", 0)
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
    os.lseek(fd, 0, os.SEEK_SET)
    return fd


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
        process.kill()
        process.wait(timeout=10)
        err = process.stderr.read().decode(errors="replace") if process.stderr else ""
        raise SandboxError(f"bubblewrap failed to start the jail: {err.strip() or text or 'no output'}")
    return int(match.group(1))


def _stop(jail: _Jail) -> None:
    process = jail.process
    if process.poll() is None:
        if jail.pid:
            try:
                os.kill(jail.pid, signal.SIGKILL)  # the jail's PID 1: its namespace ends with it
            except ProcessLookupError:
                pass
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
    if jail.cgroup is not None:
        jail.cgroup.remove()
