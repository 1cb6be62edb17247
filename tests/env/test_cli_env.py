"""``synthcomp run-day`` and ``synthcomp export`` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synthcomp.cli import app

runner = CliRunner()


@pytest.mark.bwrap
def test_run_day_then_export_chat_jsonl(computers: dict[str, Path], tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    result = runner.invoke(app, ["run-day", str(computers["windows"]), "--policy", "scripted", "--sandbox", "local",
                                 "--run-dir", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert "scripted" in result.output and "steps" in result.output
    out = tmp_path / "sft.jsonl"
    result = runner.invoke(app, ["export", str(run_dir), "--out", str(out)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 1
    messages = lines[0]["messages"]
    assert [m["role"] for m in messages[:2]] == ["system", "user"] and "Workday 1" in messages[1]["content"]
    calls = [m for m in messages if m["role"] == "assistant" and m.get("tool_calls")]
    assert calls and calls[-1]["tool_calls"][0]["function"]["name"] == "end_day"
    assert {t["function"]["name"] for t in lines[0]["tools"]} >= {"shell", "read_file", "end_day"}


def test_bad_input_is_one_line(computers: dict[str, Path], tmp_path: Path) -> None:
    for args in (["run-day", str(computers["windows"]), "--policy", "randm", "--sandbox", "local"],
                 ["run-day", str(computers["windows"]), "--sandbox", "vm"],
                 ["export", str(tmp_path), "--out", str(tmp_path / "x.jsonl")]):
        result = runner.invoke(app, args)
        assert result.exit_code == 2 and result.output.startswith("error:"), result.output
