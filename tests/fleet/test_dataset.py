"""The dataset view as a user meets it: export a workspace, load every table with ``datasets``."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

import datasets
import pytest

from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.env.prompt import system_prompt
from synthcomp.errors import InputError
from synthcomp.fleet.dataset import export_dataset
from synthcomp.sim.config import SimConfig
from synthcomp.sim.runner import run_simulation
from synthcomp.workspace import computer_dir, computer_dirs, sim_dir


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two computers (one per OS), never simulated on: tests that add runs work on a copy."""
    out = tmp_path_factory.mktemp("dataset-ws")
    create_computers(CreateRequest.from_cli(out=out, n=2, seed=3, os_name="mixed", personas=None, workers=1))
    return out


def _load(path: Path, cache: Path, name: str | None = None) -> datasets.Dataset:
    if name is None:
        return datasets.load_dataset("json", data_files=str(path), split="train", cache_dir=str(cache))
    return datasets.load_dataset(str(path), name, split="train", cache_dir=str(cache))


def _tree(root: Path) -> dict[str, Any]:
    """Relative path -> bytes (a file) or ("symlink", target)."""
    found: dict[str, Any] = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = Path(folder) / name
            key = path.relative_to(root).as_posix()
            if path.is_symlink():
                found[key] = ("symlink", os.readlink(path))
            elif path.is_file():
                found[key] = path.read_bytes()
    return found


def _add_runs_besides(judged: Path) -> None:
    """An unjudged run of the same computer, and a run whose computer was pruned from the workspace."""
    ws = judged.parent.parent.parent
    recorded = json.loads((judged / "sim.json").read_text())
    orphan_id = "win-00ffffffff"
    for sim_id, changes in ((f"{recorded['computer'].rsplit('/', 1)[-1]}-scripted-s1", {"seed": 1}),
                            (f"{orphan_id}-scripted-s0", {"computer": str(computer_dir(ws, orphan_id))})):
        target = sim_dir(ws, sim_id)
        shutil.copytree(judged / "days", target / "days")
        (target / "sim.json").write_text(json.dumps({**recorded, **changes}))


@pytest.mark.bwrap
def test_export_loads_with_datasets(workspace: Path, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    shutil.copytree(workspace, ws, symlinks=True)
    windows, macos = sorted(computer_dirs(ws), key=lambda d: d.name, reverse=True)
    assert windows.name.startswith("win-") and macos.name.startswith("mac-")
    run_simulation(SimConfig(computer=windows, policy="scripted", days=2, sandbox="local"))
    judged = sim_dir(ws, f"{windows.name}-scripted-s0")
    _add_runs_besides(judged)
    home = next((macos / "files" / "Users").iterdir())
    (home / "Documents shortcut").symlink_to("Documents")

    out = tmp_path / "dataset"
    counts = export_dataset(ws, out)
    assert counts.describe() == (f"exported 2 computers, 4 workdays, 1 judgement to {out} "
                                 "(skipped 1 simulation whose computer is not in the workspace)")
    card = (out / "README.md").read_text()
    assert "trajectories.jsonl" in card and "2 computers, 4 workdays and 1 judgement" in card

    cache = tmp_path / "hf-cache"
    computers = _load(out / "computers.jsonl", cache)
    assert sorted(computers["id"]) == sorted([windows.name, macos.name])
    for row in computers:
        source = computer_dir(ws, row["id"])
        assert _tree(out / row["tree"]) == _tree(source / "files"), "the exported tree is the workspace's"
        assert json.loads((out / row["computer_json"]).read_text())["persona"]["text"] == row["persona"]
        assert row["n_files"] == sum(1 for v in _tree(source / "files").values() if isinstance(v, bytes)) > 0
    assert ("symlink", "Documents") in _tree(out / computers.filter(lambda r: r["os"] == "macos")[0]["tree"]).values()

    days = _load(out / "trajectories.jsonl", cache)
    assert days.num_rows == 4 and sorted(days["day"]) == [0, 0, 1, 1]
    assert set(days["sim_id"]) == {judged.name, f"{windows.name}-scripted-s1"}
    first = days[0]["messages"]
    assert first[0] == {"role": "system", "content": system_prompt(), "tool_calls": [], "tool_call_id": ""}
    assert first[1]["role"] == "user" and first[1]["content"].startswith("Workday 1")
    calls = [m["tool_calls"][0] for m in first if m["tool_calls"]]
    assert calls[-1]["function"]["name"] == "end_day" and "summary" in json.loads(calls[-1]["function"]["arguments"])
    assert {t["function"]["name"] for t in json.loads(days[0]["tools"])} >= {"shell", "read_file", "end_day"}

    judgements = _load(out / "judgements.jsonl", cache)
    expected = json.loads((judged / "judgement.json").read_text())
    assert judgements.num_rows == 1
    row = judgements[0]
    assert (row["sim_id"], row["computer_id"], row["policy"]) == (judged.name, windows.name, "scripted")
    assert row["score"] == expected["score"] and row["judge"] == expected["judge"]
    assert [c["id"] for c in row["criteria"]] == [c["id"] for c in expected["criteria"]]

    assert _load(out, cache, "judgements")["score"] == [expected["score"]], "the card's configs load by name"


def test_empty_workspace_is_refused(tmp_path: Path) -> None:
    for ws in (tmp_path / "missing", tmp_path):
        with pytest.raises(InputError, match="holds no computers"):
            export_dataset(ws, tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_non_empty_out_is_refused_and_an_empty_one_is_used(workspace: Path, tmp_path: Path) -> None:
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "notes.txt").write_text("mine")
    (tmp_path / "a-file").write_text("mine")
    for out in (tmp_path / "taken", tmp_path / "a-file"):
        with pytest.raises(InputError, match="exists and is not empty"):
            export_dataset(workspace, out)
    assert [p.name for p in (tmp_path / "taken").iterdir()] == ["notes.txt"]
    (tmp_path / "empty").mkdir()
    counts = export_dataset(workspace, tmp_path / "empty")
    assert (counts.computers, counts.workdays, counts.judgements) == (2, 0, 0)
    assert (tmp_path / "empty" / "trajectories.jsonl").read_text() == ""
