"""``synthcomp judge``: the final judgement of a simulation, from its files (paper 4.2.1).

The rubric is merged from five seeded drafts over the simulation's truth, objectives
and the reviews collaborators gave (``rubric.json``, kept so re-judging is stable); the
procedural judge then reads the final tree the simulation left in ``computer/files``,
comparing prose with what the user was given (the computer as created, the messages)
to find copying. With a renderer, every deliverable is also rendered to PNG pages under
``renders/`` and the page counts of the ``visual`` criteria are scored.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Callable

from pydantic import ValidationError

from synthcomp.agents.criteria.visual import RenderPages
from synthcomp.agents.judge import ProceduralJudge, project_corpus
from synthcomp.agents.judge_claude import ClaudeJudge
from synthcomp.agents.roles import Roles
from synthcomp.agents.timeliness import timely_score
from synthcomp.agents.setup import SetupPlan
from synthcomp.env.state import SimState
from synthcomp.errors import InputError
from synthcomp.models import Computer, Judgement, Rubric
from synthcomp.ospath import tree_reader

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


def _original_reader(sim_dir: Path, computer: Computer) -> Callable[[str], bytes]:
    """Reads the computer as it was created (what the user was given), from the workspace
    the simulation was run on; a computer no longer there reads as empty."""
    try:
        origin = Path(json.loads((sim_dir / "sim.json").read_text())["computer"])
    except (OSError, ValueError, KeyError):
        origin = sim_dir / "missing-computer"
    return tree_reader(origin / "files", computer.policy.os)


def rubric_file(sim_dir: Path, judge: str) -> Path:
    """Where the rubric a judge used is kept: ``rubric.json`` offline, ``rubric-<judge>.json`` otherwise."""
    return sim_dir / ("rubric.json" if judge == "procedural" else f"rubric-{judge}.json")


def judge_simulation(sim_dir: Path, seed: int, render_pages: RenderPages | None = None,
                     roles: Roles = Roles()) -> Judgement:
    """Judge the final tree; with a model brain (``roles``) the model drafts the rubric and
    scores it, seeing the rendered pages. Each judge keeps its own rubric file
    (``rubric.json``, ``rubric-claude.json``), so a re-judgement reuses it and the two never mix."""
    setup, state, computer = load_simulation(sim_dir)
    setup = setup.model_copy(update={"truth": setup.truth.as_of(state.days_total)})  # revised figures as revised
    read = tree_reader(sim_dir / "computer" / "files", computer.policy.os)
    corpus = project_corpus(computer, _original_reader(sim_dir, computer), setup, state.inbox)
    rubric_path = rubric_file(sim_dir, roles.judge_name)
    if rubric_path.is_file():
        rubric = Rubric.model_validate_json(rubric_path.read_text())
    else:
        rubric = roles.rubric(setup, seed=seed, runs=RUNS, reviews=state.reviews)
    rubric_path.write_text(rubric.model_dump_json(indent=1) + "\n")
    if roles.client is None:
        judgement = ProceduralJudge(read, setup, corpus, render_pages).judge(rubric)
    else:
        for path in sorted({c.path for c in rubric.criteria}):
            if render_pages is not None:
                try:
                    render_pages(path, read(path))
                except Exception:  # a deliverable that does not render is judged from its text alone
                    pass
        evidence = ProceduralJudge(read, setup, corpus).judge(rubric)
        judgement = ClaudeJudge(roles.client, read, renders=sim_dir / "renders", setup=setup).judge(rubric, evidence)
    timely = timely_score(rubric, judgement, setup.truth, state.days_total, state.days_total - 1, dict(state.due_scores))
    if timely != judgement.score:
        judgement = judgement.model_copy(update={
            "score": timely, "summary": f"{judgement.summary} Work after a deadline counts half: {timely:.3f}."})
    (sim_dir / "judgement.json").write_text(judgement.model_dump_json(indent=1) + "\n")
    return judgement
