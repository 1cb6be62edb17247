"""Deadlines in the score: work done after a deliverable's due day earns half.

Each deliverable's score is the weighted score of its criteria. At the close of its due
day that score is recorded (``SimState.due_scores``); from then on what it gains (or
loses) counts ``LATE_CREDIT`` of its weight. The month's score is the weighted mean over
deliverables of those adjusted scores, so a day's reward is still the change in it and a
month's rewards still sum to the final score.
"""

from __future__ import annotations

from synthcomp.agents.truth import Truth
from synthcomp.models import Judgement, Rubric

LATE_CREDIT = 0.5


def deliverable_scores(rubric: Rubric, judgement: Judgement) -> dict[str, tuple[float, float]]:
    """Deliverable id -> (its weighted score, its weight), over the criteria that count."""
    by_id = {c.id: c for c in rubric.criteria}
    out: dict[str, tuple[float, float]] = {}
    for result in judgement.criteria:
        criterion = by_id.get(result.id)
        if criterion is None or result.skipped or result.weight <= 0:
            continue
        total, weight = out.get(criterion.deliverable, (0.0, 0.0))
        out[criterion.deliverable] = (total + result.score * result.weight, weight + result.weight)
    return {d: (total / weight, weight) for d, (total, weight) in out.items()}


def timely_score(rubric: Rubric, judgement: Judgement, truth: Truth, days: int, day: int,
                 due_scores: dict[str, float]) -> float:
    """The month's score on workday ``day`` with lateness applied; records in ``due_scores``
    the score of each deliverable whose due day it is."""
    parts = deliverable_scores(rubric, judgement)
    total = weight_sum = 0.0
    for deliverable, (score, weight) in parts.items():
        deadline = truth.deadline(deliverable)
        due = deadline.due_day(days) if deadline is not None else days - 1
        if day == due and deliverable not in due_scores:
            due_scores[deliverable] = round(score, 6)
        if day > due and deliverable in due_scores:
            score = due_scores[deliverable] + LATE_CREDIT * (score - due_scores[deliverable])
        total += score * weight
        weight_sum += weight
    return round(total / weight_sum, 4) if weight_sum else 0.0
