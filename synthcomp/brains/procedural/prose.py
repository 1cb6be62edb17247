"""Occupation-specific sentences from templates and the industry's vocabulary.

The procedural brain cannot write like a model, but it can write like a competent
colleague's boilerplate: every sentence names the user's real project, client, sites,
measures and domain terms, so the files of a water engineer and a paralegal read apart.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from synthcomp.models import Industry, Project, UserProfile

_SENTENCES = [
    "This {doc} sets out the current position on {project} for {client}.",
    "The work is led by {user} ({occupation}, {department}) with input from {colleague}.",
    "Our review of {term} at {entity} found that {metric} remained within the expected range for most of the period.",
    "Two issues need attention: the backlog on {term} and the variance in {metric} at {entity}.",
    "We agreed with {client} to prioritise {term} before the next review point.",
    "The figures below are taken from the latest working file and have been checked against the source records.",
    "{colleague} raised a question about {term}; a short note on the approach is included in the appendix.",
    "Since the last update, {entity} has moved from amber to green following the changes to {term}.",
    "The main risk remains {term}, which depends on inputs from {client} that are not yet confirmed.",
    "A decision is needed on whether to extend {term} to {entity} in the next phase.",
    "Costs are tracked in {currency}; all values exclude tax unless stated otherwise.",
    "The approach follows the organisation's standard for {term} and the guidance agreed at the kick-off meeting.",
    "Actions from the previous meeting on {term} are complete except the follow-up with {colleague}.",
    "We recommend a short pilot at {entity} before committing to a full rollout across all sites.",
    "Data quality has improved: fewer than one in twenty records for {metric} needed correction this month.",
    "The schedule allows two weeks for review by {client} and one week for final sign-off.",
    "Lessons from {entity} suggest that early engagement on {term} saves rework later.",
    "Please treat the contents as internal until the review with {client} is complete.",
]
_BULLETS = [
    "Confirm scope of {term} with {client}",
    "Update {metric} figures for {entity}",
    "Circulate draft to {colleague} for comment",
    "Review {term} assumptions before sign-off",
    "Schedule site visit to {entity}",
    "Reconcile {metric} totals against the source workbook",
    "Agree next steps on {term} at the weekly meeting",
    "Chase outstanding inputs from {client}",
    "File signed copies in the project folder",
    "Prepare summary slides on {term} for the steering group",
]
SECTION_HEADINGS = [
    "Background", "Scope", "Current status", "Findings", "Analysis", "Risks and issues", "Recommendations",
    "Next steps", "Method", "Stakeholders", "Budget", "Timeline", "Appendix",
]


@dataclass
class Voice:
    """Fills templates for one user and one project."""

    rng: random.Random
    profile: UserProfile
    industry: Industry
    project: Project | None
    doc: str = "document"

    def _slots(self) -> dict[str, str]:
        rng, p, ind = self.rng, self.profile, self.industry
        colleague = rng.choice(p.collaborators).name if p.collaborators else "the team"
        return {
            "doc": self.doc.lower(), "project": self.project.name if self.project else rng.choice(ind.project_themes),
            "client": self.project.client if self.project else rng.choice(ind.clients),
            "user": p.full_name, "occupation": p.occupation.lower(), "department": p.department,
            "colleague": colleague, "term": rng.choice(ind.terms), "entity": rng.choice(ind.entities),
            "metric": rng.choice(ind.metrics).name.lower(), "currency": p.currency,
        }

    def sentence(self) -> str:
        return self.rng.choice(_SENTENCES).format(**self._slots())

    def paragraph(self, sentences: int | None = None) -> str:
        count = sentences or self.rng.randint(2, 4)
        return " ".join(self.sentence() for _ in range(count))

    def bullets(self, count: int | None = None) -> list[str]:
        chosen = self.rng.sample(_BULLETS, k=min(len(_BULLETS), count or self.rng.randint(3, 5)))
        return [b.format(**self._slots()) for b in chosen]
