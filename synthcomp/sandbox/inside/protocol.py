"""Frames between the host and the supervisor.

A frame is an 8-byte header (length of a JSON object, length of a binary payload),
the JSON, then the payload. JSON is written ASCII-only, so file names that are not
valid UTF-8 (``surrogateescape``) cross intact. Data longer than ``CHUNK`` travels as
a stream: frames flagged ``"more"`` followed by one final frame. A frame larger than
the limits below is a protocol error, never an allocation.
"""

from __future__ import annotations

import json
import struct

HEADER = struct.Struct(">II")
MAX_JSON = 4 << 20
CHUNK = 1 << 20
"""Largest payload of one frame; longer data is streamed."""


class ProtocolError(Exception):
    """The byte stream is not a sequence of valid frames."""


def frame(header: dict, payload: bytes = b"") -> bytes:
    """One encoded frame."""
    body = json.dumps(header, separators=(",", ":")).encode("ascii")
    if len(body) > MAX_JSON or len(payload) > CHUNK:
        raise ProtocolError(f"frame too large: {len(body)} bytes of JSON, {len(payload)} of payload")
    return HEADER.pack(len(body), len(payload)) + body + payload


class Decoder:
    """Turns bytes, fed in any pieces, into ``(header, payload)`` frames."""

    def __init__(self) -> None:
        self._buffer = bytearray()

    def feed(self, data: bytes) -> list[tuple[dict, bytes]]:
        self._buffer += data
        frames = []
        while len(self._buffer) >= HEADER.size:
            size, payload_size = HEADER.unpack_from(self._buffer)
            if size > MAX_JSON or payload_size > CHUNK:
                raise ProtocolError(f"frame too large: {size} bytes of JSON, {payload_size} of payload")
            end = HEADER.size + size + payload_size
            if len(self._buffer) < end:
                break
            try:
                header = json.loads(bytes(self._buffer[HEADER.size : HEADER.size + size]))
            except ValueError as exc:
                raise ProtocolError(f"frame header is not JSON: {exc}") from None
            if not isinstance(header, dict):
                raise ProtocolError("frame header is not a JSON object")
            frames.append((header, bytes(self._buffer[HEADER.size + size : end])))
            del self._buffer[:end]
        return frames

    @property
    def pending(self) -> int:
        """Bytes received that do not yet form a whole frame."""
        return len(self._buffer)
