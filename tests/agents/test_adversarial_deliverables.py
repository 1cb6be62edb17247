"""Deliverables that try to win without the work lose on the criteria they target.

Each fake is written at a real deliverable's DOCX output of a real computer and judged
with the simulation's rubric; the honest report, written from the truth, is the control.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import pytest

from synthcomp.agents.judge import ProceduralJudge, project_corpus
from synthcomp.agents.rubric import build_rubric
from synthcomp.agents.setup import procedural_setup
from synthcomp.computer.show import load_computer
from synthcomp.models import Judgement, Rubric
from synthcomp.ospath import tree_reader
from tests.agents import deliverables as fake
from tests.agents.deliverables import Case


def _cases(computer_dir: Path) -> list[Case]:
    computer = load_computer(computer_dir)
    files = computer_dir / "files"
    setup = procedural_setup(computer, tree_reader(files, computer.policy.os), seed=0, days=20)
    return [Case(computer=computer, files=files, setup=setup, deliverable=d, path=o.path)
            for d in setup.deliverables for o in d.outputs
            if o.artifact_type == "docx" and setup.truth.project_of(d.id) is not None]


@pytest.fixture(scope="module")
def cases(computers: dict[str, Path]) -> list[Case]:
    found = [c for computer in computers.values() for c in _cases(computer)]
    assert len(found) >= 2
    return found


def judge(case: Case, data: bytes, rubric: Rubric | None = None) -> tuple[Rubric, Judgement]:
    original = tree_reader(case.files, case.computer.policy.os)

    def read(path: str) -> bytes:
        if path == case.path:
            return data
        raise FileNotFoundError(path)

    rubric = rubric or build_rubric(case.setup, seed=0)
    # what the file says; a sign-off is a fact of the simulation (tests/sim/test_horizon.py)
    mine = Rubric(criteria=[c for c in rubric.criteria if c.path == case.path and c.kind != "signoff"])
    corpus = project_corpus(case.computer, original, case.setup)
    return mine, ProceduralJudge(read, case.setup, corpus).judge(mine)


def score_of(rubric: Rubric, judgement: Judgement, kinds: set[str]) -> float:
    pairs = [(c, r) for c, r in zip(rubric.criteria, judgement.criteria) if c.kind in kinds and r.weight > 0]
    total = sum(r.weight for _, r in pairs)
    return sum(r.score * r.weight for _, r in pairs) / total if total else 0.0


def test_the_honest_report_scores_high_with_evidence(cases: list[Case]) -> None:
    for case in cases:
        rubric, judgement = judge(case, fake.honest(case))
        assert judgement.score >= 0.9, [r.evidence for r in judgement.criteria if r.score < 1]
        figures = next(r for c, r in zip(rubric.criteria, judgement.criteria) if c.kind == "figures")
        assert figures.spans and any(" | " in span for span in figures.spans)  # the quoted table rows


ATTACKS: dict[str, tuple[Callable[[Case], bytes | None], set[str]]] = {
    "lorem": (fake.lorem, {"figures", "coverage"}),
    "keyword stuffing": (fake.keyword_stuffing, {"figures", "coverage"}),
    "number dump": (fake.number_dump, {"figures"}),
    "pasted sources": (fake.pasted_sources, {"figures", "coverage"}),
    "contradictory figures": (fake.contradictory, {"figures"}),
    "headings over empty sections": (fake.empty_sections, {"coverage"}),
    "an old version re-saved": (fake.old_version, {"figures", "coverage", "visual"}),
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_fake_loses_on_what_it_targets(cases: list[Case], attack: str) -> None:
    write, targets = ATTACKS[attack]
    tried = 0
    for case in cases:
        data = write(case)
        if data is None:
            continue
        tried += 1
        rubric, judgement = judge(case, data)
        assert score_of(rubric, judgement, targets) <= 0.15, [
            (c.kind, r.score, r.evidence) for c, r in zip(rubric.criteria, judgement.criteria)]
        honest = judge(case, fake.honest(case))[1]
        assert judgement.score <= honest.score - 0.4
    assert tried


def test_another_projects_report_loses(cases: list[Case]) -> None:
    pairs = [(a, b) for a in cases for b in cases if a.computer.id == b.computer.id
             and a.setup.truth.project_of(a.deliverable.id).code != b.setup.truth.project_of(b.deliverable.id).code]
    assert pairs
    for case, other in pairs[:3]:
        rubric, judgement = judge(case, fake.other_project(case, other))
        integrity = next(r for c, r in zip(rubric.criteria, judgement.criteria) if c.kind == "integrity")
        assert integrity.score == 0 and "another project" in integrity.evidence
        assert judgement.score <= 0.15


@pytest.mark.parametrize("data", [b"", b"PK\x03\x04 not a zip", b"\x00" * 4096], ids=["empty", "bad zip", "zeros"])
def test_a_broken_deliverable_fails_its_criteria_with_a_reason(cases: list[Case], data: bytes) -> None:
    rubric, judgement = judge(cases[0], data)
    assert judgement.score == 0
    assert all(r.score == 0 and r.evidence for r in judgement.criteria)


def test_a_truncated_deliverable_fails_and_the_rest_of_the_judgement_goes_on(cases: list[Case]) -> None:
    data = fake.honest(cases[0])
    rubric, judgement = judge(cases[0], data[: len(data) // 2])
    assert judgement.score == 0 and all("does not open" in r.evidence for r in judgement.criteria)


def test_judging_is_deterministic(cases: list[Case]) -> None:
    data = fake.contradictory(cases[0])
    first = judge(cases[0], data)[1].model_dump_json()
    assert judge(cases[0], data)[1].model_dump_json() == first
