"""One persistent shell per sandbox: fast exec without a ``docker exec`` per command.

A small bash *controller* runs as PID 1 of the sandbox (the container's main process,
or bwrap's ``--as-pid-1`` child) and reads framed requests on its stdin:

    "<seq> <len(cmd)> <len(stdin)>\\n" + cmd + stdin

It forks each command into its own process group (``set -m``) with stdin from
/dev/null (or, for internal file transfers, the ``len(stdin)`` payload bytes that
follow, which that command must consume exactly), waits, kills what is left of the
group (background stragglers, fork bombs), and ends both output streams with a marker
``\\n<token> <seq> <exit code> <killed>\\n``. The token is random per session and is
unset in the command's shell. ``cd`` and exported variables persist between commands
(saved by the command's EXIT trap); everything else is per command.

A timeout is enforced from outside: the session asks the backend to send SIGUSR1 to
the controller, whose trap SIGKILLs the command's process group and then, when it is
PID 1 of its own PID namespace (always, in a jail), every other process of the sandbox
(``kill -KILL -1``; outside a namespace that would hit the host, so it is skipped). The controller
survives and the next command runs normally. PID 1 of a PID namespace ignores signals
it has no handler for, so even ``kill -9 -1`` from a command cannot take it down.
"""

from __future__ import annotations

import os
import secrets
import selectors
import struct
import threading
import time
from typing import Callable, Protocol

from synthcomp.errors import InputError, SandboxError
from synthcomp.sandbox.base import ExecResult

CONTROLLER = r"""
LC_ALL=C
set -m
__sc_state=${TMPDIR:-/tmp}/.synthcomp
__sc_pid=
__sc_killed=0
__sc_interrupt() {
  __sc_killed=1
  [ -n "$__sc_pid" ] && kill -KILL -- "-$__sc_pid" 2>/dev/null
  # As PID 1 of its own PID namespace, also end whatever escaped the group (setsid).
  [ "$$" = 1 ] && kill -KILL -1 2>/dev/null
}
trap __sc_interrupt USR1
__sc_save() {
  pwd > "$__sc_state/cwd" 2>/dev/null
  export -p > "$__sc_state/env" 2>/dev/null
}
__sc_child() {
  trap - USR1
  unset -v LC_ALL __sc_token __sc_seq __sc_len __sc_inlen __sc_pid __sc_rc __sc_killed
  cd -- "$__sc_cwd" 2>/dev/null || cd
  [ -r "$__sc_state/env" ] && . "$__sc_state/env" 2>/dev/null
  trap __sc_save EXIT
  eval "$__sc_cmd"
}
IFS= read -r __sc_token || exit 0
umask 022
mkdir -p "$__sc_state" && chmod 700 "$__sc_state"
[ -d "$HOME" ] || mkdir -p -- "$HOME"
cd || exit 1
__sc_cwd=$HOME
pwd > "$__sc_state/cwd"
printf '\n%s 0 0 0\n' "$__sc_token"
printf '\n%s 0 0 0\n' "$__sc_token" >&2
while IFS=' ' read -r __sc_seq __sc_len __sc_inlen; do
  IFS= read -r -N "$__sc_len" __sc_cmd || exit 0
  __sc_killed=0
  if [ "$__sc_inlen" = 0 ]; then __sc_child </dev/null & else __sc_child & fi
  __sc_pid=$!
  wait "$__sc_pid" 2>/dev/null; __sc_rc=$?
  if [ "$__sc_rc" -gt 128 ] && [ "$__sc_killed" = 1 ]; then wait "$__sc_pid" 2>/dev/null; __sc_rc=$?; fi
  kill -KILL -- "-$__sc_pid" 2>/dev/null
  __sc_pid=
  { IFS= read -r __sc_next < "$__sc_state/cwd"; } 2>/dev/null && __sc_cwd=$__sc_next
  printf '\n%s %s %s %s\n' "$__sc_token" "$__sc_seq" "$__sc_rc" "$__sc_killed"
  printf '\n%s %s %s %s\n' "$__sc_token" "$__sc_seq" "$__sc_rc" "$__sc_killed" >&2
done
exit 0
"""
"""The controller script (``bash --noprofile --norc -c CONTROLLER``)."""

