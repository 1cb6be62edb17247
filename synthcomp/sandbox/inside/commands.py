"""One agent command: a bash as the agent, its output capped, everything it started ended with it.

Each command runs in a new ``bash`` started as the agent: in Docker by dropping to uid
1000; under bubblewrap through a nested ``bwrap`` that gives it its own user and PID
namespace, where the supervisor does not exist. From the second command on, that bash is
started *ahead* of its command (``Commands.prepare``, after the previous one's answer went
out), so the spawn, the user switch or namespaces and bash's own start-up are paid while
the host is busy elsewhere; it waits, having read nothing the agent wrote but the name of
the folder it starts in, until the command arrives on a memfd and a go byte on a pipe.
``cd`` and exported variables persist because the command's own shell writes them on
exit to a memfd of its own: its folder, then its exports as a script. The supervisor
splits the two at the NUL and looks no further: the next shell is started in that
folder, and gets the script with its command, to run only after the go. That state is
the agent's, and only the agent's shell ever runs it. A command that left none (killed,
or ``exec``-ed away) keeps the state before it.

When the command's bash exits, times out, or floods its output, every process of the
jail except the supervisor is killed (``kill(-1)`` from PID 1) and reaped: background
jobs, ``setsid`` daemons and fork bombs end with the step, like a terminal closing,
and never print into a later one. The next bash is started only after that, so no
process of one step ever meets the next step's shell.
"""

from __future__ import annotations

import os
import selectors
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import Protocol

WRAPPER = r"""
echo 1000 >/proc/self/oom_score_adj 2>/dev/null
cd -- "${4:-$HOME}" 2>/dev/null || cd 2>/dev/null
__sc_cmd_fd=$1 __sc_go_fd=$2 __sc_state_fd=$3
readonly __sc_state_fd
set --
IFS= read -r -u "$__sc_go_fd" __sc_go || exit 0
IFS= read -r -d '' -u "$__sc_cmd_fd" __sc_state
IFS= read -r -d '' -u "$__sc_cmd_fd" __sc_cmd || exit 0
exec {__sc_cmd_fd}<&- {__sc_go_fd}<&-
set -- "$__sc_cmd"
unset -v __sc_cmd __sc_go __sc_cmd_fd __sc_go_fd
__sc_state=${__sc_state/$'\n'"declare -x TZ=\"$TZ\""$'\n'/$'\n'}
{ eval "$__sc_state"; [ . -ef "$PWD" ] || cd -- "$PWD" || cd; } 2>&-
unset -v __sc_state
__sc_save() { { printf '%s\0' "$PWD"; export -p; } >&"$__sc_state_fd"; } 2>&-
trap __sc_save EXIT
eval "$1"
"""
"""Runs as the agent. Before the go it only enters the folder its predecessor ended in
(``$4``: a bash ``cd`` of an absolute path stats every prefix twice, and in Docker each
lookup through the image's fuse-overlayfs root costs a non-root process ~80 us) and
waits. Then it reads its predecessor's exports and the command (each NUL-ended, from a
seekable file, so bash reads them in blocks, not byte by byte), runs the exports (but
not a ``TZ`` as it already is: any assignment of ``TZ`` makes bash call ``tzset``, which
looks the zone file up through that root, ~0.25 ms a command), checks
that ``.`` is still the folder ``$PWD`` names (a file tool may have moved it since), runs
the command as ``$1``, and on exit writes its folder and exports to a file it holds open."""

STATE_LIMIT = 1 << 20
"""Largest shell state (its folder and exports) carried to the next command; a larger one is dropped."""
PATH_MAX = 4096
"""Longest folder a state may name: it becomes an argument of the next bash."""

_SPAWNING = threading.Lock()
"""Held by ``spawn``."""
RESTORED_SIGNALS = (signal.SIGPIPE, signal.SIGXFSZ)
"""Signals Python ignores, back to their default in an agent's process."""
DRAIN_S = 2.0
"""How long output still in the pipes is read after everything was killed."""


class Owner(Protocol):
    """The channel the host's requests come on: while a command runs, readable means the host hung up
    (or broke the one-request-at-a-time rule, which ends the command too)."""

    read_fd: int

    def fill(self) -> bool:
        """Read what is there; False at end of stream."""


