"""The judge on Claude (paper 4.2.1, Opus in the paper): the rubric, the deliverables'
extracted text and their rendered pages as images, one validated score per criterion.

The weighted score is computed here from the per-criterion scores, exactly as the
procedural judge does, so the two judges' numbers mean the same thing.
"""

from __future__ import annotations

import base64
from pathlib import Path

from pydantic import Field

from synthcomp import ospath
from synthcomp.agents.judge import ProceduralJudge
from synthcomp.agents.rubric import Reader
from synthcomp.brains.claude.client import ClaudeClient
from synthcomp.errors import BrainError
from synthcomp.models import CriterionResult, Judgement, Rubric, Strict

SYSTEM = ("You judge the deliverables of a month of simulated office work against a rubric. Read the text and "
          "look at the rendered pages; score each criterion from 0 to 1 with concrete evidence.")
TEXT_CHARS = 15_000
PAGES_PER_DOCUMENT = 3


class CriterionScore(Strict):
    id: str
    score: float = Field(ge=0, le=1)
    evidence: str


class ClaudeScores(Strict):
    criteria: list[CriterionScore]
    summary: str


class ClaudeJudge:
    name = "claude"

    def __init__(self, client: ClaudeClient, read: Reader, renders: Path | None = None):
        self.client, self.read, self.renders = client, read, renders

    def judge(self, rubric: Rubric) -> Judgement:
        """Raises BrainError when the reply does not score exactly the rubric's criteria."""
        texts = ProceduralJudge(self.read)
        blocks: list[dict] = [{"type": "text", "text": "Rubric:\n```json\n" + rubric.model_dump_json() + "\n```"}]
        for path in sorted({c.path for c in rubric.criteria}):
            text = texts.text(path)
            shown = "(missing or does not open)" if text is None else text[:TEXT_CHARS]
            blocks.append({"type": "text", "text": f"Deliverable {path}:\n{shown}"})
            blocks += [{"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                    "data": base64.b64encode(page.read_bytes()).decode()}}
                       for page in self._pages(path)]
        scores = self.client.structured("judge", ClaudeScores, system=SYSTEM, prompt=blocks)
        by_id = {s.id: s for s in scores.criteria}
        expected = [c.id for c in rubric.criteria]
        if sorted(by_id) != sorted(expected):
            raise BrainError(f"the Claude judge scored {sorted(by_id)} instead of the rubric's {expected}")
        results = [CriterionResult(id=c.id, score=by_id[c.id].score, weight=c.weight, evidence=by_id[c.id].evidence)
                   for c in rubric.criteria]
        total = sum(r.weight for r in results if r.weight > 0)
        score = sum(r.score * r.weight for r in results) / total if total else 0.0
        return Judgement(score=round(score, 4), criteria=results, summary=scores.summary, judge=self.name)

    def _pages(self, path: str) -> list[Path]:
        if self.renders is None:
            return []
        return sorted((self.renders / ospath.basename(path)).glob("page-*.png"))[:PAGES_PER_DOCUMENT]

