"""Fixture computers, backend factories, and the session check that nothing leaks.

``computer_tree`` builds small computers the way ``synthcomp create`` lays them out
(``files/drives/C/...`` for Windows, ``files/Users/<name>/...`` for macOS): 110 files
including real .docx/.xlsx files, a nested project folder, a non-ASCII name and a
symlink that stays inside the tree. Tests do not depend on synthcomp.computer.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest

from synthcomp.sandbox import DockerSandboxConfig, FakeSandboxConfig, LocalSandboxConfig, Sandbox
from tests.processes import release_containers

BACKENDS = ["docker", "local", "fake"]
MARKS = {"docker": pytest.mark.docker, "local": pytest.mark.bwrap, "fake": []}


def backend_params(*names: str) -> list:
    """``pytest.param`` for each backend, with its infrastructure marker."""
    return [pytest.param(name, marks=MARKS[name], id=name) for name in names]


def make_tree(root: Path, os_name: str, username: str = "ana", n_files: int = 110) -> Path:
    """A computer's ``files/`` directory with ``n_files`` regular files."""
    import docx
    import openpyxl

    files = root / "files"
    if os_name == "windows":
        home = files / "drives" / "C" / "Users" / username
        work = files / "drives" / "D" / "Projects"
    else:
        home = files / "Users" / username
        work = home / "Documents" / "Work"
    folders = [home / "Documents", home / "Desktop", home / "Downloads", work / "Harbour Survey" / "Data", work / "Budget 2025"]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    count = 0
    for i in range(3):
        document = docx.Document()
        document.add_heading(f"Inspection report {i}", 0)
        document.add_paragraph(f"Turbidity stayed below {4 + i} NTU at every station.")
        document.save(folders[i % 2] / f"Report {i}.docx")
        count += 1
    book = openpyxl.Workbook()
    book.active.append(["site", "ntu"])
    book.active.append(["Pier 4", 3.2])
    book.save(folders[4] / "budget.xlsx")
    count += 1
    (home / "Documents" / "Résumé – final.txt").write_text("naïve café\n", encoding="utf-8")
    count += 1
    while count < n_files:
        folder = folders[count % len(folders)]
        (folder / f"note_{count:03d}.md").write_text(f"# Note {count}\n\n" + "line of text\n" * (count % 7))
        count += 1
    (home / "Desktop" / "link to report").symlink_to("../Documents/Report 0.docx")
    stamp = 1_700_000_000
    for i, path in enumerate(sorted(p for p in files.rglob("*") if p.is_file() and not p.is_symlink())):
        os.utime(path, (stamp + i * 3600, stamp + i * 3600))
    return files


@pytest.fixture(scope="session")
def trees(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("computers")
    return {os_name: make_tree(base / os_name, os_name) for os_name in ("windows", "macos")}


@pytest.fixture
def make_sandbox(tmp_path: Path) -> Iterator[Callable[..., Sandbox]]:
    """``make_sandbox(backend, tree, os=..., **config)``; every sandbox is closed afterwards."""
    made: list[Sandbox] = []

    def make(backend: str, tree: Path | None, *, os: str = "windows", username: str = "ana",
             computer_id: str | None = None, **options) -> Sandbox:
        computer_id = computer_id or f"c-test-{uuid.uuid4().hex[:8]}"
        options.setdefault("snapshot_dir", tmp_path / "snapshots")
        config = {"docker": DockerSandboxConfig, "local": LocalSandboxConfig, "fake": FakeSandboxConfig}[backend](**options)
        sandbox = config.build(tree, os=os, username=username, computer_id=computer_id)
        made.append(sandbox)
        return sandbox

    yield make
    for sandbox in made:
        refs = sandbox.list_snapshots() if not sandbox.closed or sandbox.backend != "fake" else []
        sandbox.close()
        for ref in refs:
            sandbox.delete_snapshot(ref)


@pytest.fixture(scope="session", autouse=True)
def _no_container_outlives_the_session() -> Iterator[None]:
    """After the whole session no container, volume or snapshot of this process is left.

    Spare containers belong to the process until it exits; they are discarded first, as at exit.
    """
    yield
    release_containers()
    try:
        import docker

        client = docker.from_env()
        client.ping()
    except Exception:
        return
    owner = f"synthcomp.owner={os.getpid()}"
    containers = client.containers.list(all=True, filters={"label": owner}, ignore_removed=True)
    for container in containers:
        container.remove(force=True, v=True)
    assert containers == [], f"containers outlived the test session: {[c.name for c in containers]}"


def fingerprint(sandbox: Sandbox) -> str:
    """Paths, kinds, modes, mtimes (ns), bytes and links of everything under the tree root.

    On the jails, also what the agent itself sees (``find`` and ``sha256sum`` as the user),
    so a digest that hid a difference could not make a test pass.
    """
    digest = sandbox.tree_digest()
    if sandbox.backend == "fake":
        return digest
    result = sandbox.exec(
        f"(cd {sandbox.layout.root} && find . -mindepth 1 -printf '%p %y %m %s %T@ %l\\n' 2>&1 | LC_ALL=C sort"
        " && find . -type f -readable -print0 2>/dev/null | LC_ALL=C sort -z | xargs -0 -r sha256sum)",
        timeout_s=60,
    )
    assert not result.truncated
    return digest + "\n" + result.stdout


def copy_tree(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    return dest
