"""Rubric drafting on Claude (paper 4.2.1: the judge model writes the rubric, several times).

Each of the ``runs`` drafts sees the objectives, the figures the truth expects of each
deliverable (ids, labels and values as quoted), the topics its readers asked for and the
changes reviewers asked for, and answers with criteria of the kinds and ``expect``
conventions of the procedural rubric (``rubric.draft_rubric``), so either judge scores a
Claude rubric and both score the same one:

- ``figures``: expect = ids of the deliverable's expected figures;
- ``coverage``: expect = [one of its required topics];
- ``integrity``: a weight-0 gate;
- ``revisions``: expect = ['section:<topic>' | 'figure:<id>'] of a review's change, with
  ``before`` = the digest of the version that reviewer saw;
- ``visual``: ``low``/``high`` pages or slides.

A draft is checked against the setup as part of its validation (``check``), so a
criterion on a file that is not an output of its deliverable, an unknown figure id, a
topic nobody asked for or a revision no review asked for goes back to the model in
:meth:`ModelClient.structured`'s repair turn. When the repairs run out, the last reply is
degraded: its bad criteria are dropped, even where its schema failed (:func:`recording`
keeps the raw reply), and the run's usage records a warning (never the whole
judgement). Weights are set by kind (``rubric.WEIGHTS``), never by the model, so the two
judges weigh alike. Drafts are merged exactly as offline (``rubric.merge_rubrics``), and
every output keeps an integrity gate (the procedural one is added where none was drafted).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from synthcomp import ospath
from synthcomp.agents.rubric import WEIGHTS, build_rubric, expected_figures, merge_rubrics, required_topics
from synthcomp.agents.setup import SetupPlan
from synthcomp.brains.model.client import BudgetExceeded, ModelClient
from synthcomp.brains.model.creation import block
from synthcomp.errors import BrainError
from synthcomp.models import Criterion, CriterionKind, Deliverable, Review, Rubric, Strict

SYSTEM = ("You are an expert reviewer writing the rubric a month of a professional's work will be judged by. "
          "Write concrete, checkable criteria, each tied to one output file and grounded in the facts given.")
_CHANGE = re.compile(r"^(section|figure):(.+)$")

M = TypeVar("M", bound=BaseModel)


class DraftCriterion(Strict):
    """One criterion as the model writes it: ids and weights are assigned here."""

    kind: CriterionKind
    deliverable: str = Field(description="The id of the deliverable the file belongs to.")
    path: str = Field(description="One of that deliverable's output paths, exactly as listed.")
    text: str = Field(min_length=1, description="The criterion as a checkable sentence naming the file.")
    expect: list[str] = Field(default_factory=list, description=(
        "figures: ids of the deliverable's expected figures; coverage: [one required topic]; revisions: "
        "[one change's expect, 'section:<topic>' or 'figure:<id>']; integrity and visual: []."))
    low: int = Field(0, ge=0, description="visual: fewest pages or slides.")
    high: int = Field(0, ge=0, description="visual: most pages or slides (0: not checked).")
    before: str = Field("", description="revisions: the `before` digest of the review that asked for the change.")


class RubricDraft(Strict):
    criteria: list[DraftCriterion] = Field(min_length=1)


def recording(base: type[M]) -> tuple[type[M], list[Any]]:
    """A subclass of ``base`` for one structured call, and the raw inputs it has been asked
    to validate (newest last): a degrade can then salvage the valid items of a reply whose
    schema failed as a whole. The tool schema is the base's, title included."""
    seen: list[Any] = []

    class Recorded(base):  # type: ignore[valid-type, misc]
        model_config = ConfigDict(title=base.__name__)

        @model_validator(mode="before")
        @classmethod
        def _keep(cls, data: Any) -> Any:
            seen.append(data)
            return data

    Recorded.__name__ = Recorded.__qualname__ = base.__name__
    return Recorded, seen


