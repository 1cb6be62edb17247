"""One truth per project: the world agrees with itself, and the check finds it when it does not."""

from __future__ import annotations

import io
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from synthcomp import measures
from synthcomp.agents import consistency
from synthcomp.agents.setup import procedural_setup
from synthcomp.cli import app
from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.computer.show import load_computer
from synthcomp.ospath import to_physical, tree_reader


def test_fifty_computers_hold_no_contradiction(tmp_path: Path) -> None:
    create_computers(CreateRequest.from_cli(out=tmp_path, n=50, seed=11, os_name="mixed", personas=None, workers=2))
    result = CliRunner().invoke(app, ["consistency", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "50 computer(s) checked: 0 contradiction(s)" in result.output


def test_rates_are_averaged_and_money_keeps_its_currency() -> None:
    assert measures.how_to_total("Probability of default (%)") == "mean"
    assert measures.how_to_total("Grain moisture (%)") == "mean"
    assert measures.how_to_total("Turbidity (NTU)") == "mean"
    assert measures.how_to_total("Loan balance (JPY)") == "sum"
    assert measures.how_to_total("Patients seen (patients)") == "sum"
    assert measures.how_to_total("Average settlement time (days)") == "mean"
    assert measures.quote(1234567, 0, "JPY") == "JPY 1,234,567"


def test_the_check_finds_a_summed_percentage_and_a_foreign_currency(computers: dict[str, Path]) -> None:
    computer_dir = computers["windows"]
    computer = load_computer(computer_dir)
    read = tree_reader(computer_dir / "files", computer.policy.os)
    assert consistency._workbooks(computer, read) == []
    target = next(f for f in computer.plan.files if f.artifact_type == "xlsx" and f.content_mode == "synthesize")
    on_disk = computer_dir / "files" / to_physical(computer.policy.os, target.path)
    book = openpyxl.load_workbook(io.BytesIO(on_disk.read_bytes()))
    sheet = book.worksheets[0]
    sheet["Z1"], sheet["Z2"], sheet["Z3"] = "Default rate (%)", 1.5, "=SUM(Z2:Z2)"
    sheet["Y1"], sheet["Y2"] = "Fee (EUR)", 10.0
    sheet["Y2"].number_format = '"$"#,##0.00'
    original = on_disk.read_bytes()
    try:
        book.save(on_disk)
        found = [str(c) for c in consistency._workbooks(computer, read)]
    finally:
        on_disk.write_bytes(original)
    assert any("SUM of 'Default rate (%)'" in f for f in found)
    assert any("for a EUR column" in f for f in found)


def test_the_check_finds_collaborators_who_disagree(computers: dict[str, Path]) -> None:
    computer_dir = computers["macos"]
    computer = load_computer(computer_dir)
    setup = procedural_setup(computer, tree_reader(computer_dir / "files", computer.policy.os), seed=0, days=20)
    assert consistency._collaborators(setup) == []
    holder = next(c for c in setup.collaborators if any(ch.isdigit() for k in c.knowledge for ch in k)
                  and not c.knowledge[0].startswith("The final"))
    other = next(c for c in setup.collaborators if c.name != holder.name)
    bent = holder.knowledge[0].rsplit(" ", 1)[0] + " 1.00."
    broken = setup.model_copy(update={"collaborators": [
        c.model_copy(update={"knowledge": [*c.knowledge, bent]}) if c.name == other.name else c
        for c in setup.collaborators]})
    found = [str(c) for c in consistency._collaborators(broken)]
    assert any("which the truth does not hold" in f for f in found)
    assert any("by different people" in f for f in found)


def test_private_files_are_named_per_holder_and_hold_their_figures(computers: dict[str, Path]) -> None:
    for computer_dir in computers.values():
        computer = load_computer(computer_dir)
        setup = procedural_setup(computer, tree_reader(computer_dir / "files", computer.policy.os), seed=0, days=20)
        names = [f.name for f in setup.private_files]
        assert len(set(names)) == len(names)
        assert all(f.collaborator.replace(" ", "_") in f.name for f in setup.private_files)
        holders = {f.id: f.holder for p in setup.truth.projects for f in p.figures if f.holder}
        assert all(holders[x] == f.collaborator for f in setup.private_files for x in f.figures)


def test_a_moved_deadline_is_always_in_the_future(computers: dict[str, Path]) -> None:
    for computer_dir in computers.values():
        computer = load_computer(computer_dir)
        for seed in range(12):
            setup = procedural_setup(computer, tree_reader(computer_dir / "files", computer.policy.os), seed, days=20)
            assert consistency._events(setup, 20) == []
            for event in (e for e in setup.events if e.kind == "moved_deadline"):
                deadline = next(d for d in setup.truth.deadlines if d.deliverable == event.deliverable)
                assert deadline.moved_to > event.day // 5 + 1 and f"week {deadline.moved_to}" in event.text


def test_same_seed_same_truth_same_rubric(computers: dict[str, Path]) -> None:
    from synthcomp.agents.rubric import build_rubric

    computer_dir = computers["windows"]
    computer = load_computer(computer_dir)
    read = tree_reader(computer_dir / "files", computer.policy.os)
    first, again = (procedural_setup(computer, read, seed=5, days=20) for _ in range(2))
    assert first.model_dump_json() == again.model_dump_json()
    assert build_rubric(first, seed=5).model_dump_json() == build_rubric(again, seed=5).model_dump_json()
    assert procedural_setup(computer, read, seed=6, days=20).truth != first.truth
