"""The dataset view of a workspace: ``synthcomp dataset WS --out DIR``.

A workspace is laid out for writing (sharded, resumable, one directory per run); a
dataset is laid out for reading: three JSONL tables, each with one Arrow schema so that
``datasets.load_dataset("json", ...)`` infers it without help, and the computers' trees
the first table points into::

    DIR/README.md            dataset card: this layout, the counts, how to load it
    DIR/computers.jsonl      one row per computer
    DIR/computers/<shard>/<id>/computer.json, files/    its full model and its tree
    DIR/trajectories.jsonl   one row per simulated workday, in chat format
    DIR/judgements.jsonl     one row per judged simulation

Columns (every row of a table has the same keys and types):

- computers: ``id, os, persona, occupation, industry, seniority, region, n_files,
  content_hash, tree, computer_json``; ``tree`` and ``computer_json`` are paths relative
  to DIR. The catalog coordinates come from the persona; a persona read from a file has
  none, so they fall back to the profile it was expanded into (occupation, industry,
  career stage, city) and the columns are never empty.
- trajectories: ``sim_id, computer_id, policy, day, messages, tools``; ``day`` is the
  0-based index of ``days/<nn>/`` (the briefing says "Workday day+1"); ``messages`` are
  ``synthcomp.env.export``'s conversation with every message carrying ``role``,
  ``content`` (str, "" for a pure tool call), ``tool_calls`` (list, maybe empty) and
  ``tool_call_id`` (str, maybe ""); ``tools`` is a JSON string, because each tool's
  parameter schema has a different shape and Arrow cannot unify them.
- judgements: ``sim_id, computer_id, policy, score, judge, summary, criteria`` with
  ``criteria`` a list of ``{id, score, weight, evidence, skipped}``.

Tree files are hard links where the filesystem allows (an export of 10^6 computers
costs no bytes), else copies; symlinks stay symlinks. A simulation with no
judgement.json (not judged yet) is in trajectories only; one whose computer is not in
the workspace is skipped and counted, so a pruned workspace still exports.
"""

from __future__ import annotations

import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, TypeVar

from pydantic import BaseModel, ValidationError

from synthcomp.computer.create import COMPUTER_FILE, FILES_DIR
from synthcomp.computer.show import load_computer
from synthcomp.env.export import run_conversations
from synthcomp.errors import InputError
from synthcomp.models import Computer, Judgement
from synthcomp.sim.config import SimConfig
from synthcomp.workspace import COMPUTERS, computer_dirs, shard_of, sim_dirs

M = TypeVar("M", bound=BaseModel)

CARD = """---
configs:
- config_name: computers
  data_files: computers.jsonl
- config_name: trajectories
  data_files: trajectories.jsonl
- config_name: judgements
  data_files: judgements.jsonl
---

# synthcomp dataset

Synthetic computers (persona-specific Windows- or macOS-styled filesystems of office
artifacts), the workdays policies simulated on them and the rubric judgements of those
simulations, exported by `synthcomp dataset`. This export holds {counts}.

```python
from datasets import load_dataset
computers = load_dataset("DIR", "computers", split="train")      # or "trajectories", "judgements"
days = load_dataset("json", data_files="DIR/trajectories.jsonl", split="train")
```

## Files

| path | one row / entry per |
|---|---|
| `computers.jsonl` | computer |
| `computers/<shard>/<id>/computer.json` | computer: the full model (persona, profile, filesystem policy, file plan + dependency graph) |
| `computers/<shard>/<id>/files/` | computer: its tree (Windows `D:\\X` is `files/drives/D/X`, macOS `/Users/u/X` is `files/Users/u/X`) |
| `trajectories.jsonl` | simulated workday |
| `judgements.jsonl` | judged simulation |

## Columns

**computers**: `id`, `os` (windows or macos), `persona` (one line), `occupation`, `industry`,
`seniority`, `region`, `n_files` (files in the tree), `content_hash` (sha256 over the tree's
paths, bytes and mtimes, as created), `tree` and `computer_json` (paths relative to this directory).

**trajectories**: `sim_id`, `computer_id`, `policy`, `day` (0-based; the briefing calls it
"Workday day+1"), `messages` (chat format: the system prompt, the morning briefing as the user
turn, then each step as an assistant tool call and its tool result; every message has `role`,
`content` ("" for a pure tool call), `tool_calls` (a list, maybe empty, of
`{{id, type, function: {{name, arguments}}}}` with `arguments` a JSON string) and `tool_call_id`
("" unless `role` is tool)), `tools` (the tool schemas in the OpenAI `tools` layout, as a JSON
string: `json.loads` it).

**judgements**: `sim_id`, `computer_id`, `policy`, `score` (0-1, the weighted criteria),
`judge`, `summary`, `criteria` (a list of `{{id, score, weight, evidence, skipped}}`; weight 0
means logged only).

Tree files may be hard links into the workspace they were exported from: copy a file
before editing it in place. A table with no rows (judgements before anything was judged)
is an empty file, which `datasets` cannot load: there is no row to infer a schema from.
"""


