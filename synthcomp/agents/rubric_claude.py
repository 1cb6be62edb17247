"""Rubric drafting on Claude (paper 4.2.1: the judge model writes the rubric, several times).

Each draft sees the objectives, the collaborators' cards, the totals of each deliverable's
source data (computed here, so the model never has to guess a figure) and the changes
collaborators asked for. It answers with criteria of the same kinds the procedural judge
can check, so either judge scores a Claude rubric. Drafts are merged exactly as offline
(``rubric.merge_rubrics``: dedupe, union, weight by frequency).
"""

from __future__ import annotations

from pydantic import Field

from synthcomp.agents.rubric import Reader, merge_rubrics, requested_changes, source_totals
from synthcomp.brains.claude.client import ClaudeClient
from synthcomp.brains.claude.creation import block
from synthcomp.errors import BrainError
from synthcomp.models import Collaborator, Criterion, Deliverable, Message, Rubric, Strict

SYSTEM = ("You are an expert reviewer writing the rubric a month of a professional's work will be judged by. "
          "Write concrete, checkable criteria, each tied to one output file.")


class RubricDraft(Strict):
    criteria: list[Criterion] = Field(min_length=1)


def claude_rubric(client: ClaudeClient, deliverables: list[Deliverable], collaborators: list[Collaborator],
                  read: Reader, runs: int = 5, inbox: list[Message] | None = None) -> Rubric:
    """``runs`` drafts by the "rubric" role, merged.

    Raises:
        BrainError: a draft stayed invalid, or names a file that is not a deliverable output.
    """
    outputs = {o.path for d in deliverables for o in d.outputs}
    facts = {"deliverables": [d.model_dump(mode="json") for d in deliverables],
             "source_totals": {s: source_totals(read, s) for d in deliverables for s in d.sources},
             "requested_changes": requested_changes(inbox or [])}
    drafts = []
    for run in range(runs):
        draft = client.structured("rubric", RubricDraft, system=SYSTEM, prompt=(
            f"Draft {run + 1} of {runs}. For each output file write criteria of these kinds: file_present, opens, "
            "sections (expect: headings or phrases the readers asked for), figures_match (expect: the source "
            "totals it must quote), collaborator_info (expect: figures only a collaborator knew), revision_made "
            "(expect: what a requested change adds), renders, page_range (low/high pages or slides). "
            "`path` is the output file; `deliverable` its deliverable id.\n\n"
            + block("Objectives and data", facts) + "\n\n"
            + block("Collaborators", {"collaborators": [c.model_dump(mode="json") for c in collaborators]})))
        stray = sorted({c.path for c in draft.criteria} - outputs)
        if stray:
            raise BrainError(f"rubric draft {run + 1} checks files that are not deliverable outputs: {stray[:3]}")
        drafts.append(Rubric(criteria=draft.criteria))
    return merge_rubrics(drafts)
