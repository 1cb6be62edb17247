"""The agent tries to kill, hang or hijack what runs its commands: the env answers and goes on."""

from __future__ import annotations

import pytest

from tests.hostile.conftest import JAILS, call, shell

PTRACE = ("python3 -c 'import ctypes, os; libc = ctypes.CDLL(None, use_errno=True); "
          "print(\"ptrace\", libc.ptrace(16, 1, 0, 0), os.strerror(ctypes.get_errno()))'")


def _works(env) -> None:
    observation = shell(env, "echo alive; ls ~ | head -3")
    assert observation.startswith("alive\n") and "[exit 0]" in observation
    listing, info = call(env, "list_dir", path=".")
    assert not info["tool_error"] and "Documents" in listing


@pytest.mark.parametrize("backend", JAILS)
@pytest.mark.parametrize("attack", [
    PTRACE,
    "kill -KILL 1; kill -STOP 1; kill -KILL -1; echo done",
    "prlimit --pid 1 --nofile=0:0 --as=1000000:1000000; renice -n 19 -p 1; echo done",
    "cat /proc/1/fd/1 /proc/1/environ /proc/1/mem 2>&1 | head -c 300; ls -l /proc/1/fd 2>&1 | head -3",
    "(setsid sh -c 'cat /proc/1/fd/1 > ~/stolen.bin' &) ; sleep 0.2; echo done",
    "exec >&- 2>&-; exec 1>/dev/null; exit 0",
    "exec sleep 1000",
    "trap '' TERM HUP; kill -9 $$",
    ":(){ :|:& };: ; echo survived",
], ids=["ptrace-pid1", "signal-pid1", "prlimit-pid1", "read-proc-1", "steal-stdout", "close-outputs",
        "exec-replace", "kill-own-shell", "fork-bomb"])
def test_nothing_the_agent_runs_takes_the_env_down(backend, attack, env_for):
    env = env_for(backend)
    observation, info = call(env, "shell", command=attack, timeout_s=10)
    assert info["tool"] == "shell"
    if attack == PTRACE and backend == "docker":
        assert "ptrace -1" in observation  # the supervisor is another user's process
    if attack == PTRACE and backend == "local":  # PID 1 here is the command's own namespace; the supervisor is absent
        assert "supervisor" not in shell(env, "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '")
    _works(env)
    for _ in range(3):  # and keeps working
        _works(env)
    if "stolen" in attack:
        stolen = env.sandbox.read_bytes("~/stolen.bin") if "stolen.bin" in call(env, "list_dir", path=".")[0] else b""
        assert b"alive" not in stolen and b"Documents" not in stolen


@pytest.mark.parametrize("backend", JAILS)
def test_absurd_timeouts_are_observations(backend, env_for):
    env = env_for(backend)
    for timeout in (1e-6, 1e-6, 1e-3, 1e-6, 0.01, 1e-6):
        observation, info = call(env, "shell", command="sleep 5; echo late", timeout_s=timeout)
        assert "late" not in observation and "[exit" in observation
    for timeout in (0, -1, 1e9):
        observation, info = call(env, "shell", command="true", timeout_s=timeout)
        assert info["tool_error"] and "timeout_s" in observation
    _works(env)


@pytest.mark.parametrize("backend", JAILS)
def test_reading_a_fifo_with_no_writer_does_not_hang(backend, env_for):
    env = env_for(backend)
    shell(env, "mkfifo ~/empty-pipe ~/Documents/pipe.docx")
    for path in ("empty-pipe", "Documents/pipe.docx"):
        observation, info = call(env, "read_file", path=path)
        assert info["tool_error"] and "Not a regular file" in observation
    observation, info = call(env, "write_file", path="empty-pipe", content="x")
    assert info["tool_error"]
    observation, info = call(env, "send_message", to=env.state.collaborators[0].name, subject="s", body="b",
                             attachments=["empty-pipe"])
    assert info["tool_error"]
    _works(env)


@pytest.mark.parametrize("backend", JAILS)
def test_detached_processes_end_with_their_step(backend, env_for):
    env = env_for(backend)
    observation = shell(env, "(sleep 1; echo LATE-ECHO) & nohup sh -c 'sleep 1; echo LATE-NOHUP' & "
                             "setsid sh -c 'sleep 1; echo LATE-SETSID' & disown; echo started")
    assert observation.startswith("started")
    later = shell(env, "sleep 2; ps -e -o comm= | grep -c sleep || true")
    assert "LATE" not in later and later.startswith("0\n")  # the detached sleeps are gone
    assert "LATE" not in shell(env, "echo quiet")


@pytest.mark.parametrize("backend", JAILS)
def test_a_dead_jail_is_replaced_and_the_day_goes_on(backend, env_for):
    env = env_for(backend)
    call(env, "write_file", path="morning-work.txt", content="lost")
    sandbox = env.sandbox
    if backend == "docker":
        sandbox._client.api.kill(sandbox.container_id)
    else:
        import os
        import signal

        os.kill(sandbox._jail.pid, signal.SIGKILL)
    observation, info = call(env, "list_dir", path=".")
    assert info["tool_error"] and "restarted as it was this morning" in observation
    observation, info = call(env, "read_file", path="morning-work.txt")
    assert info["tool_error"] and "No such file" in observation
    _works(env)


@pytest.mark.parametrize("backend", JAILS)
def test_the_next_steps_shell_is_out_of_reach_while_a_command_runs(backend, env_for):
    """The next command's bash is started ahead, but only once every process of this step is dead."""
    env = env_for(backend)
    shells = shell(env, "for p in /proc/[0-9]*; do [ \"$(cat $p/comm 2>/dev/null)\" = bash ] && "
                        "echo bash ${p#/proc/} $(awk '/^PPid/ {print $2}' $p/status); done; echo me $$")
    rows = [line.split() for line in shells.splitlines()]
    me = next(row[1] for row in rows if row[:1] == ["me"])
    bashes = [(row[1], row[2]) for row in rows if row[:1] == ["bash"] and len(row) == 3]
    assert bashes and all(me in (pid, parent) for pid, parent in bashes), f"a bash not of this command: {shells}"
    # stop every other bash this step can see and leave a trap for the next one: the next step is untouched
    shell(env, "for p in /proc/[0-9]*; do [ \"$(cat $p/comm 2>/dev/null)\" = bash ] && [ ${p#/proc/} != $$ ] && "
               "kill -STOP ${p#/proc/}; done; (setsid sh -c 'sleep 0.3; pkill -STOP bash' &); echo planted")
    observation = shell(env, "echo fine", timeout_s=10)
    assert observation.startswith("fine\n") and "[exit 0]" in observation
    _works(env)


@pytest.mark.docker
def test_no_step_can_ever_signal_the_supervisor(env_for):
    """Docker spawns each bash with the agent's ids taken from the supervisor's real ids for an
    instant: that instant falls between steps, when no agent process exists to use it."""
    env = env_for("docker")
    watcher = ("while :; do kill -0 1 2>/dev/null && echo signalled >> ~/caught; "
               "grep -q '^Uid:.*1000' /proc/1/status && echo seen >> ~/caught; done")
    shell(env, f"(setsid sh -c \"{watcher}\" &); sleep 0.05; echo planted")
    for _ in range(20):
        observation = shell(env, f"({watcher}) & sleep 0.01; kill -0 1; grep ^Uid /proc/1/status")
        assert "Operation not permitted" in observation and "Uid:\t0\t0\t0\t0" in observation, observation
    assert "caught" not in call(env, "list_dir", path=".")[0]
    _works(env)
