"""One contract suite over every backend (STYLE.md rule 14).

Docker cases need the daemon and the image, local ones bubblewrap; both skip on a
laptop without them and fail under CI=true. The fake backend runs the file, path and
snapshot parts (it executes no commands).
"""

from __future__ import annotations

import errno
import shlex
import shutil
import socket
from pathlib import Path

import pytest

from synthcomp.errors import InputError, PathEscape, SandboxError
from synthcomp.sandbox.tarball import tree_digest
from tests.sandbox.conftest import backend_params, fingerprint

ALL = backend_params("docker", "local", "fake")
JAILS = backend_params("docker", "local")


# --------------------------------------------------------------------------- exec


@pytest.mark.parametrize("backend", JAILS)
def test_exec_returns_output_exit_code_and_starts_in_home(backend, make_sandbox, trees):
    sb = make_sandbox(backend, trees["windows"])
    result = sb.exec("pwd; whoami; echo oops >&2; exit 3")
    assert result.stdout == "/drives/C/Users/ana\nana\n"
    assert result.stderr == "oops\n"
    assert (result.exit_code, result.timed_out, result.truncated, result.ok) == (3, False, False, False)
    assert sb.exec("id -u").stdout == "1000\n"


@pytest.mark.parametrize("backend", JAILS)
def test_cd_and_exports_persist_but_background_jobs_do_not(backend, make_sandbox, trees):
    sb = make_sandbox(backend, trees["macos"], os="macos")
    assert sb.exec("cd Documents && export PROJECT=harbour").ok
    assert sb.exec("pwd; echo $PROJECT").stdout == "/Users/ana/Documents\nharbour\n"
    sb.exec("sleep 300 & echo started")
    assert sb.exec("ps -eo comm | grep -c '^sleep' || true").stdout.strip() == "0"
    assert sb.exec('export TZ=Asia/Tokyo; echo "$TZ $(date +%Z)"').stdout == "Asia/Tokyo JST\n"
    assert sb.exec('echo "$TZ $(date +%Z)"').stdout == "Asia/Tokyo JST\n"
    assert sb.exec("export TZ=UTC").ok
    assert sb.exec('echo "$TZ $(date +%Z) $PROJECT"').stdout == "UTC UTC harbour\n"


@pytest.mark.parametrize("backend", JAILS)
def test_the_shell_state_keeps_odd_names_and_runs_nothing_of_them(backend, make_sandbox):
    sb = make_sandbox(backend, None)
    odd = "it's $(touch pwned) `touch pwned2` \"x\"\nline"
    assert sb.exec(f"mkdir -p {shlex.quote(odd)} && cd {shlex.quote(odd)} && export QUOTE=\"a'b\\\"c \\$(id)\"").ok
    got = sb.exec('basename "$PWD"; printf "%s\\n" "$QUOTE"; find / -xdev -name "pwned*" 2>/dev/null | wc -l').stdout
    assert got == f"{odd}\na'b\"c $(id)\n0\n", got
    home = sb.exec("cd; pwd").stdout
    sb.exec("mkdir ~/gone && cd ~/gone && rmdir ~/gone")
    assert sb.exec("pwd").stdout == home  # a folder gone since: the shell starts at home
    sb.exec("mkdir -p ~/kept/inner ~/other && cd ~/kept/inner")
    sb.move("kept", "elsewhere")  # a file tool between two commands
    assert sb.exec("pwd").stdout == home
    sb.exec("mkdir ~/fresh && touch ~/fresh/new.txt && cd ~/other")
    sb.move("other", "was-other")
    sb.move("fresh", "other")  # another folder under the same name: the shell starts in it
    assert sb.exec("pwd; ls").stdout == f"{home.strip()}/other\nnew.txt\n"


