from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

from synthcomp.sandbox.tarball import files_in_tar, pack_dir, strip_first, tree_digest, unpack


def _tree(root: Path) -> Path:
    (root / "a/b").mkdir(parents=True)
    (root / "a/b/f.txt").write_text("x")
    (root / "a/g.bin").write_bytes(b"\0\1")
    (root / "a/link").symlink_to("b/f.txt")
    os.utime(root / "a/b/f.txt", ns=(1_700_000_000_123_456_789, 1_700_000_000_123_456_789))
    os.chmod(root / "a/g.bin", 0o600)
    return root


def test_pack_and_unpack_keep_bytes_modes_links_and_nanosecond_mtimes(tmp_path):
    src = _tree(tmp_path / "src")
    data = pack_dir(src, uid=1000, gid=1000)
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        members = {m.name: m for m in tar}
    assert set(members) == {"a", "a/b", "a/b/f.txt", "a/g.bin", "a/link"}
    assert {(m.uid, m.gid) for m in members.values()} == {(1000, 1000)}
    assert members["a/b/f.txt"].pax_headers["mtime"] == "1700000000.123456789"
    assert unpack(data, tmp_path / "out") == []
    assert (tmp_path / "out/a/b/f.txt").stat().st_mtime_ns == 1_700_000_000_123_456_789
    assert tree_digest(tmp_path / "out") == tree_digest(src)


def test_prefix_adds_the_parent_directories(tmp_path):
    data = pack_dir(_tree(tmp_path / "src"), uid=1000, gid=1000, prefix="drives")
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        assert tar.getnames()[:2] == ["drives", "drives/a"]
    assert files_in_tar(strip_first(data)).keys() == {"./a/b/f.txt", "./a/g.bin"}


def test_unpack_skips_links_out_of_the_destination(tmp_path):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, target in [("evil", "/etc/passwd"), ("up", "../../outside"), ("ok", "fine.txt")]:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            tar.addfile(info)
        info = tarfile.TarInfo("../escape.txt")
        info.size = 1
        tar.addfile(info, io.BytesIO(b"x"))
    skipped = unpack(buffer.getvalue(), tmp_path / "out")
    assert sorted(skipped) == ["../escape.txt", "evil", "up"]
    assert os.readlink(tmp_path / "out/ok") == "fine.txt"
    assert not (tmp_path / "escape.txt").exists()


def test_digest_notices_content_mode_and_mtime(tmp_path):
    src = _tree(tmp_path / "src")
    before = tree_digest(src)
    os.chmod(src / "a/g.bin", 0o644)
    assert tree_digest(src) != before
    os.chmod(src / "a/g.bin", 0o600)
    assert tree_digest(src) == before
    os.utime(src / "a/g.bin", (1, 1))
    assert tree_digest(src) != before
