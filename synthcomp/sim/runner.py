"""The month-long simulation (paper section 3): setup, then one env episode per workday.

Everything lands under ``WS/sims/<shard>/<sim-id>/`` (``synthcomp.workspace``)::

    sim.json              what was asked (computer, policy, days, sandbox, seed)
    setup.json            deliverables, collaborators, private-file specs, events
    private/              the collaborators' reference files (outside the sandbox)
    days/<n>/trajectory.jsonl
    checkpoints/day-<n>.json   sandbox snapshot ref + policy state after day n
    progress.json         the last finished day and its checkpoint
    state.json            inbox, activity log, plans, score after the last finished day
    computer/             the updated computer: files/ and computer.json with new files + edges
    judgement.json        the final judgement

The weekly planning episode is the start of each week's first workday: the policy
submits its plan before working. A run killed at any point (even SIGKILL) resumes from
the last finished day: the unfinished day's trajectory is discarded and replayed from
the checkpoint, so nothing is lost and nothing is duplicated.

Model-backed roles (the setup agent and collaborators with ``brain``, the work agent
with a model policy) share one usage ledger, so a ``budget_usd`` is the run's budget.
When it is spent the run stops at the last finished day's checkpoint and returns a
``StoppedSim`` summary (``status: "stopped"``): re-running (with a larger budget) resumes there.
"""

from __future__ import annotations

import json
import logging
import pickle
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from synthcomp.agents.roles import Roles
from synthcomp.agents.skill_index import INDEX, load_index, matching_skill
from synthcomp.agents.setup import SetupPlan, write_private_files
from synthcomp.brains.model.client import BudgetExceeded, Usage
from synthcomp.computer.show import load_computer
from synthcomp.sim.episode import run_episode
from synthcomp.env.workday import WorkdayEnv
from synthcomp.errors import InputError, SandboxError
from synthcomp.jsonio import write_json_atomic
from synthcomp.models import Computer, FinishedSim, StoppedSim, Strict, parse_summary
from synthcomp.ospath import tree_reader
from synthcomp.policies.base import Policy
from synthcomp.sandbox.base import SnapshotRef
from synthcomp.workspace import sim_dir, workspace_of
from synthcomp.sim.config import SimConfig
from synthcomp.sim.outcome import finish_simulation

log = logging.getLogger(__name__)


SETUP_WARNINGS = "setup-warnings.json"
"""What was degraded while the setup was made (a model's plan that stayed invalid)."""


class Checkpoint(Strict):
    last_finished_day: int
    checkpoint: SnapshotRef


@dataclass
class DayRecord:
    day: int
    steps: int
    planning_steps: int
    env_seconds: float
    policy_seconds: float


def skill_files(paths: list[Path], computer: Computer) -> list[Path]:
    """The SKILL.md files ``paths`` name: a file, a skill directory, or a skills directory
    written by ``synthcomp skills`` (its index picks the skill matching ``computer``)."""
    files = []
    for path in paths:
        if (path / INDEX).is_file():
            files += [m] if (m := matching_skill(path, load_index(path), computer)) else []
        else:
            files.append(path / "SKILL.md" if path.is_dir() else path)
    return files


def sim_dir_for(config: SimConfig) -> Path:
    return sim_dir(workspace_of(config.computer), config.sim_id)


def _load_setup(sim_dir: Path, config: SimConfig, computer: Computer, roles: Roles, usage: Usage) -> SetupPlan:
    """setup.json if it exists (resume), else a fresh setup written atomically. What was
    degraded while setting up is kept beside it (``SETUP_WARNINGS``) and put back in
    ``usage`` on resume, so the final summary names it whichever process finishes."""
    path = sim_dir / "setup.json"
    if path.exists():
        warned = sim_dir / SETUP_WARNINGS
        usage.warnings[:0] = json.loads(warned.read_text()) if warned.is_file() else []
        try:
            return SetupPlan.model_validate_json(path.read_text())
        except ValidationError as exc:
            first = exc.errors()[0]
            raise InputError(f"{path} is corrupt: {first['msg']} at {'.'.join(map(str, first['loc']))}; "
                             "delete the simulation directory to start over") from None
    original = tree_reader(config.computer / "files", computer.policy.os)
    setup = roles.setup(computer, original, config.seed, config.days)
    write_private_files(setup, computer, sim_dir / "private")
    write_json_atomic(sim_dir / SETUP_WARNINGS, usage.warnings)
    write_json_atomic(path, setup)
    return setup


