"""The Claude rubric and judge at unit level: a hand-made setup, files in a dict, tiny PNG
pages in a tmp dir and the local fake Messages API (nothing leaves the machine)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from synthcomp.agents.criteria import integrity
from synthcomp.agents.judge import FIGURES_FLOOR
from synthcomp.agents.judge_claude import ClaudeJudge, plan_batches, ungated
from synthcomp.agents.rubric import WEIGHTS
from synthcomp.agents.rubric_claude import claude_rubric
from synthcomp.agents.setup import SetupPlan
from synthcomp.agents.truth import Figure, ProjectTruth, Truth
from synthcomp.brains.model.anthropic import AnthropicBrainConfig
from synthcomp.brains.model.client import BudgetExceeded, ModelClient
from synthcomp.models import (
    Collaborator, Criterion, CriterionResult, Deliverable, Judgement, OutputArtifact, RequestedChange, Review, Rubric,
)
from tests.brains.fake_anthropic import FakeAnthropic, tool_use

DATA = "C:\\Users\\ana\\Projects\\Harbour\\pier_readings.xlsx"
REPORT = "C:\\Users\\ana\\Projects\\Harbour\\Harbour_Survey_status_report.md"
MEMO = "C:\\Users\\ana\\Projects\\Harbour\\Harbour_Survey_memo.docx"
DIGEST = "ab" * 32
REPORT_TEXT = """# Harbour Survey status report

| Measure | Value |
| Turbidity (NTU) | 4.87 |
| Approved budget (EUR) | EUR 212,480.00 |

# Risks

