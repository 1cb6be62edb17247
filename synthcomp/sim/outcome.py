"""The end of a simulation: the updated computer, the judgement, the summary.

The updated computer (``sims/<shard>/<id>/computer/``) is the final tree plus a computer.json
whose plan gains the files the month created, each ``derived_from`` the sources the
agent actually read for it (paper 3.2: "the file graph is updated"). The original
computer is left untouched, so a simulation can always be replayed from it.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, get_args

from synthcomp import ospath
from synthcomp.computer.hashing import tree_hash
from synthcomp.env.milestones import on_time
from synthcomp.env.state import workday_date
from synthcomp.sim.judging import judge_simulation
from synthcomp.jsonio import write_json_atomic
from synthcomp.models import ArtifactType, FileEdge, FilePlan, FinishedSim, PlannedFile

if TYPE_CHECKING:
    from synthcomp.brains.model.client import Usage
    from synthcomp.env.workday import WorkdayEnv
    from synthcomp.sim.config import SimConfig
    from synthcomp.sim.runner import DayRecord

_TYPES = set(get_args(ArtifactType)) - {"system"}


def finish_simulation(env: WorkdayEnv, config: SimConfig, sim_dir: Path, records: list[DayRecord],
                      usage: Usage) -> FinishedSim:
    state, sandbox, computer = env.state, env.sandbox, env.computer
    assert state is not None and sandbox is not None
    files_dir = sim_dir / "computer" / "files"
    if files_dir.exists():
        shutil.rmtree(files_dir)
    sandbox.get_tree(sandbox.layout.root, files_dir / sandbox.layout.top)
    plan = _updated_plan(env, sim_dir, files_dir)
    growth = tree_growth(env.computer_dir / "files", files_dir)
    milestones = on_time(env.setup, state)
    updated = computer.model_copy(update={"plan": plan, "content_hash": tree_hash(files_dir)})
    write_json_atomic(sim_dir / "computer" / "computer.json", updated)
    for stale in sim_dir.glob("rubric*.json"):
        stale.unlink()  # drafted anew from this run's feedback
    score = judge_simulation(sim_dir, seed=config.seed).score
    received = [m for m in state.inbox if m.deliver_day < config.days]
    summary = FinishedSim(
        sim_id=config.sim_id, days=len(records), turns=sum(r.steps for r in records),
        planning_turns=sum(r.planning_steps for r in records),
        messages_sent=len(state.outbox), messages_received=len(received),
        files_shared_to_user=sum(len(m.attachments) for m in received),
        files_created=growth.created, files_revised=growth.revised, score=score, files_start=growth.files_start,
        files_end=growth.files_end, new_folders=growth.new_folders,
        milestones_on_time=milestones[0], milestones_due=milestones[1],
        env_seconds=round(sum(r.env_seconds for r in records), 3),
        policy_seconds=round(sum(r.policy_seconds for r in records), 3),
        collaborators=len(state.collaborators), usage=usage.as_dict(),
    )
    write_json_atomic(sim_dir / "summary.json", summary)  # its existence means "finished"
    return summary


@dataclass(frozen=True)
class TreeGrowth:
    """How a month changed a computer's tree (the paper's Table 3 file counts)."""

    files_start: int
    files_end: int
    created: int
    """Files that did not exist before."""
    revised: int
    """Files that existed before and now hold other bytes."""
    new_folders: int


def tree_growth(before: Path, after: Path) -> TreeGrowth:
    """Compare the tree as created (``before``) with the tree at the month's end (``after``)."""
    def files(root: Path) -> dict[str, Path]:
        return {p.relative_to(root).as_posix().lower(): p for p in root.rglob("*") if p.is_file()}

    def folders(root: Path) -> set[str]:
        return {p.relative_to(root).as_posix().lower() for p in root.rglob("*") if p.is_dir()}

    old, new = files(before), files(after)
    return TreeGrowth(files_start=len(old), files_end=len(new), created=len(new.keys() - old.keys()),
                      revised=sum(old[k].read_bytes() != new[k].read_bytes() for k in new.keys() & old.keys()),
                      new_folders=len(folders(after) - folders(before)))


def _reads(sim_dir: Path) -> dict[int, list[str]]:
    """OS-style paths the agent read with read_file, by day."""
    reads: dict[int, list[str]] = {}
    for path in sorted(sim_dir.glob("days/*/trajectory.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            action = entry.get("action")
            if isinstance(action, str):
                try:
                    action = json.loads(action)
                except json.JSONDecodeError:
                    continue
            if (entry.get("event") == "step" and isinstance(action, dict) and action.get("tool") == "read_file"
                    and not entry["info"]["tool_error"]):
                reads.setdefault(entry["info"]["day"], []).append(entry["observation"].split("\n", 1)[0])
    return reads


def _updated_plan(env: WorkdayEnv, sim_dir: Path, files_dir: Path) -> FilePlan:
    computer, state = env.computer, env.state
    assert state is not None
    os_name = computer.policy.os
    original = computer.plan
    known = {f.path.lower() for f in original.files}
    by_path = {f.path: f.id for f in original.files}
    outputs = {o.path.lower(): d for d in env.setup.deliverables for o in d.outputs}  # with their sources
    reads = _reads(sim_dir)
    ever_read = {p for day in reads.values() for p in day}
    files, edges = list(original.files), list(original.edges)
    next_id = len(original.files) + 1
    for path in sorted(p for p in files_dir.rglob("*") if p.is_file()):
        rel = PurePosixPath(path.relative_to(files_dir).as_posix())
        logical = ospath.to_logical(os_name, rel)
        mtime = datetime.fromtimestamp(path.stat().st_mtime, tz=timezone.utc).replace(tzinfo=None)
        if logical.lower() in known:
            continue
        ext = rel.suffix.lower().lstrip(".")
        received = logical.startswith(computer.policy.default_paths["downloads"])
        files.append(PlannedFile(
            id=f"f{next_id:04d}", path=logical, artifact_type=ext if ext in _TYPES else "txt",
            title=rel.stem.replace("_", " "), description="Created during the simulation.", timestamp=mtime,
            origin="received" if received else "self", content_mode="synthesize",
        ))
        deliverable = outputs.get(logical.lower())
        day = _day_of(mtime, env)
        sources = [s for s in deliverable.sources if s in ever_read] if deliverable else reads.get(day, [])[:3]
        edges += [FileEdge(source=by_path[s], target=f"f{next_id:04d}", kind="derived_from")
                  for s in dict.fromkeys(sources) if s in by_path and not received]
        next_id += 1
    return FilePlan(files=files, edges=edges)


def _day_of(mtime: datetime, env: WorkdayEnv) -> int:
    """The workday a file was last written on (the env stamps files with its clock)."""
    assert env.state is not None
    for day in range(env.state.days_total):
        if workday_date(env.state.start, day) >= mtime.date():
            return day
    return env.state.days_total - 1
