"""The cost of a create, simulate or judge run before it starts: the ``estimate:`` line a
model-backed run prints first, and what ``--dry-run`` prints instead of running.

This module reads the shape of each request from what the run will send, and
``brains.model.estimate`` bills and prices it. The shapes come from the procedural
stand-in for each model role, since that is offline and deterministic:

- creation: the procedural brain's plan and content for the same personas, OS and seeds;
- simulation: the computer's inventory (setup), a procedural setup's collaborators
  (their replies), and the work agent's own tool definitions and system prompt;
- judging: the simulation's deliverables with their text and pages, and the procedural
  rubric drafts.

A resumed simulation is estimated from its start. Nothing is written, and no model is
called. The reading happens here, not in ``brains.model``, because the roles' prompts,
the env's tools and the simulation's files sit in layers above it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from synthcomp.agents.criteria.reading import read_deliverable
from synthcomp.agents.collaborators_claude import CollaboratorAnswer
from synthcomp.agents.judge_claude import (
    COMBINE, SYSTEM as JUDGE_SYSTEM, TEXT_CHARS, ClaudeJudge, ClaudeScores, plan_batches, render_dirs,
)
from synthcomp.agents.rubric import build_rubric, draft_rubric
from synthcomp.agents.rubric_claude import (
    INSTRUCTIONS, SYSTEM as RUBRIC_SYSTEM, DraftCriterion, Grounds, RubricDraft, facts,
)
from synthcomp.agents.setup import SetupPlan, procedural_setup
from synthcomp.agents.setup_claude import INVENTORY_LIMIT, SYSTEM as SETUP_SYSTEM, SetupDraft
from synthcomp.brains.model.base import ModelBrainConfig
from synthcomp.brains.model.config import ProceduralBrainConfig
from synthcomp.brains.model.context import estimate_tokens
from synthcomp.brains.model.creation import block
from synthcomp.brains.model.estimate import (
    FINDING_TOKENS, JUDGE_WORDING_TOKENS, MESSAGE_CHARS, REPLY_CHARS, SAMPLE, SCORE_CHARS, SETUP_WORDING_TOKENS,
    Estimate, Request, Workday, creation, judging, pages_of, simulation, structured,
)
from synthcomp.computer.create import with_coordinates
from synthcomp.computer.personas import load_catalog
from synthcomp.computer.show import load_computer
from synthcomp.env.prompt import system_prompt
from synthcomp.env.tools import tool_definitions
from synthcomp.fleet.batch import CreateRequest
from synthcomp.models import Collaborator, Computer, Criterion, Review, Rubric
from synthcomp.ospath import tree_reader
from synthcomp.policies.base import ModelPolicyConfig
from synthcomp.sim.config import SimSettings
from synthcomp.sim.judging import RUNS, load_simulation, rubric_file
from synthcomp.sim.rendering import JUDGED_PAGES
from synthcomp.sim.runner import skill_files


def create_estimate(request: CreateRequest) -> Estimate | None:
    """What creating the request's computers costs; None on the procedural brain."""
    if not isinstance(request.brain, ModelBrainConfig):
        return None
    catalog = load_catalog()
    jobs = request.model_copy(update={"n": min(request.n, SAMPLE)}).jobs()  # the batch's first jobs, as made
    computers = [(with_coordinates(j.persona, catalog, j.computer_seed), j.os_name, j.computer_seed) for j in jobs]
    return creation(request.brain, computers, request.n, catalog)


def simulation_estimate(settings: SimSettings, computers: list[Path]) -> Estimate | None:
    """What simulating each of ``computers`` with ``settings`` costs (the first ``SAMPLE``
    estimated, the rest assumed alike); None when neither the brain nor the policy is a model."""
    brain = settings.brain if isinstance(settings.brain, ModelBrainConfig) else None
    work = settings.policy.brain if isinstance(settings.policy, ModelPolicyConfig) else None
    if brain is None and work is None:
        return None
    sampled = computers[:SAMPLE]
    estimate = Estimate()
    for path in sampled:
        computer = load_computer(path)
        roles: dict[str, Any] = {}
        if brain is not None:
            planned = procedural_setup(computer, tree_reader(path / "files", computer.policy.os), settings.seed,
                                       settings.days)
            roles.update(brain=brain, setup=_setup_request(computer, planned),
                         replies=[_reply_request(c) for c in planned.collaborators])
        if work is not None:
            skills = [p.read_text(encoding="utf-8") for p in skill_files(settings.skills, computer)]
            roles.update(work=work, workday=Workday(turns=settings.step_budget, fixed=estimate_tokens(
                system_prompt(skills)) + estimate_tokens(tool_definitions())))
        estimate.merge(simulation(settings.days, **roles), len(computers) / len(sampled))
    return estimate


