"""Run the same task function over many items, in a local process pool or on Ray.

Both executors give the fleet the same guarantees (DESIGN.md, "Scale"):

- **Backpressure**: never more than ``concurrency`` tasks in flight, so never more live
  sandboxes than that (each task owns one and closes it however it ends).
- **Retries, reported**: a task that raises, or whose worker process dies (SIGKILL, OOM),
  is submitted again, up to ``attempts`` times in all; every outcome, failed ones
  included, is yielded with its attempt count and errors. Nothing is dropped silently.
- Task functions are idempotent (they skip finished work), so a retry, or re-running the
  whole command, never duplicates output.

This module imports nothing of synthcomp's but errors, so any layer can fan out with it.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from synthcomp.errors import InputError

ExecutorName = Literal["local", "ray"]


@dataclass
class Outcome:
    """What became of one item."""

    key: str
    status: Literal["done", "failed"]
    value: Any = None
    """The task function's return value (``done`` only)."""
    attempts: int = 0
    errors: list[str] = field(default_factory=list)
    """One line per failed attempt, oldest first."""
    seconds: float = 0.0
    """Wall time of the last attempt."""


class Executor(Protocol):
    concurrency: int

    def run(self, fn: Callable[[Any], Any], items: Sequence[Any], keys: Sequence[str]) -> Iterator[Outcome]:
        """Yield one :class:`Outcome` per item, in completion order."""
        ...


@dataclass
class _Retrying:
    """The bookkeeping both executors share: a queue, attempts and errors per key."""

    items: Sequence[Any]
    keys: Sequence[str]
    attempts_allowed: int
    queue: deque[int] = field(default_factory=deque)
    attempts: dict[int, int] = field(default_factory=dict)
    errors: dict[int, list[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.queue.extend(range(len(self.items)))

    def start(self, index: int) -> None:
        self.attempts[index] = self.attempts.get(index, 0) + 1

    def done(self, index: int, value: Any, seconds: float) -> Outcome:
        return Outcome(self.keys[index], "done", value, self.attempts[index], self.errors.get(index, []), seconds)

    def failed(self, index: int, error: str, seconds: float) -> Outcome | None:
        """Record a failed attempt; the final :class:`Outcome` once attempts are spent, else requeue."""
        self.errors.setdefault(index, []).append(error)
        if self.attempts[index] < self.attempts_allowed:
            self.queue.append(index)
            return None
        return Outcome(self.keys[index], "failed", None, self.attempts[index], self.errors[index], seconds)


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1] if str(exc).strip() else ''}".rstrip(": ")


class LocalExecutor:
    """A process pool of ``concurrency`` workers; a dead worker breaks the pool, so the
    pool is rebuilt and every task it held is retried."""

    def __init__(self, concurrency: int, attempts: int = 3):
        self.concurrency, self.attempts = concurrency, attempts

    def run(self, fn: Callable[[Any], Any], items: Sequence[Any], keys: Sequence[str]) -> Iterator[Outcome]:
        state = _Retrying(items, keys, self.attempts)
        while state.queue:
            with ProcessPoolExecutor(max_workers=self.concurrency) as pool:
                inflight: dict[Future, tuple[int, float]] = {}
                broken = False
                while (state.queue or inflight) and not broken:
                    while state.queue and len(inflight) < self.concurrency:
                        index = state.queue.popleft()
                        state.start(index)
                        inflight[pool.submit(fn, items[index])] = (index, time.perf_counter())
                    finished, _ = wait(inflight, return_when=FIRST_COMPLETED)
                    for future in finished:
                        index, started = inflight.pop(future)
                        seconds = time.perf_counter() - started
                        try:
                            value = future.result()
                        except BrokenProcessPool:
                            broken = True
                            outcome = state.failed(index, "worker process died", seconds)
                        except Exception as exc:  # the task's own failure: retried, then reported
                            outcome = state.failed(index, _describe(exc), seconds)
                        else:
                            outcome = state.done(index, value, seconds)
                        if outcome is not None:
                            yield outcome
                for future, (index, started) in inflight.items():  # the broken pool took these down too
                    outcome = state.failed(index, "worker process died", time.perf_counter() - started)
                    if outcome is not None:
                        yield outcome


class RayExecutor:
    """The same contract on Ray: ``ray.init()`` locally, or ``address`` for a cluster.

    Each task asks for ``min(1, cluster CPUs / concurrency)`` CPUs, so ``concurrency``
    tasks fit at once however many cores the cluster has; Ray's own retries are off so
    that every attempt is counted and reported here.
    """

    def __init__(self, concurrency: int, attempts: int = 3, address: str | None = None):
        self.concurrency, self.attempts, self.address = concurrency, attempts, address

    def run(self, fn: Callable[[Any], Any], items: Sequence[Any], keys: Sequence[str]) -> Iterator[Outcome]:
        import ray

        started_here = not ray.is_initialized()
        if started_here:
            ray.init(address=self.address, include_dashboard=False, log_to_driver=False,
                     configure_logging=False)
        try:
            cpus = ray.cluster_resources().get("CPU", 1.0)
            remote = ray.remote(num_cpus=min(1.0, cpus / self.concurrency), max_retries=0)(fn)
            yield from self._drive(ray, remote, _Retrying(items, keys, self.attempts))
        finally:
            if started_here:
                ray.shutdown()

    def _drive(self, ray: Any, remote: Any, state: _Retrying) -> Iterator[Outcome]:
        inflight: dict[Any, tuple[int, float]] = {}
        while state.queue or inflight:
            while state.queue and len(inflight) < self.concurrency:
                index = state.queue.popleft()
                state.start(index)
                inflight[remote.remote(state.items[index])] = (index, time.perf_counter())
            ready, _ = ray.wait(list(inflight), num_returns=1)
            for ref in ready:
                index, started = inflight.pop(ref)
                seconds = time.perf_counter() - started
                try:
                    value = ray.get(ref)
                except ray.exceptions.RayTaskError as exc:  # the task raised
                    outcome = state.failed(index, _describe(exc.cause or exc), seconds)
                except ray.exceptions.RayError as exc:  # the worker died, or the node went away
                    outcome = state.failed(index, f"worker process died ({type(exc).__name__})", seconds)
                else:
                    outcome = state.done(index, value, seconds)
                if outcome is not None:
                    yield outcome


def make_executor(name: str, concurrency: int, *, attempts: int = 3, ray_address: str | None = None) -> Executor:
    """The executor called ``name``.

    Raises:
        InputError: an unknown name, concurrency below 1, or ``ray_address`` without Ray.
    """
    if concurrency < 1:
        raise InputError(f"--concurrency must be at least 1, got {concurrency}")
    if attempts < 1:
        raise InputError(f"--attempts must be at least 1, got {attempts}")
    if name == "local":
        if ray_address:
            raise InputError("--ray-address needs --executor ray")
        return LocalExecutor(concurrency, attempts)
    if name == "ray":
        try:
            import ray  # noqa: F401 - only to fail here, before any work, when it is missing
        except ImportError:
            raise InputError("--executor ray needs Ray: pip install 'synthcomp[ray]'") from None
        return RayExecutor(concurrency, attempts, ray_address)
    raise InputError(f"--executor must be local or ray, got {name!r}")
