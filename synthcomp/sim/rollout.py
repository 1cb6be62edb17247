"""One workday of a policy on a computer: the loop behind ``synthcomp run-day``."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from synthcomp.env.workday import WorkdayEnv
from synthcomp.policies.base import PolicyConfig
from synthcomp.sandbox.config import SandboxConfig
from synthcomp.sim.episode import Step, run_episode


def run_one_day(
    computer: Path, *, policy: PolicyConfig, sandbox: SandboxConfig, seed: int, step_budget: int, run_dir: Path | None,
    console: Console | None = None,
) -> Table:
    """Reset, step the policy (seeded with ``seed``) until the day ends, and summarize what happened."""
    agent = policy.model_copy(update={"seed": seed}).build()
    tools: Counter[str] = Counter()
    changed: set[str] = set()
    with WorkdayEnv(computer, sandbox=sandbox, step_budget=step_budget, run_dir=run_dir) as env:
        with Progress(TextColumn(f"{policy.name} day"), BarColumn(), MofNCompleteColumn(), console=console,
                      disable=console is None) as progress:
            task = progress.add_task("steps", total=step_budget)

            def seen(step: Step) -> None:
                tools[step.tool or "(invalid)"] += 1
                changed.update(step.info["files_changed"])
                progress.advance(task)

            episode = run_episode(env, agent, seed=seed, on_step=seen)
        info, errors, reward = episode.last.info, sum(s.error for s in episode.steps), episode.reward
        state = env.state
        assert state is not None
        table = Table(title=f"{env.computer.id}: day {info['day'] + 1} with the {policy.name} policy ({sandbox.type})")
        table.add_column("measure")
        table.add_column("value", justify="right")
        for label, value in [
            ("steps", sum(tools.values())), ("tool errors", int(errors)), ("files changed", len(changed)),
            ("messages sent", sum(m.sent_day == info["day"] for m in state.outbox)),
            ("reward (score change)", f"{reward:.3f}"), ("score", f"{state.score:.3f}"),
            ("tools used", ", ".join(f"{k} x{v}" for k, v in tools.most_common())),
            ("trajectory", str(env.trajectory.path(info["day"]))),
        ]:
            table.add_row(label, str(value))
    return table
