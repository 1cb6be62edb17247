"""The inotify file index answers "what changed" exactly as a walk of the whole tree would."""

from __future__ import annotations

import os
import random
import shutil
import stat
from pathlib import Path

import pytest

from synthcomp.sandbox.inside import index as index_module
from synthcomp.sandbox.inside.files import Tree, walk
from synthcomp.sandbox.inside.index import ChangeWatcher

ROOT = "/drives"


@pytest.fixture
def tree(tmp_path: Path) -> Tree:
    (tmp_path / "drives/C/Users/ana/Documents").mkdir(parents=True)
    return Tree(str(tmp_path), root=ROOT, home=f"{ROOT}/C/Users/ana", trash=f"{ROOT}/C/$Recycle.Bin", windows=True)


def _walked(tree: Tree) -> dict[str, tuple[int, int]]:
    """The reference: size and mtime of every regular file, by walking everything."""
    return {f"{ROOT}/{rel}": (st.st_size, st.st_mtime_ns)
            for rel, st in walk(tree.host(ROOT), 100_000) if stat.S_ISREG(st.st_mode)}


def _entries(top: Path) -> tuple[list[Path], list[Path]]:
    files, folders = [], [top]
    for path in sorted(top.rglob("*")):
        if path.is_symlink():
            continue
        if path.is_dir():
            folders.append(path)
        elif path.is_file():
            files.append(path)
    return files, folders


def _random_operation(rng: random.Random, top: Path, n: int) -> None:
    """One thing an agent's command may do to its files, hostile ones included."""
    files, folders = _entries(top)
    folder = rng.choice(folders)
    target = rng.choice(folders) / f"n{n}"
    kind = rng.choice(["create", "create", "append", "truncate", "touch", "delete", "mkdir", "mkdir", "rmtree",
                       "rename", "rename_dir", "link", "write_link", "symlink", "fifo", "dir_to_file",
                       "file_to_dir", "nest", "replace_dir", "swap_dirs"])
    if kind == "create":
        (folder / f"f{n}.txt").write_text("x" * rng.randint(0, 50))
    elif kind == "mkdir":
        (folder / f"d{n}").mkdir()
    elif kind == "nest":
        deep = folder / f"d{n}" / "a" / "b"
        deep.mkdir(parents=True)
        (deep / "deep.txt").write_text("deep")
    elif kind == "symlink":
        (folder / f"s{n}").symlink_to("..")
    elif kind == "fifo":
        os.mkfifo(folder / f"p{n}")
    elif not files or (kind in ("rename_dir", "rmtree", "dir_to_file", "replace_dir", "swap_dirs") and len(folders) < 3):
        (folder / f"f{n}.txt").write_text("fallback")
    elif kind == "append":
        with open(rng.choice(files), "a") as f:
            f.write("more")
    elif kind == "truncate":
        os.truncate(rng.choice(files), 0)
    elif kind == "touch":
        os.utime(rng.choice(files), ns=(10**18, rng.randint(1, 10**18)))
    elif kind == "delete":
        rng.choice(files).unlink()
    elif kind == "rename":
        os.replace(rng.choice(files), target if not target.is_dir() else target / "moved")
    elif kind == "link":
        os.link(rng.choice(files), target)
    elif kind == "write_link":  # a write through a second name changes the first one's folder's file
        source = rng.choice(files)
        os.link(source, target)
        with open(target, "a") as f:
            f.write("through the other name")
    elif kind == "file_to_dir":
        victim = rng.choice(files)
        victim.unlink()
        victim.mkdir()
        (victim / "inside.txt").write_text("i")
    else:
        movable = [f for f in folders[1:] if not any(p == f or f in p.parents for p in (target,))]
        if not movable:
            return
        victim = rng.choice(movable)
        if kind == "rmtree":
            shutil.rmtree(victim)
        elif kind == "rename_dir":
            if victim not in target.parents:
                os.rename(victim, target)
        elif kind == "dir_to_file":
            shutil.rmtree(victim)
            victim.write_text("now a file")
        elif kind == "replace_dir":  # same path, another folder (another inode), other files
            shutil.rmtree(victim)
            victim.mkdir()
            (victim / "fresh.txt").write_text("fresh")
        elif kind == "swap_dirs":
            other = rng.choice(movable)
            if other != victim and victim not in other.parents and other not in victim.parents:
                os.rename(victim, top / "swap")
                os.rename(other, victim)
                os.rename(top / "swap", other)


@pytest.mark.parametrize("seed", range(12))
def test_the_index_reports_what_a_full_walk_reports(tree, seed):
    rng = random.Random(seed)
    top = Path(tree.host(ROOT))
    watcher = ChangeWatcher(tree)
    watcher.changes(None, 100_000)
    before = _walked(tree)
    for step in range(60):
        for n in range(rng.randint(1, 4)):
            _random_operation(rng, top, step * 10 + n)
        after = _walked(tree)
        expected = sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))
        assert watcher.changes(step + 1, 100_000) == expected, f"seed {seed}, step {step}"
        before = _walked(tree)
        assert all(before[p][1] == step + 1 for p in expected if p in before)


def test_without_inotify_every_ask_walks_and_answers_the_same(tree, monkeypatch):
    def no_instances(self):
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(index_module.Inotify, "__init__", no_instances)
    watcher = ChangeWatcher(tree)
    watcher.changes(None, 1000)
    home = Path(tree.host(f"{ROOT}/C/Users/ana"))
    (home / "Documents/a.txt").write_text("a")
    assert watcher.changes(5, 1000) == [f"{ROOT}/C/Users/ana/Documents/a.txt"]
    (home / "Documents/a.txt").unlink()
    assert watcher.changes(6, 1000) == [f"{ROOT}/C/Users/ana/Documents/a.txt"]


def test_a_folder_that_cannot_be_watched_is_looked_at_every_time(tree, monkeypatch):
    real_add = index_module.Inotify.add

    def refuse_documents(self, host_path):
        if host_path.endswith("Documents"):
            raise PermissionError(13, "Permission denied", host_path)
        return real_add(self, host_path)

    monkeypatch.setattr(index_module.Inotify, "add", refuse_documents)
    watcher = ChangeWatcher(tree)
    watcher.changes(None, 1000)
    documents = Path(tree.host(f"{ROOT}/C/Users/ana/Documents"))
    (documents / "quiet.txt").write_text("no event reaches us from here")
    assert watcher.changes(5, 1000) == [f"{ROOT}/C/Users/ana/Documents/quiet.txt"]
