"""The render service: shared, one per user, private, and never wedged by LibreOffice or by itself.

Every test gets its own service folder (``SYNTHCOMP_RENDER_DIR``), so it neither reaches
the user's service nor meets another test run's, and stops what it started. Like the
rest of tests/render these need LibreOffice (installed by ``make test``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synthcomp.cli import app
from synthcomp.errors import RenderError
from synthcomp.render import RenderConfig, client
from synthcomp.render.protocol import REPLY, Failed, RenderRequest, send
from synthcomp.render.rundir import run_dir
from synthcomp.render.service import OFFICES
from synthcomp.sim.rendering import page_renderer
from tests.render.conftest import assert_not_blank

runner = CliRunner()


def service_pids(folder: Path) -> list[int]:
    """Processes running the render service for ``folder``."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().split(b"\0")
        except OSError:
            continue
        if b"synthcomp.render.service" in argv and os.fsencode(folder) in argv:
            found.append(int(cmdline.parent.name))
    return found


def wait_gone(pid: int) -> bool:
    return client._wait_gone(pid, timeout_s=30)


def office_profile(office_pid: int) -> bytes:
    """The ``-env:UserInstallation=file://...`` argument of a running LibreOffice."""
    argv = Path(f"/proc/{office_pid}/cmdline").read_bytes().split(b"\0")
    return next(a for a in argv if a.startswith(b"-env:UserInstallation=file://"))