STDOUT, STDERR = 1, 2


class Transport(Protocol):
    """The byte pipes between this process and the controller (non-blocking)."""

    def read_fds(self) -> list[int]: ...

    def write_fd(self) -> int: ...

    def write(self, data: memoryview) -> int:
        """Write what fits without blocking; return the number of bytes written."""

    def read(self, fd: int) -> list[tuple[int, bytes]] | None:
        """Read what is there as (STDOUT|STDERR, bytes) pieces; None at end of stream."""

    def close(self) -> None: ...


class PipeTransport:
    """A child process's stdin/stdout/stderr pipes (the bwrap backend)."""

    def __init__(self, stdin: int, stdout: int, stderr: int) -> None:
        self._fds = {stdout: STDOUT, stderr: STDERR}
        self._stdin = stdin
        for fd in (stdin, stdout, stderr):
            os.set_blocking(fd, False)

    def read_fds(self) -> list[int]:
        return list(self._fds)

    def write_fd(self) -> int:
        return self._stdin

    def write(self, data: memoryview) -> int:
        try:
            return os.write(self._stdin, data)
        except BlockingIOError:
            return 0
        except BrokenPipeError as exc:
            raise SandboxError("the sandbox shell is gone (its stdin is closed)") from exc

    def read(self, fd: int) -> list[tuple[int, bytes]] | None:
        try:
            data = os.read(fd, 1 << 16)
        except BlockingIOError:
            return []
        return [(self._fds[fd], data)] if data else None

    def close(self) -> None:
        pass  # the pipes belong to the Popen object, which closes them


class MultiplexedSocketTransport:
    """Docker's attach stream (no TTY): 8-byte frame headers tell stdout from stderr."""

    def __init__(self, sock) -> None:  # a socket.socket
        self._sock = sock
        self._sock.setblocking(False)
        self._buffer = bytearray()

    def read_fds(self) -> list[int]:
        return [self._sock.fileno()]

    def write_fd(self) -> int:
        return self._sock.fileno()

    def write(self, data: memoryview) -> int:
        try:
            return self._sock.send(data)
        except BlockingIOError:
            return 0
        except OSError as exc:
            raise SandboxError(f"the sandbox shell is gone ({exc})") from exc

    def read(self, fd: int) -> list[tuple[int, bytes]] | None:
        try:
            data = self._sock.recv(1 << 16)
        except BlockingIOError:
            return []
        except OSError:
            data = b""
        if not data:
            return None
        self._buffer += data
        pieces = []
        while len(self._buffer) >= 8:
            stream, size = struct.unpack(">BxxxL", self._buffer[:8])
            if len(self._buffer) < 8 + size:
                break
            pieces.append((STDERR if stream == 2 else STDOUT, bytes(self._buffer[8 : 8 + size])))
            del self._buffer[: 8 + size]
        return pieces

    def close(self) -> None:
        try:
            self._sock.close()
        except OSError:
            pass


