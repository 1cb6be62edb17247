"""The tree's file index: size and mtime of every regular file, kept current by inotify.

The change watcher asks after every command what changed. Walking the whole tree to
answer costs a ``stat`` per file each step; instead the index watches every folder
with inotify and, when asked, lists again only the folders whose entries the kernel
says were touched. The answer is the same as a full walk's (a test checks them side by
side under random and hostile operations):

- what counts is a regular file's (size, mtime), found by ``lstat`` as the walk does;
  events only say *where* to look, so a lost or merged event can cost a look, not a change;
- a folder that is new, replaced (another inode) or moved in is walked whole and watched;
  one that is gone or moved out takes its files with it;
- a hard link changed through another name makes every name of that inode be looked at;
  where that cannot be known (the name written through is gone, or lay in a folder made
  during the step, which had no watch yet) the index walks everything again;
- a folder that cannot be watched or listed is looked at on every call, and a queue
  overflow or no inotify at all (the per-user instance limit) means a full walk.

Only the supervisor reads the inotify descriptor: the agent's processes never hold it,
and they are all dead whenever the index is asked (after a command, or between steps).
"""

from __future__ import annotations

import ctypes
import os
import stat
import struct
from typing import Callable

from .files import Tree, walk

IN_MODIFY, IN_ATTRIB, IN_MOVED_FROM, IN_MOVED_TO = 0x2, 0x4, 0x40, 0x80
IN_CREATE, IN_DELETE, IN_DELETE_SELF, IN_MOVE_SELF = 0x100, 0x200, 0x400, 0x800
IN_Q_OVERFLOW, IN_IGNORED, IN_ISDIR = 0x4000, 0x8000, 0x40000000
IN_ONLYDIR, IN_DONT_FOLLOW = 0x01000000, 0x02000000
IN_NONBLOCK, IN_CLOEXEC = os.O_NONBLOCK, os.O_CLOEXEC
WATCH_MASK = (IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO | IN_CREATE | IN_DELETE | IN_DELETE_SELF
              | IN_MOVE_SELF | IN_ONLYDIR | IN_DONT_FOLLOW)
EVENT = struct.Struct("iIII")

Meta = tuple[int, int, int, int]
"""(size, mtime_ns, inode, link count) of a regular file; changes compare the first two."""


class Inotify:
    """One inotify instance on folders (ctypes; the jail has only the standard library)."""

    def __init__(self) -> None:
        self._libc = ctypes.CDLL(None, use_errno=True)
        self.fd = self._libc.inotify_init1(IN_NONBLOCK | IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")

    def add(self, host_path: str) -> int:
        wd = self._libc.inotify_add_watch(self.fd, os.fsencode(host_path), WATCH_MASK)
        if wd < 0:
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), host_path)
        return wd

    def remove(self, wd: int) -> None:
        self._libc.inotify_rm_watch(self.fd, wd)

    def events(self) -> list[tuple[int, int, int, str]] | None:
        """(watch, mask, cookie, name) of every queued event, in order; None if the queue overflowed."""
        found: list[tuple[int, int, int, str]] = []
        while True:
            try:
                data = os.read(self.fd, 1 << 16)
            except BlockingIOError:
                return found
            offset = 0
            while offset < len(data):
                wd, mask, cookie, size = EVENT.unpack_from(data, offset)
                name = data[offset + EVENT.size:offset + EVENT.size + size].split(b"\0", 1)[0]
                offset += EVENT.size + size
                if mask & IN_Q_OVERFLOW:
                    return None
                found.append((wd, mask, cookie, os.fsdecode(name)))

    def close(self) -> None:
        os.close(self.fd)


class WrittenNames:
    """Names of regular files written to (or re-timed) during one batch of events, followed through renames.

    A write through a name changes every other name of that inode, and inotify reports
    it only in the written name's folder. If that name is still there at the end, its
    link count says whether to look for the others; if it was deleted, replaced or
    moved out of sight after the write, or if it was in a folder made during the step
    (no watch yet), nobody can say which inode it was (``lost``): the index walks again.
    """

    def __init__(self) -> None:
        self.names: set[str] = set()
        self.lost = False
        self._moving: dict[int, bool] = {}  # rename cookie -> whether the name was written
        self._folders_moving: set[int] = set()

    def see(self, path: str, mask: int, cookie: int) -> None:
        if mask & (IN_MODIFY | IN_ATTRIB):
            self.names.add(path)
        elif mask & IN_MOVED_FROM:
            self._moving[cookie] = path in self.names
            self.names.discard(path)
        elif mask & IN_MOVED_TO:
            self._replaced(path)
            if self._moving.pop(cookie, False):
                self.names.add(path)
        elif mask & (IN_CREATE | IN_DELETE):
            self._replaced(path)

    def see_folder(self, mask: int, cookie: int) -> None:
        """A folder made during the step had no watch yet: what happened inside it was not seen."""
        if mask & IN_MOVED_FROM:
            self._folders_moving.add(cookie)
        elif mask & IN_CREATE or (mask & IN_MOVED_TO and cookie not in self._folders_moving):
            self.lost = True

    def _replaced(self, path: str) -> None:
        if path in self.names:
            self.lost = True

    @property
    def unfinished(self) -> bool:
        return any(self._moving.values())