@pytest.mark.parametrize("backend", JAILS)
def test_a_shell_state_too_large_to_carry_is_dropped_and_the_one_before_kept(backend, make_sandbox):
    sb = make_sandbox(backend, None)
    assert sb.exec("cd /tmp && export SMALL=1").ok
    assert sb.exec("cd / && export BIG=$(head -c 1100000 /dev/zero | tr '\\0' x)").ok
    assert sb.exec('pwd; echo "$SMALL ${#BIG}"').stdout == "/tmp\n1 0\n"
    assert sb.exec("cd / && exec true").ok  # a shell that never saved: the state before it goes on
    assert sb.exec("pwd").stdout == "/tmp\n"
    junk = sb.exec('printf "%0200000d\\0" 0 >&"$__sc_state_fd"; printf "\\0\\0" >&"$__sc_state_fd"; echo done')
    assert junk.stdout == "done\n"  # the agent scribbles on its own state: too long a folder, NULs
    assert sb.exec('pwd; echo "$SMALL"').stdout == "/tmp\n1\n"


@pytest.mark.parametrize("backend", JAILS)
def test_output_cap_keeps_head_and_tail(backend, make_sandbox):
    sb = make_sandbox(backend, None, max_output_bytes=4096)
    result = sb.exec("seq 1 100000")
    assert result.truncated and result.exit_code == 0
    assert result.stdout.startswith("1\n2\n3\n")
    assert result.stdout.endswith("99999\n100000\n")
    assert "bytes truncated" in result.stdout
    assert len(result.stdout) < 4096 + 200


@pytest.mark.parametrize("backend", JAILS)
def test_exec_rejects_bad_input(backend, make_sandbox):
    sb = make_sandbox(backend, None)
    with pytest.raises(InputError):
        sb.exec("echo \0")
    with pytest.raises(InputError):
        sb.exec("true", timeout_s=0)
    assert sb.exec("").exit_code == 0


# --------------------------------------------------------------------------- adversarial


@pytest.mark.parametrize("backend", JAILS)
def test_timeout_kills_the_command_and_the_shell_survives(backend, make_sandbox):
    sb = make_sandbox(backend, None)
    result = sb.exec("echo before; sleep 1000", timeout_s=1)
    assert result.timed_out and result.exit_code == 137
    assert result.stdout == "before\n"
    assert "timed out" in result.stderr
    assert sb.exec("echo next").stdout == "next\n"
    # an escaped daemon (own session) is ended on timeout too
    sb.exec("setsid sleep 1000 & sleep 1000", timeout_s=1)
    assert sb.exec("ps -eo comm | grep -c '^sleep' || true").stdout.strip() == "0"


@pytest.mark.parametrize("backend", JAILS)
def test_fork_bomb_hits_the_process_limit(backend, make_sandbox):
    sb = make_sandbox(backend, None)
    result = sb.exec(":(){ :|:& };: ; sleep 2; echo survived", timeout_s=8)
    assert result.exit_code in (0, 137)
    assert "Resource temporarily unavailable" in result.stderr or result.timed_out
    assert sb.exec("echo alive; ps -e --no-headers | wc -l").stdout.startswith("alive\n")
    assert int(sb.exec("ps -e --no-headers | wc -l").stdout) < 10


@pytest.mark.parametrize("backend", JAILS)
def test_yes_flood_is_capped_and_killed(backend, make_sandbox):
    sb = make_sandbox(backend, None, flood_bytes=2**20)
    result = sb.exec("yes", timeout_s=60)
    assert result.truncated and not result.timed_out and result.exit_code == 137
    assert "printed more than" in result.stderr
    assert sb.exec("echo fine").stdout == "fine\n"


@pytest.mark.parametrize("backend", JAILS)
def test_filling_the_disk_is_an_error_and_the_sandbox_stays_usable(backend, make_sandbox):
    sb = make_sandbox(backend, None, disk_mb=32)
    result = sb.exec("head -c 100M /dev/zero > ~/big.bin", timeout_s=60)
    assert result.exit_code != 0 and "No space left on device" in result.stderr
    with pytest.raises(OSError) as info:
        sb.write_bytes("~/more.bin", b"x" * (2 * 2**20))
    assert info.value.errno == errno.ENOSPC
    assert sb.exec("df -m ~ | tail -1 | awk '{print $2}'").stdout.strip() in ("32", "33")
    assert sb.exec("rm ~/big.bin && echo ok > ~/small.txt && cat ~/small.txt").stdout == "ok\n"
    sb.write_bytes("~/more.bin", b"x" * 1000)
    assert sb.read_bytes("~/more.bin") == b"x" * 1000
    # /tmp is bounded too, and nothing else is writable
    assert "No space left" in sb.exec("head -c 200M /dev/zero > /tmp/big", timeout_s=60).stderr
    assert sb.exec("touch /x /etc/x /usr/x 2>/dev/null || echo refused").stdout == "refused\n"