class _Collector:
    """One stream of one command: finds the end marker, keeps head + tail of the rest."""

    def __init__(self, prefix: bytes, cap: int | None) -> None:
        self.prefix = prefix  # b"\n<token> <seq> "
        self.cap = cap  # None: keep everything (raw transfers)
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.pending = bytearray()
        self.fields: list[bytes] | None = None  # [exit code, killed] once the marker is seen

    def feed(self, data: bytes) -> None:
        if self.fields is not None:
            return  # output of a stray process after the marker: dropped
        self.pending += data
        at = self.pending.find(self.prefix)
        if at >= 0:
            end = self.pending.find(b"\n", at + len(self.prefix))
            self._keep(self.pending[:at])
            if end >= 0:
                self.fields = bytes(self.pending[at + len(self.prefix) : end]).split()
                self.pending = bytearray()
            else:
                del self.pending[:at]
            return
        hold = len(self.prefix) - 1
        if len(self.pending) > hold:
            self._keep(self.pending[:-hold])
            del self.pending[:-hold]

    def _keep(self, data: bytes | bytearray) -> None:
        self.total += len(data)
        if self.cap is None:
            self.head += data
            return
        room = self.cap // 2 - len(self.head)
        if room > 0:
            self.head += data[:room]
            data = data[room:]
        if data:
            self.tail += data
            if len(self.tail) > self.cap:
                del self.tail[: len(self.tail) - self.cap // 2]

    def result(self) -> tuple[bytes, int]:
        """(kept bytes with a truncation note in the middle, bytes dropped)."""
        if self.cap is None:
            return bytes(self.head), 0
        tail = self.tail[-(self.cap // 2) :] if self.cap // 2 else bytearray()
        dropped = self.total - len(self.head) - len(tail)
        if dropped <= 0:
            return bytes(self.head + self.tail), 0
        note = f"\n[... {dropped} bytes truncated by synthcomp ...]\n".encode()
        return bytes(self.head) + note + bytes(tail), dropped


class ShellSession:
    """Runs commands through the controller over a ``Transport``.

    Args:
        transport: pipes to the controller, already started with ``CONTROLLER``.
        interrupt: sends SIGUSR1 to the controller (``docker kill -s USR1``, ``os.kill``).
        max_output_bytes: per stream, head and tail halves are kept beyond this.
        flood_bytes: a command that prints more than this is killed like a timeout.
        describe: names the sandbox in error messages.
    """

    def __init__(
        self,
        transport: Transport,
        interrupt: Callable[[], None],
        *,
        max_output_bytes: int = 64 * 1024,
        flood_bytes: int = 32 * 2**20,
        describe: str = "sandbox",
    ) -> None:
        self._transport = transport
        self._interrupt = interrupt
        self._cap = max_output_bytes
        self._flood = flood_bytes
        self._describe = describe
        self._token = secrets.token_hex(16).encode()
        self._seq = 0
        self._broken: str | None = None
        self._lock = threading.Lock()  # one request at a time on the pipes

    @property
    def alive(self) -> bool:
        return self._broken is None

    def start(self, timeout_s: float = 60) -> None:
        """Hand the controller its token and wait until it is ready in the home directory.

        Raises:
            SandboxError: it did not answer within ``timeout_s`` (with what it printed).
        """
        self._exchange(self._token + b"\n", 0, timeout_s, cap=self._cap, can_kill=False)

    def run(self, cmd: str, timeout_s: float) -> ExecResult:
        """Run ``cmd`` with bash in its own process group; see ``Sandbox.exec``."""
        if "\0" in cmd:
            raise InputError("a command cannot contain NUL bytes")
        out, err, reason, duration = self._request(cmd.encode(), b"", timeout_s, self._cap)
        stdout, cut_out = out.result()
        stderr, cut_err = err.result()
        killed = out.fields[1] == b"1"
        text_err = stderr.decode("utf-8", "replace")
        if killed and reason == "flood":
            text_err += f"\n[synthcomp: the command printed more than {self._flood} bytes and was killed]\n"
        elif killed and reason == "timeout":
            text_err += f"\n[synthcomp: timed out after {timeout_s:g} s; the command's processes were killed]\n"
        return ExecResult(
            stdout=stdout.decode("utf-8", "replace"),
            stderr=text_err,
            exit_code=int(out.fields[0]),
            timed_out=killed and reason == "timeout",
            truncated=bool(cut_out or cut_err or (killed and reason == "flood")),
            duration_ms=duration,
        )

    def run_raw(self, cmd: str, stdin: bytes = b"", timeout_s: float = 300) -> tuple[int, bytes, str]:
        """An internal transfer: stdout kept whole as bytes, ``stdin`` streamed in.

        The command must read exactly ``len(stdin)`` bytes from its stdin (``head -c N``)
        whatever happens, or the protocol loses its framing.

        Returns:
            (exit code, stdout bytes, stderr text).

        Raises:
            SandboxError: the transfer timed out (the session is then unusable).
        """
        out, err, reason, _ = self._request(cmd.encode(), stdin, timeout_s, None, can_kill=False)
        return int(out.fields[0]), out.result()[0], err.result()[0].decode("utf-8", "replace")

    def _request(self, cmd: bytes, stdin: bytes, timeout_s: float, cap: int | None, can_kill: bool = True):
        with self._lock:
            if self._broken:
                raise SandboxError(f"{self._describe} is unusable: {self._broken}; close it and start a new one")
            self._seq += 1
            frame = b"%d %d %d\n" % (self._seq, len(cmd) or 1, len(stdin)) + (cmd or b":") + stdin
            started = time.perf_counter()
            out, err, reason = self._exchange(frame, self._seq, timeout_s, cap=cap, can_kill=can_kill)
            return out, err, reason, (time.perf_counter() - started) * 1000

    def _exchange(self, frame: bytes, seq: int, timeout_s: float, *, cap: int | None, can_kill: bool):
        """Send ``frame``; collect both streams up to the marker of ``seq``.

        Returns (stdout collector, stderr collector, why the command was signalled:
        "" | "timeout" | "flood"). Without ``can_kill``, running out of time breaks the
        session instead (the framing of an internal transfer cannot be recovered).
        """
        prefix = b"\n" + self._token + b" %d " % seq
        out, err = _Collector(prefix, cap), _Collector(prefix, cap)
        collectors = {STDOUT: out, STDERR: err}
        view = memoryview(frame)
        sel = selectors.DefaultSelector()
        read_fds = self._transport.read_fds()
        write_fd = self._transport.write_fd()
        for fd in read_fds:
            sel.register(fd, selectors.EVENT_READ | (selectors.EVENT_WRITE if fd == write_fd else 0))
        if write_fd not in read_fds:
            sel.register(write_fd, selectors.EVENT_WRITE)
        deadline = time.monotonic() + timeout_s
        give_up: float | None = None
        reason = ""
        try:
            while out.fields is None or err.fields is None:
                now = time.monotonic()
                flood = cap is not None and out.total + err.total > self._flood
                if give_up is None and (now >= deadline or flood):
                    if not can_kill:
                        self._broken = f"its shell did not answer within {timeout_s:g} s"
                        raise SandboxError(f"{self._describe}: {self._broken}")
                    reason = "flood" if flood else "timeout"
                    self._signal()
                    give_up = now + 10
                elif give_up is not None and now >= give_up:
                    self._broken = "its shell did not come back after a timeout"
                    raise SandboxError(f"{self._describe}: {self._broken}")
                limit = (give_up if give_up is not None else deadline) - now
                for key, events in sel.select(timeout=max(0.0, min(limit, 1.0))):
                    if events & selectors.EVENT_WRITE and view:
                        view = view[self._transport.write(view) :]
                        if not view:
                            if key.fd in read_fds:
                                sel.modify(key.fd, selectors.EVENT_READ)
                            else:
                                sel.unregister(key.fd)
                    if events & selectors.EVENT_READ:
                        pieces = self._transport.read(key.fd)
                        if pieces is None:
                            self._broken = "its shell exited"
                            raise SandboxError(
                                f"{self._describe}: the shell exited (out of memory, or the sandbox was "
                                f"removed); last output: {out.result()[0][-300:]!r} {err.result()[0][-300:]!r}"
                            )
                        for stream, data in pieces:
                            collectors[stream].feed(data)
        finally:
            sel.close()
        return out, err, reason

    def _signal(self) -> None:
        try:
            self._interrupt()
        except Exception as exc:
            self._broken = f"cannot signal its shell ({exc})"
            raise SandboxError(f"{self._describe}: {self._broken}") from exc

    def close(self) -> None:
        self._broken = self._broken or "closed"
        self._transport.close()
