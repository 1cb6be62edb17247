"""The snapshot store keeps each file's bytes once, checks every byte on the way back, and collects what no snapshot names."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
import time
from pathlib import Path

import pytest

from synthcomp.errors import SandboxError
from synthcomp.sandbox.gc import collect_garbage
from synthcomp.sandbox.store import collect_blobs

from tests.sandbox.conftest import fingerprint

BACKENDS = ["fake", pytest.param("docker", marks=pytest.mark.docker)]


def _blobs(root: Path) -> set[str]:
    return {p.name for p in (root / "blobs").glob("*/*")}


def _stored_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file())


@pytest.mark.parametrize("backend", BACKENDS)
def test_snapshots_of_a_computer_share_the_bytes_of_files_they_both_hold(backend, make_sandbox, trees, tmp_path):
    store = tmp_path / "snapshots"
    sb = make_sandbox(backend, trees["windows"], snapshot_dir=store)
    sb.write_bytes("~/Documents/big.bin", os.urandom(1_000_000))
    first = sb.snapshot("day 1")
    after_one, blobs_one = _stored_bytes(store), _blobs(store)
    sb.write_bytes("~/Documents/today.txt", b"what day 2 changed")
    at_two = fingerprint(sb)
    second = sb.snapshot("day 2")
    assert _blobs(store) - blobs_one == {hashlib.sha256(b"what day 2 changed").hexdigest()}
    assert _stored_bytes(store) - after_one < 0.05 * after_one, "day 2 stored only what it changed, and its layout"
    sb.restore(first)
    assert "today.txt" not in [e.name for e in sb.list_dir("~/Documents").entries]
    sb.restore(second)
    assert fingerprint(sb) == at_two


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_snapshot_of_a_tree_the_store_holds_moves_no_bytes(backend, make_sandbox, trees, tmp_path):
    """A computer started again as created, or a day that changed no file: the new snapshot links the
    layout of one with the same tree, and restores exactly even after that one is deleted."""
    store = tmp_path / "snapshots"
    sb = make_sandbox(backend, trees["windows"], snapshot_dir=store)
    created = fingerprint(sb)
    first = sb.snapshot("morning, day 1", {"day": 1})
    sb.write_bytes("~/Documents/today.txt", b"a day of work")
    worked = sb.snapshot("evening, day 1")
    sb.restart()
    link = sb.link
    asked, request = [], link.request
    link.request = lambda header, **options: asked.append(header["op"]) or request(header, **options)
    again = sb.snapshot("morning, a new month", {"day": 1, "month": 2})
    assert asked == ["digest"], "the tree was not packed again"
    layout = Path(again.location) / "layout.json"
    assert layout.stat().st_ino == (Path(first.location) / "layout.json").stat().st_ino
    assert (Path(worked.location) / "layout.json").stat().st_ino != layout.stat().st_ino
    sb.delete_snapshot(first)
    sb.restore(worked)
    assert sb.restore(again) == {"day": 1, "month": 2}
    assert fingerprint(sb) == created


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_changed_blob_fails_the_restore_and_keeps_the_computer(backend, make_sandbox, trees, tmp_path):
    store = tmp_path / "snapshots"
    sb = make_sandbox(backend, trees["windows"], snapshot_dir=store)
    sb.write_bytes("~/Documents/signed.txt", b"the figures as approved")
    ref = sb.snapshot("approved")
    sb.write_bytes("~/Documents/after.txt", b"work after the snapshot")
    now = fingerprint(sb)
    blob = next(p for p in (store / "blobs").glob("*/*")
                if p.read_bytes() == b"the figures as approved")
    blob.write_bytes(b"the figures as altered!")  # same size: only the hash can tell
    with pytest.raises(SandboxError, match="changed since it was taken"):
        sb.restore(ref)
    assert fingerprint(sb) == now


def test_gc_collects_blobs_no_snapshot_names_after_a_grace_period(make_sandbox, trees, tmp_path):
    store = tmp_path / "snapshots"
    sb = make_sandbox("fake", trees["windows"], snapshot_dir=store)
    sb.write_bytes("~/Documents/only-in-old.txt", b"old")
    old = sb.snapshot("old")
    sb.write_bytes("~/Documents/only-in-old.txt", b"new")
    sb.snapshot("new")
    sb.delete_snapshot(old)
    orphan = {hashlib.sha256(b"old").hexdigest()}
    assert orphan <= _blobs(store)
    assert collect_blobs(store) == 0, "a young blob may belong to a snapshot being written"
    past = time.time() - 7200
    for blob in (store / "blobs").glob("*/*"):
        os.utime(blob, (past, past))
    named = _blobs(store) - orphan
    report = collect_garbage(snapshot_dir=store, docker=False)
    assert "1 file blobs no snapshot names" in report
    assert _blobs(store) == named


def test_a_snapshot_stored_as_one_tar_before_the_blobs_still_restores(make_sandbox, trees, tmp_path):
    store = tmp_path / "snapshots"
    sb = make_sandbox("fake", trees["windows"], snapshot_dir=store)
    sb.write_bytes("~/Documents/kept.txt", b"from an older synthcomp")
    ref = sb.snapshot("old format")
    at_snapshot = fingerprint(sb)
    folder = Path(ref.location)
    tar = io.BytesIO(b"".join(sb.store.load(ref)[0]))
    (folder / "tree.tar").write_bytes(tar.getvalue())
    for name in ("layout.json", "layout.bin"):
        (folder / name).unlink()
    assert tarfile.open(fileobj=tar).getnames()
    sb.write_bytes("~/Documents/kept.txt", b"changed")
    sb.restore(ref)
    assert fingerprint(sb) == at_snapshot
