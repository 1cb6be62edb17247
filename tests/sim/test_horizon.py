"""A month that takes a month: the world, not the policy, sets the pace.

Work is assigned in waves, some figures exist only from a day mid-month, a figure is
revised, colleagues answer in part or with a question, reviewers sign off a version, and
work after a deadline counts half. Each test drives the real env on the fake sandbox.
"""

from __future__ import annotations

from pathlib import Path

import gymnasium as gym
import pytest
from rich.console import Console

import synthcomp.env  # noqa: F401 - registers synthcomp/Workday-v1
from synthcomp.agents.criteria.reading import Reading
from synthcomp.agents.criteria.revisions import digest
from synthcomp.agents.criteria import signoff
from synthcomp.agents.setup import SetupPlan, procedural_setup, write_private_files
from synthcomp.agents.timeliness import LATE_CREDIT, timely_score
from synthcomp.agents.truth import Truth
from synthcomp.computer.show import load_computer
from synthcomp.computer.stats import PAPER_TABLE3, print_simulations
from synthcomp.env.milestones import on_time
from synthcomp.models import MILESTONES, Criterion, CriterionResult, FinishedSim, Judgement, Rubric
from synthcomp.ospath import tree_reader
from synthcomp.sim.playthrough import play_month
from synthcomp.toolresults import Inbox, WeekPlanSaved

DAYS = 20


def _setup(computer: Path, days: int = DAYS, seed: int = 0) -> SetupPlan:
    made = load_computer(computer)
    return procedural_setup(made, tree_reader(computer / "files", made.policy.os), seed, days=days)


def _env(computer: Path, run: Path, setup: SetupPlan, days: int = DAYS) -> gym.Env:
    write_private_files(setup, load_computer(computer), run / "private")
    return gym.make("synthcomp/Workday-v1", computer=computer, sandbox="fake", days=days, run_dir=run, setup=setup,
                    private_dir=run / "private")


def _end_day(env: gym.Env) -> None:
    env.step({"tool": "end_day", "args": {"summary": "Done for today."}})


def _inbox(env: gym.Env) -> Inbox:
    _, _, _, _, info = env.step({"tool": "check_inbox", "args": {}})
    return Inbox.model_validate(info["data"])


def test_work_is_assigned_in_waves_and_objectives_say_what_not_where(computers: dict[str, Path]) -> None:
    setup = _setup(computers["windows"])
    due = sorted({d.due_day for d in setup.deliverables})
    assert len(due) >= 2 and due[-1] == DAYS - 1 and due[0] < DAYS - 5
    late = [d for d in setup.deliverables if d.opens_day > 0]
    assert late and all(d.opens_day < d.due_day for d in late)
    assert all(d.needs and d.sources and not d.as_assigned().sources for d in setup.deliverables)
    assert all(1 <= len(d.reviewers) <= 3 and set(d.reviewers) <= set(d.collaborators) for d in setup.deliverables)
    held = {f.deliverable: f for p in setup.truth.projects for f in p.figures if f.deliverable}
    assert held and all(held[d].available_day > 0 for d in held)  # figures that exist only mid-month
    assert any(f.revised is not None for f in setup.truth.figures())  # and one revised mid-month


def test_a_deliverable_appears_on_the_morning_it_is_assigned(computers: dict[str, Path], tmp_path: Path) -> None:
    setup = _setup(computers["windows"])
    opens = min(d.opens_day for d in setup.deliverables if d.opens_day > 0)
    env = _env(computers["windows"], tmp_path, setup)
    try:
        _, info = env.reset(seed=0)
        first = {o["id"] for o in info["objectives"]}
        assert first == {d.id for d in setup.deliverables if d.opens_day == 0}
        assert all(not o["sources"] and o["needs"] for o in info["objectives"])
        for _ in range(opens):
            _end_day(env)
            _, info = env.reset()
        assert {o["id"] for o in info["objectives"]} == {d.id for d in setup.deliverables if d.opens_day <= opens}
        assert any("New work package" in m.subject for m in _inbox(env).messages)
    finally:
        env.close()


def test_a_figure_that_does_not_exist_yet_is_pending_until_its_day(computers: dict[str, Path], tmp_path: Path) -> None:
    setup = _setup(computers["windows"])
    figure = min((f for p in setup.truth.projects for f in p.figures if f.deliverable),
                 key=lambda f: setup.truth.deadline(f.deliverable).opens_day)
    opens = next(d.opens_day for d in setup.deliverables if d.id == figure.deliverable)
    env = _env(computers["windows"], tmp_path, setup)
    try:
        env.reset(seed=0)
        for _ in range(opens):
            _end_day(env)
            env.reset()
        ask = {"tool": "send_message", "args": {"to": figure.holder, "subject": "Figures needed",
                                                 "body": "Could you send me the figures you hold?"}}
        env.step(ask)
        if env.unwrapped.state.questions.get(figure.holder):  # a data-minded colleague asks back first
            env.step({"tool": "send_message", "args": {"to": figure.holder, "subject": "RE: figures",
                                                        "body": "The budget figures for the client report."}})
        replies = [m for m in env.unwrapped.state.inbox if m.sender == figure.holder and m.pending]
        assert replies and figure.quoted not in replies[-1].body
        pending = next(p for p in replies[-1].pending if figure.name.lower() in p.what)
        assert pending.day == figure.available_day and pending.date in replies[-1].body
        while env.unwrapped.state.day < figure.available_day:
            _end_day(env)
            env.reset()
        env.step(ask)
        later = [m for m in env.unwrapped.state.inbox if m.sender == figure.holder][-1]
        assert figure.on(env.unwrapped.state.day).quoted in later.body
    finally:
        env.close()


