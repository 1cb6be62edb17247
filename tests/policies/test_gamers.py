"""The policies that try to win without working: they see only what an agent sees, play
whole days without surprises, write their files, and are seeded and unbreakable.

Their scores are compared in ``bench/bench_reward.py`` (BENCHMARKS.md, "Reward
integrity"); the month-level checks at the end of this file hold them to the targets.
"""

from __future__ import annotations

import ast
import json
import pickle
import re
import statistics
from pathlib import Path

import pytest

import synthcomp.policies.gamers as gamers
from synthcomp.computer.artifacts.extract import extract_text
from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.policies import Policy
from synthcomp.sim.playthrough import play_month
from synthcomp.workspace import computer_dirs

from tests.policies.conftest import play_day

FAKERS = {"lorem": gamers.LoremPolicy, "gamer": gamers.GamerPolicy, "template": gamers.TemplatePolicy,
          "parrot": gamers.ParrotPolicy, "copy": gamers.CopyPolicy}
ALLOWED_IMPORTS = {"__future__", "csv", "io", "logging", "random", "re", "dataclasses", "typing",
                   "synthcomp.policies.observations"}
"""Parsing text and writing specs: nothing that reaches files, the OS or the env's insides."""


def tools(day) -> list[str]:
    return [a["tool"] for a in day.actions]


def _text(env, path: str) -> str:
    return extract_text(path.rsplit(".", 1)[-1].lower(), env.unwrapped.sandbox.read_bytes(path))