class FileIndex:
    """Regular files below ``root`` (in-sandbox paths), and what changed since the last look.

    Args:
        host: maps an in-sandbox path to where it is stored.
        root: the tree's top folder.
        limit: entries at most, as for the walk.
    """

    def __init__(self, host: Callable[[str], str], root: str, limit: int) -> None:
        self.host, self.root, self.limit = host, root, limit
        self._inotify: Inotify | None = None
        self._build()

    def _build(self) -> None:
        self.files: dict[str, Meta] = {}
        self.dirs: dict[str, int] = {}  # folder -> inode
        self.children: dict[str, set[str]] = {}
        self.blind: set[str] = set()  # folders that could not be watched or listed
        self._old: dict[str, Meta | None] = {}  # what this update changed, as it was before
        self._wd_path: dict[int, str] = {}
        self._path_wd: dict[str, int] = {}
        try:
            self._inotify = Inotify()
        except OSError:  # the per-user limit of instances is spent: every update walks
            self._inotify = None
        self._add_folder(self.root)

    def close(self) -> None:
        if self._inotify is not None:
            self._inotify.close()
            self._inotify = None

    # ------------------------------------------------------------------ asking

    def update(self) -> set[str]:
        """Paths of regular files added, removed, or with another size or mtime since the last call."""
        events = self._inotify.events() if self._inotify is not None else None
        if events is None:
            return self._rebuild(dict(self.files))
        dirty: set[str] = set(self.blind)
        gone: set[str] = set()
        written = WrittenNames()
        for wd, mask, cookie, name in events:
            folder = self._wd_path.get(wd)
            if folder is None or mask & IN_IGNORED:
                continue
            if mask & (IN_DELETE_SELF | IN_MOVE_SELF):
                gone.add(folder)
                dirty.add(folder.rsplit("/", 1)[0] if folder != self.root else folder)
                continue
            dirty.add(folder)
            if not name:
                continue
            if mask & IN_ISDIR:
                if mask & (IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO):
                    gone.add(f"{folder}/{name}")  # looked at again whole if it is there now
                written.see_folder(mask, cookie)
            else:
                written.see(f"{folder}/{name}", mask, cookie)
        if written.lost or written.unfinished:  # known before looking anywhere: walk once, not twice
            return self._rebuild(dict(self.files))
        self._old = {}
        for folder in sorted(gone):
            self._drop_folder(folder)
        for folder in sorted(dirty, key=lambda p: p.count("/")):
            self._relist(folder)
        if any(path not in self.files for path in written.names):
            # A file written through a name that is gone may have other names anywhere.
            return self._rebuild(self._before())
        self._other_links()
        return self._diff()

    def settle(self, path: str, mtime_ns: int) -> None:
        """Record the mtime the caller gave ``path``, and so every other name of its inode."""
        size, _, ino, links = self.files[path]
        names = [p for p, meta in self.files.items() if meta[2] == ino] if links > 1 else [path]
        for name in names:
            self.files[name] = (self.files[name][0], mtime_ns, ino, self.files[name][3])

    def forget_events(self) -> None:
        """Drop queued events: the caller's own stamping, with no agent process alive."""
        if self._inotify is not None and self._inotify.events() is None:
            self._rebuild(dict(self.files))

    # ------------------------------------------------------------------ keeping it

    def _rebuild(self, before: dict[str, Meta]) -> set[str]:
        """Walk everything again (a new inotify instance too); the changes against ``before``."""
        self.close()
        self._build()
        self._old = {p: meta for p, meta in before.items()}
        self._old.update({p: None for p in self.files if p not in before})
        return self._diff()

    def _before(self) -> dict[str, Meta]:
        """The files as they were when this update began."""
        before = dict(self.files)
        for path, meta in self._old.items():
            if meta is None:
                before.pop(path, None)
            else:
                before[path] = meta
        return before

    def _diff(self) -> set[str]:
        """Paths whose (size, mtime) differ from what they were before this update (None: absent)."""
        now = self.files
        return {p for p, old in self._old.items()
                if (old[:2] if old else None) != (now[p][:2] if p in now else None)}

    def _set(self, path: str, meta: Meta) -> None:
        self._old.setdefault(path, self.files.get(path))
        self.files[path] = meta

    def _del(self, path: str) -> None:
        if path in self.files:
            self._old.setdefault(path, self.files.pop(path))

    def _room(self) -> int:
        return self.limit - len(self.files) - len(self.dirs)

    def _watch(self, folder: str) -> None:
        if self._inotify is None:
            self.blind.add(folder)
            return
        try:
            wd = self._inotify.add(self.host(folder))
        except OSError:
            self.blind.add(folder)
            return
        old = self._wd_path.get(wd)
        if old is not None and self._path_wd.get(old) == wd:
            del self._path_wd[old]
        self._wd_path[wd], self._path_wd[folder] = folder, wd

    def _add_folder(self, folder: str) -> None:
        """Watch ``folder`` and everything below it (watch first, then list: nothing slips between)."""
        try:
            st = os.lstat(self.host(folder))
        except OSError:
            return
        if not stat.S_ISDIR(st.st_mode) or self._room() <= 0:
            return
        self._watch(folder)
        self.dirs[folder] = st.st_ino
        self.children[folder] = set()
        if folder != self.root:
            parent, name = folder.rsplit("/", 1)
            self.children.setdefault(parent, set()).add(name)
        for rel, sub in walk(self.host(folder), max(self._room(), 0)):
            path = f"{folder}/{rel}"
            parent, name = path.rsplit("/", 1)
            if stat.S_ISDIR(sub.st_mode):
                self._watch(path)
                self.dirs[path] = sub.st_ino
                self.children[path] = set()
            elif stat.S_ISREG(sub.st_mode):
                self._set(path, (sub.st_size, sub.st_mtime_ns, sub.st_ino, sub.st_nlink))
            else:
                continue
            self.children.setdefault(parent, set()).add(name)

    def _drop_folder(self, folder: str) -> None:
        """Forget ``folder`` and everything below it, and stop watching them."""
        if folder not in self.dirs:
            return
        prefix = folder + "/"
        for path in [p for p in self.files if p.startswith(prefix)]:
            self._del(path)
        for d in [d for d in self.dirs if d == folder or d.startswith(prefix)]:
            del self.dirs[d]
            self.children.pop(d, None)
            self.blind.discard(d)
            wd = self._path_wd.pop(d, None)
            if wd is not None and self._inotify is not None:
                self._wd_path.pop(wd, None)
                self._inotify.remove(wd)
        if folder != self.root:
            parent, name = folder.rsplit("/", 1)
            self.children.get(parent, set()).discard(name)

    def _relist(self, folder: str) -> None:
        """Look at ``folder``'s entries again; folders new to the index are added whole."""
        if folder not in self.dirs:
            return
        host = self.host(folder)
        try:
            st = os.lstat(host)
            names = os.listdir(host) if stat.S_ISDIR(st.st_mode) else None
        except OSError:
            names = None
        if names is None or st.st_ino != self.dirs[folder]:
            self._drop_folder(folder)
            if names is not None:
                self._add_folder(folder)
            return
        known = self.children.setdefault(folder, set())
        for name in known - set(names):
            self._forget(f"{folder}/{name}")
        for name in names:
            path = f"{folder}/{name}"
            try:
                sub = os.lstat(f"{host}/{name}")
            except OSError:
                self._forget(path)
                continue
            if stat.S_ISREG(sub.st_mode):
                self._drop_folder(path)
                if path in self.files or self._room() > 0:  # past the limit, as the walk stops there
                    self._set(path, (sub.st_size, sub.st_mtime_ns, sub.st_ino, sub.st_nlink))
                    known.add(name)
            elif stat.S_ISDIR(sub.st_mode):
                self._del(path)
                if self.dirs.get(path) != sub.st_ino:
                    self._drop_folder(path)
                    self._add_folder(path)
                elif path in self.blind:
                    self._relist(path)
            else:
                self._forget(path)

    def _forget(self, path: str) -> None:
        parent, name = path.rsplit("/", 1)
        self.children.get(parent, set()).discard(name)
        self._drop_folder(path)
        self._del(path)

    def _other_links(self) -> None:
        """Other names of hard-linked files that changed: a write through one name changes them all."""
        touched = {p for p in self._old if p in self.files}
        inodes = {self.files[p][2] for p in touched if self.files[p][3] > 1}
        if not inodes:
            return
        for path, (_, _, ino, _) in list(self.files.items()):
            if ino in inodes and path not in touched:
                try:
                    sub = os.lstat(self.host(path))
                except OSError:
                    continue
                self._set(path, (sub.st_size, sub.st_mtime_ns, sub.st_ino, sub.st_nlink))


class ChangeWatcher:
    """Files created, modified or deleted in the tree between two asks.

    Created and modified files get the step's stamp as their mtime, so the same actions
    give the same tree whatever the wall clock says.
    """

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self._index: FileIndex | None = None

    def close(self) -> None:
        """Release the inotify instance (a per-user resource: an in-process supervisor must give it back)."""
        if self._index is not None:
            self._index.close()
            self._index = None

    def changes(self, stamp_ns: int | None, limit: int) -> list[str]:
        """What changed since the previous call; the first call, or ``None``, only sets the baseline
        (an index already built is brought up to date, which is the same as building it again)."""
        if self._index is None:
            self._index = FileIndex(self.tree.host, self.tree.root, limit)
            return []
        if stamp_ns is None:
            self._index.update()
            return []
        index = self._index
        changed = index.update()
        if not changed:
            return []
        with self.tree.identity.agent():
            for path in changed:
                if path in index.files:
                    try:
                        os.utime(self.tree.host(path), ns=(stamp_ns, stamp_ns), follow_symlinks=False)
                        index.settle(path, stamp_ns)
                    except OSError:
                        pass  # a file in a folder the agent locked keeps its own time
        index.forget_events()
        return sorted(changed)
