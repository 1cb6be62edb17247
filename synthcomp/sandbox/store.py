"""Snapshots in a content-addressed store: each file's bytes once, however many snapshots hold it.

```
<dir>/blobs/<sha256[:2]>/<sha256>             a regular file's bytes, shared by every snapshot here
<dir>/<computer>-<hex>/{layout.bin, layout.json, state.json, meta.json}
```

The tree leaves the jail as one exact tar stream (no ``docker commit``). The store
splits it: the bytes of each regular file go to a blob named by their sha256 (written
once; a day's snapshot of a month-long computer adds only what that day changed), and
everything else (headers, padding, the end) stays in ``layout.bin``, with
``layout.json`` saying how the pieces follow each other. A restore streams the same tar
again, piece by piece, into a ready jail, checking each blob against its name and the
whole stream against the sha256 in ``meta.json``; a mismatch fails the restore, and the
caller keeps its running computer. ``meta.json`` also carries the ref, the owner labels
``synthcomp gc`` reads, the tree's digest (which the restored tree must reproduce) and
its key (``inside.archive.TreeIdentity``: everything a pack of the tree depends on).

A snapshot first asks the supervisor for the key, which costs one read of the files
inside the jail; when another snapshot of the computer here has that key (a computer
started again as created, a day that changed no file), the new one hard-links its layout
files and no byte leaves the jail (a blob or layout file changed later fails the restores
of every snapshot sharing it, as the sha256 checks say).

A snapshot appears atomically (written under a hidden name, then renamed); ``synthcomp
gc`` removes the blobs no snapshot names any more (``collect_blobs``). Snapshots from
before the blobs (one ``tree.tar``) still restore.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import shutil
import tarfile
import tempfile
import time
import zlib
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any, Callable, Iterator

from synthcomp.errors import SandboxError
from synthcomp.sandbox.base import SnapshotRef
from synthcomp.sandbox.gc import COMPUTER, KEEP, owner_labels
from synthcomp.sandbox.paths import Layout

READ_CHUNK = 1 << 20
LAYOUT_FILES = ("layout.json", "layout.bin")
BLOB_GRACE_S = 3600
"""Unnamed blobs younger than this are left to a snapshot being written (``collect_blobs``)."""


class _HashingWriter:
    def __init__(self, handle: IO[bytes]) -> None:
        self.handle, self.hash, self.size = handle, hashlib.sha256(), 0

    def write(self, data: bytes) -> None:
        self.handle.write(data)
        self.hash.update(data)
        self.size += len(data)


def file_chunks(handle: IO[bytes]) -> Iterator[bytes]:
    """A file's bytes, one chunk at a time (never the whole file in memory)."""
    while chunk := handle.read(READ_CHUNK):
        yield chunk


def _split(tar_path: Path, blobs: Path) -> tuple[list[list], bytes]:
    """Move each regular file's bytes of the tar at ``tar_path`` to a blob; return (layout, the rest).

    The layout is a list of ``["raw", n]`` (the next n bytes of the rest: headers and
    padding, zlib-compressed in ``layout.bin``, where they shrink about tenfold) and
    ``["blob", sha256, n]`` pieces that, in order, give the tar back byte for byte.
    """
    pieces: list[list] = []
    rest = bytearray()
    position = 0
    with open(tar_path, "rb") as data, tarfile.open(fileobj=data, mode="r:") as tar:
        ranges = [(m.offset_data, m.size) for m in tar if m.isreg() and m.size > 0]
        end = data.seek(0, os.SEEK_END)
        for start, size in ranges:
            data.seek(position)
            rest += data.read(start - position)
            pieces.append(["raw", start - position])
            data.seek(start)
            pieces.append(["blob", _put_blob(blobs, data, size), size])
            position = start + size
        data.seek(position)
        rest += data.read(end - position)
        pieces.append(["raw", end - position])
    return pieces, zlib.compress(bytes(rest), 6)


def _put_blob(blobs: Path, data: IO[bytes], size: int) -> str:
    """Store the next ``size`` bytes of ``data`` as a blob unless one has them already; return their sha256.

    Most files of a day's snapshot are in the store already: they are only hashed.
    """
    start = data.tell()
    digest = hashlib.sha256()
    for chunk in _chunks_of(data, size):
        digest.update(chunk)
    name = digest.hexdigest()
    target = blobs / name[:2] / name
    if target.exists():
        os.utime(target)  # named again: young, so a concurrent collect leaves it
        return name
    target.parent.mkdir(parents=True, exist_ok=True)
    data.seek(start)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".partial-", delete=False) as out:
        for chunk in _chunks_of(data, size):
            out.write(chunk)
    os.replace(out.name, target)
    return name