class Grounds:
    """What a criterion may name, from the setup and the reviews: one place for the checks
    a draft's validation runs and for turning a draft criterion into a :class:`Criterion`."""

    def __init__(self, setup: SetupPlan, reviews: Iterable[Review] = ()):
        self.deliverables: dict[str, Deliverable] = {d.id: d for d in setup.deliverables}
        self.figures = {d.id: {f.id: f for f in expected_figures(setup, d)} for d in setup.deliverables}
        self.topics = {d.id: required_topics(setup, d) for d in setup.deliverables}
        outputs = {o.path for d in setup.deliverables for o in d.outputs}
        self.reviews = [r for r in reviews if r.path in outputs]

    def output(self, c: DraftCriterion) -> str | None:
        """The listed output path ``c`` names (case-insensitively, as the OS does), or None."""
        d = self.deliverables.get(c.deliverable)
        if d is None:
            return None
        return next((o.path for o in d.outputs if o.path == c.path), None) or next(
            (o.path for o in d.outputs if o.path.lower() == c.path.lower()), None)

    def review_for(self, path: str, change: str, before: str) -> Review | None:
        """The one review of ``path`` that asked for ``change`` and whose digest starts with
        ``before`` ('' matches when only one such review exists)."""
        asked = [r for r in self.reviews if r.path == path and change in _changes(r)]
        exact = [r for r in asked if r.digest == before]
        if exact:
            return exact[0]
        prefixed = [r for r in asked if r.digest.startswith(before)]
        return prefixed[0] if len(prefixed) == 1 else None

    def problem(self, c: DraftCriterion) -> str | None:
        """Why ``c`` cannot be checked against this setup, or None."""
        d = self.deliverables.get(c.deliverable)
        if d is None:
            return f"deliverable {c.deliverable!r} is not one of {sorted(self.deliverables)}"
        path = self.output(c)
        if path is None:
            owner = next((e.id for e in self.deliverables.values() for o in e.outputs if o.path == c.path), None)
            where = f"it is an output of {owner}, not {d.id}" if owner else "it is not a deliverable output"
            return f"path {c.path!r}: {where} (outputs of {d.id}: {[o.path for o in d.outputs]})"
        if c.kind == "figures":
            known = self.figures[d.id]
            if not known:
                return f"{d.id} has no figures to report: leave out figures criteria for it"
            if not c.expect:
                return f"a figures criterion lists the ids of the figures it checks (those of {d.id}: {sorted(known)})"
            unknown = sorted(set(c.expect) - set(known))
            if unknown:
                return f"unknown figure id(s) {unknown} for {d.id} (its figures: {sorted(known)})"
        elif c.kind == "coverage":
            topics = self.topics[d.id]
            if len(c.expect) != 1:
                return f"a coverage criterion expects exactly one topic (those of {d.id}: {topics})"
            if c.expect[0] not in topics:
                return (f"topic {c.expect[0]!r} is not one {d.id}'s readers asked for (they asked for {topics})"
                        if topics else f"{d.id}'s readers asked for no topic: leave out coverage criteria for it")
        elif c.kind == "revisions":
            asked = sorted({change for r in self.reviews if r.path == path for change in _changes(r)})
            if len(c.expect) != 1 or not _CHANGE.match(c.expect[0]):
                return f"a revisions criterion expects exactly one change of a review of {path} (asked: {asked})"
            if self.review_for(path, c.expect[0], c.before) is None:
                if c.expect[0] not in asked:
                    return f"no review of {path} asked for {c.expect[0]!r} (asked: {asked})"
                digests = [r.digest for r in self.reviews if r.path == path and c.expect[0] in _changes(r)]
                return f"before {c.before!r} is not the digest of a review of {path} that asked for it ({digests})"
        elif c.kind == "visual" and c.high and c.low > c.high:
            return f"visual range low={c.low} exceeds high={c.high}"
        return None

    def draft_problems(self, criteria: list[DraftCriterion]) -> list[str]:
        """Every problem of a draft: per criterion, then outputs left without a weighted criterion."""
        problems = [f"criteria.{i} ({c.kind} on {c.path}): {p}"
                    for i, c in enumerate(criteria) if (p := self.problem(c))]
        covered = {(c.deliverable, self.output(c)) for c in criteria if c.kind != "integrity" and not self.problem(c)}
        bare = [o.path for d in self.deliverables.values() for o in d.outputs if (d.id, o.path) not in covered]
        if bare:
            problems.append(f"every output needs at least one criterion besides integrity; none for {bare}")
        return problems

    def criterion(self, c: DraftCriterion, number: int) -> Criterion:
        """The :class:`Criterion` of a draft criterion with no :meth:`problem`, in the
        procedural rubric's conventions: weight by kind, fields other kinds ignore cleared."""
        path = self.output(c)
        assert path is not None
        extra: dict[str, Any] = {}
        if c.kind in {"figures", "coverage"}:
            extra["expect"] = sorted(set(c.expect))
        elif c.kind == "revisions":
            review = self.review_for(path, c.expect[0], c.before)
            assert review is not None
            extra.update(expect=list(c.expect), before=review.digest)
        elif c.kind == "visual":
            extra.update(low=c.low, high=c.high)
        elif c.kind == "signoff":  # which versions were signed off is the simulation's record, not the model's
            d = self.deliverables[c.deliverable]
            required = d.reviewers or d.collaborators[:1]
            extra["expect"] = [*required, *(f"{r.reviewer}:{r.digest}" for r in self.reviews
                                           if r.path.lower() == path.lower() and not r.changes and r.reviewer in required)]
        return Criterion(id=f"c{number:02d}", text=c.text, weight=WEIGHTS[c.kind], deliverable=c.deliverable,
                         kind=c.kind, path=path, **extra)

    def rubric(self, criteria: list[DraftCriterion]) -> tuple[Rubric | None, list[str]]:
        """The draft's valid criteria (deduplicated) as a rubric, and why the others were dropped."""
        kept: dict[tuple, Criterion] = {}
        dropped = []
        for i, c in enumerate(criteria):
            problem = self.problem(c)
            if problem:
                dropped.append(f"criteria.{i} ({c.kind}): {problem}")
                continue
            made = self.criterion(c, len(kept) + 1)
            kept.setdefault(_key(made), made)  # a draft proposing one check twice still proposes it once
        return (Rubric(criteria=list(kept.values())) if kept else None), dropped


