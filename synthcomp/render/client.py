"""Reaching the render service: start it on demand, send requests, survive its death.

``open_renderer(config)`` is what commands use: a ``ServiceRenderer`` (the warm,
per-user service) unless ``SYNTHCOMP_RENDER_SERVICE=0`` or the command's
``--no-service`` asks for an in-process ``Renderer``. Both have ``render``,
``render_many`` and ``used`` and are context managers, so callers do not care which.

Starting is race-free: the first caller that finds no service takes ``render.lock``
(flock), looks again, and only then starts one and waits for it to listen; callers
racing it wait on the lock and then find it running. A socket nobody listens on (a
crashed service's) refuses the connection and is replaced.

No request hangs: a service that dies mid-request closes the connection (the request
is retried once on a fresh service), and one that stops sending heartbeats for
``SILENCE_S`` is reported as frozen.

This module imports neither Pillow nor the renderer: the ``render`` command's own
start-up counts against the time it saves.
"""

from __future__ import annotations

import fcntl
import os
import select
import socket
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Iterator, Protocol

from pydantic import ValidationError

from synthcomp.errors import RenderError
from synthcomp.render.models import RenderConfig, RenderResult
from synthcomp.render.protocol import (
    MAX_REPLY_BYTES,
    REPLY,
    Alive,
    Failed,
    Rendered,
    RenderRequest,
    ServiceStatus,
    Stopping,
    StatusRequest,
    StopRequest,
    peer_credentials,
    read_line,
    send,
)
from synthcomp.render.rundir import RunDir, run_dir

if TYPE_CHECKING:
    from pydantic import BaseModel

SERVICE_VARIABLE = "SYNTHCOMP_RENDER_SERVICE"
"""``0`` renders in-process (each command starts its own LibreOffice)."""
IDLE_VARIABLE = "SYNTHCOMP_RENDER_IDLE_S"
"""Seconds without a request after which a service started now exits."""
DEFAULT_IDLE_S = 600.0
START_TIMEOUT_S = 60.0
"""How long a new service may take to listen (Python start-up on a loaded machine)."""
SILENCE_S = 30.0
"""A service that sends nothing for this long (heartbeats come every 2 s) is frozen."""


class RendererLike(Protocol):
    """What commands need of a renderer, in-process or the service."""

    config: RenderConfig

    @property
    def used(self) -> list[Path]: ...
    def render(self, path: Path, out_dir: Path) -> RenderResult: ...
    def render_many(self, paths: list[Path], out_dir: Path) -> list[RenderResult]: ...


def service_enabled(flag: bool | None = None) -> bool:
    """``flag`` when given (a command's ``--service/--no-service``), else ``SYNTHCOMP_RENDER_SERVICE``, default on."""
    if flag is not None:
        return flag
    return os.environ.get(SERVICE_VARIABLE, "1").strip().lower() not in ("0", "false", "no", "off")


@contextmanager
def open_renderer(config: RenderConfig, service: bool | None = None) -> Iterator[RendererLike]:
    """A renderer for one command: the per-user service, or an in-process ``Renderer``."""
    if service_enabled(service):
        yield ServiceRenderer(config)
        return
    from synthcomp.render.renderer import Renderer

    with Renderer(config) as renderer:
        yield renderer


def absolute(path: Path) -> Path:
    """``path`` made absolute for the service, whose working folder is not the caller's: its
    folder resolved, its name kept (a symlinked input keeps its own name, as in-process)."""
    path = Path(path)
    if path.name in ("", ".", ".."):
        return path.resolve()
    return path.absolute().parent.resolve() / path.name


class ServiceRenderer:
    """A ``Renderer`` look-alike whose work is done by the per-user render service.

    Output folders are tracked across calls (``used``), so two files of one name go to
    ``name`` and ``name-2`` as with one in-process renderer.
    """

    def __init__(self, config: RenderConfig | None = None) -> None:
        self.config = config or RenderConfig()
        self._used: list[Path] = []

    def __enter__(self) -> ServiceRenderer:
        return self

    def __exit__(self, *exc: object) -> None:
        pass  # the service outlives its callers: that is its point

    @property
    def used(self) -> list[Path]:
        return list(self._used)

    def render(self, path: Path, out_dir: Path) -> RenderResult:
        return self.render_many([path], out_dir)[0]

    def render_many(self, paths: list[Path], out_dir: Path) -> list[RenderResult]:
        """Render through the service; a bad file is an error result, as in-process.

        Raises:
            RenderError: the service could not be started, refused the request, died
                twice while serving it, or froze.
        """
        request = RenderRequest(paths=[absolute(p) for p in paths], out_dir=absolute(out_dir),
                                config=self.config, taken=self._used, umask=_umask())
        reply = _ask_render(request)
        self._used = reply.used
        return reply.results