def _chunks_of(data: IO[bytes], size: int) -> Iterator[bytes]:
    """The next ``size`` bytes of ``data``, a chunk at a time."""
    left = size
    while left:
        chunk = data.read(min(READ_CHUNK, left))
        if not chunk:
            raise OSError("the snapshot's tar ended inside a file")
        left -= len(chunk)
        yield chunk


def _stream(folder: Path, blobs: Path, expected_sha256: str, tag: str) -> Iterator[bytes]:
    """The snapshot's tar, rebuilt piece by piece; raises SandboxError when any byte is not as stored."""
    whole = hashlib.sha256()
    pieces = json.loads((folder / "layout.json").read_text())
    try:
        raw = io.BytesIO(zlib.decompress((folder / "layout.bin").read_bytes()))
    except zlib.error as exc:
        raise SandboxError(f"snapshot {tag!r} ({folder}) was changed since it was taken: {exc}") from exc
    with raw:
        for piece in pieces:
            if piece[0] == "raw":
                chunk = raw.read(piece[1])
                whole.update(chunk)
                yield chunk
                continue
            _, name, size = piece
            blob = hashlib.sha256()
            with open(blobs / name[:2] / name, "rb") as handle:
                for chunk in file_chunks(handle):
                    blob.update(chunk)
                    whole.update(chunk)
                    yield chunk
            if blob.hexdigest() != name:
                raise SandboxError(f"snapshot {tag!r} ({folder}) was changed since it was taken: a file's "
                                   f"stored bytes no longer have their sha256 {name[:12]}")
    if whole.hexdigest() != expected_sha256:
        raise SandboxError(f"snapshot {tag!r} ({folder}) was changed since it was taken: the tree no "
                           "longer has the recorded sha256")


def _legacy_stream(folder: Path, expected_sha256: str, tag: str) -> Iterator[bytes]:
    """A snapshot stored as one tree.tar, checked whole before the first byte goes out."""
    with open(folder / "tree.tar", "rb") as handle:
        digest = hashlib.sha256()
        for chunk in file_chunks(handle):
            digest.update(chunk)
        if digest.hexdigest() != expected_sha256:
            raise SandboxError(f"snapshot {tag!r} ({folder}) was changed since it was taken: its tree.tar "
                               "no longer has the recorded sha256")
        handle.seek(0)
        yield from file_chunks(handle)


def collect_blobs(root: Path, grace_s: float = BLOB_GRACE_S) -> int:
    """Remove the blobs of ``root`` that no snapshot names and that are older than ``grace_s``; return how many."""
    blobs = root / "blobs"
    if not blobs.is_dir():
        return 0
    named: set[str] = set()
    for layout in root.glob("*/layout.json"):  # .partial folders too (pathlib's * matches dot-names)
        try:
            named.update(piece[1] for piece in json.loads(layout.read_text()) if piece[0] == "blob")
        except (OSError, ValueError, IndexError):
            return 0  # a layout that cannot be read might name anything: keep everything
    removed = 0
    old = time.time() - grace_s
    for blob in blobs.glob("*/*"):
        try:
            if blob.name not in named and blob.stat().st_mtime < old:
                blob.unlink()
                removed += 1
        except OSError:
            continue
    for folder in [*blobs.iterdir(), blobs]:  # empty folders go too (one still in use is not empty)
        try:
            folder.rmdir()
        except OSError:
            pass
    return removed


