"""Spare containers: a computer's next container, started before it is needed.

Starting a container (create, boot files, attach, start, the supervisor's hello) takes
about 0.4 s on this kind of machine, and an RL loop pays it at every ``reset`` of an
episode and every ``restore`` of a snapshot. A spare is that container already started
for the same computer (same image, hostname, user and limits: the things fixed when a
container is created), loaded with the computer as created and nothing of any agent in
it: a reset takes it as it is, a restore empties its tree and streams the snapshot in.

Spares are started on a background thread, and only for computers this process has
started twice (a simulation that runs one month in one container never pays for
one). They are bounded (``SPARE_LIMIT`` per process; the least recently wanted goes
first), labelled like every container (``synthcomp gc`` removes those of a dead
process), and removed when the process exits; a spare's supervisor also exits on its
own when this process goes, as every container's does.
"""

from __future__ import annotations

import atexit
import hashlib
import logging
import threading
from collections import Counter, OrderedDict
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Callable, Hashable

from synthcomp.sandbox.jail import Running

log = logging.getLogger(__name__)

SPARE_LIMIT = 8
"""Spare containers per process, over all computers (each holds ~30 MB while it waits)."""


class Spares:
    """Started containers waiting for a computer, keyed by what makes two of them interchangeable."""

    def __init__(self, limit: int = SPARE_LIMIT) -> None:
        self.limit = limit
        self._lock = threading.Lock()
        self._ready: OrderedDict[Hashable, list[Running]] = OrderedDict()
        self._pending: dict[Hashable, Future[Running]] = {}
        self._discards: dict[Hashable, Callable[[Running], None]] = {}
        self._starts: Counter[Hashable] = Counter()
        self._executor: ThreadPoolExecutor | None = None

    def take(self, key: Hashable) -> Running | None:
        """A spare for ``key`` (waiting for one being started, which is sooner than a new one), or None."""
        with self._lock:
            self._starts[key] += 1
            ready = self._ready.get(key)
            if ready:
                return ready.pop()
            pending = self._pending.pop(key, None)
        if pending is None:
            return None
        try:
            return pending.result()
        except Exception as exc:  # noqa: BLE001 - a failed spare only costs the warm start
            log.info("a spare container failed to start (%s); starting one now", exc)
            return None

    def refill(self, key: Hashable, start: Callable[[], Running], discard: Callable[[Running], None],
               per_key: int) -> None:
        """Start spares for ``key`` in the background, up to ``per_key``, if it was started before."""
        with self._lock:
            have = len(self._ready.get(key, ())) + (key in self._pending)
            if self._starts[key] < 2 or have >= per_key or key in self._pending:
                return
            self._discards[key] = discard
            self._make_room()
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="synthcomp-spares")
            future = self._executor.submit(start)
            self._pending[key] = future
        future.add_done_callback(lambda done: self._started(key, done))

    def _started(self, key: Hashable, future: Future[Running]) -> None:
        if future.cancelled() or future.exception() is not None:
            with self._lock:
                self._pending.pop(key, None)
            return
        with self._lock:
            if self._pending.get(key) is not future:
                return  # taken while starting: the taker has it
            del self._pending[key]
            self._ready.setdefault(key, []).append(future.result())
            self._ready.move_to_end(key)

    def _make_room(self) -> None:
        """Discard the least recently wanted ready spares until one more fits (lock held)."""
        while self._ready and sum(map(len, self._ready.values())) + len(self._pending) >= self.limit:
            key, ready = next(iter(self._ready.items()))
            self._discards[key](ready.pop(0))
            if not ready:
                del self._ready[key]

    def close(self) -> None:
        """Discard every spare (at exit, and in tests)."""
        with self._lock:
            pending, self._pending = list(self._pending.items()), {}
            ready, self._ready = list(self._ready.items()), OrderedDict()
            self._starts.clear()
        for key, future in pending:
            if not future.cancel():
                try:
                    self._discards[key](future.result())
                except Exception:  # noqa: BLE001 - it never started
                    pass
        for key, spares in ready:
            for running in spares:
                self._discards[key](running)

    def count(self) -> int:
        """Spares ready or being started."""
        with self._lock:
            return sum(map(len, self._ready.values())) + len(self._pending)


def tree_fingerprint(tree: Path | None) -> str:
    """Names, kinds, modes, sizes and mtimes of a computer's files: a spare loaded from them fits only them."""
    digest = hashlib.sha256()
    if tree is not None:
        for path in sorted(Path(tree).rglob("*")):
            st = path.lstat()
            digest.update(f"{path.relative_to(tree)}\0{st.st_mode}\0{st.st_size}\0{st.st_mtime_ns}\n".encode(
                "utf-8", "surrogateescape"))
    return digest.hexdigest()


SPARES = Spares()
atexit.register(SPARES.close)
