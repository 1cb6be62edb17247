"""The render service: warm LibreOffices per user, shared by every synthcomp command.

Starting LibreOffice costs ~1.7 s, more than rendering a typical document warm, so a
command that renders a few files spends most of its time starting it. The service keeps
it running between commands: ``client.py`` starts it on the first request (detached,
its output in ``render.log``), and it exits once no request has come for
``idle_timeout_s``, removing its socket.

- **One at a time, two LibreOffices.** Each connection gets a thread, but requests render
  one after another under one lock; a queued caller hears ``Alive`` heartbeats until its
  turn, then gets its own results. A request's files convert on ``OFFICES`` LibreOffices
  at once (each converts on one core), while a thread rasterizes.
- **Only this user.** The socket lives in a private folder (``rundir.py``), and every
  connection's peer uid (SO_PEERCRED) is checked again on accept.
- **A hung or dead LibreOffice costs one file**, as in ``Renderer``: it is killed and
  restarted, the file gets an error, the service goes on.
- **Ready means listening.** The socket is bound under a temporary name and renamed into
  place, then the starter hears ``ready`` on an inherited pipe; a stale socket left by a
  crashed service is simply replaced by the rename.

Run as ``python -m synthcomp.render.service DIR --idle-timeout S --ready-fd FD``.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

from pydantic import ValidationError

from synthcomp.render.office import OfficeServer
from synthcomp.render.protocol import (
    HEARTBEAT_S,
    MAX_REQUEST_BYTES,
    PROTOCOL,
    REQUEST,
    Alive,
    Failed,
    Rendered,
    RenderRequest,
    ServiceStatus,
    Stopping,
    StopRequest,
    peer_credentials,
    read_line,
    send,
)
from synthcomp.render.renderer import Renderer
from synthcomp.render.rundir import RunDir, check_private

log = logging.getLogger("synthcomp.render.service")

ACCEPT_POLL_S = 0.5
"""How often the accept loop looks at the idle clock and the stop flag."""
REQUEST_READ_S = 30.0
"""A connection that does not send its request within this is dropped."""
OFFICES = max(1, min(2, os.cpu_count() or 1))
"""LibreOffices kept warm: ~200 MB each; more than the cores would only take turns."""


class Service:
    """The served state: the LibreOffices, the render lock, and the clocks for idling out."""

    def __init__(self, run: RunDir, idle_timeout_s: float) -> None:
        self.run = run
        self.idle_timeout_s = idle_timeout_s
        self.started = time.monotonic()
        self._workdir, self._workdir_lock = run.claim_scratch()
        tempfile.tempdir = str(self._workdir)  # each request's scratch too: one folder, swept even after a kill
        self.offices = [OfficeServer(self._workdir / f"office-{i}") for i in range(OFFICES)]
        self.stopping = threading.Event()
        self._render_lock = threading.Lock()  # one request renders at a time
        self._state = threading.Condition()  # guards the counters below
        self._active = 0
        self._last_render = time.monotonic()  # a status or stop request does not keep the service up
        self.requests = 0
        self.files = 0

    # -- the accept loop ----------------------------------------------------------------

    def serve(self, listener: socket.socket) -> str:
        """Accept connections until idle, stopped or signalled; returns why it stopped."""
        listener.settimeout(ACCEPT_POLL_S)
        while not self.stopping.is_set():
            if self.idle_s() >= self.idle_timeout_s:
                return f"idle for {self.idle_timeout_s:g} s"
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError as exc:
                log.warning("accept failed: %s", exc)
                time.sleep(ACCEPT_POLL_S)
                continue
            _, uid = peer_credentials(conn)
            if uid != os.getuid():  # the folder's mode already keeps others out: defence in depth
                log.warning("refused a connection from uid %d", uid)
                conn.close()
                continue
            with self._state:
                self._active += 1
            threading.Thread(target=self._connection, args=(conn,), daemon=True).start()
        return "asked to stop"

    def idle_s(self) -> float:
        """Seconds since the last render ended (or the start); 0 while any connection is open."""
        with self._state:
            return 0.0 if self._active else time.monotonic() - self._last_render

    def drain(self) -> None:
        """Wait for the connections already accepted to be answered (renders are bounded)."""
        with self._state:
            self._state.wait_for(lambda: self._active == 0)

    def close(self) -> None:
        for office in self.offices:
            office.stop()
        shutil.rmtree(self._workdir, ignore_errors=True)
        os.close(self._workdir_lock)

    # -- one connection -------------------------------------------------------------------

    def _connection(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(REQUEST_READ_S)
            with conn.makefile("rb") as stream:
                line = read_line(stream, MAX_REQUEST_BYTES)
            try:
                request = REQUEST.validate_json(line)
            except ValidationError as exc:
                first = exc.errors()[0]
                where = ".".join(str(x) for x in first["loc"])
                send(conn, Failed(error=f"invalid request: {where}: {first['msg']}"))
                return
            if request.protocol != PROTOCOL:
                send(conn, Failed(error=f"the render service (pid {os.getpid()}) speaks protocol {PROTOCOL}, "
                                        f"not {request.protocol}: stop it with `synthcomp render-service stop`"))
            elif isinstance(request, RenderRequest):
                self._render(conn, request)
            elif isinstance(request, StopRequest):
                send(conn, Stopping(pid=os.getpid()))
                self.stopping.set()
            else:
                send(conn, self.status())
        except (OSError, ConnectionError) as exc:  # the caller went away or sent half a request
            log.info("connection dropped: %s", exc)
        finally:
            conn.close()
            with self._state:
                self._active -= 1
                self._state.notify_all()

    def _render(self, conn: socket.socket, request: RenderRequest) -> None:
        beat = _Heartbeat(conn)
        beat.start()
        try:
            with self._render_lock:
                beat.working = True
                started = time.perf_counter()
                old_umask = os.umask(request.umask)
                try:
                    for office in self.offices:
                        office.start_timeout_s = request.config.start_timeout_s
                    with Renderer(request.config, offices=self.offices, taken=request.taken) as renderer:
                        results = renderer.render_many(request.paths, request.out_dir)
                        reply: Rendered | Failed = Rendered(results=results, used=renderer.used)
                except Exception as exc:  # a bug, not a bad file (those are results): this request fails, the service goes on
                    log.exception("render request failed")
                    reply = Failed(error=f"the render service failed: {type(exc).__name__}: {exc}")
                finally:
                    os.umask(old_umask)
                with self._state:
                    self.requests += 1
                    self.files += len(request.paths)
                    self._last_render = time.monotonic()
                log.info("served %d file(s) in %.2f s: %s", len(request.paths), time.perf_counter() - started,
                         reply.error if isinstance(reply, Failed) else
                         f"{sum(not r.ok for r in reply.results)} failed")
        finally:
            beat.stop()
        send(conn, reply)

    def status(self) -> ServiceStatus:
        return ServiceStatus(pid=os.getpid(), uptime_s=time.monotonic() - self.started,
                             idle_s=self.idle_s(), idle_timeout_s=self.idle_timeout_s,
                             requests=self.requests, files=self.files,
                             office_pids=[o.pid for o in self.offices if o.pid is not None],
                             office_starts=sum(o.starts for o in self.offices),
                             package=str(Path(__file__).resolve().parents[1]))


class _Heartbeat:
    """Sends ``Alive`` every HEARTBEAT_S until stopped, so the client can tell busy from dead."""

    def __init__(self, conn: socket.socket) -> None:
        self.conn = conn
        self.working = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._done.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._done.wait(HEARTBEAT_S):
            try:
                send(self.conn, Alive(working=self.working))
            except OSError:
                return  # the caller left; the render finishes and its reply is dropped


def listen(run: RunDir) -> tuple[socket.socket, int]:
    """Bind under a temporary name, then rename onto ``run.socket`` (replacing a stale one).

    Returns:
        The listening socket and the inode of its file, so that exiting removes the socket
        file only while it is still this service's.
    """
    temporary = run.path / f".render.sock.{os.getpid()}"
    temporary.unlink(missing_ok=True)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(str(temporary))
    os.chmod(temporary, 0o600)
    listener.listen(64)
    inode = os.stat(temporary).st_ino
    os.rename(temporary, run.socket)
    return listener, inode


def _remove_socket(run: RunDir, inode: int) -> None:
    try:
        if os.stat(run.socket).st_ino == inode:
            run.socket.unlink()
    except FileNotFoundError:
        pass


def _detach() -> None:
    """Fork once more so that the service is nobody's child (the starter already made it a
    session leader): it is reparented to init and never a zombie of a long-lived caller."""
    if os.fork() > 0:
        os._exit(0)
    os.chdir("/")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m synthcomp.render.service")
    parser.add_argument("dir", type=Path)
    parser.add_argument("--idle-timeout", type=float, required=True)
    parser.add_argument("--ready-fd", type=int, default=-1)
    args = parser.parse_args(argv)
    logging.basicConfig(format="%(asctime)s render-service[%(process)d] %(levelname)s %(message)s",
                        level=logging.INFO, stream=sys.stderr)
    run = RunDir(args.dir)
    check_private(run.path)
    _detach()
    service = Service(run, args.idle_timeout)
    signal.signal(signal.SIGTERM, lambda *_: service.stopping.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    listener, inode = listen(run)
    if args.ready_fd >= 0:
        os.write(args.ready_fd, b"ready\n")
        os.close(args.ready_fd)
    log.info("listening on %s (idle timeout %g s)", run.socket, args.idle_timeout)
    try:
        for office in service.offices:
            office.start()  # boots while the first request is on its way
    except Exception as exc:  # reported to each request that needs it
        log.warning("LibreOffice did not start: %s", exc)
    try:
        why = service.serve(listener)
    finally:
        _remove_socket(run, inode)  # new callers now start a fresh service
        listener.close()  # queued, unaccepted connections see a reset and retry
        service.drain()
        service.close()
    log.info("stopped: %s", why)


if __name__ == "__main__":
    main()
