"""``synthcomp simulate-many``: a month-long simulation for every computer of a workspace.

Each task is one :func:`synthcomp.sim.runner.run_simulation`: it owns one sandbox and
closes it however it ends, checkpoints after every day and resumes from the last
finished day, so a retried task (a fresh sandbox) continues instead of starting over.
Simulations that already have a ``summary.json`` are skipped before anything is
submitted (and a simulation directory started with other settings is refused, since the
sim id does not name the days or the step budget); each finished or failed one gets a
line in ``WS/manifest.jsonl``. ``--computers train|held-out`` simulates one side of the
workspace's split (``fleet/split.py``); :func:`run_simulations` runs any list of
configurations the same way (``synthcomp evaluate`` uses it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from synthcomp.errors import InputError
from synthcomp.fleet.executor import Executor, Outcome
from synthcomp.fleet.manifest import FleetError, append_records, failure_record
from synthcomp.fleet.split import select_computers
from synthcomp.sim.runner import SimConfig, run_simulation, sim_dir_for


@dataclass
class FleetReport:
    """What a fleet run did; ``failed`` lists every task that failed after its retries."""

    done: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[Outcome] = field(default_factory=list)
    retried: int = 0
    """Tasks that needed more than one attempt but finished."""


def simulate_task(config: SimConfig) -> dict[str, Any]:
    """Run (or resume) one simulation; the executor's task. Returns its manifest record."""
    summary = run_simulation(config)
    return {"kind": "sim", "id": summary["sim_id"], "status": "done", "computer_id": config.computer.name,
            "policy": config.policy, "days": config.days, "sandbox": config.sandbox, "seed": config.seed,
            "score": summary["score"], "turns": summary["turns"], "files_created": summary["files_created"],
            "env_seconds": summary["env_seconds"]}


def simulate_many(workspace: Path, executor: Executor, *, policy: str, days: int, sandbox: Literal["docker", "local"],
                  seed: int, step_budget: int, limit: int | None = None, computers: str = "all",
                  console: Console | None = None) -> FleetReport:
    """Simulate the ``computers`` side of ``workspace`` (all, train or held-out; the first
    ``limit`` by id) on ``executor``.

    Raises:
        InputError: no computers, or settings SimConfig rejects (see :func:`run_simulations`).
        FleetError: some simulations still failed after their retries (the rest are kept).
    """
    chosen = select_computers(workspace, computers)[:limit]
    if not chosen:
        raise InputError(f"no {'' if computers == 'all' else computers + ' '}computers in {workspace} "
                         f"(expected {workspace}/computers/<shard>/<id>/computer.json)")
    configs = [SimConfig(computer=c, policy=policy, days=days, sandbox=sandbox, seed=seed, step_budget=step_budget)
               for c in chosen]
    return run_simulations(workspace, executor, configs, console=console)


def _check_settings(config: SimConfig) -> None:
    """Refuse, before any work, a simulation directory started with other settings: its
    summary would otherwise be taken for this run's (the sim id does not name every setting)."""
    recorded = sim_dir_for(config) / "sim.json"
    if not recorded.is_file():
        return
    then, now = json.loads(recorded.read_text()), json.loads(config.model_dump_json())
    differ = ", ".join(f"{k} {then.get(k)!r}, not {now.get(k)!r}" for k in sorted({*then, *now})
                       if then.get(k) != now.get(k))
    if differ:
        raise InputError(f"{recorded.parent} was started with other settings ({differ}); "
                         "use another --seed or delete it")


def run_simulations(workspace: Path, executor: Executor, configs: list[SimConfig], *,
                    console: Console | None = None) -> FleetReport:
    """Run ``configs`` on ``executor``; finished ones (a ``summary.json``) are skipped.

    Raises:
        InputError: a simulation directory was started with other settings.
        FleetError: some simulations still failed after their retries (the rest are kept).
    """
    for config in configs:
        _check_settings(config)
    finished = {c.sim_id for c in configs if (sim_dir_for(c) / "summary.json").is_file()}
    todo = [c for c in configs if c.sim_id not in finished]
    report = FleetReport(skipped=sorted(finished))
    columns = (TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TextColumn("months"), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=console is None) as bar:
        task = bar.add_task("sims", total=len(configs), completed=len(report.skipped))
        for outcome in executor.run(simulate_task, todo, [c.sim_id for c in todo]):
            if outcome.status == "done":
                report.done.append(outcome.key)
                report.retried += outcome.attempts > 1
                append_records(workspace, [{**outcome.value, "attempts": outcome.attempts, "errors": outcome.errors,
                                            "seconds": round(outcome.seconds, 3)}])
            else:
                report.failed.append(outcome)
                append_records(workspace, [failure_record("sim", outcome)])
            bar.advance(task)
    if report.failed:
        raise FleetError("simulations", report.failed, len(todo))
    return report
