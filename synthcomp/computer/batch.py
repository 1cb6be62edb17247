"""``synthcomp create``: validate the request, then create N computers across K processes.

All input is checked before the first byte is written, so a bad option or a malformed
personas file leaves nothing behind.
"""

from __future__ import annotations

from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from synthcomp.brains.procedural import ProceduralCreationBrain
from synthcomp.computer.create import ComputerJob, create_computer
from synthcomp.computer.personas import load_catalog, load_personas_jsonl, sample_persona
from synthcomp.errors import InputError
from synthcomp.brains.claude.client import ClaudeConfig, Usage, require_config
from synthcomp.models import Computer, Persona, Strict


class CreateRequest(Strict):
    """What ``synthcomp create`` was asked to do."""

    out: Path
    n: int = Field(ge=1, le=1_000_000, description="How many computers.")
    seed: int = Field(ge=0)
    os: Literal["windows", "macos", "mixed"]
    personas: list[Persona] | None = Field(default=None, description="From --personas; None = the built-in pool.")
    workers: int = Field(ge=1, le=64)
    brain: Literal["procedural", "claude", "openai"] = "procedural"
    claude: ClaudeConfig | None = Field(default=None, description="Required with a model brain; its budget is split "
                                                                 "evenly across the computers.")

    @classmethod
    def from_cli(cls, *, out: Path, n: int, seed: int, os_name: str, personas: Path | None, workers: int,
                 brain: str = "procedural", claude: ClaudeConfig | None = None) -> CreateRequest:
        """Validate raw CLI values; every problem becomes one :class:`InputError` line."""
        if brain != "procedural":
            require_config(claude, f"--brain {brain}")
        loaded = load_personas_jsonl(personas) if personas is not None else None
        try:
            request = cls(out=out, n=n, seed=seed, os=os_name, personas=loaded, workers=workers,  # type: ignore[arg-type]
                          brain=brain, claude=claude)
        except ValidationError as exc:
            first = exc.errors()[0]
            field = {"os": "--os", "n": "--n", "seed": "--seed", "workers": "--workers", "brain": "--brain"}.get(str(first["loc"][0]), str(first["loc"][0]))
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
                                    claude=self._share() if self.brain != "procedural" else None))
        return jobs

    def _share(self) -> ClaudeConfig | None:
        """Each computer's model config: an even share of the budget, so parallel workers
        (each with its own ledger) never spend more than the whole."""
        if self.claude is None or self.claude.budget_usd is None:
            return self.claude
        return self.claude.model_copy(update={"budget_usd": self.claude.budget_usd / self.n})


def run_job(job: ComputerJob) -> tuple[Computer, Usage]:
    """Create one computer with the job's brain (the process-pool entry point); returns
    the computer and what its model calls cost (nothing offline)."""
    catalog = load_catalog()
    usage = Usage()
    if job.claude is not None:
        from synthcomp.brains.claude.client import ClaudeClient
        from synthcomp.brains.claude.creation import ClaudeCreationBrain

        client = ClaudeClient(job.claude, seed=job.computer_seed, usage=usage)
        brain = ClaudeCreationBrain(client, catalog, job.computer_seed)
    else:
        brain = ProceduralCreationBrain(catalog, job.computer_seed)
    return create_computer(job, brain, catalog), usage


def create_computers(request: CreateRequest, console: Console | None = None, usage: Usage | None = None) -> list[Computer]:
    """Create every computer of the request, in parallel when ``workers > 1``; model costs
    are added to ``usage``."""
    usage = usage if usage is not None else Usage()
    jobs = request.jobs()
    (request.out / "computers").mkdir(parents=True, exist_ok=True)
    results: dict[int, Computer] = {}
    columns = (TextColumn("creating computers"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False, disable=console is None) as progress:
        task = progress.add_task("create", total=len(jobs))
        if request.workers == 1:
            for job in jobs:
                results[job.index], spent = run_job(job)
                usage.merge(spent)
                progress.advance(task)
        else:
            with ProcessPoolExecutor(max_workers=request.workers) as pool:
                futures = {pool.submit(run_job, job): job.index for job in jobs}
                for future in as_completed(futures):
                    results[futures[future]], spent = future.result()
                    usage.merge(spent)
                    progress.advance(task)
    return [results[i] for i in sorted(results)]