def check_settings(config: SimConfig) -> None:
    """Refuse a simulation directory started with other settings: its checkpoints and
    summary would otherwise be taken for this run's (the sim id does not name every setting).

    Raises:
        InputError: naming each setting that differs.
    """
    recorded = sim_dir_for(config) / "sim.json"
    if not recorded.is_file():
        return
    try:  # read through the model, so a record written before the config tree compares alike
        then = SimConfig.model_validate_json(recorded.read_text()).model_dump(mode="json")
    except ValidationError:
        then = json.loads(recorded.read_text())
    now = config.model_dump(mode="json")
    differ = ", ".join(f"{k} {then.get(k)!r}, not {now.get(k)!r}" for k in sorted({*then, *now})
                       if then.get(k) != now.get(k))
    if differ:
        raise InputError(f"{recorded.parent} was started with other settings ({differ}); "
                         "use another --seed or delete it")


def run_simulation(config: SimConfig, *, restart_from_day: int | None = None,
                   console: Console | None = None) -> FinishedSim | StoppedSim:
    """Run (or resume) a simulation and return its summary. sim.json records ``config``
    without its keys, budgets or cache paths (``SimConfig`` never dumps them).

    Raises:
        InputError: a missing computer, unknown policy, corrupt setup.json or bad restart day.
        BrainError: a model-backed role failed past its retries (the run resumes from the
            last finished day when re-run).
    """
    computer = load_computer(config.computer)  # fails early on a missing or broken computer
    usage = Usage()
    skills = {"skills": skill_files(config.skills, computer)} if config.skills else {}
    policy = config.policy.model_copy(update=skills).build(usage)
    roles = Roles(config.brain.client(seed=config.seed, usage=usage))
    sim_dir = sim_dir_for(config)
    sim_dir.mkdir(parents=True, exist_ok=True)
    check_settings(config)
    write_json_atomic(sim_dir / "sim.json", config.model_dump(mode="json"))
    try:
        setup = _load_setup(sim_dir, config, computer, roles, usage)
    except BudgetExceeded as exc:
        return _stopped(config, sim_dir, None, usage, exc)
    progress = _resume_point(sim_dir, restart_from_day)
    records: list[DayRecord] = [DayRecord(**r) for r in _load_records(sim_dir, progress, usage)]
    # checkpoints live in the simulation's own directory (deleted with it)
    sandbox = config.sandbox.model_copy(update={"snapshot_dir": sim_dir / "snapshots"})
    env = WorkdayEnv(config.computer, sandbox=sandbox, days=config.days, step_budget=config.step_budget,
                     run_dir=sim_dir, setup=setup, private_dir=sim_dir / "private", seed=config.seed,
                     responder=roles.collaborators())
    try:
        start_day = 0 if progress is None else progress.last_finished_day + 1
        if start_day >= config.days and (sim_dir / "summary.json").is_file():
            return parse_summary(json.loads((sim_dir / "summary.json").read_text()))  # finished: nothing changes
        if start_day >= config.days:  # killed while finishing: bring the last day's computer back
            env.reset(options={"snapshot": progress.checkpoint})
        for stale in (sim_dir / "days").glob("*"):
            if stale.is_dir() and stale.name.isdigit() and int(stale.name) >= start_day:
                shutil.rmtree(stale)  # the unfinished day is replayed, never appended to
        columns = (TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TextColumn("days"), TimeElapsedColumn())
        with Progress(*columns, console=console, disable=console is None) as bar:
            task = bar.add_task("days", total=config.days, completed=start_day)
            if progress is not None:
                policy = _load_policy(sim_dir, progress.last_finished_day) or policy
            for day in range(start_day, config.days):
                first = day == start_day
                seed = config.seed if first and progress is None else None
                options = {"snapshot": progress.checkpoint} if first and progress else None
                try:
                    records.append(_run_day(env, policy, seed=seed, options=options))
                except BudgetExceeded as exc:  # the unfinished day is replayed on resume
                    return _stopped(config, sim_dir, day - 1, usage, exc)
                try:
                    ref = env.snapshot(f"day-{day:02d}", keep=True)
                except SandboxError as exc:  # e.g. a socket the agent left: the day counts, unsaved
                    warnings.warn(f"day {day}: no checkpoint ({exc}); a crash resumes from the last one",
                                  RuntimeWarning, stacklevel=2)
                else:
                    _checkpoint(sim_dir, day, ref, policy, env, records, usage)
                bar.advance(task)
        return finish_simulation(env, config, sim_dir, records, usage)
    finally:
        env.close()


