"""One agent command: a fresh bash as the agent, its output capped, everything it started ended with it.

Each command is a new ``bash`` started as the agent (``launch``): in Docker by dropping
to uid 1000; under bubblewrap through a nested ``bwrap`` that gives it its own user and
PID namespace, where the supervisor does not exist. ``cd`` and exported variables
persist because the command's own shell saves them on exit (into the agent's
``/tmp/.synthcomp``) and the next one reads them back; that state is the agent's, and
only the agent's shell ever reads it.

When the command's bash exits, times out, or floods its output, every process of the
jail except the supervisor is killed (``kill(-1)`` from PID 1) and reaped: background
jobs, ``setsid`` daemons and fork bombs end with the step, like a terminal closing,
and never print into a later one.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass, field
from typing import Callable

WRAPPER = r"""
__sc_state=/tmp/.synthcomp
echo 1000 >/proc/self/oom_score_adj 2>/dev/null
{ IFS= read -r __sc_dir <"$__sc_state/cwd"; } 2>/dev/null
cd -- "${__sc_dir:-$HOME}" 2>/dev/null || cd
[ -r "$__sc_state/env" ] && . "$__sc_state/env" 2>/dev/null
__sc_save() {
  [ -d "$__sc_state" ] || /bin/mkdir -p -m 700 "$__sc_state" 2>/dev/null
  pwd >"$__sc_state/cwd" 2>/dev/null
  export -p >"$__sc_state/env" 2>/dev/null
}
trap __sc_save EXIT
unset -v __sc_dir
eval "$1"
"""
"""Runs as the agent: restore cwd and exports, run the command, save them again."""

DRAIN_S = 2.0
"""How long output still in the pipes is read after everything was killed."""


@dataclass
class Launch:
    """How agent commands start.

    Args:
        prefix: argv before ``bash`` (the nested ``bwrap``), or empty.
        uid, gid: the identity to drop to (Docker), or None to keep this one.
        env: the agent's initial environment.
    """

    prefix: list[str]
    uid: int | None
    gid: int | None
    env: dict[str, str] = field(default_factory=dict)


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


def run(launch: Launch, cmd: str, timeout_s: float, *, cap: int, flood: int,
        owner_alive: Callable[[], bool]) -> tuple[dict, bytes]:
    """Run ``cmd``; return (result header, stdout + stderr bytes).

    Args:
        cap: bytes kept per stream (head and tail halves).
        flood: total output past which the command is killed.
        owner_alive: called when the host's channel is readable; False means the owner
            is gone, and the command is abandoned (the caller exits).
    """
    started = time.monotonic()
    out_r, out_w = os.pipe()
    err_r, err_w = os.pipe()
    identity = {} if launch.uid is None else {"user": launch.uid, "group": launch.gid, "extra_groups": []}
    try:
        process = subprocess.Popen(
            [*launch.prefix, "/bin/bash", "--noprofile", "--norc", "-c", WRAPPER, "bash", cmd],
            stdin=subprocess.DEVNULL, stdout=out_w, stderr=err_w, env=launch.env, cwd="/",
            start_new_session=True, close_fds=True, **identity,
        )
    except OSError as exc:  # no process could be made (the pids limit): the agent's observation
        os.close(out_r)
        os.close(err_r)
        end_everything()
        message = f"synthcomp: the command could not start: {exc.strerror or exc}\n".encode()
        return {"exit_code": 126, "killed": "", "stdout_len": 0, "truncated": False}, message
    finally:
        os.close(out_w)
        os.close(err_w)
    streams = {out_r: Capture(cap), err_r: Capture(cap)}
    reason = ""
    with selectors.DefaultSelector() as selector:
        for fd in streams:
            selector.register(fd, selectors.EVENT_READ)
        pidfd = os.pidfd_open(process.pid)
        selector.register(pidfd, selectors.EVENT_READ)
        selector.register(0, selectors.EVENT_READ)
        deadline = started + timeout_s
        exited = False
        while not exited:
            left = deadline - time.monotonic()
            if left <= 0:
                reason = "timeout"
                break
            for key, _ in selector.select(timeout=min(left, 1.0)):
                if key.fd == pidfd:
                    exited = True
                elif key.fd == 0:
                    if not owner_alive():
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
                if key.fd != 0:
                    _pump(key.fd, streams[key.fd], selector)
    for fd in streams:
        os.close(fd)
    out, out_cut = streams[out_r].result()
    err, err_cut = streams[err_r].result()
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