@pytest.mark.parametrize("backend", JAILS)
def test_no_network(backend, make_sandbox):
    sb = make_sandbox(backend, None)
    script = (
        "import socket\n"
        "for target in [('deb.debian.org', 80), ('%s', 80)]:\n"
        "    try:\n"
        "        socket.create_connection(target, timeout=3)\n"
        "        print('CONNECTED', target)\n"
        "    except OSError as exc:\n"
        "        print('failed', type(exc).__name__)\n"
    )
    try:
        address = socket.gethostbyname("deb.debian.org")  # a package mirror: a permitted address
    except OSError:
        address = "127.0.0.2"
    result = sb.exec(f"python3 - <<'EOF'\n{script % address}EOF", timeout_s=20)
    assert "CONNECTED" not in result.stdout and result.stdout.count("failed") == 2, result
    curl = sb.exec("curl -sS -m 3 http://deb.debian.org/ || wget -q -T 3 http://deb.debian.org/ || echo unreachable")
    assert curl.stdout.strip().endswith("unreachable")
    routes = sb.exec("tail -n +2 /proc/net/route | wc -l").stdout.strip()
    assert routes == "0"


@pytest.mark.parametrize("backend", JAILS)
def test_secrets_of_the_host_are_out_of_reach(backend, make_sandbox):
    sb = make_sandbox(backend, None)
    result = sb.exec("cat /etc/shadow")  # the image's is root-only; the local jail's /etc has none
    assert result.exit_code == 1 and ("Permission denied" in result.stderr or "No such file" in result.stderr)
    with pytest.raises(PathEscape):
        sb.read_bytes("/etc/shadow")
    assert sb.exec("sudo true 2>/dev/null || su -c true 2>/dev/null || echo no-root").stdout == "no-root\n"


# --------------------------------------------------------------------------- files and paths


@pytest.mark.parametrize("backend", ALL)
def test_windows_paths_reach_the_tree(backend, make_sandbox, trees):
    sb = make_sandbox(backend, trees["windows"])
    original = (trees["windows"] / "drives/C/Users/ana/Documents/Report 0.docx").read_bytes()
    assert sb.read_bytes(r"C:\Users\ana\Documents\Report 0.docx") == original
    assert sb.read_bytes("Documents/Report 0.docx") == original
    assert sb.read_bytes("~/Desktop/link to report") == original  # a symlink inside the tree
    sb.write_bytes(r"D:\Projects\New\plan.md", "é\n".encode())
    assert sb.read_bytes("D:/Projects/New/plan.md") == "é\n".encode()
    assert sb.read_bytes("/drives/D/Projects/New/plan.md") == "é\n".encode()
    assert sb.read_bytes("C:/Users/ana/Documents/Résumé – final.txt") == "naïve café\n".encode()


@pytest.mark.parametrize("backend", ALL)
def test_file_errors_are_builtin_oserrors(backend, make_sandbox, trees):
    sb = make_sandbox(backend, trees["macos"], os="macos")
    with pytest.raises(FileNotFoundError):
        sb.read_bytes("~/nope.txt")
    with pytest.raises(IsADirectoryError):
        sb.read_bytes("~/Documents")
    with pytest.raises(IsADirectoryError):
        sb.write_bytes("/Users/ana/Documents", b"x")
    sb.write_bytes("/Users/ana/empty", b"")
    assert sb.read_bytes("/Users/ana/empty") == b""
    blob = bytes(range(256)) * 4096 + b"\x10\x11\0end"
    sb.write_bytes("~/blob.bin", blob)
    assert sb.read_bytes("~/blob.bin") == blob


