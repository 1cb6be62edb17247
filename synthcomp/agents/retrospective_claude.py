"""Retrospectives on Claude (paper 4.2.2): the model reads the judged trajectory.

It is given the rubric with each criterion's score and evidence, the whole trajectory
condensed to one line per step (``d<day>.s<step> tool args -> first line of the
result``) and the procedural analysis as a starting point, and writes what worked, what
failed and the experience items. Evidence must cite steps that exist and practices must
be known ids: a reply that cites anything else is sent back (the client's repair loop),
and the tool each citation names is filled in from the trajectory. When the repairs run
out, invented citations and practices are dropped (a lesson left with no evidence with
them), or the procedural analysis is kept whole, and the run's usage records a warning.
"""

from __future__ import annotations

import json

from pydantic import Field

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


def citation_problems(findings: Findings, sim: str, known: dict[tuple[int, int], str]) -> list[str]:
    """Every citation of a step this trajectory lacks, and every practice that is not a known id."""
    problems = [f"items[{i}].evidence: d{e.day}.s{e.step} of {e.sim!r} is not a step of this trajectory ({sim})"
                for i, item in enumerate(findings.items) for e in item.evidence
                if (e.day, e.step) not in known or e.sim != sim]
    problems += [f"items[{i}].practice {item.practice!r} is not one of {sorted(PRACTICES)}; use null when none fits"
                 for i, item in enumerate(findings.items) if item.practice and item.practice not in PRACTICES]
    return problems


def kept_findings(got: Findings | None, base: Retrospective, sim: str,
                  known: dict[tuple[int, int], str]) -> tuple[Findings, str]:
    """``got`` without what it invented (citations, practices; a lesson left uncited goes
    too), or the procedural analysis when no lesson is left or nothing usable came back."""
    procedural = Findings(worked=base.worked, failed=base.failed, items=base.items)
    if got is None:
        return procedural, "kept the procedural analysis"
    items = []
    for item in got.items:
        evidence = [e for e in item.evidence if (e.day, e.step) in known and e.sim == sim]
        if evidence:
            practice = item.practice if item.practice in PRACTICES else None
            items.append(item.model_copy(update={"evidence": evidence, "practice": practice}))
    if not items:
        return procedural, "no lesson cited a real step: kept the procedural analysis"
    return (got.model_copy(update={"items": items}),
            f"dropped invented citations and practices, and {len(got.items) - len(items)} lesson(s) left uncited")


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
        BrainError: the API failed (past its retries) or the budget is spent.
    """
    known = {(s.day, s.step): s.tool or "" for s in steps}
    results = {r.id: r for r in judgement.criteria}
    criteria = [{"text": c.text, "kind": c.kind, "score": results[c.id].score, "evidence": results[c.id].evidence}
                for c in rubric.criteria if c.id in results]
    findings = client.structured("retrospect", Findings, system=SYSTEM, prompt=(
        f"Simulation {base.sim_id}: a {base.occupation} ({base.industry}); final score {base.score:.1%}.\n"
        f"Cite evidence as {{\"sim\": \"{sim}\", \"day\": D, \"step\": S}} for the trajectory line dD.sS. "
        f"Set practice to one of {sorted(PRACTICES)} when a lesson is one of them, else null.\n\n"
        + block("Rubric results", {"criteria": criteria}) + "\n\n"
        + block("Procedural analysis", base.model_dump(mode="json", include={"worked", "failed", "items"}))
        + "\n\nTrajectory:\n" + condensed(steps)),
        check=lambda got: citation_problems(got, sim, known), degrade=lambda got: kept_findings(got, base, sim, known))
    items = [i.model_copy(update={"evidence": [e.model_copy(update={"tool": known.get((e.day, e.step), e.tool)})
                                               for e in i.evidence]}) for i in findings.items]
    return base.model_copy(update={"worked": findings.worked, "failed": findings.failed, "items": items})