def _stopped(config: SimConfig, sim_dir: Path, last_finished_day: int | None, usage: Usage,
             exc: BudgetExceeded) -> StoppedSim:
    """The summary of a run the budget stopped; progress.json already marks where to resume."""
    return StoppedSim(sim_id=config.sim_id, reason=str(exc),
                      last_finished_day=last_finished_day if last_finished_day is not None and last_finished_day >= 0 else None,
                      days=config.days, sim_dir=str(sim_dir), usage=usage.as_dict())


def _run_day(env: WorkdayEnv, policy: Policy, *, seed: int | None = None,
             options: dict[str, Any] | None = None) -> DayRecord:
    episode = run_episode(env, policy, seed=seed, options=options)
    planned = [i for i, s in enumerate(episode.steps, 1) if s.tool == "submit_week_plan" and not s.error]
    return DayRecord(day=episode.last.info["day"], steps=len(episode.steps),
                     planning_steps=planned[-1] if planned else 0,
                     env_seconds=round(sum(s.env_seconds for s in episode.steps), 4),
                     policy_seconds=round(sum(s.policy_seconds for s in episode.steps), 4))


def _checkpoint(sim_dir: Path, day: int, ref: SnapshotRef, policy: Policy, env: WorkdayEnv,
                records: list[DayRecord], usage: Usage) -> None:
    """Write the day's checkpoint, then (atomically) move progress.json forward to it."""
    checkpoints = sim_dir / "checkpoints"
    checkpoints.mkdir(exist_ok=True)
    previous = checkpoints / f"day-{day:02d}.json"
    if previous.exists():  # a replayed day: its old snapshot would be kept forever, unreferenced
        old = SnapshotRef.model_validate(json.loads(previous.read_text())["snapshot"])
        if old.id != ref.id and env.sandbox is not None:
            env.sandbox.delete_snapshot(old)
    try:
        (checkpoints / f"day-{day:02d}.policy.pkl").write_bytes(pickle.dumps(policy))
    except (pickle.PicklingError, TypeError, AttributeError) as exc:
        # an unpicklable policy (e.g. one holding a network client) restarts fresh on resume
        log.info("day %d: the policy cannot be checkpointed (%s); a resume starts it fresh", day, exc)
    assert env.state is not None
    write_json_atomic(checkpoints / f"day-{day:02d}.json", {"snapshot": ref.model_dump(mode="json"),
                                                       "records": [r.__dict__ for r in records],
                                                       "warnings": usage.warnings})
    write_json_atomic(sim_dir / "state.json", env.state.model_dump(mode="json"))
    write_json_atomic(sim_dir / "progress.json", {"last_finished_day": day, "checkpoint": ref.model_dump(mode="json")})


def _resume_point(sim_dir: Path, restart_from_day: int | None) -> Checkpoint | None:
    path = sim_dir / "progress.json"
    if restart_from_day is not None:
        if restart_from_day == 0:
            path.unlink(missing_ok=True)
            return None
        checkpoint = sim_dir / "checkpoints" / f"day-{restart_from_day - 1:02d}.json"
        if not checkpoint.exists():
            raise InputError(f"--restart-from-day {restart_from_day}: no checkpoint for day {restart_from_day - 1} "
                             f"in {sim_dir / 'checkpoints'}")
        ref = SnapshotRef.model_validate(json.loads(checkpoint.read_text())["snapshot"])
        progress = Checkpoint(last_finished_day=restart_from_day - 1, checkpoint=ref)
        write_json_atomic(path, progress.model_dump(mode="json"))
        return progress
    if not path.exists():
        return None
    try:
        return Checkpoint.model_validate_json(path.read_text())
    except ValidationError:
        raise InputError(f"{path} is corrupt; use --restart-from-day to replay from a checkpoint") from None


def _load_records(sim_dir: Path, progress: Checkpoint | None, usage: Usage) -> list[dict[str, Any]]:
    """The finished days' records as of the checkpoint resumed from; the warnings recorded
    up to it replace ``usage``'s (they include the setup's)."""
    if progress is None:
        return []
    checkpoint = sim_dir / "checkpoints" / f"day-{progress.last_finished_day:02d}.json"
    if not checkpoint.exists():
        return []
    saved = json.loads(checkpoint.read_text())
    usage.warnings[:] = saved.get("warnings", usage.warnings)
    return saved["records"]


def _load_policy(sim_dir: Path, day: int) -> Policy | None:
    path = sim_dir / "checkpoints" / f"day-{day:02d}.policy.pkl"
    return pickle.loads(path.read_bytes()) if path.exists() else None
