"""The host's end of a supervisor: one request at a time, answers bounded, failures typed.

``RemoteLink`` speaks the frame protocol (``inside.protocol``) to a jail's supervisor
over a ``Transport``; ``InProcessLink`` calls a ``Supervisor`` on a host directory
directly (the fake backend). Both hand answers to the same ``Answer`` collector, so
they fail the same way: ``PathEscape`` for a path out of the tree, the builtin
``OSError`` subclass for file errors, ``InputError`` for a refused archive or argument,
``SandboxError`` for a supervisor that is gone or breaks the protocol.

Nothing the agent controls decides how much the host holds: data beyond a request's
``limit`` is a protocol error, and streams (``pack``) go to a ``sink`` chunk by chunk.
"""

from __future__ import annotations

import itertools
import selectors
import threading
import time
from abc import ABC, abstractmethod
from typing import Callable, Iterable, Iterator

from synthcomp.errors import InputError, PathEscape, SandboxError
from synthcomp.sandbox.inside.protocol import CHUNK, Decoder, ProtocolError, frame
from synthcomp.sandbox.inside.supervisor import StreamIn, Supervisor
from synthcomp.sandbox.transport import STDERR, Transport

Sink = Callable[[bytes], None]
STDERR_TAIL = 4096


def raise_for(answer: dict, path: str | None = None) -> dict:
    """The answer if it is a success, else the exception it stands for.

    Args:
        path: the path the caller asked about, named in file errors.
    """
    if answer.get("ok"):
        return answer
    kind, message = answer.get("error"), str(answer.get("message", "unknown failure"))
    if kind == "escape":
        raise PathEscape(message)
    if kind == "os":
        raise OSError(int(answer.get("errno", 5)), message, path)
    if kind in ("input", "archive"):
        raise InputError(message)
    raise SandboxError(f"the sandbox's supervisor failed: {message}")


class Answer:
    """Collects the frames of one answer: ``"more"`` chunks, then the final frame."""

    def __init__(self, sink: Sink | None, limit: int) -> None:
        self.sink, self.limit = sink, limit
        self.data = bytearray()
        self.received = 0
        self.final: dict | None = None

    def feed(self, header: dict, payload: bytes) -> None:
        self.received += len(payload)
        if self.received > self.limit:
            raise ProtocolError(f"the answer carries more than {self.limit} bytes")
        if self.sink is not None:
            self.sink(payload)
        else:
            self.data += payload
        if not header.get("more"):
            self.final = header


