"""A reviewer's request is judged against the version they reviewed, not by its words."""

from __future__ import annotations

from pathlib import Path

from synthcomp.agents.collaborators import review_changes
from synthcomp.agents.criteria.reading import read_deliverable
from synthcomp.agents.criteria.revisions import digest
from synthcomp.agents.rubric import build_rubric
from synthcomp.models import Review, Section
from tests.agents import deliverables as fake
from tests.agents.test_adversarial_deliverables import _cases, judge


def _review_case(computers: dict[str, Path]):
    for computer in computers.values():
        for case in _cases(computer):
            project = case.setup.truth.project_of(case.deliverable.id)
            reviewers = [c for c in case.setup.collaborators if any(f.holder == c.name for f in project.figures)]
            if reviewers:
                return case, project, reviewers[0]
    raise AssertionError("no deliverable with a holder to review it")


def test_requests_are_what_the_draft_lacks_and_are_met_only_by_doing_them(computers: dict[str, Path]) -> None:
    case, project, reviewer = _review_case(computers)
    reviewer = reviewer.model_copy(update={"preferences": ["a section on risks and issues"]})
    held = [f for f in project.figures if f.holder == reviewer.name and f.deliverable in ("", case.deliverable.id)]
    draft_bytes = case.render([Section(heading="Summary", paragraphs=["A first draft with little in it so far."])])
    draft = read_deliverable(case.path, draft_bytes)
    changes = review_changes(draft, reviewer, held, project, day=3)
    assert {(c.kind, c.target) for c in changes} == {("section", "risks"), *(("figure", f.id) for f in held)}
    for f in held:  # the reviewer says how to get what they hold: from their ledger, not by its total
        said = " ".join(c.text for c in changes if c.target == f.id)
        assert (f.ledger.file in said and f.quoted not in said) if f.ledger else f.quoted in said

    review = Review(path=case.path, reviewer=reviewer.name, day=3, digest=digest(draft.text), changes=changes)
    rubric = build_rubric(case.setup, seed=0, reviews=[review])
    assert sum(c.kind == "revisions" for c in rubric.criteria if c.path == case.path) == len(changes)

    def revisions_score(data: bytes) -> list[float]:
        mine, judgement = judge(case, data, rubric)
        return [r.score for c, r in zip(mine.criteria, judgement.criteria) if c.kind == "revisions"]

    assert revisions_score(draft_bytes) == [0.0] * len(changes)  # re-sent as it was reviewed
    echoed = case.render([Section(heading="Summary", paragraphs=["A first draft with little in it so far."]),
                          Section(heading="Comments", paragraphs=[c.text for c in changes if c.kind == "section"])])
    assert all(s == 0 for s in revisions_score(echoed)[:1])  # the request's words are not the section
    done = case.render([Section(heading="Summary", paragraphs=["A first draft with little in it so far."]),
                        fake.grounded_section(case, "risks"),
                        Section(heading="Figures", table={"columns": ["Measure", "Value"],
                                                          "rows": [[f.label, f.quoted] for f in case.figures]})])
    assert revisions_score(done) == [1.0] * len(changes)

