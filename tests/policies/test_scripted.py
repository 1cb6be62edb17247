"""ScriptedPolicy on the fake sandbox: the day-0 routine, grounded deliverables, a whole month."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from synthcomp import measures
from synthcomp.agents.rubric import expected_figures
from synthcomp.computer.artifacts.extract import extract_text
from synthcomp.models import WeekPlan
from synthcomp.policies import ScriptedPolicy
from synthcomp.policies.scripted import BASELINE, MAX_VERSIONS
from synthcomp.skillmd import front_matter

from tests.policies.conftest import play_day

REVISING = BASELINE | {"revise-after-feedback"}
"""The thorough worker: drafts early and revises on every new input."""


def tools(day) -> list[str]:
    return [a["tool"] for a in day.actions]


def test_first_day_plans_finds_reads_and_asks(computers: list[Path], make_env) -> None:
    for computer in computers:
        env = make_env(computer)
        day = play_day(env, policy := ScriptedPolicy())
        assigned = [d for d in env.unwrapped.setup.deliverables if d.opens_day == 0]
        sources = list(dict.fromkeys(p for d in assigned for p in d.sources))  # the objectives name none of them
        people = list(dict.fromkeys([*(c for d in assigned for c in d.collaborators), *day.start["collaborators"]]))
        inbox = ["check_inbox"] if day.start["inbox_unread"] else []  # a mid-month change can come early
        names = tools(day)
        assert names[:len(inbox) + 2] == [*inbox, "submit_week_plan", "list_dir"] and names[-1] == "end_day"
        assert names.index("search_files") < names.index("read_file")  # found before read
        assert day.errors == 0 and day.ended and not day.out_of_steps
        assert sorted(a["args"]["path"] for a in day.actions if a["tool"] == "read_file") == sorted(sources)
        assert [a["args"]["to"] for a in day.actions if a["tool"] == "send_message"] == people
        plan = WeekPlan.model_validate({"week": 0, **next(a for a in day.actions if a["tool"] == "submit_week_plan")[
            "args"]["plan"]})
        assert {a.day for a in plan.activities} <= set(range(3))
        summary = day.actions[-1]["args"]["summary"]
        assert "asked" in summary and "Next: write drafts of" in summary
        assert env.unwrapped.state.week_plans and len(env.unwrapped.state.outbox) == len(people)
        assert all(n.status == "read" for n in policy.month.sources.values())


def _source_totals(sandbox, path: str) -> list[str]:
    """Column totals of the first sheet of a source workbook, computed independently with openpyxl
    (summed or averaged as each label says) and quoted as a report quotes them."""
    sheet = load_workbook(io.BytesIO(sandbox.read_bytes(path)), read_only=True).worksheets[0]
    rows = [r for r in sheet.iter_rows(values_only=True)]
    header, rows = rows[0], [r for r in rows[1:] if r and str(r[0]).strip().lower() != "total"]
    quoted = []
    for j in range(2, len(header)):
        values = [r[j] for r in rows if j < len(r)]
        if values and all(isinstance(v, (int, float)) for v in values):
            how, currency = measures.how_to_total(header[j]), measures.currency_of(header[j])
            decimals = measures.decimals_for(values, how, currency)
            quoted.append(measures.quote(round(measures.total(values, how), decimals), decimals, currency))
    return quoted


def test_four_days_write_grounded_reviewed_deliverables(computers: list[Path], make_env) -> None:
    for computer in computers:
        env = make_env(computer, days=4)  # a short month: everything is assigned on day one
        policy = ScriptedPolicy(practices=REVISING)
        days = [play_day(env, policy) for _ in range(4)]
        assert all(d.ended and d.errors == 0 for d in days)
        assert days[-1].terminated and days[-1].score >= 0.5
        setup, state, sandbox = env.unwrapped.setup, env.unwrapped.state, env.unwrapped.sandbox
        outputs = sum(len(d.outputs) for d in setup.deliverables)
        assert tools(days[1]).count("create_document") + tools(days[1]).count("write_file") == outputs
        for d in setup.deliverables:  # each draft went to each of its reviewers
            sent = {m.to for m in state.outbox if "Draft for review" in m.subject and f"[{d.id}]" in m.subject}
            assert set(d.reviewers) <= sent and all(m.attachments for m in state.outbox if "Draft for review" in m.subject)
        told = "\n".join(m.body for m in state.inbox if m.deliver_day < 4)
        for d in setup.deliverables:
            report = next(o for o in d.outputs if o.artifact_type == "docx")
            text = extract_text("docx", sandbox.read_bytes(report.path))
            assert text.index("Executive summary") < text.index("Key figures") < text.index("Next steps")
            assert "Risks and issues" in text and "Recommendations" in text and "owner:" in text
            for source in [p for p in d.sources if p.lower().endswith(".xlsx")][:1]:
                for total in _source_totals(sandbox, source):
                    assert total in text, (source, total)
            for figure in expected_figures(setup, d):  # what the files gave, and what the holders told in time
                if figure.source or figure.on(4).quoted in told:
                    assert figure.on(4).quoted in text, f"{d.id} should report {figure.label} = {figure.on(4).quoted}"


def test_a_twenty_day_month(computers: list[Path], make_env) -> None:
    env = make_env(computers[0], days=20)
    policy = ScriptedPolicy(practices=REVISING)
    days = [play_day(env, policy) for _ in range(20)]
    assert all(d.ended and d.errors == 0 and not d.out_of_steps for d in days)
    assert days[-1].terminated and not any(d.terminated for d in days[:-1])
    assert sum(d.reward for d in days) == pytest.approx(days[-1].score) and days[-1].score >= 0.6
    setup, state = env.unwrapped.setup, env.unwrapped.state
    outputs = sum(len(d.outputs) for d in setup.deliverables)
    writes = sum(tools(d).count("create_document") + tools(d).count("write_file") for d in days)
    assert outputs <= writes <= MAX_VERSIONS * outputs, "written, then revised a bounded number of times"
    late = min(d.opens_day for d in setup.deliverables if d.opens_day > 0)
    assert any("create_document" in tools(d) for d in days[late:]), "work assigned mid-month is done mid-month"
    plans = [i for i, d in enumerate(days) if "submit_week_plan" in tools(d)]
    assert plans == [0, 5, 10, 15]
    for event in state.events:  # mid-month changes are picked up
        d = next(x for x in setup.deliverables if x.id == event.deliverable)
        report = next(o for o in d.outputs if o.artifact_type == "docx")
        text = extract_text("docx", env.unwrapped.sandbox.read_bytes(report.path))
        if event.kind == "new_requirement":
            assert "Lessons learned" in text
        elif event.kind == "revised_figure":
            revised = next(f for f in setup.truth.figures() if f.revised_day == event.day and f.holder == event.collaborator)
            assert revised.on(20).quoted in text and revised.quoted not in text, "the new value, not the old"
        else:
            assert event.text in text
    assert len(state.log) == 20 and all(e.summary.startswith(f"Workday {e.day + 1}") for e in state.log)


def test_same_computer_same_actions(computers: list[Path], make_env) -> None:
    runs = []
    for _ in range(2):
        env = make_env(computers[1], days=3)
        policy = ScriptedPolicy(seed=5)
        runs.append([a for _ in range(3) for a in play_day(env, policy).actions])
    assert runs[0] == runs[1]


def test_a_tight_budget_shortens_days_and_still_delivers(computers: list[Path], make_env) -> None:
    env = make_env(computers[2], days=4, step_budget=6)
    policy = ScriptedPolicy()
    days = [play_day(env, policy) for _ in range(4)]
    assert all(d.ended and not d.out_of_steps and len(d.actions) <= 6 for d in days)
    assert days[-1].score > 0, "the last day writes before it reads"


def test_a_new_month_starts_over(computers: list[Path], make_env) -> None:
    env = make_env(computers[1], days=1)
    policy = ScriptedPolicy()
    first = play_day(env, policy)
    # a one-day month is written on day 0, before the holders of the figures answer: it earns little
    assert first.terminated and first.score < 0.3
    second = play_day(env, policy)  # the env restarts the simulation; so does the policy
    assert second.actions == first.actions


def test_a_pickled_policy_resumes_the_month(computers: list[Path], make_env) -> None:
    """As the simulation runner does: checkpoint the policy after a day, resume with the copy."""
    import pickle

    env = make_env(computers[2], days=3)
    policy = ScriptedPolicy()
    play_day(env, policy)
    clone = pickle.loads(pickle.dumps(policy))
    second = play_day(env, clone)
    assert second.errors == 0 and second.score > 0.4
    home = {"tool": "list_dir", "args": {"path": "."}}
    assert home not in second.actions and "submit_week_plan" not in tools(second), "it remembers day 1"


def test_out_of_the_box_it_drafts_early_and_never_revises_and_a_skill_changes_that(
        computers: list[Path], make_env, tmp_path: Path) -> None:
    skill = tmp_path / "SKILL.md"
    skill.write_text(front_matter("careful-drafting", "Wait for data owners; revise after feedback.",
                                  {"practices": ["wait-for-data-owners", "revise-after-feedback", "not-a-practice"]})
                     + "# Careful drafting\n")
    runs = {}
    for name, policy in (("baseline", ScriptedPolicy()), ("skilled", ScriptedPolicy(skills=[skill]))):
        env = make_env(computers[0], days=6)
        days = [play_day(env, policy) for _ in range(6)]
        writes = [i for i, d in enumerate(days) for t in tools(d) if t in ("create_document", "write_file")]
        runs[name] = (writes, days[-1].score)
    outputs = sum(len(d.outputs) for d in env.unwrapped.state.deliverables)
    baseline_writes, baseline_score = runs["baseline"]
    skilled_writes, skilled_score = runs["skilled"]
    assert len(baseline_writes) == outputs and baseline_writes[0] == 1, "drafts on day 2, once, never revised"
    assert skilled_writes[0] > 1 or len(skilled_writes) > outputs, "waits for the owners, or revises"
    assert skilled_score > baseline_score
    assert ScriptedPolicy(skills=[skill]).practices == BASELINE | {"wait-for-data-owners", "revise-after-feedback"}