def processes_with(arg: bytes) -> list[int]:
    """Live processes with ``arg`` among their arguments (zombies have none)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if arg in cmdline.read_bytes().split(b"\0"):
                found.append(int(cmdline.parent.name))
        except OSError:
            continue
    return found


def kill_service(pid: int, office_pids: list[int]) -> set[Path]:
    """SIGKILL a service as a crash would; returns the scratch folders it could not remove.

    Its LibreOffices die with it (their UNO workers see their stdin end); killed here too in
    case they did not, so that a failure of that shows in its own test, not as a leak."""
    scratch = {Path(os.fsdecode(office_profile(p).split(b"file://", 1)[1])).parent.parent for p in office_pids}
    os.kill(pid, signal.SIGKILL)
    assert wait_gone(pid)
    for office_pid in office_pids:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(office_pid, signal.SIGKILL)
        assert wait_gone(office_pid)
    return scratch


@pytest.fixture
def service_dir(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private service folder for this test; its service is stopped (or killed) afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="scr-", dir="/tmp"))  # short: a socket path has 108 bytes
    monkeypatch.setenv("SYNTHCOMP_RENDER_DIR", str(folder))
    monkeypatch.setenv("SYNTHCOMP_RENDER_SERVICE", "1")
    monkeypatch.setenv("SYNTHCOMP_RENDER_IDLE_S", "300")
    yield folder
    try:
        client.stop(timeout_s=60)
    finally:
        for pid in service_pids(folder):
            os.kill(pid, signal.SIGKILL)
        shutil.rmtree(folder, ignore_errors=True)
    assert not service_pids(folder)


def test_concurrent_callers_all_get_their_pages_from_one_service(
        samples: dict[str, Path], service_dir: Path, tmp_path: Path) -> None:
    kinds = ["docx", "xlsx", "pptx"]
    callers = [subprocess.Popen([sys.executable, "-m", "synthcomp.cli", "render", str(samples[kind]),
                                 "--out", str(tmp_path / kind)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                text=True) for kind in kinds]
    outputs = [c.communicate(timeout=300)[0] for c in callers]
    assert [c.returncode for c in callers] == [0, 0, 0], outputs
    for kind in kinds:
        pages = sorted((tmp_path / kind / samples[kind].name).glob("page-*.png"))
        index = json.loads((tmp_path / kind / "render.json").read_text())
        assert len(pages) == index[0]["page_count"] >= 2
        assert_not_blank(pages[0])
    pids = service_pids(service_dir)
    assert len(pids) == 1, "callers racing to start the service must start one"
    status = client.status()
    assert status is not None and status.pid == pids[0]
    assert status.requests == 3 and status.office_starts == len(status.office_pids) == OFFICES


def test_a_second_command_reuses_the_service_and_status_and_stop_show_it(
        samples: dict[str, Path], service_dir: Path, tmp_path: Path) -> None:
    shown = runner.invoke(app, ["render-service", "status"])
    assert shown.exit_code == 0 and "render service: not running" in shown.output
    first = runner.invoke(app, ["render", str(samples["md"]), "--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    before = client.status()
    second = runner.invoke(app, ["render", str(samples["docx"]), str(samples["md"]), "--out", str(tmp_path / "b")])
    assert second.exit_code == 0, second.output
    after = client.status()
    assert before is not None and after is not None
    assert after.pid == before.pid and after.office_starts == OFFICES and after.requests == 2 and after.files == 3
    assert (tmp_path / "b" / "report.docx" / "page-003.png").exists()
    shown = runner.invoke(app, ["render-service", "status"])
    assert f"running, pid {after.pid}" in shown.output and "2 request(s), 3 file(s)" in shown.output
    stopped = runner.invoke(app, ["render-service", "stop"])
    assert stopped.exit_code == 0 and f"stopped the render service (pid {after.pid})" in stopped.output
    assert not service_pids(service_dir) and not (service_dir / "render.sock").exists()
    assert after.office_pids and all(wait_gone(p) for p in after.office_pids)
    assert "no render service was running" in runner.invoke(app, ["render-service", "stop"]).output


def test_files_are_written_as_the_caller_would_write_them(samples: dict[str, Path], service_dir: Path,
                                                          tmp_path: Path) -> None:
    old = os.umask(0o077)
    try:
        result = client.ServiceRenderer(RenderConfig(dpi=40)).render(samples["png"], tmp_path)
    finally:
        os.umask(old)
    assert result.ok, result.error
    info = result.pages[0].stat()
    assert info.st_uid == os.getuid() and info.st_mode & 0o777 == 0o600


def test_the_service_exits_when_idle_and_removes_its_socket(samples: dict[str, Path], service_dir: Path,
                                                            tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SYNTHCOMP_RENDER_IDLE_S", "2")
    assert client.ServiceRenderer().render(samples["md"], tmp_path).ok
    status = client.status()
    assert status is not None and status.idle_timeout_s == 2
    assert wait_gone(status.pid), "the service did not exit once idle"
    assert not (service_dir / "render.sock").exists()
    assert status.office_pids and all(wait_gone(p) for p in status.office_pids)
    assert client.status() is None


def test_a_crashed_services_stale_socket_is_replaced(samples: dict[str, Path], service_dir: Path,
                                                     tmp_path: Path) -> None:
    assert client.ServiceRenderer().render(samples["md"], tmp_path / "a").ok
    crashed = client.status()
    assert crashed is not None
    left = kill_service(crashed.pid, crashed.office_pids)
    assert (service_dir / "render.sock").is_socket(), "a killed service leaves its socket behind"
    assert left and all(folder.is_dir() for folder in left), "and its scratch folder (profiles, files)"
    assert client.status() is None  # the stale socket refuses connections: nobody runs
    assert client.ServiceRenderer().render(samples["md"], tmp_path / "b").ok
    fresh = client.status()
    assert fresh is not None and fresh.pid != crashed.pid and service_pids(service_dir) == [fresh.pid]
    assert not any(folder.exists() for folder in left), "the next service removes what the killed one left"
    assert len(list(service_dir.glob("scratch-*"))) == 1


def test_a_service_killed_mid_request_is_replaced_and_the_request_retried(
        samples: dict[str, Path], service_dir: Path, tmp_path: Path) -> None:
    renderer = client.ServiceRenderer(RenderConfig(timeout_s=60))
    assert renderer.render(samples["md"], tmp_path / "a").ok
    doomed = client.status()
    assert doomed is not None and doomed.office_pids
    os.killpg(doomed.office_pids[0], signal.SIGSTOP)  # the next conversion (on the first) hangs in the service
    outcome: dict[str, object] = {}
    worker = threading.Thread(target=lambda: outcome.update(result=renderer.render(samples["docx"], tmp_path / "b")))
    worker.start()
    time.sleep(1.5)  # the request is in the service, waiting on the frozen LibreOffice
    kill_service(doomed.pid, doomed.office_pids)
    worker.join(timeout=120)
    assert not worker.is_alive(), "the client hung on a dead service"
    result = outcome["result"]
    assert result.ok and result.page_count == 3, result.error  # type: ignore[attr-defined]
    fresh = client.status()
    assert fresh is not None and fresh.pid != doomed.pid


def test_a_killed_services_libreoffice_dies_with_it(samples: dict[str, Path], service_dir: Path,
                                                    tmp_path: Path) -> None:
    assert client.ServiceRenderer().render(samples["md"], tmp_path / "a").ok
    doomed = client.status()
    assert doomed is not None and len(doomed.office_pids) == OFFICES
    profiles = [office_profile(p) for p in doomed.office_pids]
    assert all(processes_with(profile) for profile in profiles)
    os.kill(doomed.pid, signal.SIGKILL)  # no chance to stop LibreOffice, which runs in a session of its own
    deadline = time.monotonic() + 10
    while any(processes_with(profile) for profile in profiles) and time.monotonic() < deadline:
        time.sleep(0.05)
    left = [pid for profile in profiles for pid in processes_with(profile)]
    for pid in left:  # do not leak it, even when failing
        os.kill(pid, signal.SIGKILL)
    assert left == [], f"LibreOffice outlived its killed service: {left}"
    assert wait_gone(doomed.pid)


def test_a_hung_libreoffice_costs_one_file_and_the_service_goes_on(
        samples: dict[str, Path], service_dir: Path, tmp_path: Path) -> None:
    renderer = client.ServiceRenderer(RenderConfig(timeout_s=3))
    assert renderer.render(samples["pptx"], tmp_path / "a").ok
    before = client.status()
    assert before is not None and before.office_pids
    os.killpg(before.office_pids[0], signal.SIGSTOP)  # the first, which takes a lone file: frozen, answers nothing
    hung = renderer.render(samples["docx"], tmp_path / "b")
    assert not hung.ok and "longer than 3 s" in (hung.error or "") and "restarted" in hung.error
    after_hang = renderer.render(samples["docx"], tmp_path / "c")
    assert after_hang.ok and after_hang.page_count == 3
    after = client.status()
    assert after is not None and after.pid == before.pid
    assert after.office_starts == before.office_starts + 1
    assert after.office_pids[0] != before.office_pids[0] and after.office_pids[1:] == before.office_pids[1:]


def test_same_named_files_of_one_judge_get_their_own_folders(service_dir: Path, tmp_path: Path) -> None:
    with page_renderer(tmp_path / "renders") as render_pages:
        assert render_pages("Documents/notes.md", b"# One\n\nFirst file.\n") == 1
        assert render_pages("Desktop/notes.md", b"# Two\n\nSecond file.\n") == 1
    assert sorted(p.name for p in (tmp_path / "renders").iterdir()) == ["notes.md", "notes.md-2"]
    assert client.status() is not None, "the judge rendered through the service"


def test_requests_are_validated_at_the_boundary(service_dir: Path, tmp_path: Path) -> None:
    request = RenderRequest(paths=[tmp_path / "a.md"], out_dir=tmp_path, config=RenderConfig())
    raw = request.model_dump(mode="json") | {"paths": ["relative/a.md"]}
    sock = client.connect(start=True)
    assert sock is not None
    with sock, sock.makefile("rb") as stream:
        sock.sendall(json.dumps(raw).encode() + b"\n")
        reply = REPLY.validate_json(stream.readline())
    assert isinstance(reply, Failed) and "must be absolute" in reply.error
    with pytest.raises(ValueError, match="must be absolute"):
        RenderRequest(paths=[Path("/a/../b.md")], out_dir=tmp_path, config=RenderConfig())
    sock = client.connect(start=False)
    assert sock is not None
    with sock:
        send(sock, request)  # the service goes on after a bad request
        assert sock.makefile("rb").readline()


def test_the_service_folder_is_private_and_an_unsafe_one_is_refused(monkeypatch: pytest.MonkeyPatch,
                                                                    tmp_path: Path) -> None:
    fresh = tmp_path / "fresh"
    monkeypatch.setenv("SYNTHCOMP_RENDER_DIR", str(fresh))
    assert run_dir().path == fresh and fresh.stat().st_mode & 0o777 == 0o700
    real = tmp_path / "real"
    real.mkdir(mode=0o700)
    link = tmp_path / "link"
    link.symlink_to(real)
    monkeypatch.setenv("SYNTHCOMP_RENDER_DIR", str(link))
    with pytest.raises(RenderError, match="it is a symlink"):
        client.connect(start=True)
    opened = tmp_path / "open"
    opened.mkdir()
    opened.chmod(0o755)
    monkeypatch.setenv("SYNTHCOMP_RENDER_DIR", str(opened))
    with pytest.raises(RenderError, match="mode 0755 lets others in"):
        run_dir()
    if os.getuid() == 0:
        foreign = tmp_path / "foreign"
        foreign.mkdir(mode=0o700)
        os.chown(foreign, 65534, 65534)
    else:
        foreign = Path("/")  # root's
    monkeypatch.setenv("SYNTHCOMP_RENDER_DIR", str(foreign))
    with pytest.raises(RenderError, match="owned by uid"):
        run_dir()
    assert not list(real.iterdir()), "nothing was started in a refused folder"


def test_the_runtime_dir_is_used_when_it_is_the_users(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("SYNTHCOMP_RENDER_DIR", raising=False)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assert run_dir().path == tmp_path / "synthcomp"


def test_the_service_is_on_unless_turned_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SYNTHCOMP_RENDER_SERVICE", raising=False)
    assert client.service_enabled() and not client.service_enabled(False)
    monkeypatch.setenv("SYNTHCOMP_RENDER_SERVICE", "0")
    assert not client.service_enabled() and client.service_enabled(True)
