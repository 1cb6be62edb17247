"""``synthcomp retrospect WS/sims/<shard>/<sim-id>``: the retrospective of a judged simulation.

Loads what the analysis needs (setup, final state, trajectory, rubric and judgement),
runs ``agents.retrospective.analyse`` and writes ``retrospective.json`` (the model the
skills builder reads) and ``retrospective.md`` (the report a person reads, as in the
paper's Appendix A) next to the simulation.
"""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import ValidationError

from synthcomp.agents.retrospective import Step, analyse
from synthcomp.agents.roles import Roles
from synthcomp.errors import InputError
from synthcomp.models import Judgement, Retrospective, Rubric
from synthcomp.sim.config import SimConfig
from synthcomp.sim.judging import load_simulation, rubric_file
from synthcomp.workspace import sim_dirs, workspace_of

REPORT_JSON = "retrospective.json"
REPORT_MD = "retrospective.md"


def load_steps(sim_dir: Path) -> list[Step]:
    """Every recorded step, day by day (line numbers as in the files; line 0 is the reset)."""
    steps = []
    for path in sorted((sim_dir / "days").glob("*/trajectory.jsonl"), key=lambda p: int(p.parent.name)):
        day = int(path.parent.name)
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            entry = json.loads(line)
            if entry.get("event") != "step":
                continue
            action, info = entry.get("action"), entry.get("info") or {}
            args = action.get("args") if isinstance(action, dict) and isinstance(action.get("args"), dict) else {}
            data = info.get("data")
            steps.append(Step(day=day, step=n, tool=info.get("tool"), args=args,
                              observation=str(entry.get("observation", "")), error=bool(info.get("tool_error")),
                              data=data if isinstance(data, dict) else None))
    return steps


def retrospect(sim_dir: Path, roles: Roles = Roles()) -> Retrospective:
    """Analyse a judged simulation and write its reports; with a model brain (``roles``)
    the model rewrites the procedural analysis (``agents.retrospective_claude``).

    Raises:
        InputError: not a finished, judged simulation (or a corrupt file).
        BrainError: the model's analysis stayed invalid.
    """
    setup, state, computer = load_simulation(sim_dir)
    judgement_path = sim_dir / "judgement.json"
    if not judgement_path.is_file():
        raise InputError(f"{sim_dir} has no judgement yet; run `synthcomp judge {sim_dir}` first")
    try:
        judgement = Judgement.model_validate_json(judgement_path.read_text())
        rubric = Rubric.model_validate_json(rubric_file(sim_dir, judgement.judge).read_text())
        config = SimConfig.model_validate_json((sim_dir / "sim.json").read_text())
    except (OSError, ValidationError) as exc:
        raise InputError(f"{sim_dir}: cannot read its rubric or judgement ({exc})") from None
    steps = load_steps(sim_dir)
    if not steps:
        raise InputError(f"{sim_dir} has no recorded steps")
    sim = sim_dir.resolve().relative_to(workspace_of(sim_dir)).as_posix()
    report = analyse(sim=sim, sim_id=sim_dir.name, computer=computer, policy=config.policy.name,
                     deliverables=setup.deliverables, collaborators=state.collaborators, inbox=state.inbox,
                     days=state.days_total, trajectory=steps, rubric=rubric, judgement=judgement)
    report = roles.retrospective(report, sim, steps, rubric, judgement)
    (sim_dir / REPORT_JSON).write_text(report.model_dump_json(indent=1) + "\n")
    (sim_dir / REPORT_MD).write_text(render_markdown(report))
    return report


def collect_retrospectives(workspace: Path, exclude_computers: set[str]) -> list[Retrospective]:
    """The retrospective of every judged simulation in ``workspace`` whose computer is not
    excluded (held-out computers never teach), written first where it is missing."""
    found = []
    for sim_dir in sim_dirs(workspace):
        report = sim_dir / REPORT_JSON
        if not (sim_dir / "judgement.json").is_file():
            continue
        retro = (Retrospective.model_validate_json(report.read_text()) if report.is_file()
                 and report.stat().st_mtime >= (sim_dir / "judgement.json").stat().st_mtime else retrospect(sim_dir))
        if retro.computer_id not in exclude_computers:
            found.append(retro)
    return found


def render_markdown(report: Retrospective) -> str:
    lines = [f"# Retrospective: {report.sim_id}", "",
             f"{report.occupation} ({report.industry}); policy {report.policy}; final score {report.score:.1%}.", "",
             "## What worked", "", *[f"- {w}" for w in report.worked or ["(nothing the rubric credits)"]], "",
             "## What failed", "", *[f"- {f}" for f in report.failed or ["(nothing)"]], "",
             "## Experience items", ""]
    for n, item in enumerate(report.items, 1):
        practice = f" `[{item.practice}]`" if item.practice else ""
        lines += [f"{n}. **{item.lesson}**{practice} ({item.kind})", f"   - Situation: {item.situation}",
                  "   - Evidence: " + "; ".join(f"`{e.cite()}`" + (f" ({e.note})" if e.note else "") for e in item.evidence)]
    return "\n".join(lines) + "\n"