# -- requests ------------------------------------------------------------------------------

def _ask_render(request: RenderRequest) -> Rendered:
    """Send a render request, retrying once on a fresh service if the first one died."""
    for attempt in (1, 2):
        sock = connect(start=True)
        assert sock is not None
        pid, _ = peer_credentials(sock)
        try:
            return _render_reply(sock, request, pid)
        except ConnectionError as exc:  # died mid-request (killed, crashed, or idled out as we came)
            if attempt == 2:
                raise RenderError(f"the render service died twice while rendering ({exc}); "
                                  f"see {run_dir().log}") from None
        finally:
            sock.close()
        # A dying process closes its connections before its listening socket: until it is gone,
        # a new connection would still be queued there, and reset.
        _wait_gone(pid, timeout_s=10)
    raise AssertionError("unreachable")


def _render_reply(sock: socket.socket, request: RenderRequest, pid: int) -> Rendered:
    send(sock, request)
    budget = request.config.start_timeout_s + len(request.paths) * (3 * request.config.timeout_s + 30)
    deadline: float | None = None
    with sock.makefile("rb") as stream:
        while True:
            reply = _read_reply(sock, stream, pid)
            if isinstance(reply, Alive):
                if reply.working and deadline is None:
                    deadline = time.monotonic() + budget
                if deadline is not None and time.monotonic() > deadline:
                    raise RenderError(f"the render service (pid {pid}) took longer than {budget:g} s on "
                                      f"{len(request.paths)} file(s); stop it with `synthcomp render-service stop`")
                continue
            if isinstance(reply, Rendered):
                return reply
            if isinstance(reply, Failed):
                raise RenderError(reply.error)
            raise RenderError(f"the render service (pid {pid}) answered a render request with {reply.type!r}")


def _read_reply(sock: socket.socket, stream: object, pid: int) -> BaseModel:
    sock.settimeout(SILENCE_S)
    try:
        line = read_line(stream, MAX_REPLY_BYTES)  # type: ignore[arg-type]
    except TimeoutError:
        raise RenderError(f"the render service (pid {pid}) sent nothing for {SILENCE_S:g} s: it is frozen; "
                          f"`kill {pid}` (or `synthcomp render-service stop`) and try again") from None
    try:
        return REPLY.validate_json(line)
    except ValidationError as exc:
        raise RenderError(f"the render service (pid {pid}) sent an invalid reply: {exc.errors()[0]['msg']}") from None


def _ask(message: StatusRequest | StopRequest) -> BaseModel | None:
    """One status or stop exchange with a running service; None when none runs."""
    sock = connect(start=False)
    if sock is None:
        return None
    try:
        pid, _ = peer_credentials(sock)
        send(sock, message)
        with sock.makefile("rb") as stream:
            return _read_reply(sock, stream, pid)
    except ConnectionError:
        return None  # it exited as we asked
    finally:
        sock.close()


def status() -> ServiceStatus | None:
    """The running service's status, or None when none runs."""
    reply = _ask(StatusRequest())
    if reply is not None and not isinstance(reply, ServiceStatus):
        raise RenderError(f"the render service answered a status request with {reply!r}")
    return reply


def stop(timeout_s: float = 60.0) -> int | None:
    """Ask the service to stop once its queue is served, and wait until its socket is gone.

    Returns:
        The pid of the service that stopped, or None when none was running.
    """
    reply = _ask(StopRequest())
    if reply is None:
        return None
    if not isinstance(reply, Stopping):
        raise RenderError(f"the render service answered a stop request with {reply!r}")
    if not _wait_gone(reply.pid, timeout_s):
        raise RenderError(f"the render service (pid {reply.pid}) did not stop within {timeout_s:g} s")
    return reply.pid


# -- connecting and starting ---------------------------------------------------------------

def connect(*, start: bool) -> socket.socket | None:
    """A connection to this user's service; started first when ``start`` and none runs.

    Returns:
        The connected socket, or None when no service runs and ``start`` is False.
    Raises:
        RenderError: the service folder is unsafe, or a new service did not come up.
    """
    run = run_dir()
    sock = _try_connect(run)
    if sock is not None or not start:
        return sock
    with _start_lock(run):
        sock = _try_connect(run)  # a racing caller may have started it while we waited
        if sock is None:
            _start(run)
            sock = _try_connect(run)
    if sock is None:
        raise RenderError(f"the render service started but does not accept connections; see {run.log}")
    return sock


