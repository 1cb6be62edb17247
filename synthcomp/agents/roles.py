"""The generative roles of a simulation, played by one brain.

A simulation's brain is procedural (``client`` None) or a model; ``Roles`` is the one
place that picks each role's implementation from it, so the runner, the judge, the
retrospective and the CLI ask for a setup, collaborators, a rubric or an analysis
without knowing which brain answers. A model role grounds or builds on the procedural
one (setup plans are grounded in the computer's truth; the retrospective rewrites the
procedural analysis), so the two brains produce the same shapes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from synthcomp.agents.collaborators import Responder, reply_to
from synthcomp.agents.collaborators_claude import ClaudeCollaborators
from synthcomp.agents.judge_claude import ClaudeJudge
from synthcomp.agents.retrospective import Step
from synthcomp.agents.retrospective_claude import claude_retrospective
from synthcomp.agents.rubric import build_rubric
from synthcomp.agents.rubric_claude import claude_rubric
from synthcomp.agents.setup import SetupPlan, ground, procedural_setup
from synthcomp.agents.truth import Reader
from synthcomp.agents.setup_claude import claude_setup
from synthcomp.brains.model.client import ModelClient
from synthcomp.models import Computer, Judgement, Retrospective, Review, Rubric


@dataclass(frozen=True)
class Roles:
    """Each role on ``client`` (a model), or procedural when it is None."""

    client: ModelClient | None = None

    @property
    def judge_name(self) -> str:
        """What judgements and rubric files call this brain's judge."""
        return "procedural" if self.client is None else ClaudeJudge.name

    def setup(self, computer: Computer, original: Reader, seed: int, days: int) -> SetupPlan:
        """The month's deliverables, collaborators, private files and events."""
        if self.client is None:
            return procedural_setup(computer, original, seed, days=days)
        return ground(claude_setup(computer, self.client, seed=seed, days=days), computer, original, seed, days)

    def collaborators(self) -> Responder:
        """Who answers the work agent's messages."""
        return reply_to if self.client is None else ClaudeCollaborators(self.client)

    def rubric(self, setup: SetupPlan, seed: int, runs: int, reviews: Iterable[Review] = ()) -> Rubric:
        """``runs`` drafted rubrics merged into one."""
        if self.client is None:
            return build_rubric(setup, seed=seed, runs=runs, reviews=reviews)
        return claude_rubric(self.client, setup, runs=runs, reviews=reviews)

    def retrospective(self, base: Retrospective, sim: str, steps: list[Step], rubric: Rubric,
                      judgement: Judgement) -> Retrospective:
        """The analysis of a judged run: ``base`` (procedural) as is, or rewritten by the model."""
        if self.client is None:
            return base
        return claude_retrospective(self.client, base, sim, steps, rubric, judgement)