def _setup_request(computer: Computer, planned: SetupPlan) -> Request:
    """The setup agent's request: profile, policy and inventory in; the plan's people and
    work (the procedural plan's, before its truth) out."""
    inventory = [{"path": f.path, "type": f.artifact_type, "description": f.description}
                 for f in computer.plan.files if f.content_mode != "system"][:INVENTORY_LIMIT]
    prompt = "\n\n".join([block("User profile", computer.profile), block("Filesystem policy", computer.policy),
                          block("Files on the computer", {"files": inventory})])
    answer = planned.model_dump(mode="json", include={"deliverables", "collaborators", "events"})
    return structured("setup", SetupDraft, SETUP_SYSTEM, prompt, answer, SETUP_WORDING_TOKENS)


def _reply_request(collaborator: Collaborator) -> Request:
    """One collaborator's answer to a message: their card and the message in, a reply out."""
    system = (f"You are {collaborator.name}, {collaborator.role}, a colleague of the user. Stay in character: "
              f"{collaborator.communication_style}.")
    prompt = "\n\n".join([block("Your card", collaborator),
                          block("Message from the user", {"body": "x" * MESSAGE_CHARS})])
    answer = {"body": "x" * REPLY_CHARS, "share_files": []}
    return structured("collaborator", CollaboratorAnswer, system, prompt, answer, wording=60)  # the system's rules


def judge_estimate(sim: Path, brain: ProceduralBrainConfig | ModelBrainConfig, seed: int,
                   render: bool) -> Estimate | None:
    """What judging the simulation at ``sim`` (of ``seed``) costs, rendering its deliverables
    first when ``render``; None on the procedural brain.

    Raises:
        InputError: ``sim`` is not a finished simulation.
    """
    if not isinstance(brain, ModelBrainConfig):
        return None
    setup, state, computer = load_simulation(sim)
    setup = setup.model_copy(update={"truth": setup.truth.as_of(state.days_total)})
    drafted = rubric_file(sim, ClaudeJudge.name)
    if drafted.is_file():  # a re-judgement reuses it
        rubric, drafts = Rubric.model_validate_json(drafted.read_text()), []
    else:
        rubric = build_rubric(setup, seed=seed, runs=RUNS, reviews=state.reviews)
        drafts = [_draft_request(setup, state.reviews, run, seed) for run in range(RUNS)]
    read = tree_reader(sim / "computer" / "files", computer.policy.os)
    paths = sorted({c.path for c in rubric.criteria})
    dirs = render_dirs(paths)
    batches: list[Request] = []
    pages = 0
    for path in paths:
        criteria = [c for c in rubric.criteria if c.path == path and c.kind in COMBINE]
        try:
            text: str | None = read_deliverable(path, read(path)).text[:TEXT_CHARS]
        except Exception:  # as the judge: a missing or unreadable deliverable is shown as such
            text = None
        shown = len(list((sim / "renders" / dirs[path]).glob("page-*.png")))
        if not shown and render and text is not None:
            shown = min(pages_of(len(text)), JUDGED_PAGES)
        if criteria and (text is not None or shown):  # else the judge keeps the procedural findings
            batches += _judge_requests(criteria, text or "", shown)
            pages += shown
    return judging(brain, drafts, batches, pages)


def _judge_requests(criteria: list[Criterion], text: str, pages: int) -> list[Request]:
    """One deliverable's judge requests, one per batch of its pages: each repeats the
    criteria with their procedural findings and the file's text, and scores every criterion."""
    rows = [c.model_dump(mode="json", exclude_defaults=True) for c in criteria]
    wording = JUDGE_WORDING_TOKENS + FINDING_TOKENS * len(rows)
    answer = {"criteria": [{"id": c.id, "score": 0.5, "evidence": "x" * SCORE_CHARS} for c in criteria],
              "summary": "x" * SCORE_CHARS}
    batches = plan_batches([0] * pages, wording + estimate_tokens(rows) + estimate_tokens(text))
    return [structured("judge", ClaudeScores, JUDGE_SYSTEM, [rows, text, *[{"type": "image"}] * len(batch)], answer,
                       wording) for batch in batches]


def _draft_request(setup: SetupPlan, reviews: list[Review], run: int, seed: int) -> Request:
    """One rubric draft: the objectives and truth in, the procedural draft's criteria out."""
    grounds = Grounds(setup, reviews)
    people = {"collaborators": [{"name": c.name, "role": c.role, "preferences": c.preferences}
                                for c in setup.collaborators]}
    prompt = "\n\n".join([INSTRUCTIONS, block("Objectives and truth", facts(setup, grounds)),
                          block("Collaborators", people)])
    criteria = [c.model_dump(mode="json", include=set(DraftCriterion.model_fields))
                for c in draft_rubric(setup, run, seed, reviews).criteria]
    return structured("rubric", RubricDraft, RUBRIC_SYSTEM, prompt, {"criteria": criteria})