def test_the_truth_and_the_judge_follow_a_revised_figure() -> None:
    truth = Truth.model_validate({"projects": [{"code": "P", "name": "Harbour Survey", "client": "Port", "currency": "EUR",
                                                 "figures": [{"id": "F1", "label": "Approved budget (EUR)", "value": 100.0,
                                                              "decimals": 2, "how": "stated", "currency": "EUR",
                                                              "holder": "Ana", "revised": 120.0, "revised_day": 7}]}]})
    assert truth.as_of(6).figures()[0].value == 100.0
    assert truth.as_of(7).figures()[0].value == 120.0 and truth.figures()[0].value == 100.0


def _judged(scores: dict[str, float]) -> tuple[Rubric, Judgement]:
    criteria = [Criterion(id=f"c{i}", text="x", deliverable=d, kind="figures", path=f"/{d}.docx", weight=1.0)
                for i, d in enumerate(scores)]
    results = [CriterionResult(id=c.id, score=scores[c.deliverable], weight=1.0, evidence="") for c in criteria]
    return Rubric(criteria=criteria), Judgement(score=0, criteria=results, summary="", judge="procedural")


def test_work_after_a_deadline_counts_half() -> None:
    truth = Truth.model_validate({"deadlines": [{"deliverable": "D1", "week": 1, "holder": "Ana"},
                                                {"deliverable": "D2", "week": 4, "holder": "Ana"}]})
    due_scores: dict[str, float] = {}
    on_time = timely_score(*_judged({"D1": 0.4, "D2": 0.0}), truth, DAYS, 4, due_scores)  # D1 is due on day 4
    assert due_scores == {"D1": 0.4} and on_time == pytest.approx(0.2)
    late = timely_score(*_judged({"D1": 1.0, "D2": 1.0}), truth, DAYS, 10, due_scores)
    assert late == pytest.approx((0.4 + LATE_CREDIT * 0.6 + 1.0) / 2)


def test_a_signoff_holds_only_for_the_version_each_reviewer_approved() -> None:
    draft = Reading(path="/r.docx", text="Final report v2")
    signed = digest(draft.text)
    assert signoff.score(draft, ["Ana", f"Ana:{signed}"])[0] == 1.0
    assert signoff.score(draft, ["Ana", "Ben", f"Ana:{signed}"])[0] == 0.5
    value, why, _ = signoff.score(draft, ["Ana", f"Ana:{digest('Final report v1')}"])
    assert value == 0 and "changed since their sign-off" in why
    assert signoff.score(draft, [])[0] == 0


def test_a_week_plan_that_skips_this_weeks_milestones_is_told_so(computers: dict[str, Path], tmp_path: Path) -> None:
    setup = _setup(computers["macos"])
    env = _env(computers["macos"], tmp_path, setup)
    try:
        env.reset(seed=0)
        plan = {"goals": ["Read"], "activities": [{"day": 0, "kind": "admin", "description": "Check the inbox"}]}
        _, _, _, _, info = env.step({"tool": "submit_week_plan", "args": {"plan": plan}})
        saved = WeekPlanSaved.model_validate(info["data"])
        due_now = [d for d in setup.deliverables if d.opens_day == 0 and min(d.milestones().values()) <= 4]
        assert bool(saved.unplanned) == bool(due_now)
        outputs = [o.path for d in setup.deliverables for o in d.outputs]
        plan["activities"].append({"day": 0, "kind": "deep_work", "description": "Draft", "files": outputs})
        _, _, _, _, info = env.step({"tool": "submit_week_plan", "args": {"plan": plan}})
        assert WeekPlanSaved.model_validate(info["data"]).unplanned == []  # replanning replaces the week's plan
    finally:
        env.close()


def test_the_thorough_worker_needs_the_month_and_random_calls_earn_nothing(computers: dict[str, Path],
                                                                         tmp_path: Path) -> None:
    worked = play_month(computers["windows"], "thorough", DAYS, tmp_path / "thorough")
    assert worked.score >= 0.5
    for d in worked.setup.deliverables:  # milestones in order, none before the work was assigned
        met = worked.state.milestones.get(d.id, {})
        days = [met[name] for name, _ in MILESTONES if name in met]
        assert days == sorted(days) and all(day >= d.opens_day for day in days)
        assert list(met) == [name for name, _ in MILESTONES][:len(met)]
    assert any("final" in met for met in worked.state.milestones.values()), "some work is signed off"
    made, due = on_time(worked.setup, worked.state)
    assert 0 < made <= due
    assert worked.day_reaching(0.9) >= 10  # not day 2: the last wave and its sign-offs come late
    assert worked.turns >= 150 and worked.planning_turns >= 4
    assert play_month(computers["windows"], "random", DAYS, tmp_path / "random").score <= 0.1


def test_stats_post_sets_table_3_beside_the_paper() -> None:
    summary = FinishedSim(sim_id="win-1-scripted-s0", days=20, turns=220, planning_turns=15, messages_sent=50,
                          messages_received=55, files_shared_to_user=6, files_created=20, files_revised=4,
                          files_start=110, files_end=130, new_folders=2, score=0.8, env_seconds=3.0,
                          policy_seconds=1.0, collaborators=5)
    console = Console(record=True, width=160)
    print_simulations([summary], console)
    text = console.export_text()
    assert "Paper mean" in text and "# Communications" in text and "105" in text
    assert f"{PAPER_TABLE3['turns']:g}" in text and "# New folders" in text
