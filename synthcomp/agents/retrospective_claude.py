"""Retrospectives on Claude (paper 4.2.2): the model reads the judged trajectory.

It is given the rubric with each criterion's score and evidence, the whole trajectory
condensed to one line per step (``d<day>.s<step> tool args -> first line of the
result``) and the procedural analysis as a starting point, and writes what worked, what
failed and the experience items. Evidence must cite steps that exist and practices must
be known ids: a reply that cites anything else is sent back (the client's repair loop),
and the tool each citation names is filled in from the trajectory.
"""

from __future__ import annotations

import json

from pydantic import ConfigDict, Field, model_validator

from synthcomp.agents.retrospective import Step
from synthcomp.brains.model.client import ModelClient
from synthcomp.brains.model.creation import block
from synthcomp.models import ExperienceItem, Judgement, Retrospective, Rubric, Strict
from synthcomp.skillmd import PRACTICES

SYSTEM = ("You analyse a finished month-long productivity simulation: how the agent planned, navigated the files, "
          "used existing artifacts, coordinated with collaborators and revised its work, and whether the "
          "deliverables met the rubric. Write lessons another agent can act on, each backed by the steps that show it.")
TRAJECTORY_CHARS = 60_000


class Findings(Strict):
    worked: list[str]
    failed: list[str]
    items: list[ExperienceItem] = Field(min_length=1)


def _checked(sim: str, known: dict[tuple[int, int], str]) -> type[Findings]:
    """Findings that only validate when every citation and practice exists, so the client
    sends a reply that invents steps back to be repaired."""

    class CheckedFindings(Findings):
        model_config = ConfigDict(title="Findings")

        @model_validator(mode="after")
        def _cites_what_exists(self) -> CheckedFindings:
            bad = [f"d{e.day}.s{e.step}" for i in self.items for e in i.evidence
                   if (e.day, e.step) not in known or e.sim != sim]
            bad += [i.practice for i in self.items if i.practice and i.practice not in PRACTICES]
            if bad:
                raise ValueError(f"these steps or practices do not exist: {bad[:5]}")
            return self

    return CheckedFindings


def condensed(steps: list[Step]) -> str:
    """One line per step, cut to fit the prompt."""
    lines = []
    for s in steps:
        args = json.dumps(s.args, ensure_ascii=False)[:160]
        result = (s.observation.splitlines() or [""])[0][:160]
        lines.append(f"d{s.day}.s{s.step} {s.tool or '(invalid)'} {args} -> {'ERROR ' if s.error else ''}{result}")
    text = "\n".join(lines)
    return text if len(text) <= TRAJECTORY_CHARS else text[:TRAJECTORY_CHARS] + "\n(truncated)"


def claude_retrospective(client: ModelClient, base: Retrospective, sim: str, steps: list[Step], rubric: Rubric,
                         judgement: Judgement) -> Retrospective:
    """``base`` (the procedural analysis) rewritten by the "retrospect" role.

    Raises:
        BrainError: the model kept citing steps or practices that do not exist (after repairs).
    """
    known = {(s.day, s.step): s.tool or "" for s in steps}
    results = {r.id: r for r in judgement.criteria}
    criteria = [{"text": c.text, "kind": c.kind, "score": results[c.id].score, "evidence": results[c.id].evidence}
                for c in rubric.criteria if c.id in results]
    findings = client.structured("retrospect", _checked(sim, known), system=SYSTEM, prompt=(
        f"Simulation {base.sim_id}: a {base.occupation} ({base.industry}); final score {base.score:.1%}.\n"
        f"Cite evidence as {{\"sim\": \"{sim}\", \"day\": D, \"step\": S}} for the trajectory line dD.sS. "
        f"Set practice to one of {sorted(PRACTICES)} when a lesson is one of them, else null.\n\n"
        + block("Rubric results", {"criteria": criteria}) + "\n\n"
        + block("Procedural analysis", base.model_dump(mode="json", include={"worked", "failed", "items"}))
        + "\n\nTrajectory:\n" + condensed(steps)))
    items = [i.model_copy(update={"evidence": [e.model_copy(update={"tool": known[(e.day, e.step)]}) for e in i.evidence]})
             for i in findings.items]
    return base.model_copy(update={"worked": findings.worked, "failed": findings.failed, "items": items})