@dataclass(frozen=True)
class DatasetCounts:
    """What one export wrote, for the CLI's one-line report."""

    out: Path
    computers: int
    workdays: int
    judgements: int
    skipped_sims: int = 0

    def describe(self) -> str:
        line = (f"exported {_plural(self.computers, 'computer')}, {_plural(self.workdays, 'workday')}, "
                f"{_plural(self.judgements, 'judgement')} to {self.out}")
        if self.skipped_sims:
            line += f" (skipped {_plural(self.skipped_sims, 'simulation')} whose computer is not in the workspace)"
        return line


def export_dataset(workspace: Path, out: Path) -> DatasetCounts:
    """Write the dataset view of ``workspace`` to ``out`` (layout: the module docstring).

    Raises:
        InputError: the workspace holds no computers, ``out`` exists and is not an empty
            directory, or a sim.json / judgement.json / computer.json does not validate.
    """
    sources = list(computer_dirs(workspace))
    if not sources:
        expected = workspace / COMPUTERS / "<shard>" / "<id>" / COMPUTER_FILE
        raise InputError(f"{workspace} holds no computers (expected {expected})")
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise InputError(f"{out} exists and is not empty; export to a new or empty directory")
    out.mkdir(parents=True, exist_ok=True)
    ids: set[str] = set()
    with (out / "computers.jsonl").open("w", encoding="utf-8") as fh:
        for source in sources:
            computer = load_computer(source)
            _write_row(fh, _export_computer(computer, source, out))
            ids.add(computer.id)
    workdays = judgements = skipped = 0
    with ((out / "trajectories.jsonl").open("w", encoding="utf-8") as days_fh,
          (out / "judgements.jsonl").open("w", encoding="utf-8") as judged_fh):
        for sim in sim_dirs(workspace):
            config = _read(sim / "sim.json", SimConfig)
            keys = {"sim_id": sim.name, "computer_id": config.computer.name, "policy": config.policy.name}
            if keys["computer_id"] not in ids:
                skipped += 1
                continue
            for day, conversation in run_conversations(sim):
                _write_row(days_fh, {**keys, "day": day, "messages": [_uniform(m) for m in conversation["messages"]],
                                     "tools": json.dumps(conversation["tools"], ensure_ascii=False)})
                workdays += 1
            if (sim / "judgement.json").is_file():
                _write_row(judged_fh, _judgement_row(keys, _read(sim / "judgement.json", Judgement)))
                judgements += 1
    counts = DatasetCounts(out, len(ids), workdays, judgements, skipped)
    held = f"{_plural(len(ids), 'computer')}, {_plural(workdays, 'workday')} and {_plural(judgements, 'judgement')}"
    (out / "README.md").write_text(CARD.format(counts=held), encoding="utf-8")
    return counts


def _export_computer(computer: Computer, source: Path, out: Path) -> dict[str, Any]:
    """Copy one computer into ``out`` and return its computers.jsonl row."""
    relative = Path(COMPUTERS) / shard_of(computer.id) / computer.id
    target = out / relative
    target.mkdir(parents=True)
    shutil.copy2(source / COMPUTER_FILE, target / COMPUTER_FILE)
    n_files = _link_tree(source / FILES_DIR, target / FILES_DIR)
    persona, profile = computer.persona, computer.profile
    return {
        "id": computer.id, "os": computer.policy.os, "persona": persona.text,
        "occupation": persona.occupation or profile.occupation, "industry": persona.industry or profile.industry,
        "seniority": persona.seniority or profile.career_stage, "region": persona.region or profile.city,
        "n_files": n_files, "content_hash": computer.content_hash,
        "tree": (relative / FILES_DIR).as_posix(), "computer_json": (relative / COMPUTER_FILE).as_posix(),
    }


def _link_tree(src: Path, dst: Path) -> int:
    """Mirror ``src`` at ``dst`` (hard links, else copies; symlinks kept); returns the files written."""
    written = 0

    def link_or_copy(a: str, b: str) -> None:
        nonlocal written
        try:
            os.link(a, b)
        except OSError:  # another filesystem, or links refused: copy, keeping the mtime
            shutil.copy2(a, b)
        written += 1

    shutil.copytree(src, dst, symlinks=True, copy_function=link_or_copy)
    return written


def _uniform(message: dict[str, Any]) -> dict[str, Any]:
    """One message with every key every other message has, so Arrow infers a single struct."""
    return {"role": message["role"], "content": message.get("content") or "",
            "tool_calls": message.get("tool_calls", []), "tool_call_id": message.get("tool_call_id", "")}


def _judgement_row(keys: dict[str, Any], judgement: Judgement) -> dict[str, Any]:
    return {**keys, "score": judgement.score, "judge": judgement.judge, "summary": judgement.summary,
            "criteria": [{"id": c.id, "score": c.score, "weight": c.weight, "evidence": c.evidence,
                          "skipped": c.skipped} for c in judgement.criteria]}


def _read(path: Path, model: type[M]) -> M:
    """The file as ``model``, or a one-line InputError naming the file and the first problem."""
    try:
        return model.model_validate_json(path.read_text(encoding="utf-8"))
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"{path} is invalid: {first['msg']} at {'.'.join(map(str, first['loc']))}") from None


def _write_row(fh: IO[str], row: dict[str, Any]) -> None:
    fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"