def _stream_frames(chunks: Iterable[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        for start in range(0, len(chunk), CHUNK):
            yield frame({"op": "chunk"}, chunk[start:start + CHUNK])
    yield frame({"op": "end"})


class Link(ABC):
    """One supervisor, one request at a time."""

    @abstractmethod
    def request(self, header: dict, *, payload: bytes = b"", chunks: Iterable[bytes] | None = None,
                sink: Sink | None = None, limit: int = CHUNK, timeout_s: float = 120) -> tuple[dict, bytes]:
        """Send one request; return (final answer, data).

        Args:
            payload: data in the request frame (at most one chunk).
            chunks: data streamed after the request instead (``"stream": true`` is added).
            sink: receives answer data as it arrives (the returned data is then empty).
            limit: most answer bytes accepted.
            timeout_s: how long the answer may take.

        Raises:
            SandboxError: the supervisor is gone, too slow, or broke the protocol.
        """

    def close(self) -> None:
        """Release the link (the jail's owner closes the jail itself)."""


class RemoteLink(Link):
    """Frames over a transport to a supervisor in a jail."""

    def __init__(self, transport: Transport, describe: str) -> None:
        self._transport = transport
        self._describe = describe
        self._decoder = Decoder()
        self._stderr = bytearray()
        self._lock = threading.Lock()
        self._waiter: selectors.BaseSelector | None = None
        self.broken: str | None = None

    @property
    def alive(self) -> bool:
        return self.broken is None

    def start(self, hello: dict, timeout_s: float) -> dict:
        """Send the hello and wait for the supervisor to say it is ready."""
        answer, _ = self.request({"op": "hello", **hello}, timeout_s=timeout_s)
        return answer

    def request(self, header: dict, *, payload: bytes = b"", chunks: Iterable[bytes] | None = None,
                sink: Sink | None = None, limit: int = CHUNK, timeout_s: float = 120) -> tuple[dict, bytes]:
        with self._lock:
            if self.broken:
                raise SandboxError(f"{self._describe} is unusable: {self.broken}")
            outgoing = iter([frame({**header, "stream": True} if chunks is not None else header, payload)])
            if chunks is not None:
                outgoing = itertools.chain(outgoing, _stream_frames(chunks))
            answer = Answer(sink, limit)
            try:
                self._exchange(outgoing, answer, timeout_s)
            except ProtocolError as exc:
                self._break(f"it broke the protocol ({exc})")
            finally:
                if self.broken:
                    self._drop_selector()
            return answer.final, bytes(answer.data)

    def _exchange(self, outgoing: Iterator[bytes], answer: Answer, timeout_s: float) -> None:
        # Most requests fit the transport's buffer: sent at once, the wait is only for the answer.
        pending = self._send_what_fits(memoryview(next(outgoing)), outgoing)
        selector = self._selector()
        deadline = time.monotonic() + timeout_s
        if pending is not None:
            self._watch_writes(selector, True)
        try:
            while answer.final is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    self._break(f"its supervisor did not answer within {timeout_s:g} s")
                for key, events in selector.select(timeout=min(left, 1.0)):
                    if events & selectors.EVENT_WRITE and pending is not None:
                        pending = self._send_what_fits(pending, outgoing)
                        if pending is None:
                            self._watch_writes(selector, False)
                    if events & selectors.EVENT_READ:
                        self._receive(key.fd, answer)
        finally:
            if pending is not None:
                self._watch_writes(selector, False)

    def _send_what_fits(self, view: memoryview, outgoing: Iterator[bytes]) -> memoryview | None:
        """Write frames until the transport would block; what is left of the current one, or None when all went."""
        while True:
            view = view[self._transport.write(view):]
            if view:
                return view
            chunk = next(outgoing, None)
            if chunk is None:
                return None
            view = memoryview(chunk)

    def _selector(self) -> selectors.BaseSelector:
        """The selector every request waits on, watching the transport's read fds (made once, at the first request)."""
        if self._waiter is None:
            self._waiter = selectors.DefaultSelector()
            for fd in self._transport.read_fds():
                self._waiter.register(fd, selectors.EVENT_READ)
        return self._waiter

    def _watch_writes(self, selector: selectors.BaseSelector, on: bool) -> None:
        fd = self._transport.write_fd()
        if fd in self._transport.read_fds():
            selector.modify(fd, selectors.EVENT_READ | (selectors.EVENT_WRITE if on else 0))
        elif on:
            selector.register(fd, selectors.EVENT_WRITE)
        else:
            selector.unregister(fd)

    def _receive(self, fd: int, answer: Answer) -> None:
        pieces = self._transport.read(fd)
        if pieces is None:
            self._break("its supervisor exited (the jail is gone: out of memory, or removed)")
        for stream, data in pieces:
            if stream == STDERR:
                self._stderr = (self._stderr + data)[-STDERR_TAIL:]
                continue
            for header, payload in self._decoder.feed(data):
                if answer.final is not None:
                    raise ProtocolError("data after the final answer")
                answer.feed(header, payload)

    def _break(self, reason: str) -> None:
        tail = self._stderr.decode("utf-8", "replace").strip()
        self.broken = reason + (f"; it printed: {tail[-1000:]}" if tail else "")
        raise SandboxError(f"{self._describe}: {self.broken}")

    def close(self) -> None:
        self.broken = self.broken or "closed"
        self._transport.close()
        if self._lock.acquire(blocking=False):  # else the request under way drops the selector when it ends
            try:
                self._drop_selector()
            finally:
                self._lock.release()

    def _drop_selector(self) -> None:
        if self._waiter is not None:
            self._waiter.close()
            self._waiter = None


class InProcessLink(Link):
    """A ``Supervisor`` on a host directory, called directly (the fake backend)."""

    def __init__(self, supervisor: Supervisor) -> None:
        self.supervisor = supervisor

    def request(self, header: dict, *, payload: bytes = b"", chunks: Iterable[bytes] | None = None,
                sink: Sink | None = None, limit: int = CHUNK, timeout_s: float = 120) -> tuple[dict, bytes]:
        answer = Answer(sink, limit)
        stream = None
        if chunks is not None:
            frames = (({"op": "chunk"}, chunk) for chunk in chunks)
            stream = StreamIn(lambda: next(frames, ({"op": "end"}, b"")))
        try:
            self.supervisor.serve(header, payload, send=answer.feed, stream=stream)
        except ProtocolError as exc:
            raise SandboxError(f"the fake supervisor broke the protocol: {exc}") from exc
        return answer.final, bytes(answer.data)

    def close(self) -> None:
        self.supervisor.close()
