"""``synthcomp render`` as a user runs it: pages on disk, one line per file, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synthcomp.cli import app

runner = CliRunner()


def test_render_writes_pages_sheets_and_an_index(samples: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", str(samples["docx"]), str(samples["png"]), "--out", str(out),
                                 "--max-pages", "2", "--dpi", "60"])
    assert result.exit_code == 0, result.output
    assert "report.docx: 3 page(s), first 2 rendered" in result.output
    assert "rendered 2 of 2 file(s)" in result.output
    assert sorted(p.name for p in (out / "report.docx").iterdir()) == [
        "contact-sheet.png", "document.pdf", "page-001.png", "page-002.png"]
    index = json.loads((out / "render.json").read_text())
    assert [(r["page_count"], len(r["pages"]), r["error"]) for r in index] == [(3, 2, None), (1, 1, None)]


def test_a_failed_file_is_reported_and_the_rest_render(samples: dict[str, Path], hostile: dict[str, Path],
                                                       tmp_path: Path) -> None:
    result = runner.invoke(app, ["render", str(hostile["truncated"]), str(samples["md"]), "--out", str(tmp_path)])
    assert result.exit_code == 1, result.output
    assert "failed  truncated.docx: not a valid DOCX file" in result.output
    assert "ok      notes.md: 1 page(s)" in result.output
    assert (tmp_path / "notes.md" / "page-001.png").exists()


@pytest.mark.parametrize("args, message", [
    (["missing.docx"], "missing.docx: no such file"),
    (["{samples}/report.docx", "--dpi", "5"], "--dpi: Input should be greater than or equal to 36"),
    (["{samples}/report.docx", "--max-pages", "0"], "--max-pages: Input should be greater than or equal to 1"),
    (["{samples}/report.docx", "--timeout", "0"], "--timeout: Input should be greater than 0"),
    (["{samples}"], "not a regular file"),
    (["{conftest}"], "unsupported file type '.py'"),
])
def test_bad_input_is_one_error_line_and_exit_2(args: list[str], message: str, samples: dict[str, Path],
                                                tmp_path: Path) -> None:
    fill = {"samples": str(samples["docx"].parent), "conftest": str(Path(__file__).with_name("conftest.py"))}
    out = tmp_path / "out"
    result = runner.invoke(app, ["render", *[a.format(**fill) for a in args], "--out", str(out)])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], result.output
    assert not out.exists()
