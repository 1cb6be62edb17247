"""The judge as a reward: it separates policies and punishes exactly what is broken."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest
from docx import Document

from synthcomp import ospath
from synthcomp.agents.judge import ProceduralJudge
from synthcomp.agents.rubric import merge_rubrics
from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.models import Rubric
from synthcomp.ospath import tree_reader
from synthcomp.sim.judging import judge_simulation, load_simulation
from synthcomp.sim.config import SimConfig
from synthcomp.sim.runner import run_simulation
from synthcomp.workspace import computer_dir, sim_dir, workspace_of


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("judge-ws")
    made = create_computers(CreateRequest.from_cli(out=out, n=10, seed=77, os_name="mixed", personas=None, workers=2))
    return [computer_dir(out, c.id) for c in made]


def _simulate(computer: Path, policy: str, days: int = 4) -> Path:
    run_simulation(SimConfig(computer=computer, policy=policy, days=days, sandbox="local", seed=3, step_budget=150))
    return sim_dir(workspace_of(computer), f"{computer.name}-{policy}-s3")


@pytest.mark.bwrap
def test_scripted_scores_clearly_above_random_over_ten_computers(fleet: list[Path]) -> None:
    scores = {"scripted": [], "random": []}
    for computer in fleet:
        for policy in scores:
            sim = _simulate(computer, policy)
            scores[policy].append(json.loads((sim / "judgement.json").read_text())["score"])
    report = {p: (statistics.fmean(s), statistics.pstdev(s)) for p, s in scores.items()}
    print(f"\nmean (spread) over {len(fleet)} computers: " + ", ".join(f"{p} {m:.3f} ({sd:.3f})" for p, (m, sd) in report.items()))
    assert report["scripted"][0] >= report["random"][0] + 0.4
    assert min(scores["scripted"]) > max(scores["random"])


@pytest.mark.bwrap
def test_a_broken_deliverable_loses_exactly_the_criteria_it_breaks(fleet: list[Path]) -> None:
    sim = _simulate(fleet[0], "scripted")
    setup, _, computer = load_simulation(sim)
    rubric = Rubric.model_validate_json((sim / "rubric.json").read_text())
    files = sim / "computer" / "files"
    read = tree_reader(files, computer.policy.os)

    def judge() -> dict[str, float]:
        """Each criterion's own score, before the file's gates scale the others."""
        checker = ProceduralJudge(read, setup)
        return {c.id: checker.check(c).score for c in rubric.criteria}

    before = judge()
    report = max((c for c in rubric.criteria if c.kind == "figures" and c.path.endswith(".docx")),
                 key=lambda c: before[c.id]).path  # a month of four days leaves some figures still pending
    on_disk = files / ospath.to_physical(computer.policy.os, report)
    original = on_disk.read_bytes()

    def after_breaking(edit) -> set[str]:
        on_disk.write_bytes(original)
        edit()
        after = judge()
        return {cid for cid in before if after[cid] < before[cid]}

    def on_report(*kinds: str) -> set[str]:
        return {c.id for c in rubric.criteria if c.path == report and c.kind in kinds and before[c.id] > 0}

    # 1. wrong numbers: every figure's last digit altered -> only the figures criteria fall
    figures = {f.quoted for f in setup.truth.figures()}

    def wrong_numbers() -> None:
        doc = Document(str(on_disk))
        cells = [p for t in doc.tables for row in t.rows for cell in row.cells for p in cell.paragraphs]
        for p in [*doc.paragraphs, *cells]:
            for figure in figures:
                if figure in p.text:
                    p.text = p.text.replace(figure, figure[:-1] + str((int(figure[-1]) + 1) % 10))
        doc.save(str(on_disk))

    dropped = after_breaking(wrong_numbers)
    assert on_report("figures") <= dropped <= on_report("figures", "revisions", "signoff")  # a changed file is unsigned

    # 2. a section emptied: the paragraphs under a required heading removed -> only its coverage falls
    covered = [c for c in rubric.criteria if c.path == report and c.kind == "coverage" and before[c.id] == 1
               and c.expect != ["sources"]]
    if covered:
        topic = covered[0].expect[0].split()[0][:5]

        def empty_section() -> None:
            doc = Document(str(on_disk))
            inside = False
            for p in list(doc.paragraphs):
                if p.style.name.startswith("Heading"):
                    inside = topic in p.text.lower()
                elif inside:
                    p._p.getparent().remove(p._p)
            doc.save(str(on_disk))

        dropped = after_breaking(empty_section)
        assert {c.id for c in covered if c.expect == covered[0].expect} <= dropped <= on_report("coverage", "revisions",
                                                                                               "signoff")

    # 3. truncated: it no longer opens -> every criterion on it falls
    assert after_breaking(lambda: on_disk.write_bytes(original[: len(original) // 2])) == on_report(
        "figures", "coverage", "visual", "revisions", "integrity", "signoff")
    on_disk.write_bytes(original)


@pytest.mark.bwrap
def test_judging_is_deterministic_offline(fleet: list[Path]) -> None:
    sim = _simulate(fleet[1], "scripted")
    first = (sim / "judgement.json").read_text()
    (sim / "rubric.json").unlink()
    judge_simulation(sim, seed=3)
    assert (sim / "judgement.json").read_text() == first


def test_merging_dedupes_keeps_the_union_and_weights_by_frequency() -> None:
    from synthcomp.models import Criterion

    def crit(cid: str, kind: str, text: str, expect: list[str]) -> Criterion:
        return Criterion(id=cid, text=text, deliverable="D1", kind=kind, path="C:\\a.docx", expect=expect)

    drafts = [Rubric(criteria=[crit("c1", "figures", "a quotes F1", ["F1"]), crit("c2", "coverage", "a: risks", ["risks"])]),
              Rubric(criteria=[crit("c1", "figures", "a reports F1", ["F1"])]),
              Rubric(criteria=[crit("c1", "figures", "a quotes F1", ["F1"]), crit("c2", "coverage", "a: steps", ["next steps"])])]
    merged = merge_rubrics(drafts)
    assert [(c.kind, c.weight, c.text) for c in merged.criteria] == [
        ("figures", 1.0, "a quotes F1"), ("coverage", 0.333, "a: risks"), ("coverage", 0.333, "a: steps")]
    assert merged.drafts == 3
