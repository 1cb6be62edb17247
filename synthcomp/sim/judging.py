"""``synthcomp judge``: the final judgement of a simulation, from its files (paper 4.2.1).

The rubric is merged from five seeded drafts over the simulation's objectives,
collaborators and the feedback they gave (``rubric.json``, kept so re-judging is
stable); the procedural judge then reads the final tree the simulation left in
``computer/files``. With a renderer, every deliverable is also rendered to PNG pages
under ``renders/`` and the ``renders``/page-count criteria are scored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from pydantic import ValidationError

from synthcomp import ospath
from synthcomp.agents.judge import ProceduralJudge, RenderPages
from synthcomp.agents.judge_claude import ClaudeJudge
from synthcomp.brains.claude.client import ClaudeClient
from synthcomp.agents.rubric import build_rubric
from synthcomp.agents.rubric_claude import claude_rubric
from synthcomp.agents.setup import SetupPlan
from synthcomp.env.state import SimState
from synthcomp.errors import InputError
from synthcomp.models import Computer, Judgement, Rubric

RUNS = 5


def load_simulation(sim_dir: Path) -> tuple[SetupPlan, SimState, Computer]:
    """The setup, final state and updated computer of a finished simulation.

    Raises:
        InputError: it is not a finished simulation directory, or a file is corrupt.
    """
    needed = [sim_dir / n for n in ("setup.json", "state.json", "computer/computer.json")]
    missing = [p.name for p in needed if not p.is_file()]
    if missing:
        raise InputError(f"{sim_dir} is not a finished simulation (missing {', '.join(missing)}); "
                         "run `synthcomp simulate` first")
    try:
        return (SetupPlan.model_validate_json(needed[0].read_text()), SimState.model_validate_json(needed[1].read_text()),
                Computer.model_validate_json(needed[2].read_text()))
    except ValidationError as exc:
        raise InputError(f"{sim_dir}: corrupt simulation file: {exc.errors()[0]['msg']}") from None


def tree_reader(files_dir: Path, os_name: str) -> Callable[[str], bytes]:
    def read(path: str) -> bytes:
        physical = ospath.to_physical(os_name, path)
        if ".." in physical.parts:
            raise ValueError(f"{path} leaves the computer")
        return (files_dir / physical).read_bytes()

    return read


def rubric_file(sim_dir: Path, judge: str) -> Path:
    """Where the rubric a judge used is kept: ``rubric.json`` offline, ``rubric-<judge>.json`` otherwise."""
    return sim_dir / ("rubric.json" if judge == "procedural" else f"rubric-{judge}.json")


def judge_simulation(sim_dir: Path, seed: int, render_pages: RenderPages | None = None,
                     claude: ClaudeClient | None = None) -> Judgement:
    """Judge the final tree; with ``claude`` the model drafts the rubric and scores it, seeing the
    rendered pages. Each judge keeps its own rubric file (``rubric.json``, ``rubric-claude.json``),
    so a re-judgement reuses it and the two never mix."""
    setup, state, computer = load_simulation(sim_dir)
    read = tree_reader(sim_dir / "computer" / "files", computer.policy.os)
    rubric_path = rubric_file(sim_dir, "procedural" if claude is None else ClaudeJudge.name)
    if rubric_path.is_file():
        rubric = Rubric.model_validate_json(rubric_path.read_text())
    elif claude is None:
        rubric = build_rubric(state.deliverables, state.collaborators, read, seed=seed, runs=RUNS, inbox=state.inbox)
    else:
        rubric = claude_rubric(claude, state.deliverables, state.collaborators, read, runs=RUNS, inbox=state.inbox)
    rubric_path.write_text(rubric.model_dump_json(indent=1) + "\n")
    if claude is None:
        judgement = ProceduralJudge(read, render_pages).judge(rubric)
    else:
        for path in sorted({c.path for c in rubric.criteria}):
            if render_pages is not None:
                try:
                    render_pages(path, read(path))
                except Exception:  # a deliverable that does not render is judged from its text alone
                    pass
        judgement = ClaudeJudge(claude, read, renders=sim_dir / "renders").judge(rubric)
    (sim_dir / "judgement.json").write_text(judgement.model_dump_json(indent=1) + "\n")
    return judgement
