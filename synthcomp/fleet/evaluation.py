"""``synthcomp evaluate``: does a skills directory make a policy better on computers it was
not mined from? (paper 4.2.3: 61.6% -> 68.6% mean score, 83/100 wins in-domain).

Each computer is simulated twice with the same seed: a baseline (no skills) and with the
skill :func:`~synthcomp.agents.skill_index.matching_skill` picks for it. The pair differs
only in the skill, so the per-computer delta isolates its effect, and the sign test asks
whether wins outnumber losses more than chance would. A computer no skill matches is
not simulated again: its with-skills score is its baseline by definition, a tie.
Baselines are ordinary simulations (the same sim ids as ``simulate-many``), so finished
ones are reused and every policy/skills pair is compared on the very same runs.

Skills mined from an evaluated computer would grade a skill on its own training data, so
such a skills directory is refused. The result goes to
``WS/evaluations/<policy>-<skills dir name or none>-s<seed>.json``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from pydantic import Field
from rich.console import Console
from rich.table import Table

from synthcomp.agents.skill_index import load_index, matching_skill
from synthcomp.computer.show import load_computer
from synthcomp.errors import InputError
from synthcomp.fleet.simulations import run_simulations
from synthcomp.models import Computer, FinishedSim, Strict, parse_summary
from synthcomp.pool.executor import Executor
from synthcomp.sim.config import SimConfig, SimSettings
from synthcomp.sim.runner import sim_dir_for
from synthcomp.skillmd import read_skill

EVALUATIONS = "evaluations"


class ComputerResult(Strict):
    computer_id: str
    occupation: str
    industry: str | None
    skill: str | None = Field(description="The skill the policy loaded; None when none matched (a tie).")
    baseline: float
    with_skills: float
    delta: float


class Summary(Strict):
    n: int
    mean_baseline: float
    mean_with_skills: float
    mean_delta: float
    wins: int
    ties: int
    losses: int
    win_rate: float = Field(description="wins / n (ties count against it).")
    sign_test_p: float = Field(description="Two-sided exact sign test over the non-tied pairs.")

    def describe(self) -> str:
        """Two lines in the paper's terms: the means, then wins and the sign test."""
        return (f"mean score: {self.mean_baseline:.1%} -> {self.mean_with_skills:.1%} "
                f"({100 * self.mean_delta:+.1f} points)\n"
                f"wins: {self.wins}/{self.n} ({self.win_rate:.1%}), ties {self.ties}, losses {self.losses}, "
                f"sign test p={self.sign_test_p:.3g}")


class Evaluation(Strict):
    policy: str
    skills_dir: str | None
    days: int
    sandbox: str
    seed: int
    step_budget: int
    computers: list[ComputerResult]
    summary: Summary

    def table(self) -> Table:
        """One row per computer, for the terminal."""
        table = Table()
        table.add_column("computer", no_wrap=True)
        for name in ("occupation", "industry", "skill"):
            table.add_column(name)
        for name in ("baseline", "with skills", "delta"):
            table.add_column(name, justify="right", no_wrap=True)
        for r in self.computers:
            table.add_row(r.computer_id, r.occupation, r.industry or "-", r.skill or "-", f"{r.baseline:.1%}",
                          f"{r.with_skills:.1%}", f"{100 * r.delta:+.1f}")
        return table


def sign_test(wins: int, losses: int) -> float:
    """The two-sided exact binomial (p = 1/2) p-value of ``wins`` vs ``losses``; 1.0 with no pairs."""
    n = wins + losses
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(wins, losses) + 1))
    return min(1.0, 2 * tail / 2**n)


def summarize(results: list[ComputerResult]) -> Summary:
    """The paired comparison over ``results`` (at least one)."""
    n = len(results)
    wins = sum(r.delta > 0 for r in results)
    losses = sum(r.delta < 0 for r in results)
    return Summary(n=n, mean_baseline=sum(r.baseline for r in results) / n,
                   mean_with_skills=sum(r.with_skills for r in results) / n,
                   mean_delta=sum(r.delta for r in results) / n, wins=wins, ties=n - wins - losses, losses=losses,
                   win_rate=wins / n, sign_test_p=sign_test(wins, losses))


