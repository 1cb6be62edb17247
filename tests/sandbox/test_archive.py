"""Trees as tar streams: exact for snapshots, and refused whole when an archive breaks a rule.

An archive that leaves a jail holds whatever the agent made. The host checks every
member before it writes anything, with its own rules rather than ``tarfile``'s filters
(the CVE-2025-4517 pattern: chained links that push ``realpath`` past ``PATH_MAX``).
"""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import pytest

from synthcomp.errors import InputError
from synthcomp.sandbox.inside import archive
from synthcomp.sandbox.tarball import pack_dir, tree_digest, unpack

NS = 1_700_000_000_123_456_789


def _tree(root: Path) -> Path:
    (root / "a/b").mkdir(parents=True)
    (root / "a/b/f.txt").write_text("x")
    (root / "a/g.bin").write_bytes(b"\0\1")
    (root / "a/link").symlink_to("b/f.txt")
    os.link(root / "a/g.bin", root / "a/hard.bin")
    os.mkfifo(root / "a/pipe")
    (root / os.fsdecode(b"caf\xe9-latin1.txt")).write_text("not UTF-8 in its name")
    (root / "naïve – 東京.txt").write_text("ok")
    os.chmod(root / "a/g.bin", 0o000)
    os.utime(root / "a/b/f.txt", ns=(NS, NS))
    os.utime(root / "a/link", ns=(NS + 1, NS + 1), follow_symlinks=False)
    return root


def test_exact_pack_and_unpack_keep_everything_a_user_can_tell(tmp_path):
    src = _tree(tmp_path / "src")
    data = io.BytesIO()
    digest, skipped = archive.pack(str(src), data.write, uid=1000, gid=1000, limit=1000)
    assert skipped == [] and digest == tree_digest(src)
    with tarfile.open(fileobj=io.BytesIO(data.getvalue())) as tar:
        members = {m.name: m for m in tar}
    assert members["a/hard.bin"].islnk() and members["a/pipe"].isfifo() and members["a/link"].issym()
    assert members["a/b/f.txt"].pax_headers["mtime"] == "1700000000.123456789"
    assert {(m.uid, m.gid) for m in members.values()} == {(1000, 1000)}
    out = tmp_path / "out"
    out.mkdir()
    data.seek(0)
    archive.unpack(str(out), data, exact=True, limits=archive.Limits())
    assert tree_digest(out) == digest
    assert os.stat(out / "a/g.bin").st_mode & 0o777 == 0
    assert os.stat(out / "a/g.bin").st_ino == os.stat(out / "a/hard.bin").st_ino


def test_a_trees_key_tells_apart_what_its_digest_cannot(tmp_path):
    """Two trees share a key only when a pack of either gives the same tar: the snapshot store reuses
    a stored layout by key, so a tree that differs in any way must not find another's."""
    def identity(name: str, build) -> tuple[str, str]:
        root = tmp_path / name
        root.mkdir()
        build(root)
        for path in sorted(root.rglob("*"), reverse=True):
            os.utime(path, ns=(NS, NS), follow_symlinks=False)
        os.utime(root, ns=(NS, NS))
        return archive.identify(str(root), limit=1000)

    def copies(root: Path) -> None:
        (root / "a.bin").write_bytes(b"same")
        (root / "b.bin").write_bytes(b"same")

    def hard_linked(root: Path) -> None:
        (root / "a.bin").write_bytes(b"same")
        os.link(root / "a.bin", root / "b.bin")

    def link_target_with_newline(root: Path) -> None:
        (root / "a").symlink_to("x\nb")
        (root / "c").write_text("")

    def name_with_newline(root: Path) -> None:
        (root / "a").symlink_to("x")
        (root / "b\nc").write_text("")

    copy_digest, copy_key = identity("copies", copies)
    link_digest, link_key = identity("hard", hard_linked)
    assert copy_digest == link_digest, "a restore's check does not see hard links"
    assert copy_key != link_key
    assert identity("copies-again", copies) == (copy_digest, copy_key)
    assert identity("t1", link_target_with_newline)[1] != identity("t2", name_with_newline)[1]
    data = io.BytesIO()
    assert archive.pack(str(tmp_path / "hard"), data.write, uid=1000, gid=1000, limit=1000)[0] == link_digest


def test_files_only_packs_leave_links_and_pipes_behind(tmp_path):
    src = _tree(tmp_path / "src")
    data = io.BytesIO()
    _, skipped = archive.pack(str(src), data.write, uid=1000, gid=1000, limit=1000, files_only=True)
    assert sorted(skipped) == ["a/link", "a/pipe"]
    data.seek(0)
    unpack(data, tmp_path / "out")
    assert (tmp_path / "out/a/hard.bin").read_bytes() == b"\0\1"
    assert os.stat(tmp_path / "out/a/g.bin").st_mode & 0o777 == 0o600  # the host's copy stays readable


