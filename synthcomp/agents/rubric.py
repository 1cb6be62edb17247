"""Rubrics, procedurally: drafted from the project truth, merged across runs (paper 4.2.1).

Every expectation comes from the setup's truth (``agents/truth.py``), never from the
files an agent can touch: for each deliverable output, the figures of its project it
must report (those of its data sources and those collaborators hold), the topics its
readers asked for (and any requirement added mid-month), its integrity (a gate), how it
should look, each change a reviewer asked for on a draft of it, and that its main output
is the version a reviewer signed off. Drafts from several
seeded runs differ in what they include and how they word it; merging dedupes criteria
that check the same thing, keeps the union and weights each by how many drafts proposed it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from synthcomp import ospath
from synthcomp.agents.collaborators import PREFERENCE_TOPICS
from synthcomp.agents.setup import SetupPlan
from synthcomp.agents.truth import Figure
from synthcomp.brains.procedural.rng import rng_for
from synthcomp.models import Criterion, Deliverable, Review, Rubric

WEIGHTS = {"figures": 3.0, "coverage": 1.0, "integrity": 0.0, "revisions": 1.0, "visual": 1.0, "signoff": 1.0}
"""Figures carry the most: they are what the work computes and gathers."""
PAGES = {"pptx": (3, 30), "docx": (1, 40), "pdf": (1, 40)}
PROSE_TYPES = frozenset({"docx", "pdf", "pptx", "md", "txt"})


def expected_figures(setup: SetupPlan, d: Deliverable) -> list[Figure]:
    """The figures a deliverable's outputs report: its data sources', its project's held
    ones, and its own event figure (another deliverable's is not its business)."""
    project = setup.truth.project_of(d.id)
    if project is None:
        return []
    return [f for f in project.figures if (f.holder or f.source in d.sources) and f.deliverable in ("", d.id)]


def required_topics(setup: SetupPlan, d: Deliverable) -> list[str]:
    """What its readers asked for: the preferences of its collaborators, and any section a
    mid-month change added."""
    by_name = {c.name: c for c in setup.collaborators}
    topics = [PREFERENCE_TOPICS[p] for n in d.collaborators if n in by_name
              for p in by_name[n].preferences if p in PREFERENCE_TOPICS]
    topics += ["lessons learned" for e in setup.events if e.kind == "new_requirement" and e.deliverable == d.id]
    return list(dict.fromkeys(topics))


def draft_rubric(setup: SetupPlan, run: int, seed: int, reviews: Iterable[Review] = ()) -> Rubric:
    """One judge run's draft rubric (seeded: different runs notice different things)."""
    rng = rng_for(seed, "rubric", run)
    criteria: list[Criterion] = []
    reviews = list(reviews)

    def add(kind: str, d: Deliverable, path: str, text: str, keep: float = 1.0, **extra) -> None:
        if rng.random() < keep:
            criteria.append(Criterion(id=f"c{len(criteria) + 1:02d}", text=text, deliverable=d.id, kind=kind,
                                      path=path, weight=WEIGHTS[kind], **extra))

    for d in setup.deliverables:
        figures = expected_figures(setup, d)
        topics = required_topics(setup, d)
        for output in d.outputs:
            name = ospath.basename(output.path)
            kind = output.artifact_type
            add("integrity", d, output.path, f"{name} is the user's own work on its own project")
            if figures:
                add("figures", d, output.path, rng.choice([
                    f"{name} reports {', '.join(f.name.lower() for f in figures)} with their values",
                    f"{name} quotes the project's figures correctly, each next to its label"]),
                    expect=[f.id for f in figures])
            if kind in PROSE_TYPES:
                for topic in topics:
                    add("coverage", d, output.path, f"{name} has a substantive section on {topic}", keep=0.9,
                        expect=[topic])
            low, high = PAGES.get(kind, (0, 0))
            if kind in PAGES or kind == "xlsx":
                add("visual", d, output.path, f"{name} presents its figures in a table or chart"
                    + (f" within {low}-{high} pages or slides" if high else ""), keep=0.8, low=low, high=high)
            if output is d.outputs[0]:
                required = d.reviewers or d.collaborators[:1]
                given = [f"{r.reviewer}:{r.digest}" for r in reviews if r.path.lower() == output.path.lower()
                         and not r.changes and r.reviewer in required]
                add("signoff", d, output.path, f"{name} as it stands was signed off by {', '.join(required)}",
                    expect=[*required, *given])
            for review in (r for r in reviews if r.path == output.path):
                for change in review.changes:
                    add("revisions", d, output.path, f"{name} made the change {review.reviewer} asked for: {change.text}",
                        expect=[f"{change.kind}:{change.target}"], before=review.digest)
    return Rubric(criteria=criteria or [Criterion(id="c01", text="Nothing to check", deliverable="-", kind="integrity",
                                                  path="/", weight=0)])


def merge_rubrics(drafts: list[Rubric]) -> Rubric:
    """Dedupe criteria checking the same thing, keep the union, weight by frequency."""
    seen: dict[tuple, list[Criterion]] = {}
    for draft in drafts:
        for c in draft.criteria:
            key = (c.kind, c.deliverable, c.path.lower(), tuple(c.expect if c.kind == "signoff" else sorted(c.expect)),
                   c.low, c.high, c.before)
            seen.setdefault(key, []).append(c)
    merged = []
    for i, group in enumerate(seen.values()):
        text = Counter(c.text for c in group).most_common(1)[0][0]
        merged.append(group[0].model_copy(update={
            "id": f"c{i + 1:02d}", "text": text, "weight": round(len(group) / len(drafts), 3) * group[0].weight}))
    return Rubric(criteria=merged, drafts=len(drafts))


def build_rubric(setup: SetupPlan, seed: int, runs: int = 5, reviews: Iterable[Review] = ()) -> Rubric:
    reviews = list(reviews)
    return merge_rubrics([draft_rubric(setup, r, seed, reviews) for r in range(runs)])
