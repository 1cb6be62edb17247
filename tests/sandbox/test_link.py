"""The host's end of a supervisor: bounded answers, and a clear error when the far end misbehaves.

These tests put small stand-in processes at the far end of the pipes, so each failure
can be produced on purpose; the real supervisor is exercised by the contract suite.
"""

from __future__ import annotations

import subprocess
import sys
from typing import Iterator

import pytest

from synthcomp.errors import SandboxError
from synthcomp.sandbox.inside.protocol import CHUNK, HEADER, Decoder, ProtocolError, frame
from synthcomp.sandbox.link import RemoteLink
from synthcomp.sandbox.transport import PipeTransport

PEER = """
import os, sys
sys.path.insert(0, {root!r})
from synthcomp.sandbox.inside.protocol import frame, Decoder
decoder = Decoder()
def recv():
    while True:
        data = os.read(0, 65536)
        if not data:
            sys.exit(0)
        got = decoder.feed(data)
        if got:
            return got[0]
def send(header, payload=b""):
    os.write(1, frame(header, payload))
{body}
"""


def _link(body: str) -> Iterator[tuple[RemoteLink, subprocess.Popen]]:
    import synthcomp

    root = str(__import__("pathlib").Path(synthcomp.__file__).parents[1])
    process = subprocess.Popen([sys.executable, "-c", PEER.format(root=root, body=body)],
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    link = RemoteLink(PipeTransport(process.stdin.fileno(), process.stdout.fileno(), process.stderr.fileno()), "test")
    yield link, process
    link.close()
    process.kill()
    process.wait()


@pytest.fixture
def echo():
    body = "while True:\n    header, payload = recv()\n    send({'ok': True, 'op': header['op']}, payload)\n"
    yield from _link(body)


def test_frames_round_trip_and_oversize_frames_are_refused():
    decoder = Decoder()
    data = frame({"op": "x", "name": "caf\udce9"}, b"\0" * 10)
    assert decoder.feed(data[:5]) == [] and decoder.feed(data[5:]) == [({"op": "x", "name": "caf\udce9"}, b"\0" * 10)]
    with pytest.raises(ProtocolError):
        Decoder().feed(HEADER.pack(100, CHUNK + 1))
    with pytest.raises(ProtocolError):
        frame({}, b"x" * (CHUNK + 1))


def test_answers_over_the_limit_break_the_link(echo):
    link, _ = echo
    assert link.request({"op": "a"}, payload=b"hi") == ({"ok": True, "op": "a"}, b"hi")
    with pytest.raises(SandboxError, match="broke the protocol"):
        link.request({"op": "b"}, payload=b"x" * 100, limit=10)
    with pytest.raises(SandboxError, match="unusable"):
        link.request({"op": "c"})


def test_a_supervisor_that_dies_or_stays_silent_is_a_sandbox_error():
    for link, process in _link("recv()\nprint('dying words', file=sys.stderr, flush=True)\nsys.exit(3)\n"):
        with pytest.raises(SandboxError, match="exited.*dying words"):
            link.request({"op": "x"})
    for link, _ in _link("import time\nrecv()\ntime.sleep(60)\n"):
        with pytest.raises(SandboxError, match="did not answer within 0.5 s"):
            link.request({"op": "x"}, timeout_s=0.5)
