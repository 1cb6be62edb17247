"""``synthcomp create/show/stats`` as a user runs them: determinism and bad input."""

from __future__ import annotations

import filecmp
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synthcomp.cli import app
from synthcomp.workspace import computer_dirs

runner = CliRunner()


def _create(out: Path, *args: str) -> None:
    result = runner.invoke(app, ["create", "--out", str(out), *args])
    assert result.exit_code == 0, result.output


def _tree(root: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(root).as_posix(): (p.read_bytes(), int(p.stat().st_mtime))
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_gives_the_same_computers_byte_for_byte(tmp_path: Path) -> None:
    _create(tmp_path / "a", "--n", "3", "--seed", "11", "--os", "mixed")
    _create(tmp_path / "b", "--n", "3", "--seed", "11", "--os", "mixed", "--workers", "2")
    assert _tree(tmp_path / "a") == _tree(tmp_path / "b")
    cmp = filecmp.dircmp(tmp_path / "a", tmp_path / "b")
    assert not cmp.diff_files and not cmp.left_only and not cmp.right_only


def test_a_different_seed_gives_different_computers(tmp_path: Path) -> None:
    _create(tmp_path / "a", "--n", "1", "--seed", "1", "--os", "windows")
    _create(tmp_path / "b", "--n", "1", "--seed", "2", "--os", "windows")
    a = json.loads(next((tmp_path / "a" / "computers").glob("*/*/computer.json")).read_text())
    b = json.loads(next((tmp_path / "b" / "computers").glob("*/*/computer.json")).read_text())
    assert a["persona"]["text"] != b["persona"]["text"]
    assert a["content_hash"] != b["content_hash"]


def test_personas_from_a_jsonl_file(tmp_path: Path) -> None:
    personas = tmp_path / "personas.jsonl"
    personas.write_text(
        json.dumps({"persona": "A paediatric nurse who coordinates ward rotas in a children's hospital"}) + "\n"
        + json.dumps({"persona": "A structural engineer designing pedestrian bridges", "id": 7}) + "\n"
    )
    _create(tmp_path / "ws", "--n", "2", "--seed", "3", "--personas", str(personas), "--os", "macos")
    metas = [json.loads(p.read_text()) for p in sorted((tmp_path / "ws" / "computers").glob("*/*/computer.json"))]
    texts = {m["persona"]["text"] for m in metas}
    assert texts == {json.loads(line)["persona"] for line in personas.read_text().splitlines()}
    industries = {m["persona"]["text"][:12]: m["profile"]["industry"] for m in metas}
    assert industries["A paediatric"] == "healthcare"


def test_show_prints_the_profile_and_the_tree_in_os_style(tmp_path: Path) -> None:
    _create(tmp_path / "ws", "--n", "2", "--seed", "5", "--os", "mixed")
    dirs = list(computer_dirs(tmp_path / "ws"))
    shown = {json.loads((d / "computer.json").read_text())["policy"]["os"]: runner.invoke(app, ["show", str(d)]) for d in dirs}
    assert shown["windows"].exit_code == 0 and "C:\\" in shown["windows"].output and "Users" in shown["windows"].output
    assert shown["macos"].exit_code == 0 and "Documents" in shown["macos"].output
    meta = json.loads((dirs[0] / "computer.json").read_text())
    assert meta["profile"]["full_name"] in shown[meta["policy"]["os"]].output


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--os", "linux"], "--os"),
        (["--n", "0"], "--n"),
        (["--workers", "0"], "--workers"),
        (["--personas", "/nonexistent/personas.jsonl"], "personas.jsonl"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(tmp_path: Path, args: list[str], needle: str) -> None:
    out = tmp_path / "ws"
    result = runner.invoke(app, ["create", "--out", str(out), *args])
    assert result.exit_code == 2
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and needle in lines[0]
    assert not out.exists()


def test_malformed_jsonl_names_the_line(tmp_path: Path) -> None:
    personas = tmp_path / "p.jsonl"
    personas.write_text('{"persona": "a tax accountant in Lyon"}\n{"persona": \n')
    out = tmp_path / "ws"
    result = runner.invoke(app, ["create", "--out", str(out), "--personas", str(personas)])
    assert result.exit_code == 2
    assert "line 2" in result.output and result.output.startswith("error:")
    assert not out.exists()


def test_stats_and_show_reject_what_is_not_a_workspace(tmp_path: Path) -> None:
    for command in (["stats", str(tmp_path)], ["show", str(tmp_path)]):
        result = runner.invoke(app, command)
        assert result.exit_code == 2 and result.output.startswith("error:")


def test_help_lists_the_subcommands() -> None:
    result = runner.invoke(app, ["--help"])
    for command in ("create", "stats", "show", "image", "gc"):
        assert command in result.output
