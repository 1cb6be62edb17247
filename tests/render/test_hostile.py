"""Broken and hostile files: a clear per-file error, a bounded attempt, and the next file renders.

LibreOffice hanging is simulated by freezing its process group (SIGSTOP), dying by
killing it (SIGKILL): both must cost one file at most, then a fresh LibreOffice.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from synthcomp.errors import RenderError
from synthcomp.render import RenderConfig, Renderer
from tests.render.conftest import assert_not_blank, encrypt_docx, soffice_processes


def _next_file_renders(renderer: Renderer, good: Path, out: Path) -> None:
    after = renderer.render(good, out)
    assert after.ok, f"the renderer did not go on after a bad file: {after.error}"
    assert len(after.pages) == after.page_count == 3
    assert_not_blank(after.pages[0])


@pytest.mark.parametrize("name, expected", [
    ("truncated", "not a valid DOCX file: not a zip archive (truncated or corrupt)"),
    ("not_zip", "not a valid DOCX file: not a zip archive"),
    ("bomb", "zip bomb suspected"),
    ("encrypted_pdf", "password-protected PDF"),
])
def test_bad_file_gives_a_clear_error_and_the_next_file_renders(
    name: str, expected: str, hostile: dict[str, Path], samples: dict[str, Path], renderer: Renderer, tmp_path: Path
) -> None:
    started = time.perf_counter()
    result = renderer.render(hostile[name], tmp_path)
    assert not result.ok and expected in (result.error or "")
    assert time.perf_counter() - started < 10
    assert result.pages == [] and result.pdf is None and result.contact_sheet is None
    assert not (tmp_path / hostile[name].name).exists(), "a failed file must leave nothing behind"
    _next_file_renders(renderer, samples["docx"], tmp_path)


def test_password_protected_docx(samples: dict[str, Path], renderer: Renderer, tmp_path: Path) -> None:
    locked = encrypt_docx(renderer, samples["docx"], tmp_path / "locked.docx", "secret")
    assert locked.read_bytes()[:4] == b"\xd0\xcf\x11\xe0"  # an OLE2 container: really encrypted
    result = renderer.render(locked, tmp_path / "out")
    assert not result.ok and "password-protected" in (result.error or "")
    # handed to LibreOffice anyway (no password, no UI), it fails at once instead of waiting
    started = time.perf_counter()
    with pytest.raises(RenderError, match="could not open"):
        renderer.office.convert(locked, tmp_path / "x.pdf", timeout_s=30)
    assert time.perf_counter() - started < 5
    _next_file_renders(renderer, samples["docx"], tmp_path / "out")


def test_a_500_page_document_is_bounded(hostile: dict[str, Path], samples: dict[str, Path],
                                        renderer: Renderer, tmp_path: Path) -> None:
    result = renderer.render(hostile["long"], tmp_path)
    assert result.ok, result.error
    assert result.page_count == 500
    assert len(result.pages) == renderer.config.max_pages == 5 and result.truncated
    assert result.seconds < 30
    for page in result.pages:
        assert_not_blank(page)
    _next_file_renders(renderer, samples["docx"], tmp_path)


def test_a_hung_libreoffice_is_killed_and_restarted(samples: dict[str, Path], tmp_path: Path) -> None:
    with Renderer(RenderConfig(timeout_s=3)) as renderer:
        assert renderer.render(samples["pptx"], tmp_path / "a").ok
        starts, pid = renderer.office.starts, renderer.office.pid
        assert pid is not None
        os.killpg(pid, signal.SIGSTOP)  # frozen: accepts nothing, answers nothing
        started = time.perf_counter()
        hung = renderer.render(samples["docx"], tmp_path / "b")
        assert not hung.ok and "longer than 3 s" in (hung.error or "") and "restarted" in hung.error
        assert time.perf_counter() - started < 15
        _next_file_renders(renderer, samples["docx"], tmp_path / "c")
        assert renderer.office.starts == starts + 1 and renderer.office.pid != pid


def test_a_dead_libreoffice_is_restarted(samples: dict[str, Path], tmp_path: Path) -> None:
    with Renderer() as renderer:
        assert renderer.render(samples["xlsx"], tmp_path / "a").ok
        pid = renderer.office.pid
        assert pid is not None
        os.killpg(pid, signal.SIGKILL)
        time.sleep(0.2)
        _next_file_renders(renderer, samples["docx"], tmp_path / "b")
        assert renderer.office.starts == 2


def test_a_batch_with_bad_files_in_between(hostile: dict[str, Path], samples: dict[str, Path],
                                           renderer: Renderer, tmp_path: Path) -> None:
    files = [hostile["truncated"], samples["docx"], hostile["bomb"], samples["pptx"],
             hostile["encrypted_pdf"], tmp_path / "missing.docx", samples["pdf"], tmp_path / "x.exe"]
    results = renderer.render_many(files, tmp_path / "out")
    assert [r.ok for r in results] == [False, True, False, True, False, False, True, False]
    assert results[5].error == "no such file"
    assert "unsupported file type '.exe'" in (results[7].error or "")
    assert [r.page_count for r in results if r.ok] == [3, 4, 3]


def test_close_leaves_no_libreoffice_running(samples: dict[str, Path], tmp_path: Path) -> None:
    renderer = Renderer()
    assert renderer.render(samples["docx"], tmp_path).ok
    pid = renderer.office.pid
    assert pid is not None and soffice_processes()
    workdir = renderer.office.workdir
    renderer.close()
    renderer.close()  # idempotent
    assert not any(str(workdir) in p for p in soffice_processes())
    assert not workdir.exists()
    with pytest.raises(RenderError, match="closed"):
        renderer.render(samples["docx"], tmp_path)