def test_the_fakers_see_only_what_an_agent_sees() -> None:
    """No judge, rubric, setup, truth or env state; no files but through tools; no score."""
    tree = ast.parse(Path(gamers.__file__).read_text())
    imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert imported <= ALLOWED_IMPORTS, imported - ALLOWED_IMPORTS
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    assert not called & {"open", "eval", "exec", "__import__", "getattr", "globals"}
    strings = {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    assert "score" not in strings, "a faker must not read info['score']"


@pytest.mark.parametrize("name", list(FAKERS))
def test_three_days_without_surprises_and_every_output_written(name: str, computers: list[Path], make_env) -> None:
    env = make_env(computers[0], days=3)
    policy = FAKERS[name](seed=0)
    assert isinstance(policy, Policy) and policy.name == name
    days = [play_day(env, policy) for _ in range(3)]
    assert all(d.ended and not d.out_of_steps and d.errors == 0 for d in days), [d.errors for d in days]
    assert days[-1].terminated
    for action in (a for d in days for a in d.actions):
        json.dumps(action)
        assert not action["tool"].startswith("_"), "markers never reach the env"
    outputs = [o.path for d in env.unwrapped.state.deliverables for o in d.outputs]
    for path in outputs:
        assert _text(env, path).strip(), f"{name} left {path} empty"
    written = [a["args"]["path"] for d in days for a in d.actions if a["tool"] in {"create_document", "write_file"}]
    assert set(written) == set(outputs), "it writes its outputs and nothing else"


def test_lorem_writes_filler_on_day_one_then_only_ends_days(computers: list[Path], make_env) -> None:
    env = make_env(computers[1], days=3)
    policy = gamers.LoremPolicy()
    days = [play_day(env, policy) for _ in range(3)]
    outputs = [o.path for d in env.unwrapped.state.deliverables for o in d.outputs]
    assert tools(days[0]) == ["create_document"] * len(outputs) + ["end_day"]
    assert tools(days[1]) == tools(days[2]) == ["end_day"]
    report = next(p for p in outputs if p.endswith(".docx"))
    text = _text(env, report)
    assert "Lorem ipsum" in text or "lorem" in text.lower()
    assert all(h in text for h in ("Executive summary", "Risks and issues", "Next steps", "Recommendations"))


def test_the_gamer_asks_everyone_reads_everything_and_pastes_it_all(computers: list[Path], make_env) -> None:
    env = make_env(computers[0], days=3)
    policy = gamers.GamerPolicy()
    days = [play_day(env, policy) for _ in range(3)]
    state = env.unwrapped.state
    sources = {p for d in state.deliverables for p in d.sources}
    read = {a["args"]["path"] for a in days[0].actions if a["tool"] == "read_file"}
    assert sources <= read
    asks = [a["args"] for a in days[0].actions if a["tool"] == "send_message"]
    assert sorted(a["to"] for a in asks) == sorted(days[0].start["collaborators"])
    assert {a["body"] for a in asks} == {gamers.GamerPolicy.ASK}
    assert all(tools(d)[0] == "check_inbox" for d in days[1:])
    assert "create_document" in tools(days[1]), "new replies: it rewrites"
    assert any(m.attachments for m in state.outbox), "drafts go out for review"
    replies = [m for m in state.inbox if m.deliver_day <= 2 and m.sender != "me"]
    report = next(o.path for d in state.deliverables for o in d.outputs if o.path.endswith(".docx"))
    text = _text(env, report)
    assert all(h in text for h in gamers.HEADINGS)
    pasted = [line.strip() for m in replies for line in m.body.splitlines() if len(line.strip()) > 30]
    assert pasted and all(line[:40] in text for line in pasted[:10]), "replies pasted in whole"


def test_the_template_quotes_sum_and_mean_of_its_own_sources_only(computers: list[Path], make_env) -> None:
    env = make_env(computers[0], days=2)
    policy = gamers.TemplatePolicy()
    for _ in range(2):
        play_day(env, policy)
    state = env.unwrapped.state
    d = env.unwrapped.setup.deliverables[0]
    text = _text(env, next(o.path for o in d.outputs if o.path.endswith(".docx")))
    table = next(t for t in policy.tables if t.source in d.sources and t.numeric_columns())
    values = table.column_values(table.numeric_columns()[0])
    assert gamers._figure(sum(values)) in text and gamers._figure(sum(values) / len(values)) in text
    assert not any(m.body.splitlines()[0] in text for m in state.inbox if m.body.strip()), "nothing pasted"


def test_the_parrot_quotes_what_it_is_told_and_computes_nothing(computers: list[Path], make_env) -> None:
    env = make_env(computers[0], days=4)
    policy = gamers.ParrotPolicy()
    for _ in range(4):
        play_day(env, policy)
    state, truth = env.unwrapped.state, env.unwrapped.setup.truth
    told = re.compile(r"The (.+?) for (.+?) is (?:[A-Z]{3} )?([\d,]+\.\d\d)\.")
    replies = [msg.body for msg in state.inbox if msg.subject.startswith("RE:")]
    assert any(" is the total of " in body for body in replies)  # it asked: the holders said how to compute theirs
    for d in state.deliverables:
        project = d.title.split(":")[0].strip()
        stated = {m.group(3) for body in replies for m in told.finditer(body) if m.group(2) == project}
        text = _text(env, next(o.path for o in d.outputs if o.path.endswith(".docx")))
        assert all(v in text for v in stated), (d.id, stated)
        shared = {a.rsplit("\\", 1)[-1].rsplit("/", 1)[-1] for msg in state.inbox for a in msg.attachments}
        held = [f for f in truth.figures(project=truth.project_of(d.id).code) if f.ledger and f.ledger.file in shared]
        assert all(f.quoted in text for f in held), "it sums the rows a holder said to sum"
        for t in (t for t in policy.tables if t.source in d.sources):
            for j in t.numeric_columns():
                values = t.column_values(j)
                assert gamers._figure(sum(values)) not in text, "it never totals a column"


def test_copy_saves_a_similar_document_of_the_project(computers: list[Path], make_env) -> None:
    env = make_env(computers[0], days=2)
    policy = gamers.CopyPolicy()
    days = [play_day(env, policy) for _ in range(2)]
    assert tools(days[0])[0] == "search_files" and tools(days[1]) == ["end_day"]
    for d in env.unwrapped.state.deliverables:
        for o in d.outputs:
            output = next(x for x in policy.outputs if x.path == o.path)
            source = gamers.most_similar(output, [*policy.found.get(output.project, []),
                                                  *policy.named.get(output.project, []), *output.sources])
            assert source is not None and source in policy.bodies
            copied = set(re.findall(r"[a-z]{4,}", _text(env, o.path).lower()))
            original = set(re.findall(r"[a-z]{4,}", policy.bodies[source][:3000].lower()))
            assert len(original & copied) >= 0.8 * len(original), (o.path, source)


@pytest.mark.parametrize("name", list(FAKERS))
def test_same_seed_same_calls(name: str, computers: list[Path], make_env) -> None:
    runs = []
    for _ in range(2):
        env = make_env(computers[1], days=2)
        policy = FAKERS[name](seed=3)
        runs.append([a for _ in range(2) for a in play_day(env, policy).actions])
    assert runs[0] == runs[1]


@pytest.mark.parametrize("name", list(FAKERS))
def test_a_pickled_faker_resumes_the_month(name: str, computers: list[Path], make_env) -> None:
    """As the simulation runner does: checkpoint after a day, resume with the copy."""
    env = make_env(computers[2], days=3)
    policy = FAKERS[name]()
    play_day(env, policy)
    clone = pickle.loads(pickle.dumps(policy))
    second = play_day(env, clone)
    assert second.ended and second.errors == 0


JUNK = [
    (None, None), ("", {}), ("error: nope", {"tool_error": True}), ("x" * 10_000, {"objectives": "junk"}),
    ("inbox: 1 unread\nNEW [m1] from Someone, day 0: hi\n- please make these changes\nattachments (saved): ",
     {"objectives": [{"id": "D1", "title": 3, "outputs": [{"path": "a.docx"}, "x", {"path": 5}],
                      "sources": "not a list", "collaborators": [None, "Ann"]}], "day": "one", "steps_left": 7}),
    ("/a.docx\n# T\nrow | 1 | 2\n", {"objectives": [], "collaborators": "Ann", "steps_left": 1}),
    ("3 match(es) for 'x':\n/a.docx\n/b.xlsx", {"day": 2, "inbox_unread": "many"}),
]


@pytest.mark.parametrize("name", list(FAKERS))
def test_odd_observations_and_info_never_break_a_faker(name: str) -> None:
    policy = FAKERS[name](seed=1)
    for _ in range(3):
        for observation, info in JUNK:
            action = policy.act(observation, info)  # type: ignore[arg-type]
            assert isinstance(action, dict) and isinstance(action.get("tool"), str) and isinstance(action["args"], dict)
            assert not action["tool"].startswith("_")
            json.dumps(action)
        policy.reset()


# ---------------------------------------------------------------------- whole months (reward integrity)

DAYS = 10


@pytest.fixture(scope="module")
def five(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    out = tmp_path_factory.mktemp("gamers-ws")
    create_computers(CreateRequest.from_cli(out=out, n=5, seed=23, os_name="mixed", personas=None, workers=2))
    return list(computer_dirs(out))


def test_policies_that_do_not_work_lose_and_the_worker_wins(five: list[Path], tmp_path: Path) -> None:
    scores: dict[str, list[float]] = {}
    for policy in ("random", "lorem", "gamer", "template", "copy", "parrot", "scripted", "thorough"):
        for i, computer in enumerate(five):
            played = play_month(computer, policy, DAYS, tmp_path / f"{policy}-{i}")
            scores.setdefault(policy, []).append(played.score)
    means = {p: statistics.fmean(s) for p, s in scores.items()}
    print("\nmean score over 5 computers, 10-day months: " + ", ".join(f"{p} {m:.3f}" for p, m in means.items()))
    assert all(means[p] <= 0.35 for p in ("random", "lorem", "gamer", "template", "copy")), means
    assert means["thorough"] >= 0.7, means
    assert min(scores["thorough"]) > max(max(s) for p, s in scores.items() if p not in {"scripted", "thorough"}), scores
    fakers = max(means[p] for p in ("random", "lorem", "gamer", "template", "copy"))
    # half the work (asking, not computing) earns between; the worker that never revises earns less than one that does
    assert fakers < means["parrot"] < means["scripted"] < means["thorough"], means