def _skills_for(skills_dir: Path, computers: dict[Path, Computer]) -> dict[Path, Path | None]:
    """Computer dir -> its SKILL.md (or None), after refusing leakage and broken skills."""
    index = load_index(skills_dir)
    leaked = sorted(set(index.train_computers) & {c.id for c in computers.values()})
    if leaked:
        shown = ", ".join(leaked[:3]) + (f" and {len(leaked) - 3} more" if len(leaked) > 3 else "")
        raise InputError(f"{skills_dir} was mined from {len(leaked)} of the evaluated computers ({shown}); "
                         "evaluate on computers it was not mined from (--computers held-out)")
    chosen = {d: matching_skill(skills_dir, index, c) for d, c in computers.items()}
    for skill in {s for s in chosen.values() if s is not None}:
        read_skill(skill)  # a missing or malformed SKILL.md fails here, not in every worker
    return chosen


def _score(config: SimConfig) -> float:
    summary = parse_summary(json.loads((sim_dir_for(config) / "summary.json").read_text()))
    return summary.score if isinstance(summary, FinishedSim) else 0.0


def evaluation_path(workspace: Path, policy: str, skills_dir: Path | None, seed: int) -> Path:
    """Where an evaluation is written: one file per policy, skills directory and seed."""
    name = skills_dir.resolve().name if skills_dir is not None else "none"
    return workspace / EVALUATIONS / f"{policy}-{name}-s{seed}.json"


def evaluate(workspace: Path, executor: Executor, settings: SimSettings, *, skills_dir: Path | None,
             computers: list[Path], console: Console | None = None) -> Evaluation:
    """Score ``settings.policy`` on ``computers`` without and with ``skills_dir``'s skills; write and return it.

    Raises:
        InputError: no computers, a leaking or broken skills directory, a policy that takes
            no skills, or settings SimConfig rejects.
        FleetError: some simulations still failed after their retries (finished ones are kept).
        BudgetStopped: a model budget stopped some simulations (a re-run resumes them).
    """
    if not computers:
        raise InputError(f"no computers to evaluate in {workspace} (is the side of {workspace}/split.json empty? "
                         "remake it with `synthcomp split`)")
    policy = settings.policy.name
    if skills_dir is not None and not settings.policy.loads_skills:
        raise InputError(f"the {policy} policy takes no skills")
    loaded = {d: load_computer(d) for d in computers}
    skills = _skills_for(skills_dir, loaded) if skills_dir is not None else dict.fromkeys(computers)
    base = {d: settings.on(d) for d in computers}
    skilled = {d: base[d].model_copy(update={"skills": [s]}) for d, s in skills.items() if s is not None}
    run_simulations(workspace, executor, [*base.values(), *skilled.values()], console=console)
    results = []
    for d, computer in loaded.items():
        skill, baseline = skills[d], _score(base[d])
        with_skills = _score(skilled[d]) if d in skilled else baseline
        results.append(ComputerResult(computer_id=computer.id, occupation=computer.profile.occupation,
                                      industry=computer.persona.industry, skill=skill.parent.name if skill else None,
                                      baseline=baseline, with_skills=with_skills,
                                      delta=round(with_skills - baseline, 6)))
    evaluation = Evaluation(policy=policy, skills_dir=str(skills_dir) if skills_dir else None, days=settings.days,
                            sandbox=settings.sandbox.type, seed=settings.seed, step_budget=settings.step_budget,
                            computers=results, summary=summarize(results))
    out = evaluation_path(workspace, policy, skills_dir, settings.seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(evaluation.model_dump_json(indent=1) + "\n")
    return evaluation
