"""What the render service and its clients say to each other: one JSON object per line.

A client connects, sends one request and reads replies until the final one:

    render  -> Alive* then Rendered | Failed
    status  -> ServiceStatus
    stop    -> Stopping

``Alive`` lines come every ``HEARTBEAT_S`` while a render request waits for its turn
or is being rendered, so a client tells a busy service (many callers queued) from a
dead or frozen one by silence, not by guessing how long the queue is. Requests are
validated here, at the boundary, by the service; replies by the client.
"""

from __future__ import annotations

import socket
import struct
from pathlib import Path
from typing import Annotated, BinaryIO, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, TypeAdapter

from synthcomp.render.models import RenderConfig, RenderResult

PROTOCOL = 2
"""Bumped when a message changes meaning; a service of another protocol is stopped and replaced."""
HEARTBEAT_S = 2.0
MAX_REQUEST_BYTES = 8 * 1024 * 1024
MAX_REPLY_BYTES = 256 * 1024 * 1024


def _absolute(path: Path) -> Path:
    """The service runs in its own folder: a relative or ``..`` path would mean something else there."""
    if not path.is_absolute() or ".." in path.parts:
        raise ValueError(f"{path} must be absolute, without '..' (resolved by the client)")
    return path


AbsolutePath = Annotated[Path, AfterValidator(_absolute)]


class RenderRequest(BaseModel):
    """Render ``paths`` into ``out_dir`` as ``Renderer(config, taken=taken).render_many`` would."""

    model_config = ConfigDict(extra="forbid")

    op: Literal["render"] = "render"
    protocol: int = PROTOCOL
    paths: list[AbsolutePath] = Field(min_length=1, max_length=100_000)
    out_dir: AbsolutePath
    config: RenderConfig
    taken: list[AbsolutePath] = Field(default_factory=list)
    """Output folders the caller's earlier requests filled (``Renderer.used``)."""
    umask: int = Field(0o022, ge=0, le=0o777)
    """The caller's umask: the files written are created as the caller would create them."""


class StatusRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    op: Literal["status"] = "status"
    protocol: int = PROTOCOL


class StopRequest(BaseModel):
    """Stop after the requests already accepted have been answered."""

    model_config = ConfigDict(extra="forbid")

    op: Literal["stop"] = "stop"
    protocol: int = PROTOCOL


Request = Annotated[RenderRequest | StatusRequest | StopRequest, Field(discriminator="op")]


class Alive(BaseModel):
    type: Literal["alive"] = "alive"
    working: bool
    """False while the request waits behind another caller's."""


class Rendered(BaseModel):
    type: Literal["rendered"] = "rendered"
    results: list[RenderResult]
    used: list[Path]
    """The renderer's output folders after this request: the next request's ``taken``."""


class Failed(BaseModel):
    """The request was refused or the service could not serve it (a bad file is a result, not this)."""

    type: Literal["failed"] = "failed"
    error: str


class ServiceStatus(BaseModel):
    type: Literal["status"] = "status"
    protocol: int = PROTOCOL
    pid: int
    uptime_s: float
    idle_s: float
    """Time since the last render ended (0 while a connection is open)."""
    idle_timeout_s: float
    requests: int
    """Render requests served so far."""
    files: int
    office_pids: list[int]
    """The launchers of the LibreOffices that run."""
    office_starts: int
    """LibreOffice starts, restarts included, over all of them."""
    package: str
    """Where the service's synthcomp was imported from."""


class Stopping(BaseModel):
    type: Literal["stopping"] = "stopping"
    pid: int


Reply = Annotated[Alive | Rendered | Failed | ServiceStatus | Stopping, Field(discriminator="type")]
REQUEST: TypeAdapter[RenderRequest | StatusRequest | StopRequest] = TypeAdapter(Request)
REPLY: TypeAdapter[Alive | Rendered | Failed | ServiceStatus | Stopping] = TypeAdapter(Reply)


def send(sock: socket.socket, message: BaseModel) -> None:
    """One message as one line."""
    sock.sendall(message.model_dump_json().encode() + b"\n")


def peer_credentials(sock: socket.socket) -> tuple[int, int]:
    """The (pid, uid) of the process at the other end of a connected Unix socket (SO_PEERCRED)."""
    pid, uid, _gid = struct.unpack("3i", sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                           struct.calcsize("3i")))
    return pid, uid


def read_line(stream: BinaryIO, limit: int) -> bytes:
    """The next line of ``stream`` (a socket's ``makefile("rb")``); ConnectionError at its end
    or past ``limit`` bytes, since a partial message can never be read correctly."""
    line = stream.readline(limit + 1)
    if not line.endswith(b"\n"):
        raise ConnectionError("the connection closed mid-message" if len(line) <= limit
                              else f"a message longer than {limit} bytes")
    return line