def _archive(*members: tuple[str, str, bytes | str]) -> io.BytesIO:
    """An archive of (name, kind, data or link target) members, written without any checks."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, kind, value in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(value)
                tar.addfile(info, io.BytesIO(value))
                continue
            info.type = {"dir": tarfile.DIRTYPE, "sym": tarfile.SYMTYPE, "hard": tarfile.LNKTYPE,
                         "chr": tarfile.CHRTYPE, "fifo": tarfile.FIFOTYPE}[kind]
            info.linkname = value if isinstance(value, str) else ""
            tar.addfile(info)
    buffer.seek(0)
    return buffer


def _cve_2025_4517() -> io.BytesIO:
    """Links whose expansion outgrows PATH_MAX, then a link and a file through them."""
    members = []
    step = "d" * 247
    steps = "abcdefghijklmnop"
    path = ""
    for i in steps:
        members += [(os.path.join(path, step), "dir", b""), (os.path.join(path, i), "sym", step)]
        path = os.path.join(path, step)
    long_link = os.path.join(*steps, "l" * 254)
    members += [(long_link, "sym", "../" * len(steps)), ("escape", "sym", f"{long_link}/../../../../../..")]
    members += [("escape/pwned.txt", "file", b"owned")]
    return _archive(*members)


@pytest.mark.parametrize("members", [
    [("ok.txt", "file", b"x"), ("/etc/owned", "file", b"x")],
    [("ok.txt", "file", b"x"), ("../../owned", "file", b"x")],
    [("ok.txt", "file", b"x"), ("a/../../owned", "file", b"x")],
    [("ok.txt", "file", b"x"), ("up", "sym", "../../..")],
    [("ok.txt", "file", b"x"), ("evil", "sym", "/etc/passwd")],
    [("ok.txt", "file", b"x"), ("inside", "sym", "ok.txt")],  # links of any kind stay in the sandbox
    [("ok.txt", "file", b"x"), ("pw", "hard", "/etc/passwd")],
    [("ok.txt", "file", b"x"), ("null", "chr", b"")],
    [("ok.txt", "file", b"x"), ("pipe", "fifo", b"")],
    [("ok.txt", "file", b"x"), ("x" * 300, "file", b"x")],
], ids=["absolute", "dotdot", "inner-dotdot", "link-up", "link-out", "link-in", "hardlink-out", "device", "fifo",
        "long-name"])
def test_the_host_refuses_a_bad_archive_before_writing_anything(members, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(InputError, match="refused an archive"):
        unpack(_archive(*members), out)
    assert not out.exists()
    assert not (tmp_path.parent / "owned").exists()


def test_the_cve_2025_4517_pattern_writes_nothing_anywhere(tmp_path):
    out = tmp_path / "deep" / "out"
    with pytest.raises(InputError):
        unpack(_cve_2025_4517(), out)
    assert not out.exists()
    assert not list(tmp_path.rglob("pwned.txt"))


def test_sizes_and_counts_are_bounded(tmp_path):
    limits = archive.Limits(members=3, file_bytes=10, total_bytes=15)
    with pytest.raises(archive.ArchiveError, match="bytes"):
        archive.check_all(_archive(("big", "file", b"x" * 11)), exact=False, limits=limits)
    with pytest.raises(archive.ArchiveError, match="more than 3 members"):
        archive.check_all(_archive(*[(f"f{i}", "file", b"") for i in range(4)]), exact=False, limits=limits)
    with pytest.raises(archive.ArchiveError, match="more than"):
        archive.check_all(_archive(("a", "file", b"x" * 8), ("b", "file", b"x" * 8)), exact=False, limits=limits)


def test_exact_unpack_never_writes_through_a_link(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (tmp_path / "victim").mkdir()
    bad = _archive(("d", "sym", str(tmp_path / "victim")), ("d/x.txt", "file", b"x"))
    with pytest.raises(archive.ArchiveError, match="not a real folder"):
        archive.unpack(str(out), bad, exact=True, limits=archive.Limits())
    assert list((tmp_path / "victim").iterdir()) == []


def test_digest_notices_content_mode_mtime_and_links(tmp_path):
    src = _tree(tmp_path / "src")
    before = tree_digest(src)
    os.chmod(src / "a/b/f.txt", 0o600)
    assert tree_digest(src) != before
    os.chmod(src / "a/b/f.txt", 0o644)
    assert tree_digest(src) == before
    os.utime(src / "a/b/f.txt", (1, 1))
    assert tree_digest(src) != before
    os.utime(src / "a/b/f.txt", ns=(NS, NS))
    (src / "a/link").unlink()
    (src / "a/link").symlink_to("elsewhere")
    os.utime(src / "a/link", ns=(NS + 1, NS + 1), follow_symlinks=False)
    assert tree_digest(src) != before


def test_pack_dir_refuses_what_cannot_be_archived(tmp_path):
    import socket

    (tmp_path / "src").mkdir()
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(tmp_path / "src/agent.sock"))
        with pytest.raises(InputError, match="socket"):
            pack_dir(tmp_path / "src", io.BytesIO())
