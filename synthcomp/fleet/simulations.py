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

Model policies and model-backed roles run in the fleet too: each task is a whole
:class:`~synthcomp.sim.config.SimConfig`, its keys included, travelling in memory the way
``synthcomp simulate`` hands it to :func:`run_simulation`; a config never dumps its keys,
so they are never written to the workspace. Each simulation keeps its own ledger, so ``--budget-usd`` is per simulation; a
simulation its budget stops gets a ``stopped`` manifest line (it is not failed, nor
retried) and resumes from its last finished day when the command is re-run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from synthcomp.errors import InputError
from synthcomp.fleet.split import select_computers
from synthcomp.pool.executor import Executor, Outcome
from synthcomp.pool.manifest import BudgetStopped, FleetError, append_records, failure_record
from synthcomp.models import StoppedSim
from synthcomp.sim.config import SimConfig, SimSettings
from synthcomp.sim.runner import check_settings, run_simulation, sim_dir_for


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
    record = {"kind": "sim", "id": summary.sim_id, "computer_id": config.computer.name, "policy": config.policy.name,
              "days": config.days, "sandbox": config.sandbox.type, "seed": config.seed, "usage": summary.usage}
    if isinstance(summary, StoppedSim):
        return {**record, "status": "stopped", "reason": summary.reason, "last_finished_day": summary.last_finished_day}
    return {**record, "status": "done", "score": summary.score, "turns": summary.turns,
            "files_created": summary.files_created, "env_seconds": summary.env_seconds}


def simulate_many(workspace: Path, executor: Executor, settings: SimSettings, *, limit: int | None = None,
                  computers: str = "all", console: Console | None = None) -> FleetReport:
    """Simulate the ``computers`` side of ``workspace`` (all, train or held-out; the first
    ``limit`` by id) on ``executor``, each with ``settings``.

    Raises:
        InputError: no computers, or a simulation directory started with other settings.
        FleetError: some simulations still failed after their retries (the rest are kept).
        BudgetStopped: a model budget stopped some simulations (a re-run resumes them).
    """
    chosen = select_computers(workspace, computers)[:limit]
    if not chosen:
        raise InputError(f"no {'' if computers == 'all' else computers + ' '}computers in {workspace} "
                         f"(expected {workspace}/computers/<shard>/<id>/computer.json)")
    return run_simulations(workspace, executor, [settings.on(c) for c in chosen], console=console)


def run_simulations(workspace: Path, executor: Executor, configs: list[SimConfig], *,
                    console: Console | None = None) -> FleetReport:
    """Run ``configs`` on ``executor``; finished ones (a ``summary.json``) are skipped.

    Raises:
        InputError: a simulation directory was started with other settings.
        FleetError: some simulations still failed after their retries (the rest are kept).
        BudgetStopped: none failed, but a model budget stopped some (a re-run resumes them).
    """
    for config in configs:
        check_settings(config)
    finished = {c.sim_id for c in configs if (sim_dir_for(c) / "summary.json").is_file()}
    todo = [c for c in configs if c.sim_id not in finished]
    report = FleetReport(skipped=sorted(finished))
    stopped = []
    columns = (TextColumn("simulating"), BarColumn(), MofNCompleteColumn(), TextColumn("months"), TimeElapsedColumn())
    with Progress(*columns, console=console, disable=console is None) as bar:
        task = bar.add_task("sims", total=len(configs), completed=len(report.skipped))
        for outcome in executor.run(simulate_task, todo, [c.sim_id for c in todo]):
            if outcome.status == "done":
                (stopped if outcome.value["status"] == "stopped" else report.done).append(outcome.key)
                report.retried += outcome.attempts > 1
                append_records(workspace, [{**outcome.value, "attempts": outcome.attempts, "errors": outcome.errors,
                                            "seconds": round(outcome.seconds, 3)}])
            else:
                report.failed.append(outcome)
                append_records(workspace, [failure_record("sim", outcome)])
            bar.advance(task)
    if report.failed:
        raise FleetError("simulations", report.failed, len(todo))
    if stopped:
        raise BudgetStopped(stopped, len(todo))
    return report