The turbidity average at Pier 4 could still move when the last readings arrive. That would change the budget case.
"""


def make_setup() -> SetupPlan:
    figures = [
        Figure(id="F1", project="HS", label="Turbidity (NTU)", value=4.87, decimals=2, how="mean", source=DATA),
        Figure(id="F2", project="HS", label="Approved budget (EUR)", value=212480.0, decimals=2, how="stated",
               currency="EUR", holder="Sam Reyes"),
    ]
    deliverable = Deliverable(
        id="D1", title="Harbour Survey: status report", outcome="A reviewed status report.",
        outputs=[OutputArtifact(path=REPORT, artifact_type="md"), OutputArtifact(path=MEMO, artifact_type="docx")],
        sources=[DATA], collaborators=["Sam Reyes"])
    sam = Collaborator(name="Sam Reyes", email="sam@example.org", role="manager", background="Manager.",
                       communication_style="brief", preferences=["a section on risks and issues"])
    truth = Truth(projects=[ProjectTruth(code="HS", name="Harbour Survey", client="Port Authority", currency="EUR",
                                         figures=figures, deliverables=["D1"], entities=["Pier 4"])])
    return SetupPlan(deliverables=[deliverable], collaborators=[sam], truth=truth)


REVIEWS = [Review(path=REPORT, reviewer="Sam Reyes", day=3, digest=DIGEST, changes=[
    RequestedChange(kind="figure", target="F2", text="include the approved budget")])]


def client_for(fake: FakeAnthropic, **options: Any) -> ModelClient:
    return ModelClient(AnthropicBrainConfig(api_key="test-key", base_url=fake.base_url, backoff_s=0.0, **options),
                        sleep=lambda _: None)


# --------------------------------------------------------------------------- rubric


def good_draft(figure_ids: list[str] | None = None) -> dict[str, Any]:
    return {"criteria": [
        {"kind": "figures", "deliverable": "D1", "path": REPORT, "text": "The report quotes the figures",
         "expect": figure_ids or ["F2", "F1"]},
        {"kind": "coverage", "deliverable": "D1", "path": REPORT, "text": "The report covers risks",
         "expect": ["risks"]},
        {"kind": "integrity", "deliverable": "D1", "path": REPORT, "text": "Own work", "expect": ["anything"]},
        {"kind": "revisions", "deliverable": "D1", "path": REPORT, "text": "Sam's budget is in",
         "expect": ["figure:F2"], "before": DIGEST},
        {"kind": "visual", "deliverable": "D1", "path": MEMO, "text": "The memo has a table", "low": 1, "high": 10},
    ]}


def prompt_facts(body: dict[str, Any]) -> dict[str, Any]:
    return json.loads(re.search(r"```json\n(.*?)\n```", body["messages"][0]["content"], re.S).group(1))


def repair_message(body: dict[str, Any]) -> str:
    return body["messages"][-1]["content"][0]["content"]


def test_drafts_see_the_truth_and_merge_in_the_procedural_conventions(fake_api: FakeAnthropic) -> None:
    fake_api.default = tool_use(good_draft())
    rubric = claude_rubric(client_for(fake_api), make_setup(), runs=3, reviews=REVIEWS)
    facts = prompt_facts(fake_api.requests[0])["deliverables"][0]
    assert facts["expected_figures"] == [
        {"id": "F1", "label": "Turbidity (NTU)", "value": "4.87", "from": DATA},
        {"id": "F2", "label": "Approved budget (EUR)", "value": "EUR 212,480.00", "from": "held by Sam Reyes"}]
    assert facts["required_topics"] == ["risks"]
    assert facts["reviews"][0]["changes"] == [{"expect": "figure:F2", "asked": "include the approved budget"}]
    assert len(fake_api.requests) == 3 and rubric.drafts == 3
    by_kind = {(c.kind, c.path): c for c in rubric.criteria}
    figures = by_kind[("figures", REPORT)]
    assert figures.expect == ["F1", "F2"] and figures.weight == WEIGHTS["figures"]
    assert by_kind[("integrity", REPORT)].weight == 0 and by_kind[("integrity", REPORT)].expect == []
    assert by_kind[("revisions", REPORT)].before == DIGEST
    assert (by_kind[("visual", MEMO)].low, by_kind[("visual", MEMO)].high) == (1, 10)
    assert ("integrity", MEMO) in by_kind  # the procedural gate, added where the drafts had none
    assert len(rubric.criteria) == 6 and len({c.id for c in rubric.criteria}) == 6


def test_an_unknown_figure_id_is_sent_back_and_repaired(fake_api: FakeAnthropic) -> None:
    fake_api.replies += [tool_use(good_draft(["F1", "F99"])), tool_use(good_draft())]
    rubric = claude_rubric(client_for(fake_api), make_setup(), runs=1, reviews=REVIEWS)
    assert len(fake_api.requests) == 2
    problem = repair_message(fake_api.requests[1])
    assert "unknown figure id(s) ['F99'] for D1 (its figures: ['F1', 'F2'])" in problem
    assert [c.expect for c in rubric.criteria if c.kind == "figures"] == [["F1", "F2"]]


def test_an_unknown_figure_id_that_persists_is_dropped_with_a_warning(fake_api: FakeAnthropic) -> None:
    fake_api.default = tool_use(good_draft(["F1", "F99"]))
    client = client_for(fake_api)
    rubric = claude_rubric(client, make_setup(), runs=1, reviews=REVIEWS)
    (warning,) = client.usage.warnings
    assert re.search(r"valid RubricDraft after 3 attempts.*degraded: rubric draft 1: kept 4 criteria, dropped 1.*F99",
                     warning)
    assert len(fake_api.requests) == 3  # the first reply and two repair turns
    assert {c.kind for c in rubric.criteria} == {"coverage", "integrity", "revisions", "visual"}
    assert {c.path for c in rubric.criteria if c.kind == "integrity"} == {REPORT, MEMO}


@pytest.mark.parametrize("change, problem", [
    ({"path": "C:\\Users\\ana\\Desktop\\other.docx"}, "it is not a deliverable output"),
    ({"kind": "coverage", "expect": ["budget history"]}, "topic 'budget history' is not one D1's readers asked for"),
    ({"kind": "revisions", "expect": ["section:risks"], "before": DIGEST}, "no review of"),
    ({"kind": "revisions", "expect": ["figure:F2"], "before": "cd" * 32}, "is not the digest of a review"),
    ({"deliverable": "D7"}, "deliverable 'D7' is not one of ['D1']"),
])
def test_criteria_that_name_what_is_not_there_go_back_to_the_model(fake_api: FakeAnthropic, change: dict,
                                                                   problem: str) -> None:
    bad = good_draft()
    bad["criteria"][0] |= change
    fake_api.replies += [tool_use(bad), tool_use(good_draft())]
    claude_rubric(client_for(fake_api), make_setup(), runs=1, reviews=REVIEWS)
    assert problem in repair_message(fake_api.requests[1])


def test_without_any_usable_draft_the_procedural_rubric_is_used(fake_api: FakeAnthropic) -> None:
    fake_api.default = tool_use({"criteria": [{"kind": "figures", "deliverable": "D1", "path": REPORT, "text": "x",
                                               "expect": ["F99"]}]})
    client = client_for(fake_api)
    rubric = claude_rubric(client, make_setup(), runs=2, reviews=REVIEWS)
    assert "using the procedural rubric" in client.usage.warnings[-1]
    assert rubric.drafts == 2 and {c.kind for c in rubric.criteria} >= {"figures", "integrity"}


# --------------------------------------------------------------------------- judge


RUBRIC = Rubric(criteria=[
    Criterion(id="c01", kind="figures", text="report figures", deliverable="D1", path=REPORT, weight=3,
              expect=["F1", "F2"]),
    Criterion(id="c02", kind="coverage", text="report risks", deliverable="D1", path=REPORT, weight=1,
              expect=["risks"]),
    Criterion(id="c03", kind="integrity", text="own work", deliverable="D1", path=REPORT, weight=0),
    Criterion(id="c04", kind="visual", text="report looks right", deliverable="D1", path=REPORT, weight=1,
              low=1, high=40),
    Criterion(id="c05", kind="visual", text="memo looks right", deliverable="D1", path=MEMO, weight=1, low=1, high=40),
])
EVIDENCE = Judgement(score=0.5, judge="procedural", summary="", criteria=[
    CriterionResult(id="c01", score=1.0, weight=3, evidence="2 of 2 figures reported with their label",
                    spans=["Turbidity (NTU) | 4.87"]),
    CriterionResult(id="c02", score=0.25, weight=1,
                    evidence="'Risks' is generic [x0.50: its figures score 0.33]", spans=["Risks: The turbidity"]),
    CriterionResult(id="c03", score=1.0, weight=0, evidence="own prose"),
    CriterionResult(id="c04", score=1.0, weight=1, evidence="2 table rows"),
    CriterionResult(id="c05", score=0.0, weight=1, evidence="Harbour_Survey_memo.docx is missing"),
])


def write_pages(renders: Path, name: str, count: int) -> None:
    folder = renders / name
    folder.mkdir(parents=True)
    for n in range(1, count + 1):
        Image.new("RGB", (8, 8), (n, 0, 0)).save(folder / f"page-{n:03d}.png")


def asked(body: dict[str, Any]) -> list[dict[str, Any]]:
    first = body["messages"][0]["content"][0]["text"]
    return json.loads(re.search(r"Criteria:\n```json\n(.*?)\n```", first, re.S).group(1))


def page_labels(body: dict[str, Any]) -> list[int]:
    return [int(m.group(1)) for b in body["messages"][0]["content"] if b["type"] == "text"
            for m in [re.fullmatch(r"Page (\d+):", b["text"])] if m]


def scorer(scores: dict[str, Any]) -> Any:
    """A judge model: ``scores[id]`` is a number, or a function of the pages it is shown."""
    def reply(body: dict[str, Any]) -> list[dict[str, Any]]:
        pages = page_labels(body)
        out = [{"id": c["id"], "score": s(pages) if callable(s := scores[c["id"]]) else s, "evidence": f"saw {pages}",
                "spans": [f"quote for {c['id']}"]} for c in asked(body) if c["id"] in scores]
        return tool_use({"criteria": out, "summary": f"batch with {len(pages)} page(s)"})
    return reply


def judge_with(fake: FakeAnthropic, tmp_path: Path, pages: int, **options: Any) -> tuple[Judgement, ClaudeJudge]:
    renders = tmp_path / "renders"
    write_pages(renders, "Harbour_Survey_status_report.md", pages)
    files = {REPORT: REPORT_TEXT.encode()}
    judge = ClaudeJudge(client_for(fake), files.__getitem__, renders, setup=make_setup(), **options)
    return judge.judge(RUBRIC, EVIDENCE), judge


def test_every_page_is_sent_across_batches_and_the_batches_combine(fake_api: FakeAnthropic, tmp_path: Path) -> None:
    fake_api.default = scorer({
        "c01": lambda pages: 1.0 if 12 in pages else 0.0,  # the figure table is on page 12 only
        "c02": 1.0, "c03": 1, "c04": lambda pages: 0.4 if 20 in pages else 1.0})  # page 20 is broken
    judgement, _ = judge_with(fake_api, tmp_path, pages=20, max_images=8)
    assert len(fake_api.requests) == 3  # the missing memo with no pages is not sent
    sent = [page_labels(r) for r in fake_api.requests]
    assert sent == [list(range(1, 9)), list(range(9, 17)), list(range(17, 21))]
    for request in fake_api.requests:
        images = [b for b in request["messages"][0]["content"] if b["type"] == "image"]
        assert len(images) == len(page_labels(request))
        assert all(b["source"]["media_type"] == "image/png" for b in images)
        assert [c["id"] for c in asked(request)] == ["c01", "c02", "c03", "c04"]
    shown = {c["id"]: c for c in asked(fake_api.requests[0])}
    assert shown["c01"]["figures"] == [{"id": "F1", "label": "Turbidity (NTU)", "value": "4.87"},
                                       {"id": "F2", "label": "Approved budget (EUR)", "value": "EUR 212,480.00"}]
    assert shown["c02"]["procedural"] == {"score": 0.5, "evidence": "'Risks' is generic",
                                          "spans": ["Risks: The turbidity"]}  # before its gate
    assert "Turbidity (NTU) | 4.87" in fake_api.requests[0]["messages"][0]["content"][1]["text"]
    results = {r.id: r for r in judgement.criteria}
    assert results["c01"].score == 1.0 and "pages 9-16 of 20; the highest of 3" in results["c01"].evidence
    assert results["c04"].score == 0.4 and "pages 17-20 of 20; the lowest of 3" in results["c04"].evidence
    assert results["c01"].spans == ["quote for c01"]
    assert results["c05"].score == 0.0 and results["c05"].evidence.startswith("procedural: ")
    # weighted like the procedural judge: (3*1 + 1*1 + 1*0.4 + 1*0) / 6
    assert judgement.score == pytest.approx(round(4.4 / 6, 4)) and judgement.judge == "claude"
    assert "3 request(s), 20 page(s)" in judgement.summary


def test_the_token_budget_sets_the_batch_size(fake_api: FakeAnthropic, tmp_path: Path) -> None:
    fake_api.default = scorer({"c01": 1.0, "c02": 1.0, "c03": 1, "c04": 1.0})
    judge_with(fake_api, tmp_path, pages=7, token_budget=6_000)  # room for three images beside the text
    assert [page_labels(r) for r in fake_api.requests] == [[1, 2, 3], [4, 5, 6], [7]]
    for request in fake_api.requests:  # each request within the budget, as estimated
        text = sum(len(b["text"]) for b in request["messages"][0]["content"] if b["type"] == "text")
        schema = len(json.dumps(request["tools"][0]["input_schema"]))
        assert (len(request["system"]) + text + schema) / 4 + 1_600 * len(page_labels(request)) <= 6_000


def test_batches_are_bounded_by_images_tokens_and_bytes_and_never_drop_a_page() -> None:
    assert plan_batches([10] * 20, 0, max_images=16) == [range(0, 16), range(16, 20)]
    assert plan_batches([10] * 5, 37_000, token_budget=40_000, image_tokens=1_600) == [range(0, 1), range(1, 2),
                                                                                        range(2, 3), range(3, 4),
                                                                                        range(4, 5)]
    assert plan_batches([10] * 5, 90_000, token_budget=40_000) == [range(i, i + 1) for i in range(5)]
    assert plan_batches([60, 60, 60], 0, max_bytes=100) == [range(0, 1), range(1, 2), range(2, 3)]
    assert plan_batches([500], 0, max_bytes=100) == [range(0, 1)]
    assert plan_batches([], 0) == [range(0)]


def test_a_failed_integrity_gate_scales_the_files_other_criteria(fake_api: FakeAnthropic, tmp_path: Path) -> None:
    fake_api.default = scorer({"c01": 0.5, "c02": 1.0, "c03": 0, "c04": 1.0})
    judgement, _ = judge_with(fake_api, tmp_path, pages=2)
    results = {r.id: r for r in judgement.criteria}
    gate = FIGURES_FLOOR + (1 - FIGURES_FLOOR) * 0.5
    assert results["c01"].score == pytest.approx(0.5 * integrity.PENALTY)
    assert results["c02"].score == pytest.approx(round(integrity.PENALTY * gate, 4))
    assert "integrity failed" in results["c02"].evidence
    assert "integrity failed on 1 file(s)" in judgement.summary


def test_a_reply_missing_a_criterion_is_repaired(fake_api: FakeAnthropic, tmp_path: Path) -> None:
    fake_api.replies.append(tool_use({"summary": "", "criteria": [
        {"id": i, "score": v, "evidence": "e"} for i, v in [("c01", 1.0), ("c03", 0.7), ("c04", 1.0), ("c09", 1.0)]]}))
    fake_api.default = scorer({"c01": 1.0, "c02": 1.0, "c03": 1, "c04": 1.0})
    judgement, _ = judge_with(fake_api, tmp_path, pages=1)
    problem = fake_api.requests[1]["messages"][-1]["content"][0]["content"]
    assert "criteria not scored: ['c02']" in problem and "criteria that were not asked: ['c09']" in problem
    assert "c03 is an integrity gate" in problem
    assert {r.id: r.score for r in judgement.criteria}["c02"] == 1.0


def test_a_persistent_mismatch_keeps_the_procedural_score(fake_api: FakeAnthropic, tmp_path: Path) -> None:
    fake_api.default = scorer({"c01": 1.0, "c03": 1, "c04": 1.0})  # never scores c02
    judgement, judge = judge_with(fake_api, tmp_path, pages=1)
    (warning,) = judge.client.usage.warnings
    assert re.search(r"valid ClaudeScores after 3 attempts.*no score for \['c02'\]", warning)
    assert len(fake_api.requests) == 3
    c02 = {r.id: r for r in judgement.criteria}["c02"]
    assert c02.score == 0.5 and c02.evidence == "procedural: 'Risks' is generic"  # ungated, gated again by our gates
    assert c02.spans == ["Risks: The turbidity"] and "Procedural score kept for c02" in judgement.summary


def test_a_failing_request_never_loses_the_judgement(fake_api: FakeAnthropic, tmp_path: Path) -> None:
    fake_api.default = 400
    judgement, judge = judge_with(fake_api, tmp_path, pages=3)
    assert "no score for" in judge.client.usage.warnings[0]
    assert {r.id: r.score for r in judgement.criteria} == {"c01": 1.0, "c02": 0.5, "c03": 1.0, "c04": 1.0, "c05": 0.0}


def test_a_spent_budget_stops_the_rubric_and_the_judge(fake_api: FakeAnthropic, tmp_path: Path) -> None:
    with pytest.raises(BudgetExceeded):
        claude_rubric(client_for(fake_api, budget_usd=0), make_setup(), runs=1)
    judge = ClaudeJudge(client_for(fake_api, budget_usd=0), {REPORT: REPORT_TEXT.encode()}.__getitem__)
    with pytest.raises(BudgetExceeded):
        judge.judge(RUBRIC, EVIDENCE)
    assert not fake_api.requests


def test_ungating_reads_the_gate_notes() -> None:
    result = CriterionResult(id="c", score=0.04, weight=1, evidence="thin [x0.1: integrity failed; x0.40: its figures]")
    assert ungated(result) == (1.0, "thin")
    assert ungated(CriterionResult(id="c", score=0.3, weight=1, evidence="plain [note]")) == (0.3, "plain [note]")