def _changes(review: Review) -> list[str]:
    return [f"{change.kind}:{change.target}" for change in review.changes]


def _key(c: Criterion) -> tuple:
    """What ``merge_rubrics`` dedupes criteria by."""
    return (c.kind, c.deliverable, c.path.lower(), tuple(sorted(c.expect)), c.low, c.high, c.before)


def salvage(seen: list[Any], grounds: Grounds, run: int) -> tuple[RubricDraft, str]:
    """The criteria of the last reply that parse (a draft that may hold none, or fail the
    draft's rules: the caller keeps those ``grounds.rubric`` accepts), and what was dropped."""
    items = seen[-1].get("criteria") if seen and isinstance(seen[-1], dict) else None
    if not isinstance(items, list):
        return RubricDraft.model_construct(criteria=[]), f"rubric draft {run}: the reply holds no list of criteria"
    parsed, dropped = [], []
    for i, item in enumerate(items):
        try:
            parsed.append(DraftCriterion.model_validate(item))
        except ValidationError as exc:
            dropped.append(f"criteria.{i}: {exc.errors()[0]['msg']}")
    rubric, more = grounds.rubric(parsed)
    dropped += more
    kept = len(rubric.criteria) if rubric else 0
    return (RubricDraft.model_construct(criteria=parsed),
            f"rubric draft {run}: kept {kept} criteria, dropped {len(dropped)}: {'; '.join(dropped[:5])}")


def facts(setup: SetupPlan, grounds: Grounds) -> dict[str, Any]:
    """What a draft is grounded in, per deliverable: its outputs, expected figures, required
    topics and the reviews of its outputs (each change in the form ``expect`` takes)."""
    out = []
    for d in setup.deliverables:
        paths = {o.path for o in d.outputs}
        out.append({
            "id": d.id, "title": d.title, "outcome": d.outcome,
            "outputs": [{"path": o.path, "artifact_type": o.artifact_type, "description": o.description}
                        for o in d.outputs],
            "sources": d.sources, "depends_on": d.depends_on, "collaborators": d.collaborators,
            "expected_figures": [{"id": f.id, "label": f.label, "value": f.quoted,
                                  "from": f"held by {f.holder}" if f.holder else f.source}
                                 for f in grounds.figures[d.id].values()],
            "required_topics": grounds.topics[d.id],
            "reviews": [{"path": r.path, "reviewer": r.reviewer, "day": r.day, "before": r.digest,
                         "changes": [{"expect": f"{ch.kind}:{ch.target}", "asked": ch.text} for ch in r.changes]}
                        for r in grounds.reviews if r.path in paths and r.changes],
        })
    return {"deliverables": out}


