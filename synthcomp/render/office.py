"""One warm headless LibreOffice, driven over UNO, killed and restarted when it hangs or dies.

``soffice --headless --accept=pipe,name=...`` runs in its own process group with a
private profile (``-env:UserInstallation``). A small UNO client, ``uno_worker.py``, runs
under the system Python (the only one that can ``import uno``) and converts one
document per JSON request. Every request has a deadline: past it, both processes are
killed and the next request starts a fresh pair, so one hostile file costs one
timeout and one restart (~1 s), never the renderer.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import IO, Any

from synthcomp.errors import RenderError

WORKER = Path(__file__).with_name("uno_worker.py")
SYSTEM_PYTHON = "/usr/bin/python3"
PIPE_DIR = Path("/tmp")  # LibreOffice's OSL pipes always live here (not under $TMPDIR)
SOFFICE_FLAGS = ("--headless", "--invisible", "--nocrashreport", "--nodefault", "--nologo",
                 "--nofirststartwizard", "--norestore")


def find_soffice() -> str:
    """The LibreOffice launcher, or a RenderError that says how to install it."""
    found = shutil.which("soffice") or shutil.which("libreoffice")
    if found is None and Path("/usr/lib/libreoffice/program/soffice").exists():
        found = "/usr/lib/libreoffice/program/soffice"
    if found is None:
        raise RenderError("LibreOffice is not installed (no `soffice` on PATH): `make setup` installs "
                          "libreoffice-{core,writer,calc,impress}-nogui and python3-uno")
    return found


class OfficeServer:
    """A long-lived LibreOffice plus its UNO worker, restarted on hang or death.

    Args:
        workdir: a private directory for profiles and the log (the caller removes it).
        start_timeout_s: how long LibreOffice may take to accept connections.
        python: the interpreter that can ``import uno``.
    """

    def __init__(self, workdir: Path, *, start_timeout_s: float = 60.0, python: str = SYSTEM_PYTHON) -> None:
        self.workdir = Path(workdir)
        self.start_timeout_s = start_timeout_s
        self.python = python
        self.starts = 0
        """How many times LibreOffice was started (1 + restarts)."""
        self._soffice: subprocess.Popen[bytes] | None = None
        self._worker: subprocess.Popen[str] | None = None
        self._lines: queue.Queue[str | None] = queue.Queue()
        self._ready = False
        self._pipe = ""
        self._ipc_before: set[str] = set()
        self._log: IO[bytes] | None = None

    # -- lifecycle ---------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether both processes are alive (not whether LibreOffice has finished booting)."""
        return (self._soffice is not None and self._soffice.poll() is None
                and self._worker is not None and self._worker.poll() is None)

    @property
    def pid(self) -> int | None:
        """The process id (and process group id) of LibreOffice's launcher, while it runs."""
        return self._soffice.pid if self._soffice is not None and self._soffice.poll() is None else None

    def start(self) -> None:
        """Start LibreOffice and the worker without waiting for them (idempotent)."""
        if self.running:
            return
        self._kill()
        soffice = find_soffice()
        if not Path(self.python).exists():
            raise RenderError(f"{self.python} is missing: the UNO worker needs the system Python with python3-uno")
        self.starts += 1
        self._pipe = f"synthcomp-{os.getpid()}-{uuid.uuid4().hex[:12]}"
        profile = self.workdir / f"profile-{self.starts}"
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._log = open(self.workdir / "soffice.log", "ab")
        self._ipc_before = _ipc_sockets()
        self._soffice = subprocess.Popen(
            [soffice, *SOFFICE_FLAGS, f"--accept=pipe,name={self._pipe};urp;StarOffice.ComponentContext",
             f"-env:UserInstallation={profile.as_uri()}"],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log, start_new_session=True,
            env={**os.environ, "SAL_USE_VCLPLUGIN": "svp"},
        )
        self._worker = subprocess.Popen(
            [self.python, "-u", str(WORKER), self._pipe, str(self.start_timeout_s)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self._log, text=True,
            start_new_session=True,
        )
        self._lines = queue.Queue()
        self._ready = False
        threading.Thread(target=_pump, args=(self._worker.stdout, self._lines), daemon=True).start()

    def stop(self) -> None:
        """Shut LibreOffice down (gracefully if it answers, else killed); idempotent."""
        if self.running and self._ready:
            try:
                self._send({"op": "quit"})
                self._soffice.wait(timeout=5)  # type: ignore[union-attr]
            except (OSError, subprocess.TimeoutExpired):
                pass
        self._kill()

    def _kill(self) -> None:
        """Kill both process groups, reap them and remove the sockets they leave behind."""
        for proc in (self._worker, self._soffice):
            if proc is None:
                continue
            # The group outlives its leader (soffice -> oosplash -> soffice.bin). Its id is
            # ours while the leader is unreaped or any member lives, so only then signal it.
            if proc.poll() is None or _group_members(proc.pid):
                try:
                    os.killpg(proc.pid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            if proc.stdin is not None:  # stdout is left to the pump thread, which sees EOF
                try:
                    proc.stdin.close()
                except OSError:
                    pass
        if self._soffice is not None:
            _wait_group_gone(self._soffice.pid, timeout_s=10)
            candidates = {f"OSL_PIPE_{os.getuid()}_{self._pipe}"} | (_ipc_sockets() - self._ipc_before)
            for name in candidates:
                _remove_if_stale(PIPE_DIR / name)
            shutil.rmtree(self.workdir / f"profile-{self.starts}", ignore_errors=True)
        if self._log is not None:
            self._log.close()
        self._soffice = self._worker = self._log = None
        self._ready = False

    # -- requests ----------------------------------------------------------------------

    def convert(self, src: Path, dst: Path, *, timeout_s: float, import_filter: str | None = None,
                import_options: str | None = None, export_filter: str | None = None,
                fit_width: bool = False, encryption: dict[str, str] | None = None) -> str:
        """Convert ``src`` to ``dst`` (PDF unless ``export_filter`` names another filter).

        ``fit_width`` prints each sheet of a spreadsheet one page wide; ``encryption``
        is the store call's EncryptionData (``{"OOXPassword": pw, "CryptoType": "Standard"}``
        writes a password-protected OOXML file).

        Returns:
            The export filter used.
        Raises:
            RenderError: LibreOffice could not open or store the document, timed out
                (it was killed; the next call restarts it) or died.
        """
        self._ensure_ready()
        request = {"src": str(src), "dst": str(dst), "import_filter": import_filter,
                   "import_options": import_options, "export_filter": export_filter, "fit_width": fit_width,
                   "encryption": encryption}
        try:
            self._send(request)
        except OSError:
            self._kill()
            raise RenderError("LibreOffice's UNO worker was gone; it will be restarted") from None
        reply = self._read(timeout_s)
        if reply is None:
            self._kill()
            raise RenderError(f"LibreOffice took longer than {timeout_s:g} s; it was killed and will be restarted")
        if reply.get("ok"):
            return str(reply["export_filter"])
        if reply.get("eof"):
            self._kill()
            raise RenderError("LibreOffice (or its UNO worker) died while converting; it will be restarted")
        if reply.get("fatal") or not self.running:
            self._kill()
            raise RenderError(f"LibreOffice died while converting ({reply.get('error')}); it will be restarted")
        raise RenderError(str(reply.get("error")))

    def _ensure_ready(self) -> None:
        if self._ready and self.running:
            return
        if not self.running:
            self.start()
        reply = self._read(self.start_timeout_s + 5)
        if reply is None or not reply.get("ready"):
            why = (reply or {}).get("fatal") or ("the UNO worker exited" if (reply or {}).get("eof")
                                                 else f"no answer within {self.start_timeout_s:g} s")
            tail = self._log_tail()
            self._kill()
            raise RenderError(f"LibreOffice did not start: {why}{tail}")
        self._ready = True

    def _send(self, obj: dict[str, Any]) -> None:
        assert self._worker is not None and self._worker.stdin is not None
        self._worker.stdin.write(json.dumps(obj) + "\n")
        self._worker.stdin.flush()

    def _read(self, timeout_s: float) -> dict[str, Any] | None:
        """The worker's next JSON line, ``{"eof": True}`` once its stdout closed, None on timeout."""
        deadline = time.monotonic() + timeout_s
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                self._lines.put(None)  # stays at end of stream for any later read
                return {"eof": True}
            try:
                return json.loads(line)
            except json.JSONDecodeError:
                continue  # stray output from uno itself

    def _log_tail(self) -> str:
        try:
            lines = (self.workdir / "soffice.log").read_text(errors="replace").splitlines()
        except OSError:
            return ""
        text = "\n".join(line for line in lines if line.strip() and "javaldx" not in line)  # harmless warning
        return f" (log: {text[-300:]})" if text else ""

    def __del__(self) -> None:  # backstop only; Renderer.close() is the contract
        try:
            self._kill()
        except Exception:
            pass


def _pump(stream: IO[str] | None, lines: queue.Queue[str | None]) -> None:
    """Move the worker's stdout lines to a queue (a None marks end of stream)."""
    if stream is not None:
        try:
            for line in stream:
                lines.put(line)
        except (OSError, ValueError):
            pass
    lines.put(None)


def _group_members(pgid: int) -> bool:
    """Whether a live process is in process group ``pgid``.

    A killed multi-threaded process (soffice.bin) shows as a zombie while its other
    threads are still exiting and holding its sockets, so a zombie with threads left
    still counts as alive.
    """
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[2]) != pgid:
                continue
            if fields[0] != "Z" or len(os.listdir(stat.parent / "task")) > 1:
                return True
        except (OSError, IndexError, ValueError):
            continue
    return False


def _wait_group_gone(pgid: int, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while _group_members(pgid) and time.monotonic() < deadline:
        time.sleep(0.02)


def _ipc_sockets() -> set[str]:
    try:
        return {p.name for p in PIPE_DIR.glob(f"OSL_PIPE_{os.getuid()}_SingleOfficeIPC_*")}
    except OSError:
        return set()


def _remove_if_stale(path: Path) -> None:
    """Remove a unix socket file nobody listens on any more (a killed LibreOffice's)."""
    if not path.is_socket():
        return
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(0.5)
        probe.connect(str(path))
    except OSError:
        path.unlink(missing_ok=True)
    finally:
        probe.close()
