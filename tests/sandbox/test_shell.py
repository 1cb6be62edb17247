"""ShellSession against the controller in a plain host bash (no jail, no Docker).

Outside a PID namespace the controller's timeout trap kills only the command's process
group (its ``kill -1`` is reserved for PID 1), so these tests are safe on any host.
"""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Iterator

import pytest

from synthcomp.errors import InputError, SandboxError
from synthcomp.sandbox.shell import CONTROLLER, PipeTransport, ShellSession


def _spawn(tmp_path: Path, argv: list[str]) -> subprocess.Popen:
    (tmp_path / "home").mkdir(exist_ok=True)
    env = {"HOME": str(tmp_path / "home"), "TMPDIR": str(tmp_path), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    return subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)


@pytest.fixture
def shell(tmp_path: Path) -> Iterator[tuple[ShellSession, subprocess.Popen]]:
    proc = _spawn(tmp_path, ["bash", "--noprofile", "--norc", "-c", CONTROLLER])
    session = ShellSession(
        PipeTransport(proc.stdin.fileno(), proc.stdout.fileno(), proc.stderr.fileno()),
        lambda: proc.send_signal(signal.SIGUSR1),
        max_output_bytes=2048,
        flood_bytes=2**20,
    )
    session.start(timeout_s=10)
    yield session, proc
    session.close()
    proc.kill()
    proc.wait()


def test_output_streams_exit_code_and_no_added_newline(shell, tmp_path):
    session, _ = shell
    result = session.run("printf abc; printf err >&2; exit 4", 10)
    assert (result.stdout, result.stderr, result.exit_code) == ("abc", "err", 4)
    killed = session.run("sleep 5", 0.2)
    assert killed.stderr.startswith("\n[synthcomp: timed out")  # nothing of the controller leaks
    assert session.run("pwd", 10).stdout == f"{tmp_path / 'home'}\n"
    assert session.run("printf '\\n\\n'", 10).stdout == "\n\n"


def test_state_persists_and_stdin_is_empty(shell, tmp_path):
    session, _ = shell
    session.run("mkdir -p d && cd d && export A=1 && B=2", 10)
    assert session.run("pwd; echo ${A:-unset} ${B:-unset}", 10).stdout == f"{tmp_path / 'home/d'}\n1 unset\n"
    assert session.run("cat; echo done", 10).stdout == "done\n"
    assert session.run("echo ${__sc_token:-hidden}", 10).stdout == "hidden\n"


def test_long_output_keeps_head_and_tail(shell):
    session, _ = shell
    result = session.run("seq 1 20000", 10)
    assert result.truncated and result.stdout.startswith("1\n2\n") and result.stdout.endswith("19999\n20000\n")
    assert "truncated by synthcomp" in result.stdout


ALIVE = "case $(ps -o stat= -p $(cat %s)) in ''|Z*) echo gone;; *) echo alive;; esac"  # zombies count as gone


def test_timeout_kills_the_group_and_the_shell_survives(shell):
    session, _ = shell
    result = session.run("(sleep 60; echo late) & echo $! > bg.pid; sleep 60", 0.5)
    assert result.timed_out and result.exit_code == 137 and "timed out" in result.stderr
    assert session.run("echo next", 10).stdout == "next\n"
    assert session.run(ALIVE % "bg.pid", 10).stdout == "gone\n"
    # a finished command's background jobs are ended too
    session.run("sleep 60 & echo $! > bg2.pid", 10)
    assert session.run(ALIVE % "bg2.pid", 10).stdout == "gone\n"


def test_flood_is_killed(shell):
    session, _ = shell
    result = session.run("yes", 30)
    assert result.truncated and not result.timed_out and "printed more than" in result.stderr
    assert session.run("echo ok", 10).stdout == "ok\n"


def test_raw_transfer_is_binary_and_exact(shell, tmp_path):
    session, _ = shell
    payload = bytes(range(256)) * 1000 + b"\0\x10\x11"
    code, out, err = session.run_raw(f"head -c {len(payload)} > blob; wc -c < blob", payload)
    assert (code, out, err) == (0, f"{len(payload)}\n".encode(), "")
    code, out, _ = session.run_raw("cat blob")
    assert out == payload
    assert session.run("echo still-in-sync", 10).stdout == "still-in-sync\n"


def test_invalid_utf8_is_replaced_and_nul_commands_refused(shell):
    session, _ = shell
    assert session.run("printf '\\377ok'", 10).stdout == "\ufffdok"
    with pytest.raises(InputError):
        session.run("echo \0", 10)


def test_a_dead_shell_is_a_sandbox_error(shell):
    session, proc = shell
    proc.kill()
    proc.wait()
    with pytest.raises(SandboxError, match="shell exited"):
        session.run("true", 10)
    with pytest.raises(SandboxError, match="unusable"):
        session.run("true", 10)


def test_a_silent_jail_fails_to_start(tmp_path):
    proc = _spawn(tmp_path, ["sleep", "30"])
    session = ShellSession(
        PipeTransport(proc.stdin.fileno(), proc.stdout.fileno(), proc.stderr.fileno()), lambda: None
    )
    with pytest.raises(SandboxError, match="did not answer"):
        session.start(timeout_s=0.3)
    proc.kill()
    proc.wait()