INSTRUCTIONS = (
    "Every criterion is about one output file (`path`, exactly as listed) of one deliverable (`deliverable`, its "
    "id) and has one kind:\n"
    "- figures: the file reports figures, each with its right value next to its label; expect = ids from that "
    "deliverable's expected_figures.\n"
    "- coverage: the file has a substantive section on a topic its readers asked for; expect = [one of that "
    "deliverable's required_topics].\n"
    "- integrity: the file is the user's own work on its own project (no filler, repetition, keyword lists, "
    "copied prose or another project's content); a gate without weight; expect = [].\n"
    "- revisions: the file made a change a reviewer asked for; expect = [that change's `expect`], before = that "
    "review's `before` digest.\n"
    "- visual: the file looks like the document it should be (tables or charts where called for, no empty "
    "slides); low/high = the fewest and most pages or slides (0/0: not checked); expect = [].\n"
    "Weights are set by kind. Give every output at least one criterion besides integrity, and write each "
    "criterion's `text` as one checkable sentence naming the file.")


def claude_rubric(client: ModelClient, setup: SetupPlan, runs: int = 5, reviews: Iterable[Review] = ()) -> Rubric:
    """``runs`` drafts by the "rubric" role, validated against the setup and merged.

    A draft still invalid after the repair turns keeps its valid criteria (a warning
    says what was dropped); a draft with none left is not counted. If no draft has a
    weighted criterion, the procedural rubric is used (with a warning). Every output
    gets an integrity gate.

    Raises:
        BudgetExceeded: the model budget is spent.
        BrainError: the API failed before the model answered at all.
    """
    reviews = list(reviews)
    grounds = Grounds(setup, reviews)
    prompt_facts = block("Objectives and truth", facts(setup, grounds))
    people = block("Collaborators", {"collaborators": [
        {"name": c.name, "role": c.role, "preferences": c.preferences} for c in setup.collaborators]})
    drafts: list[Rubric] = []
    for run in range(1, runs + 1):
        model, seen = recording(RubricDraft)
        prompt = (f"Draft {run} of {runs} of the rubric for the outputs below.\n\n{INSTRUCTIONS}\n\n"
                  f"{prompt_facts}\n\n{people}")
        try:
            draft = client.structured("rubric", model, system=SYSTEM, prompt=prompt,
                                      check=lambda got: grounds.draft_problems(got.criteria),
                                      degrade=lambda _, seen=seen, run=run: salvage(seen, grounds, run))
        except BudgetExceeded:
            raise
        except BrainError as exc:  # a repair request failed: what the model did answer still counts
            if not seen:
                raise
            draft, done = salvage(seen, grounds, run)
            client.usage.warn(f"{client.label} (rubric) failed mid-draft ({exc}); degraded: {done}")
        rubric, _ = grounds.rubric(draft.criteria)
        if rubric is None or all(c.kind == "integrity" for c in rubric.criteria):
            client.usage.warn(f"rubric draft {run} has no criterion left to score; it is not counted")
            continue
        drafts.append(rubric)
    if not drafts:
        client.usage.warn(f"none of the {runs} {client.label} rubric drafts was usable; using the procedural rubric")
        return build_rubric(setup, seed=0, runs=runs, reviews=reviews)
    return with_integrity(merge_rubrics(drafts), setup)


def with_integrity(rubric: Rubric, setup: SetupPlan) -> Rubric:
    """``rubric`` with the procedural integrity gate added on every output that has none."""
    gated = {(c.deliverable, c.path) for c in rubric.criteria if c.kind == "integrity"}
    added = [Criterion(id=f"c{len(rubric.criteria) + i + 1:02d}", kind="integrity", weight=0.0, deliverable=d.id,
                       path=o.path, text=f"{ospath.basename(o.path)} is the user's own work on its own project")
             for i, (d, o) in enumerate((d, o) for d in setup.deliverables for o in d.outputs
                                        if (d.id, o.path) not in gated)]
    if not added:
        return rubric
    return rubric.model_copy(update={"criteria": [*rubric.criteria, *added]})