@pytest.mark.parametrize("backend", ALL)
@pytest.mark.parametrize(
    "path",
    ["../../../../etc/passwd", "../../../../../../../etc/passwd", "/etc/passwd", r"C:\..\..\etc\passwd",
     "/drives/../etc/shadow", "/work/main/Makefile",
     "~root/.bashrc", r"\\server\share\x"],
)
def test_paths_leaving_the_tree_are_refused(backend, path, make_sandbox, trees):
    sb = make_sandbox(backend, trees["windows"])
    with pytest.raises(PathEscape):
        sb.read_bytes(path)
    with pytest.raises(PathEscape):
        sb.write_bytes(path, b"x")


@pytest.mark.parametrize("backend", JAILS)
def test_symlinks_out_of_the_tree_are_refused(backend, make_sandbox, trees):
    sb = make_sandbox(backend, trees["windows"])
    assert sb.exec("ln -s /etc ~/etc && ln -s /etc/passwd ~/pw && ln -s ../../../../../tmp ~/tmp").ok
    for path in ("~/etc/passwd", "~/pw", "~/tmp/x"):
        with pytest.raises(PathEscape, match="symlink"):
            sb.read_bytes(path)
        with pytest.raises(PathEscape, match="symlink"):
            sb.write_bytes(path, b"x")
    with pytest.raises(PathEscape):
        sb.put_tree(trees["windows"], "~/etc")
    with pytest.raises(PathEscape):
        sb.get_tree("~/etc", Path("/tmp/never"))
    assert not Path("/tmp/never").exists()


def test_fake_refuses_symlinks_out_of_the_tree(make_sandbox, trees):
    sb = make_sandbox("fake", trees["windows"])
    home = sb.root_dir / "drives/C/Users/ana"
    (home / "etc").symlink_to("/etc")
    (home / "up").symlink_to("../../../../..")
    for path in ("~/etc/passwd", "~/up/etc/passwd"):
        with pytest.raises(PathEscape, match="symlink"):
            sb.read_bytes(path)


@pytest.mark.parametrize("backend", ALL)
def test_put_tree_and_get_tree_round_trip(backend, make_sandbox, trees, tmp_path):
    sb = make_sandbox(backend, None, os="macos")
    source = trees["macos"] / "Users" / "ana"
    sb.put_tree(source, "/Users/ana/Imported")
    assert sb.read_bytes("~/Imported/Desktop/link to report") == (source / "Documents/Report 0.docx").read_bytes()
    out = tmp_path / "out"
    assert sb.get_tree("~/Imported", out) == ["Desktop/link to report"]  # links stay in the sandbox
    expected = shutil.copytree(source, tmp_path / "expected", ignore=lambda d, names: [
        n for n in names if (Path(d) / n).is_symlink()])
    assert tree_digest(out) == tree_digest(expected)
    with pytest.raises(NotADirectoryError):
        sb.get_tree("~/Imported/Documents/Report 0.docx", tmp_path / "x")
    with pytest.raises(FileNotFoundError):
        sb.get_tree("~/missing", tmp_path / "y")


# --------------------------------------------------------------------------- snapshots


@pytest.mark.parametrize("backend", ALL)
def test_snapshot_at_step_k_then_restore_reproduces_the_tree(backend, make_sandbox, trees):
    sb = make_sandbox(backend, trees["windows"])
    steps = [
        lambda: sb.write_bytes(r"C:\Users\ana\Documents\day1.txt", b"one"),
        lambda: sb.write_bytes(r"D:\Projects\Budget 2025\day2.csv", b"a,b\n1,2\n"),
    ]
    for step in steps:
        step()
    at_k = fingerprint(sb)
    ref = sb.snapshot("day-02", {"day": 2, "inbox": ["hello"]})
    assert (ref.tag, ref.computer_id, ref.backend) == ("day-02", sb.computer_id, backend)
    # keep working
    sb.write_bytes(r"C:\Users\ana\Documents\day1.txt", b"changed")
    sb.write_bytes(r"C:\Users\ana\Documents\day3.txt", b"three")
    if backend != "fake":
        assert sb.exec("rm -r '/drives/D/Projects/Harbour Survey' && chmod 600 ~/Documents/'Report 0.docx'").ok
    assert fingerprint(sb) != at_k
    state = sb.restore(ref)
    assert state == {"day": 2, "inbox": ["hello"]}
    assert fingerprint(sb) == at_k
    assert sb.read_bytes(r"C:\Users\ana\Documents\day1.txt") == b"one"
    if backend != "fake":
        assert sb.exec("pwd").stdout == "/drives/C/Users/ana\n"
    assert [r.id for r in sb.list_snapshots()] == [ref.id]
    sb.delete_snapshot(ref)
    sb.delete_snapshot(ref)  # already gone: fine
    assert sb.list_snapshots() == []