class DirSnapshotStore:
    def __init__(self, root: Path, backend: str) -> None:
        self.root = Path(root)
        self.backend = backend

    def save(self, *, tag: str, computer_id: str, layout: Layout, tree: tuple[str, str],
             write_tree: Callable[[Callable[[bytes], None]], str], state_json: bytes, keep: bool) -> SnapshotRef:
        """Store a snapshot of the tree whose (digest, key) the supervisor just read.

        When another snapshot of the computer here has that key, the new one links its
        layout; otherwise ``write_tree(write)`` writes the tar and returns the tree's digest.

        Raises:
            SandboxError: it could not be stored (nothing is left behind).
        """
        digest, key = tree
        created = datetime.now(timezone.utc)
        prefix = re.sub(r'[^A-Za-z0-9_.-]', '-', computer_id)[:80]
        name = f"{prefix}-{secrets.token_hex(4)}"
        folder, partial = self.root / name, self.root / f".{name}.partial"
        ref = SnapshotRef(
            backend=self.backend, id=name, tag=tag, computer_id=computer_id, os=layout.os,
            username=layout.username, created=created, location=str(folder), keep=keep,
        )
        labels = {COMPUTER: computer_id, KEEP: "1" if keep else "0", **owner_labels()}
        try:
            partial.mkdir(parents=True)
            stored = self._link_same_tree(prefix, key, digest, partial) or self._write_tree(partial, write_tree)
            (partial / "state.json").write_bytes(state_json)
            meta = {"ref": ref.model_dump(mode="json"), "labels": labels, **stored,
                    **({"key": key} if stored["digest"] == digest else {})}  # nothing runs between the two reads
            (partial / "meta.json").write_text(json.dumps(meta))
            partial.rename(folder)
        except (OSError, tarfile.TarError) as exc:
            raise SandboxError(f"cannot store snapshot {tag!r} in {self.root}: {exc}") from exc
        finally:
            shutil.rmtree(partial, ignore_errors=True)
        return ref

    def _write_tree(self, partial: Path, write_tree: Callable[[Callable[[bytes], None]], str]) -> dict[str, Any]:
        """The tar from the jail, split into blobs and ``partial``'s layout files; returns what meta.json records of it."""
        with tempfile.NamedTemporaryFile(dir=partial, suffix=".tar") as handle:
            writer = _HashingWriter(handle)
            digest = write_tree(writer.write)
            handle.flush()
            pieces, rest = _split(Path(handle.name), self.root / "blobs")
        (partial / "layout.bin").write_bytes(rest)
        (partial / "layout.json").write_text(json.dumps(pieces))
        return {"tree_sha256": writer.hash.hexdigest(), "tree_bytes": writer.size, "digest": digest}

    def _link_same_tree(self, prefix: str, key: str, digest: str, partial: Path) -> dict[str, Any] | None:
        """Hard-link into ``partial`` the layout of a snapshot here whose tree has ``key``; what
        meta.json records of that tree, or None if there is none (or it went meanwhile)."""
        with os.scandir(self.root) as entries:
            candidates = [entry.path for entry in entries if entry.name.startswith(f"{prefix}-")]
        for candidate in candidates:
            try:
                meta = json.loads(Path(candidate, "meta.json").read_text())
                if meta.get("key") != key or meta.get("digest") != digest:
                    continue
                for name in LAYOUT_FILES:
                    os.link(Path(candidate, name), partial / name)
                return {k: meta[k] for k in ("tree_sha256", "tree_bytes", "digest")}
            except (OSError, ValueError, KeyError, AttributeError):
                for name in LAYOUT_FILES:  # deleted while linked: look further
                    (partial / name).unlink(missing_ok=True)
        return None

    def load(self, ref: SnapshotRef) -> tuple[Iterator[bytes], dict[str, Any], str]:
        """(the snapshot's tar as chunks, state, tree digest).

        The chunks are checked as they go (each blob against its name, the whole against
        the recorded sha256): the error comes mid-stream, into a jail that is then dropped.

        Raises:
            SandboxError: it no longer exists (here), or its bytes were changed since it was taken (streaming).
        """
        folder = Path(ref.location)
        try:
            meta = json.loads((folder / "meta.json").read_text())
            state = json.loads((folder / "state.json").read_text())
            legacy = (folder / "tree.tar").is_file()
            if not legacy and not (folder / "layout.json").is_file():
                raise FileNotFoundError(folder / "layout.json")
        except (OSError, ValueError) as exc:
            raise SandboxError(f"snapshot {ref.tag!r} ({folder}) no longer exists: {exc}") from exc
        sha256 = str(meta.get("tree_sha256"))
        chunks = (_legacy_stream(folder, sha256, ref.tag) if legacy
                  else _stream(folder, folder.parent / "blobs", sha256, ref.tag))
        return chunks, state, str(meta.get("digest", ""))

    def list(self, computer_id: str) -> list[SnapshotRef]:
        refs = []
        for meta in self.root.glob("*/meta.json"):
            try:
                ref = SnapshotRef.model_validate(json.loads(meta.read_text())["ref"])
            except (OSError, ValueError, KeyError):
                continue
            if ref.computer_id == computer_id and ref.backend == self.backend:
                refs.append(ref)
        return sorted(refs, key=lambda r: r.created)

    def delete(self, ref: SnapshotRef) -> None:
        folder = Path(ref.location)
        if folder.parent.resolve() == self.root.resolve() and (folder / "meta.json").is_file():
            shutil.rmtree(folder, ignore_errors=True)
