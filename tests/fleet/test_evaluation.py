"""Held-out evaluation: the train / held-out split, the sign test, and skills raising the
scripted policy's score on computers they were not mined from (issue 10)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synthcomp.agents.skill_index import SkillGroup, SkillIndex
from synthcomp.cli import app
from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.errors import InputError
from synthcomp.fleet.evaluation import evaluate, sign_test
from synthcomp.pool.executor import LocalExecutor
from synthcomp.fleet.simulations import run_simulations
from synthcomp.fleet.split import Split, load_split, make_split, select_computers
from synthcomp.sim.config import SimConfig, SimSettings
from synthcomp.sim.runner import run_simulation, sim_dir_for
from synthcomp.skillmd import front_matter
from synthcomp.workspace import computer_dir, sim_dirs

DAYS = 6
SETTINGS = SimSettings(policy="scripted", days=DAYS, sandbox="local")
PRACTICES = ["wait-for-data-owners", "revise-after-feedback"]


def _fake_computers(ws: Path, ids: list[str]) -> None:
    """Just enough of a computer for the split, which only reads ids."""
    for i in ids:
        path = computer_dir(ws, i)
        path.mkdir(parents=True)
        (path / "computer.json").write_text("{}")


def _ids(n: int, start: int = 0) -> list[str]:
    return [f"win-{i:04x}{'0' * 6}" for i in range(start, start + n)]


def _skills(root: Path, groups: list[tuple[str, str, str]], train: list[str]) -> Path:
    """A skills directory by hand: (name, group, key) skills teaching PRACTICES."""
    for name, _, _ in groups:
        (root / name).mkdir(parents=True)
        (root / name / "SKILL.md").write_text(front_matter(name, "Office work lessons.", {"practices": PRACTICES})
                                              + "\n1. Wait for the data owners, then revise after feedback.\n")
    index = SkillIndex(groups=[SkillGroup(name=n, group=g, key=k, practices=PRACTICES, simulations=[], computers=[])
                               for n, g, k in groups], train_computers=train)
    (root / "index.json").write_text(index.model_dump_json(indent=1))
    return root


# ---------------------------------------------------------------------------- split


def test_the_split_is_stable_and_independent_of_creation_order(tmp_path: Path) -> None:
    ids = _ids(20)
    _fake_computers(tmp_path / "a", ids)
    _fake_computers(tmp_path / "b", ids[::-1])
    first = load_split(tmp_path / "a")
    assert (tmp_path / "a" / "split.json").is_file(), "made on first use"
    assert first == load_split(tmp_path / "b") == make_split(tmp_path / "a", 0.2)
    assert Split.model_validate_json((tmp_path / "a" / "split.json").read_text()) == first
    assert len(first.held_out) == 4 and len(first.train) == 16 and first.held_out_fraction == 0.2
    assert sorted(first.train + first.held_out) == sorted(ids)


@pytest.mark.parametrize(("n", "fraction", "held_out"), [(2, 0.2, 1), (2, 0.9, 1), (5, 0.2, 1), (10, 0.25, 3),
                                                          (10, 0.5, 5), (1, 0.2, 0)])
def test_the_split_keeps_at_least_one_of_each_side(tmp_path: Path, n: int, fraction: float, held_out: int) -> None:
    _fake_computers(tmp_path, _ids(n))
    split = make_split(tmp_path, fraction)
    assert (len(split.held_out), len(split.train)) == (held_out, n - held_out)


def test_new_computers_join_the_split_without_moving_the_old_ones(tmp_path: Path) -> None:
    _fake_computers(tmp_path, _ids(10))
    before = make_split(tmp_path, 0.3)
    _fake_computers(tmp_path, _ids(200, start=10))
    after = load_split(tmp_path)
    assert set(before.train) <= set(after.train) and set(before.held_out) <= set(after.held_out)
    assert len(after.train) + len(after.held_out) == 210
    assert 0.2 < len(after.held_out) / 210 < 0.4, "new computers land by the same hash rule"
    assert Split.model_validate_json((tmp_path / "split.json").read_text()) == after, "rewritten"
    # placed by id alone: adding the same computers in another order or batch gives the same sides
    other = tmp_path / "other"
    _fake_computers(other, _ids(10))
    make_split(other, 0.3)
    _fake_computers(other, _ids(100, start=110))
    load_split(other)
    _fake_computers(other, _ids(100, start=10))
    assert load_split(other) == after


def test_select_computers_returns_the_directories_of_a_side(tmp_path: Path) -> None:
    ids = _ids(10)
    _fake_computers(tmp_path, ids)
    assert [d.name for d in select_computers(tmp_path, "all")] == sorted(ids)
    assert not (tmp_path / "split.json").exists(), "'all' needs no split"
    split = make_split(tmp_path, 0.3)
    held_out = select_computers(tmp_path, "held-out")
    assert held_out == [computer_dir(tmp_path, i) for i in split.held_out] and all(d.is_dir() for d in held_out)
    assert [d.name for d in select_computers(tmp_path, "train")] == split.train
    with pytest.raises(InputError, match="--computers must be all, train or held-out"):
        select_computers(tmp_path, "test")


def test_a_bad_split_is_refused_with_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no computers"):
        make_split(tmp_path)
    _fake_computers(tmp_path, _ids(3))
    with pytest.raises(InputError, match="between 0 and 1"):
        make_split(tmp_path, 1.0)
    (tmp_path / "split.json").write_text('{"held_out_fraction": 2}')
    with pytest.raises(InputError, match="is not a split"):
        load_split(tmp_path)
    result = CliRunner().invoke(app, ["split", str(tmp_path), "--held-out", "0.34"])
    assert result.exit_code == 0 and "2 train, 1 held-out" in result.output, result.output


# ---------------------------------------------------------------------------- sign test


def test_the_sign_test_is_the_exact_two_sided_binomial() -> None:
    assert sign_test(0, 0) == 1.0 and sign_test(5, 5) == 1.0
    assert sign_test(3, 0) == sign_test(0, 3) == 0.25
    assert sign_test(9, 1) == pytest.approx(2 * 11 / 1024)
    assert sign_test(83, 17) == pytest.approx(1.31e-11, rel=0.01)


def test_a_simulation_started_with_other_settings_is_not_taken_for_this_one(tmp_path: Path) -> None:
    _fake_computers(tmp_path, _ids(1))
    computer = computer_dir(tmp_path, _ids(1)[0])
    earlier = SimConfig(computer=computer, policy="scripted", days=6, sandbox="local")
    sim = sim_dir_for(earlier)
    sim.mkdir(parents=True)
    (sim / "sim.json").write_text(earlier.model_dump_json())
    (sim / "summary.json").write_text('{"score": 0.5}')
    with pytest.raises(InputError, match="started with other settings \\(days 6, not 20\\)"):
        run_simulations(tmp_path, LocalExecutor(1), [earlier.model_copy(update={"days": 20})])
    assert run_simulations(tmp_path, LocalExecutor(1), [earlier]).skipped == [earlier.sim_id]


# ---------------------------------------------------------------------------- evaluation


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Five procedural computers, two of them held out."""
    ws = tmp_path_factory.mktemp("evaluation") / "ws"
    create_computers(CreateRequest.from_cli(out=ws, n=5, seed=3, os_name="mixed", personas=None, workers=2))
    make_split(ws, 0.4)
    return ws