@pytest.mark.parametrize("backend", ALL)
def test_restore_refuses_another_computers_snapshot(backend, make_sandbox):
    one = make_sandbox(backend, None, computer_id="c-one")
    two = make_sandbox(backend, None, computer_id="c-two")
    ref = one.snapshot("s")
    with pytest.raises(InputError, match="belongs to computer c-one"):
        two.restore(ref)
    with pytest.raises(InputError, match="JSON"):
        one.snapshot("bad", {"x": object()})


@pytest.mark.parametrize("backend", ALL)
def test_restart_brings_back_the_computer_as_created_and_nothing_of_the_work(backend, make_sandbox, trees):
    sb = make_sandbox(backend, trees["windows"])
    created = fingerprint(sb)
    sb.write_bytes(r"C:\Users\ana\Documents\draft.txt", b"a day of work")
    sb.trash(r"C:\Users\ana\Documents\Report 0.docx")
    if backend != "fake":
        assert sb.exec("cd Documents && export MOOD=tired && (sleep 300 &) && chmod 000 ~/Desktop").ok
    ref = sb.snapshot("evening")
    sb.restart()
    assert fingerprint(sb) == created
    assert sb.tree_changes(None) == [] and sb.tree_changes(1_700_000_000 * 10**9) == []
    if backend != "fake":
        shell = sb.exec('pwd; echo "mood=$MOOD"; pgrep -x sleep || echo none')
        assert shell.stdout == f"{sb.layout.home}\nmood=\nnone\n"
    sb.restore(ref)  # the work is still in its snapshot
    assert sb.read_bytes(r"C:\Users\ana\Documents\draft.txt") == b"a day of work"


# --------------------------------------------------------------------------- lifecycle


@pytest.mark.parametrize("backend", ALL)
def test_close_is_idempotent_and_final(backend, make_sandbox):
    sb = make_sandbox(backend, None)
    with sb:
        pass
    sb.close()
    with pytest.raises(SandboxError, match="closed"):
        sb.exec("true")
    with pytest.raises(SandboxError, match="closed"):
        sb.read_bytes("~/x")


@pytest.mark.parametrize("backend", JAILS)
def test_a_later_process_restores_a_kept_snapshot(backend, make_sandbox, tmp_path):
    import json
    import subprocess
    import sys

    from synthcomp.sandbox.base import SnapshotRef

    snapshots = str(tmp_path / "snapshots")
    kind = "DockerSandboxConfig" if backend == "docker" else "LocalSandboxConfig"
    config = f"{kind}(snapshot_dir={snapshots!r})"
    code = (
        "from synthcomp.sandbox import DockerSandboxConfig, LocalSandboxConfig\n"
        f"sb = {config}.build(None, os='macos', username='bo', computer_id='c-later')\n"
        "sb.write_bytes('~/Documents/plan.md', b'# plan')\n"
        "print(sb.snapshot('end of day 3', {'day': 3}, keep=True).model_dump_json(), flush=True)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    ref = SnapshotRef.model_validate(json.loads(out))
    sb = make_sandbox(backend, None, os="macos", username="bo", computer_id="c-later")
    assert sb.restore(ref) == {"day": 3}
    assert sb.read_bytes("/Users/bo/Documents/plan.md") == b"# plan"
    assert ref.keep and [r.id for r in sb.list_snapshots()] == [ref.id]
