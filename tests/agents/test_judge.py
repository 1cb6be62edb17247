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
from synthcomp.computer.batch import CreateRequest, create_computers
from synthcomp.models import Rubric
from synthcomp.sim.judging import judge_simulation, tree_reader
from synthcomp.sim.runner import SimConfig, run_simulation
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
def test_a_broken_deliverable_loses_exactly_the_criteria_it_breaks(fleet: list[Path], tmp_path: Path) -> None:
    sim = _simulate(fleet[0], "scripted")
    rubric = Rubric.model_validate_json((sim / "rubric.json").read_text())
    os_name = json.loads((sim / "computer" / "computer.json").read_text())["policy"]["os"]
    files = sim / "computer" / "files"
    read = tree_reader(files, os_name)
    before = {r.id: r.score for r in ProceduralJudge(read).judge(rubric).criteria}
    report = next(c.path for c in rubric.criteria if c.kind == "figures_match" and c.path.endswith(".docx"))
    on_disk = files / ospath.to_physical(os_name, report)
    original = on_disk.read_bytes()

    def after_breaking(edit) -> dict[str, float]:
        on_disk.write_bytes(original)
        edit()
        return {r.id: r.score for r in ProceduralJudge(read).judge(rubric).criteria}

    def criteria_on_report(kinds: set[str]) -> set[str]:
        return {c.id for c in rubric.criteria if c.path == report and c.kind in kinds and before[c.id] == 1}

    # 1. wrong numbers: every quoted total is altered -> only figures_match falls
    figures = {c.id: c.expect for c in rubric.criteria if c.path == report and c.kind == "figures_match"}

    def wrong_numbers() -> None:
        doc = Document(str(on_disk))
        for p in [*doc.paragraphs, *[p for t in doc.tables for row in t.rows for cell in row.cells for p in cell.paragraphs]]:
            for expect in figures.values():
                for figure in expect:
                    if figure in p.text:
                        wrong = figure[:-1] + str((int(figure[-1]) + 1) % 10)
                        p.text = p.text.replace(figure, wrong)
        doc.save(str(on_disk))

    scores = after_breaking(wrong_numbers)
    dropped = {cid for cid in before if scores[cid] < before[cid]}
    assert dropped == {cid for cid in figures if before[cid] == 1}

    # 2. a missing section: the paragraphs under a required heading removed -> only that criterion falls
    section = next((c for c in rubric.criteria if c.path == report and c.kind == "sections" and before[c.id] == 1), None)
    if section is not None:
        def drop_section() -> None:
            doc = Document(str(on_disk))
            for p in doc.paragraphs:
                if any(e in p.text.lower() for e in section.expect):
                    p._p.getparent().remove(p._p)
            doc.save(str(on_disk))

        scores = after_breaking(drop_section)
        assert {cid for cid in before if scores[cid] < before[cid]} == {section.id}

    # 3. truncated: it no longer opens -> everything that reads it falls, presence does not
    scores = after_breaking(lambda: on_disk.write_bytes(original[: len(original) // 2]))
    dropped = {cid for cid in before if scores[cid] < before[cid]}
    readers = criteria_on_report({"opens", "sections", "figures_match", "collaborator_info", "revision_made"})
    assert dropped == readers
    assert all(scores[c.id] == 1 for c in rubric.criteria if c.path == report and c.kind == "file_present")
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

    def crit(cid: str, kind: str, text: str) -> Criterion:
        return Criterion(id=cid, text=text, deliverable="D1", kind=kind, path="C:\\a.docx")

    drafts = [Rubric(criteria=[crit("c1", "file_present", "a exists"), crit("c2", "opens", "a opens")]),
              Rubric(criteria=[crit("c1", "file_present", "The DOCX a was delivered")]),
              Rubric(criteria=[crit("c1", "file_present", "a exists"), crit("c2", "renders", "a renders")])]
    merged = merge_rubrics(drafts)
    assert [(c.kind, c.weight, c.text) for c in merged.criteria] == [
        ("file_present", 1.0, "a exists"), ("opens", 0.333, "a opens"), ("renders", 0.333, "a renders")]
    assert merged.drafts == 3