def _try_connect(run: RunDir) -> socket.socket | None:
    """Connected, or None when nothing listens (no socket, or a stale one, which ``_start`` replaces)."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(SILENCE_S)
        sock.connect(str(run.socket))
    except FileNotFoundError:
        sock.close()
        return None
    except ConnectionRefusedError:  # a crashed service's socket: nobody listens there
        sock.close()
        return None
    except OSError as exc:
        sock.close()
        raise RenderError(f"cannot reach the render service at {run.socket}: {exc.strerror or exc}") from None
    _, uid = peer_credentials(sock)
    if uid != os.getuid():  # the folder is private, so this cannot happen: defence in depth
        sock.close()
        raise RenderError(f"refusing the render service at {run.socket}: it runs as uid {uid}, not {os.getuid()}")
    return sock


@contextmanager
def _start_lock(run: RunDir) -> Iterator[None]:
    fd = os.open(run.lock, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    try:
        deadline = time.monotonic() + START_TIMEOUT_S + 10
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise RenderError(f"another caller has held {run.lock} for over {START_TIMEOUT_S + 10:g} s "
                                      "while starting the render service") from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)  # releases the lock


def _start(run: RunDir) -> None:
    """Start a detached service (its output in ``run.log``) and wait until it listens."""
    import subprocess

    run.socket.unlink(missing_ok=True)  # a stale socket: we hold the lock and nobody answered
    idle = os.environ.get(IDLE_VARIABLE) or str(DEFAULT_IDLE_S)
    try:
        idle_s = float(idle)
    except ValueError:
        raise RenderError(f"{IDLE_VARIABLE}={idle!r} is not a number of seconds") from None
    mode = "ab" if run.log.is_file() and run.log.stat().st_size < 1_000_000 else "wb"  # keep the log bounded
    root = str(Path(__file__).resolve().parents[2])  # the service runs this very synthcomp, from any folder
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, *filter(None, [os.environ.get("PYTHONPATH")])])}
    ready_read, ready_write = os.pipe()
    try:
        with open(run.log, mode) as log:
            starter = subprocess.Popen(
                [sys.executable, "-m", "synthcomp.render.service", str(run.path), "--idle-timeout", str(idle_s),
                 "--ready-fd", str(ready_write)],
                stdin=subprocess.DEVNULL, stdout=log, stderr=log, pass_fds=(ready_write,),
                start_new_session=True, cwd="/", env=env)
        os.close(ready_write)
        ready_write = -1
        ready = _read_ready(ready_read, START_TIMEOUT_S)
        starter.wait(timeout=START_TIMEOUT_S)  # it forked the service and exited
    finally:
        os.close(ready_read)
        if ready_write >= 0:
            os.close(ready_write)
    if not ready:
        raise RenderError(f"the render service did not start within {START_TIMEOUT_S:g} s{_log_tail(run)}")


def _read_ready(fd: int, timeout_s: float) -> bool:
    """Whether ``ready`` came on the pipe; False at EOF (the service died) or timeout."""
    deadline = time.monotonic() + timeout_s
    data = b""
    while b"\n" not in data:
        left = deadline - time.monotonic()
        if left <= 0 or not select.select([fd], [], [], left)[0]:
            return False
        chunk = os.read(fd, 64)
        if not chunk:
            return False
        data += chunk
    return data.startswith(b"ready")


def _log_tail(run: RunDir) -> str:
    try:
        text = run.log.read_text(errors="replace").strip()
    except OSError:
        return ""
    return f" (log {run.log}: {text[-400:]})" if text else f" (see {run.log})"


def _wait_gone(pid: int, timeout_s: float) -> bool:
    """Whether process ``pid`` exited within ``timeout_s``."""
    deadline = time.monotonic() + timeout_s
    while _alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _alive(pid: int) -> bool:
    """Whether ``pid`` still holds its files. A zombie does not, unless threads of it are still
    exiting: a killed multi-threaded service shows as one while a thread still holds its socket."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        return state != "Z" or len(os.listdir(f"/proc/{pid}/task")) > 1
    except (OSError, IndexError):
        return False


def _umask() -> int:
    """This process's umask, read without changing it (``os.umask`` would, for a moment, for every thread)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    current = os.umask(0o022)
    os.umask(current)
    return current

