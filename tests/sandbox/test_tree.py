"""The supervisor's file rules (``inside.files.Tree``), on a host folder standing for ``/``.

Every backend runs this code (the jails in their supervisor, the fake in-process), so
these cases hold for all of them; the contract and hostile suites check them end to end.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from synthcomp.sandbox.inside.files import Escape, Tree
from synthcomp.sandbox.inside.index import ChangeWatcher

HOME = "/drives/C/Users/ana"


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    home = tmp_path / HOME.lstrip("/")
    (home / "Documents").mkdir(parents=True)
    (home / "Documents/a.txt").write_text("a")
    (tmp_path / "drives/D/Projects").mkdir(parents=True)
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/passwd").write_text("root:x:0:0")
    return Tree(str(tmp_path), root="/drives", home=HOME, trash="/drives/C/$Recycle.Bin", windows=True)


def _host(tree: Tree, path: str) -> Path:
    return Path(tree.host(path))


def test_links_inside_resolve_and_links_out_are_escapes(tree):
    home = _host(tree, HOME)
    (home / "docs").symlink_to("Documents")
    (home / "abs").symlink_to(f"{HOME}/Documents")  # absolute: starts at the sandbox's /, like chroot
    (home / "out").symlink_to("/etc")
    (home / "up").symlink_to("../../../../..")
    (home / "loop").symlink_to("loop")
    (home / "file").write_text("x")
    assert tree.read(f"{HOME}/docs/a.txt", 100) == (b"a", 1)
    assert tree.read(f"{HOME}/abs/a.txt", 100) == (b"a", 1)
    assert tree.resolve(f"{HOME}/docs/new/x", must_exist=False) == f"{HOME}/Documents/new/x"
    for path in ("out/passwd", "up/etc/passwd", "out", "up"):
        with pytest.raises(Escape, match="symlink"):
            tree.resolve(f"{HOME}/{path}", must_exist=False)
    with pytest.raises(OSError, match="symbolic links"):
        tree.resolve(f"{HOME}/loop")
    with pytest.raises(NotADirectoryError):
        tree.resolve(f"{HOME}/file/x", must_exist=False)
    with pytest.raises(FileNotFoundError):
        tree.resolve(f"{HOME}/missing")
    assert tree.resolve(f"{HOME}/out", follow_last=False) == f"{HOME}/out"  # the link itself


def test_paths_are_checked_again_inside(tree):
    for path in ("relative", "/etc/passwd", f"{HOME}/../../../../etc", f"{HOME}//x", "/drives/\0"):
        with pytest.raises(Escape):
            tree.resolve(path, must_exist=False)
    with pytest.raises(OSError) as info:
        tree.write(f"{HOME}/{'x' * 300}.txt", b"x")
    assert info.value.errno == errno.ENAMETOOLONG


def test_only_regular_files_are_read_and_reads_are_capped(tree):
    home = _host(tree, HOME)
    os.mkfifo(home / "pipe")  # no writer: opening it for reading must not block
    with pytest.raises(OSError, match="Not a regular file") as info:
        tree.read(f"{HOME}/pipe", 100)
    assert info.value.errno == errno.EINVAL
    with pytest.raises(OSError, match="Not a regular file"):
        tree.write(f"{HOME}/pipe", b"x")  # a writer would block too
    (home / "big.bin").write_bytes(b"x" * 1000)
    with pytest.raises(OSError) as info:
        tree.read(f"{HOME}/big.bin", 100)
    assert info.value.errno == errno.EFBIG
    assert tree.read(f"{HOME}/big.bin", 100, head=True) == (b"x" * 100, 1000)
    with pytest.raises(IsADirectoryError):
        tree.read(f"{HOME}/Documents", 100)


def test_listing_shows_links_as_links_and_never_follows_them_out(tree):
    home = _host(tree, HOME)
    (home / "out").symlink_to("/etc")
    real, rows, truncated = tree.listdir(HOME, 100)
    assert real == HOME and not truncated
    assert [(r[0], r[3]) for r in rows] == [("dir", "Documents"), ("link", "out")]
    with pytest.raises(Escape):
        tree.listdir(f"{HOME}/out", 100)
    _, rows, truncated = tree.listdir(f"{HOME}/Documents", 0)
    assert truncated


def test_home_drives_users_and_trash_cannot_be_moved_or_deleted(tree):
    for path in ("/drives", "/drives/C", "/drives/D", "/drives/C/Users", HOME, "/drives/C/$Recycle.Bin"):
        with pytest.raises(PermissionError):
            tree.move(path, "/drives/D/Projects")
        with pytest.raises(PermissionError):
            tree.to_trash(path)
    assert tree.move("/drives/D/Projects", "/drives/D/Archive") == ("/drives/D/Projects", "/drives/D/Archive")


def test_move_never_overwrites_never_leaves_and_moves_links_as_links(tree):
    home = _host(tree, HOME)
    (home / "out").symlink_to("/etc")
    (home / "b.txt").write_text("b")
    with pytest.raises(FileExistsError):
        tree.move(f"{HOME}/b.txt", f"{HOME}/Documents/a.txt")
    with pytest.raises(Escape):
        tree.move(f"{HOME}/b.txt", f"{HOME}/out")  # into a link that leads out
    assert tree.move(f"{HOME}/b.txt", f"{HOME}/Documents") == (f"{HOME}/b.txt", f"{HOME}/Documents/b.txt")
    with pytest.raises(OSError, match="into itself"):
        tree.move(f"{HOME}/Documents", f"{HOME}/Documents/sub")
    tree.move(f"{HOME}/out", f"{HOME}/Documents/out")
    assert os.readlink(home / "Documents/out") == "/etc"
    assert Path(tree.base, "etc/passwd").read_text() == "root:x:0:0"


def test_trash_names_are_free_and_a_file_name_is_never_a_command(tree):
    home = _host(tree, HOME)
    evil = "x$(id>inj.txt)y.txt"
    for _ in range(2):
        (home / evil).write_text("x")
        tree.to_trash(f"{HOME}/{evil}")
    trash = Path(tree.host("/drives/C/$Recycle.Bin"))
    assert sorted(p.name for p in trash.iterdir()) == sorted([evil, "x$(id>inj.txt)y (2).txt"])
    assert not any(Path(tree.base).rglob("inj.txt"))


def test_search_reads_regular_files_only_and_stays_inside(tree):
    home = _host(tree, HOME)
    (home / "notes.md").write_text("the harbour budget")
    os.mkfifo(home / "pipe")
    (home / "out").symlink_to("/etc")
    hits, stopped = tree.search("budget", HOME, max_hits=10, budget_s=10, limit=1000)
    assert hits == [f"{HOME}/notes.md"] and not stopped
    assert tree.search("root", HOME, max_hits=10, budget_s=10, limit=1000) == ([], False)  # /etc/passwd is out


def test_changes_report_created_modified_deleted_and_stamp_them(tree):
    watcher = ChangeWatcher(tree)
    watcher.changes(None, 1000)
    home = _host(tree, HOME)
    (home / "new.txt").write_text("n")
    (home / "Documents/a.txt").write_text("changed")
    assert watcher.changes(1_600_000_000 * 10**9, 1000) == [f"{HOME}/Documents/a.txt", f"{HOME}/new.txt"]
    assert (home / "new.txt").stat().st_mtime_ns == 1_600_000_000 * 10**9
    (home / "new.txt").unlink()
    assert watcher.changes(1, 1000) == [f"{HOME}/new.txt"]
    assert watcher.changes(1, 1000) == []


def test_clear_empties_a_folder_even_one_made_unwritable(tree):
    home = _host(tree, HOME)
    (home / "Documents/locked").mkdir()
    (home / "Documents/locked/inner.txt").write_text("i")
    os.symlink("/etc", home / "out")
    (home / "Documents/locked").chmod(0o500)
    assert tree.clear("/drives") > 4
    assert list(Path(tree.host("/drives")).iterdir()) == []
    assert Path(tree.host("/etc/passwd")).exists()