@pytest.mark.bwrap
def test_skills_from_training_computers_raise_held_out_scores(workspace: Path, tmp_path: Path) -> None:
    split = load_split(workspace)
    skills = _skills(tmp_path / "skills", [("general-office-work", "general", "*")], split.train)
    held_out = select_computers(workspace, "held-out")
    result = evaluate(workspace, LocalExecutor(2), SETTINGS, skills_dir=skills, computers=held_out)
    rows, summary = result.computers, result.summary
    assert [r.computer_id for r in rows] == split.held_out and all(r.skill == "general-office-work" for r in rows)
    assert summary.mean_with_skills >= summary.mean_baseline
    assert any(r.with_skills > r.baseline for r in rows) and summary.wins >= 1
    assert summary.n == len(rows) and summary.win_rate == summary.wins / summary.n
    written = json.loads((workspace / "evaluations" / "scripted-skills-s0.json").read_text())
    assert written == json.loads(result.model_dump_json())

    # without skills nothing changes: the baselines are what a plain simulation scores
    plain = tmp_path / "plain"
    for d in held_out:
        shutil.copytree(d, computer_dir(plain, d.name))
    configs = [SimConfig(computer=computer_dir(plain, r.computer_id), policy="scripted", days=DAYS, sandbox="local",
                         seed=0) for r in rows]
    runs = LocalExecutor(2).run(run_simulation, configs, [r.computer_id for r in rows])  # in parallel
    assert {o.key: o.value.score for o in runs} == {r.computer_id: r.baseline for r in rows}

    # the CLI reuses the finished simulations and prints the paired comparison
    simulated = len(list(sim_dirs(workspace)))
    output = CliRunner().invoke(app, ["evaluate", str(workspace), "--skills", str(skills), "--days", str(DAYS),
                                      "--sandbox", "local", "--concurrency", "2"])
    assert output.exit_code == 0, output.output
    assert f"wins: {summary.wins}/{summary.n} ({summary.win_rate:.1%})" in output.output
    assert f"mean score: {summary.mean_baseline:.1%} -> {summary.mean_with_skills:.1%}" in output.output
    assert "sign test p=" in output.output and len(list(sim_dirs(workspace))) == simulated

    # a skills directory with nothing for these computers: ties by definition, nothing simulated
    unmatched = _skills(tmp_path / "unmatched", [("astronaut", "occupation", "Astronaut")], split.train)
    none = evaluate(workspace, LocalExecutor(2), SETTINGS, skills_dir=unmatched, computers=held_out)
    assert all(r.skill is None and r.with_skills == r.baseline for r in none.computers)
    assert none.summary.ties == none.summary.n and none.summary.sign_test_p == 1.0
    assert len(list(sim_dirs(workspace))) == simulated


def test_skills_mined_from_an_evaluated_computer_are_refused(workspace: Path, tmp_path: Path) -> None:
    held_out = load_split(workspace).held_out
    leaky = _skills(tmp_path / "leaky", [("general-office-work", "general", "*")], [held_out[0]])
    result = CliRunner().invoke(app, ["evaluate", str(workspace), "--skills", str(leaky), "--days", str(DAYS),
                                      "--sandbox", "local"])
    assert result.exit_code == 2
    assert f"was mined from 1 of the evaluated computers ({held_out[0]})" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert not (workspace / "evaluations" / "scripted-leaky-s0.json").exists()