@dataclass
class Launch:
    """How agent commands start.

    Args:
        prefix: argv before ``bash`` (the nested ``bwrap``), or empty.
        uid, gid: the identity to drop to (Docker), or None to keep this one.
        env: the agent's initial environment.
        shell: the file started as the agent's ``/bin/bash`` when there is no prefix: its
            argv[0] is ``/bin/bash`` whatever the file, so ``$BASH`` and ``ps`` show bash.
    """

    prefix: list[str]
    uid: int | None
    gid: int | None
    env: dict[str, str] = field(default_factory=dict)
    shell: str = "/bin/bash"


class Capture:
    """One output stream: the first and last ``cap // 2`` bytes kept, the middle counted."""

    def __init__(self, cap: int) -> None:
        self.cap, self.head, self.tail, self.total = cap, bytearray(), bytearray(), 0

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        room = self.cap // 2 - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > self.cap:
                del self.tail[: len(self.tail) - self.cap // 2]

    def result(self) -> tuple[bytes, int]:
        """(kept bytes with a note where the middle was dropped, bytes dropped)."""
        tail = self.tail[-(self.cap // 2):] if self.cap // 2 else bytearray()
        dropped = self.total - len(self.head) - len(tail)
        if dropped <= 0:
            return bytes(self.head + self.tail), 0
        note = f"\n[... {dropped} bytes truncated by synthcomp ...]\n".encode()
        return bytes(self.head) + note + bytes(tail), dropped


def end_everything(deadline_s: float = 10.0) -> bool:
    """SIGKILL every process of the jail but this one (PID 1) and reap them all.

    Returns False if processes were still there at the deadline.
    """
    if os.getpid() != 1:
        raise RuntimeError("only the jail's PID 1 may end every process")
    end = time.monotonic() + deadline_s
    while True:
        try:
            os.kill(-1, signal.SIGKILL)
        except ProcessLookupError:
            reap()
            return True
        reap()
        if time.monotonic() > end:
            return False
        time.sleep(0.0005)


def reap() -> None:
    """Collect every child that has exited (orphans of the jail are PID 1's children)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


@dataclass
class ReadyShell:
    """A bash as the agent, started ahead of its command and waiting for it.

    ``command_fd`` is a memfd the command is written into (seekable, so bash reads it in
    blocks); a byte on ``go_fd`` lets bash read it. ``out_r`` and ``err_r`` are its output pipes.
    """

    process: AgentProcess
    command_fd: int
    go_fd: int
    state_fd: int
    out_r: int
    err_r: int

    def state(self) -> tuple[str, bytes] | None:
        """(folder, exports script) as the shell wrote them on exit, or None if it wrote none we can carry."""
        folder, nul, script = os.pread(self.state_fd, STATE_LIMIT + 1, 0).partition(b"\0")
        if not nul or len(folder) > PATH_MAX or len(folder) + len(script) >= STATE_LIMIT or b"\0" in script:
            return None  # an overlong folder, as an argument, would make every later start fail
        return os.fsdecode(folder), script

    def close_fds(self) -> None:
        for fd in (self.command_fd, self.go_fd, self.state_fd, self.out_r, self.err_r):
            try:
                os.close(fd)
            except OSError:
                pass


def start_shell(launch: Launch, folder: str) -> ReadyShell:
    """Start the bash of the next command in ``folder`` (home if empty or gone); it waits for
    ``ReadyShell.go``. Raises OSError."""
    command_fd = os.memfd_create("synthcomp-command", os.MFD_CLOEXEC)
    state_fd = os.memfd_create("synthcomp-state", os.MFD_CLOEXEC)
    go_r, go_w = os.pipe2(os.O_CLOEXEC)
    out_r, out_w = os.pipe2(os.O_CLOEXEC)
    err_r, err_w = os.pipe2(os.O_CLOEXEC)
    argv = [*launch.prefix, "/bin/bash", "--noprofile", "--norc", "-c", WRAPPER, "bash", str(command_fd), str(go_r),
            str(state_fd), folder]
    try:
        pid = spawn(launch.prefix[0] if launch.prefix else launch.shell, argv, launch,
                    stdout=out_w, stderr=err_w, keep=(command_fd, go_r, state_fd))
    except BaseException:
        for fd in (command_fd, state_fd, go_w, out_r, err_r):
            os.close(fd)
        raise
    finally:
        for fd in (go_r, out_w, err_w):
            os.close(fd)
    return ReadyShell(AgentProcess(pid), command_fd, go_w, state_fd, out_r, err_r)


def spawn(path: str, argv: list[str], launch: Launch, *, stdout: int, stderr: int, keep: tuple[int, ...]) -> int:
    """Start the program at ``path`` with ``argv`` as the agent, in a session of its own, with stdin
    from /dev/null and only the descriptors in ``keep`` besides its output; return its pid.

    ``posix_spawn`` (a vfork: the supervisor's memory is not copied) instead of ``subprocess``,
    which forks as soon as it must change user: a fork of the supervisor's interpreter alone
    costs ~1 ms in a container here, the spawn of a static bash ~0.1 ms.

    The agent's identity comes by ``POSIX_SPAWN_RESETIDS``: the child takes its effective ids
    from the real ones, so the real ids are the agent's for the length of the call. Only the
    real ids: the supervisor keeps its effective and saved uid 0, hence its capabilities, and
    it spawns only when no agent process exists (after ``end_everything``), so no process
    could use those microseconds to signal it. The exec then makes the saved ids the agent's
    too, and a non-root exec keeps no capability. Real ids belong to the whole process, so
    only a jail's PID 1 (single-threaded) switches them; an in-process supervisor runs
    commands as itself.

    One spawn at a time per process (``_SPAWNING``): the in-process supervisors of fake
    sandboxes share one, and another's spawn must not pass on ``keep``, inheritable for this
    call's length, to its own shell."""
    with _SPAWNING:
        return _spawn(path, argv, launch, stdout=stdout, stderr=stderr, keep=keep)


def _spawn(path: str, argv: list[str], launch: Launch, *, stdout: int, stderr: int, keep: tuple[int, ...]) -> int:
    for fd in keep:
        os.set_inheritable(fd, True)
    actions = [(os.POSIX_SPAWN_OPEN, 0, "/dev/null", os.O_RDONLY, 0),
               (os.POSIX_SPAWN_DUP2, stdout, 1), (os.POSIX_SPAWN_DUP2, stderr, 2)]
    actions += [(os.POSIX_SPAWN_CLOSE, fd) for fd in _inherited(exclude={0, 1, 2, *keep})]
    # setsigdef: what Python ignores goes back to the default, as subprocess's restore_signals does
    # (else a pipe's writer would outlive its reader and print "Broken pipe").
    options = dict(file_actions=actions, setsid=True, setsigdef=RESTORED_SIGNALS)
    try:
        if launch.uid is None:
            return os.posix_spawn(path, argv, launch.env, **options)
        real_uid, real_gid = os.getuid(), os.getgid()
        try:
            os.setresgid(launch.gid, -1, -1)
            os.setresuid(launch.uid, -1, -1)
            return os.posix_spawn(path, argv, launch.env, resetids=True, **options)
        finally:
            os.setresuid(real_uid, -1, -1)
            os.setresgid(real_gid, -1, -1)
    finally:
        for fd in keep:
            os.set_inheritable(fd, False)


def _inherited(exclude: set[int]) -> list[int]:
    """This process's descriptors an exec would pass on (no close-on-exec), but ``exclude``:
    ``subprocess``'s ``close_fds``, which ``posix_spawn`` does not do."""
    found = []
    for name in os.listdir("/proc/self/fd"):
        fd = int(name)
        if fd in exclude:
            continue
        try:
            if os.get_inheritable(fd):
                found.append(fd)
        except OSError:  # the listing's own descriptor, closed since
            pass
    return found


class AgentProcess:
    """A spawned child: ``subprocess.Popen``'s ``pid``, ``poll``, ``wait`` and ``returncode``."""

    def __init__(self, pid: int) -> None:
        self.pid, self.returncode = pid, None

    def poll(self) -> int | None:
        if self.returncode is None:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self) -> int:
        if self.returncode is None:
            self.returncode = os.waitstatus_to_exitcode(os.waitpid(self.pid, 0)[1])
        return self.returncode


class Commands:
    """Runs agent commands one at a time, each in a bash started ahead of it."""

    def __init__(self, launch: Launch) -> None:
        self.launch = launch
        self._ready: ReadyShell | None = None
        self._folder, self._exports = "", b""  # where the last shell ended, and its exports as it wrote them

    def prepare(self) -> None:
        """Start the next command's bash now, if none is waiting (a failure is retried at the command)."""
        if self._ready is not None and self._ready.process.poll() is None:
            return
        self._discard()
        try:
            self._ready = start_shell(self.launch, self._folder)
        except OSError:
            self._ready = None

    def _discard(self) -> None:
        if self._ready is not None:
            self._ready.close_fds()
            self._ready = None

    def _take(self) -> ReadyShell:
        self.prepare()
        if self._ready is None:
            return start_shell(self.launch, self._folder)  # raises the OSError the agent should see
        shell, self._ready = self._ready, None
        return shell

    def run(self, cmd: str, timeout_s: float, *, cap: int, flood: int, owner: Owner) -> tuple[dict, bytes]:
        """Run ``cmd``; return (result header, stdout + stderr bytes).

        Args:
            cap: bytes kept per stream (head and tail halves).
            flood: total output past which the command is killed.
            owner: the host's channel; when it reads end of stream the owner is gone, and the
                command is abandoned (the caller exits).
        """
        if "\0" in cmd:
            raise ValueError("a command cannot contain a NUL character")
        try:
            shell = self._take()
        except OSError as exc:  # no process could be made (the pids limit): the agent's observation
            end_everything()
            message = f"synthcomp: the command could not start: {exc.strerror or exc}\n".encode()
            return {"exit_code": 126, "killed": "", "stdout_len": 0, "truncated": False}, message
        try:
            os.pwrite(shell.command_fd, self._exports + b"\0" + cmd.encode("utf-8", "surrogateescape") + b"\0", 0)
            started = time.monotonic()
            os.write(shell.go_fd, b"\n")
            result = _watch(shell, started + timeout_s, cap=cap, flood=flood, owner=owner)
            self._folder, self._exports = shell.state() or (self._folder, self._exports)
            return result
        finally:
            shell.close_fds()


def _watch(shell: ReadyShell, deadline: float, *, cap: int, flood: int, owner: Owner) -> tuple[dict, bytes]:
    """Collect the running command's output until it exits, times out or floods; end everything."""
    process = shell.process
    streams = {shell.out_r: Capture(cap), shell.err_r: Capture(cap)}
    reason = ""
    with selectors.DefaultSelector() as selector:
        for fd in streams:
            selector.register(fd, selectors.EVENT_READ)
        pidfd = os.pidfd_open(process.pid)
        selector.register(pidfd, selectors.EVENT_READ)
        selector.register(owner.read_fd, selectors.EVENT_READ)
        exited = False
        while not exited:
            left = deadline - time.monotonic()
            if left <= 0:
                reason = "timeout"
                break
            for key, _ in selector.select(timeout=min(left, 1.0)):
                if key.fd == pidfd:
                    exited = True
                elif key.fd == owner.read_fd:
                    if not owner.fill():
                        end_everything()
                        raise SystemExit(0)
                elif not _pump(key.fd, streams[key.fd], selector):
                    continue
            if sum(c.total for c in streams.values()) > flood:
                reason = "flood"
                break
        selector.unregister(pidfd)
        os.close(pidfd)
        if reason:
            _kill_group(process.pid)
        process.wait()
        end_everything()
        drain_until = time.monotonic() + DRAIN_S
        while selector.get_map() and len(selector.get_map()) > 1 and time.monotonic() < drain_until:
            for key, _ in selector.select(timeout=0.05):
                if key.fd != owner.read_fd:
                    _pump(key.fd, streams[key.fd], selector)
    out, out_cut = streams[shell.out_r].result()
    err, err_cut = streams[shell.err_r].result()
    code = process.returncode if process.returncode >= 0 else 128 - process.returncode
    if reason:
        code = 137
    header = {"exit_code": code, "killed": reason, "stdout_len": len(out),
              "truncated": bool(out_cut or err_cut or reason == "flood")}
    return header, out + err


def _pump(fd: int, capture: Capture, selector: selectors.BaseSelector) -> bool:
    """Read what ``fd`` has; unregister it at end of stream. Returns whether data came."""
    try:
        data = os.read(fd, 1 << 16)
    except BlockingIOError:
        return False
    if not data:
        selector.unregister(fd)
        return False
    capture.feed(data)
    return True


def _kill_group(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
