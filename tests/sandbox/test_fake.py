from __future__ import annotations

from synthcomp.sandbox.base import ExecResult
from synthcomp.sandbox.fake import FakeSandbox


def test_exec_answers_from_responses_or_responder_and_records(tmp_path, trees):
    seen = []

    def responder(cmd: str) -> ExecResult | None:
        seen.append(cmd)
        return ExecResult(stdout="42\n", stderr="", exit_code=0) if cmd.startswith("python3") else None

    with FakeSandbox(trees["windows"], os="windows", username="ana", computer_id="c1", responder=responder) as sb:
        assert sb.exec("python3 -c 'print(42)'").stdout == "42\n"
        unknown = sb.exec("rm -rf /")
        assert unknown.exit_code == 127 and "not scripted" in unknown.stderr
        assert sb.commands == ["python3 -c 'print(42)'", "rm -rf /"]
        assert sb.read_bytes(r"C:\Users\ana\Documents\Report 0.docx")[:2] == b"PK"
        root = sb.root_dir
    assert not root.exists()


def test_empty_computer_has_a_home(tmp_path):
    with FakeSandbox(None, os="macos", username="bo", computer_id="c2") as sb:
        sb.write_bytes("notes.txt", b"n")
        assert (sb.root_dir / "Users/bo/notes.txt").read_bytes() == b"n"


def _inotify_instances() -> int:
    import os

    count = 0
    for fd in os.listdir("/proc/self/fd"):
        try:
            count += os.readlink(f"/proc/self/fd/{fd}") == "anon_inode:inotify"
        except OSError:
            pass  # the listing's own fd, closed by now
    return count


def test_a_fake_gives_back_its_change_index_when_replaced_or_closed(trees):
    """inotify instances are a per-user resource (128 by default, shared with every process of the
    user): an in-process supervisor that kept one per computer would starve the machine."""
    before = _inotify_instances()
    for i in range(3):
        with FakeSandbox(trees["windows"], os="windows", username="ana", computer_id=f"c{i}") as sb:
            assert sb.tree_changes(None) == []
            sb.write_bytes("~/Documents/new.txt", b"n")
            assert sb.tree_changes(1_700_000_000 * 10**9) == ["/drives/C/Users/ana/Documents/new.txt"]
            sb.restart()
            assert _inotify_instances() == before + 1
            sb.restore(sb.snapshot("s"))
            assert sb.tree_changes(None) == [] and _inotify_instances() == before + 1
    assert _inotify_instances() == before
