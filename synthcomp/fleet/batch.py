"""``synthcomp create``: validate the request, then create N computers on an executor.

All input is checked before the first byte is written, so a bad option or a malformed
personas file leaves nothing behind. Creation is idempotent by computer id: a computer
whose ``computer.json`` exists is not made again, so re-running a half-finished batch
(or a retried task) only does what is missing. Each computer gets a line in
``WS/manifest.jsonl`` with its stats, written in batch order once the batch is done and
stamped with the computers' own time, so that file too is the same for the same seed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from synthcomp.brains.base import CreationBrain
from synthcomp.brains.procedural import ProceduralCreationBrain
from synthcomp.computer.create import COMPUTER_FILE, ComputerJob, create_computer
from synthcomp.computer.materialize import epoch
from synthcomp.computer.show import load_computer
from synthcomp.computer.stats import computer_shape
from synthcomp.computer.personas import load_catalog, load_personas_jsonl, sample_persona
from synthcomp.errors import InputError
from synthcomp.brains.model.client import Usage
from synthcomp.brains.model.config import BrainConfig, ProceduralBrainConfig
from synthcomp.models import Computer, Persona, Strict
from synthcomp.pool.executor import Executor, LocalExecutor, Outcome
from synthcomp.pool.manifest import MANIFEST, FleetError, append_records, failure_record
from synthcomp.workspace import computer_dir


class CreateRequest(Strict):
    """What ``synthcomp create`` was asked to do."""

    out: Path
    n: int = Field(ge=1, le=1_000_000, description="How many computers.")
    seed: int = Field(ge=0)
    os: Literal["windows", "macos", "mixed"]
    personas: list[Persona] | None = Field(default=None, description="From --personas; None = the built-in pool.")
    workers: int = Field(ge=1, le=64)
    brain: BrainConfig = Field(default_factory=ProceduralBrainConfig,
                               description="Who creates; a model brain's budget is split evenly across the computers.")

    @classmethod
    def from_cli(cls, *, out: Path, n: int, seed: int, os_name: str, personas: Path | None, workers: int,
                 brain: BrainConfig = ProceduralBrainConfig()) -> CreateRequest:
        """Validate raw CLI values; every problem becomes one :class:`InputError` line."""
        loaded = load_personas_jsonl(personas) if personas is not None else None
        try:
            request = cls(out=out, n=n, seed=seed, os=os_name, personas=loaded, workers=workers,  # type: ignore[arg-type]
                          brain=brain)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = {"os": "--os", "n": "--n", "seed": "--seed", "workers": "--workers"}.get(str(first["loc"][0]), str(first["loc"][0]))
            hint = " (choose windows, macos or mixed)" if field == "--os" else ""
            raise InputError(f"{field}: {first['msg']}{hint}, got {first.get('input')!r}") from None
        if loaded is not None and n > len(loaded):
            raise InputError(f"--n {n} asks for more computers than {personas} has personas ({len(loaded)})")
        if out.exists() and not out.is_dir():
            raise InputError(f"--out {out} exists and is not a directory")
        return request

    def jobs(self) -> list[ComputerJob]:
        catalog = load_catalog()
        jobs = []
        for i in range(self.n):
            os_name = ("windows" if i % 2 == 0 else "macos") if self.os == "mixed" else self.os
            persona = self.personas[i] if self.personas is not None else sample_persona(self.seed, i, catalog)
            jobs.append(ComputerJob(index=i, seed=self.seed, os_name=os_name, persona=persona, out=self.out,
                                    brain=self._share()))
        return jobs

    def _share(self) -> BrainConfig:
        """Each computer's brain: an even share of a model's budget, so parallel workers
        (each with its own ledger) never spend more than the whole."""
        budget = getattr(self.brain, "budget_usd", None)
        return self.brain if budget is None else self.brain.model_copy(update={"budget_usd": budget / self.n})


def computer_record(workspace: Path, computer: Computer, outcome: Outcome) -> dict[str, Any]:
    """A computer's line in the workspace manifest: who it belongs to and its shape."""
    directory = computer_dir(workspace, computer.id)
    n_files, n_dirs, avg_depth, max_depth, sizes = computer_shape(directory)
    return {"kind": "computer", "id": computer.id, "status": "done", "attempts": outcome.attempts,
            "errors": outcome.errors, "path": str(directory.relative_to(workspace)), "os": computer.policy.os,
            "occupation": computer.profile.occupation, "industry": computer.persona.industry, "brain": computer.brain,
            "files": n_files, "dirs": n_dirs, "avg_depth": round(avg_depth, 3), "max_depth": max_depth,
            "bytes": sum(size for _, size in sizes), "warnings": computer.warnings}


def run_job(job: ComputerJob) -> tuple[Computer, Usage]:
    """Create one computer with the job's brain (the executor's task), unless it exists;
    returns the computer and what its model calls cost (nothing offline or when skipped)."""
    usage = Usage()
    existing = computer_dir(job.out, job.computer_id)
    if (existing / COMPUTER_FILE).is_file():
        return load_computer(existing), usage
    catalog = load_catalog()
    client = job.brain.client(seed=job.computer_seed, usage=usage)
    if client is not None:
        from synthcomp.brains.model.creation import ModelCreationBrain

        brain: CreationBrain = ModelCreationBrain(client, catalog, job.computer_seed)
    else:
        brain = ProceduralCreationBrain(catalog, job.computer_seed)
    return create_computer(job, brain, catalog, usage), usage


def create_computers(request: CreateRequest, console: Console | None = None, usage: Usage | None = None,
                     executor: Executor | None = None) -> list[Computer]:
    """Create every computer of the request: in this process when ``workers == 1`` and no
    executor is given, else on ``executor`` (default: a local pool of ``workers``).

    Model costs are added to ``usage``; each computer is recorded in the manifest.

    Raises:
        FleetError: some computers still failed after their retries (the rest are kept).
    """
    usage = usage if usage is not None else Usage()
    jobs = request.jobs()
    (request.out / "computers").mkdir(parents=True, exist_ok=True)
    results: dict[int, Computer] = {}
    failures: list[Outcome] = []
    columns = (TextColumn("creating computers"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False, disable=console is None) as progress:
        task = progress.add_task("create", total=len(jobs))
        if executor is None and request.workers == 1:
            outcomes: Iterable[Outcome] = (Outcome(job.computer_id, "done", run_job(job), 1) for job in jobs)
        else:
            executor = executor or LocalExecutor(request.workers)
            outcomes = executor.run(run_job, jobs, [job.computer_id for job in jobs])
        index = {job.computer_id: job.index for job in jobs}
        records: dict[int, dict] = {}
        for outcome in outcomes:
            if outcome.status == "failed":
                failures.append(outcome)
                records[index[outcome.key]] = failure_record("computer", outcome)
            else:
                computer, spent = outcome.value
                usage.merge(spent)
                results[index[outcome.key]] = computer
                records[index[outcome.key]] = computer_record(request.out, computer, outcome)
            progress.advance(task)
    # in batch order and stamped like the computers, so the same seed gives the same workspace
    append_records(request.out, [records[i] for i in sorted(records)])
    if results:
        stamp = max(epoch(c.policy.now) for c in results.values())
        os.utime(request.out / MANIFEST, (stamp, stamp))
    if failures:
        raise FleetError("computers", failures, len(jobs))
    return [results[i] for i in sorted(results)]
