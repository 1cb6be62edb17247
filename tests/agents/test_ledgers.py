"""Held figures are computed, never told: each lives in its holder's ledger, among rows that
do not count, and the worker gets it only by filtering and summing the right rows."""

from __future__ import annotations

from pathlib import Path

import openpyxl

from synthcomp.agents import ledgers, truth
from synthcomp.agents.collaborators import availability
from synthcomp.agents.criteria import figures
from synthcomp.agents.criteria.reading import read_deliverable
from synthcomp.agents.setup import SetupPlan, procedural_setup, write_private_files
from synthcomp.computer.artifacts.extract import extract_text
from synthcomp.computer.show import load_computer
from synthcomp.ospath import tree_reader
from synthcomp.policies.drafting import Brief, Reply, SourceNote
from synthcomp.policies.observations import sheet_tables


def _setup(computer_dir: Path) -> tuple[SetupPlan, object]:
    computer = load_computer(computer_dir)
    return procedural_setup(computer, tree_reader(computer_dir / "files", computer.policy.os), seed=0, days=20), computer


def _held(setup: SetupPlan) -> list[tuple[truth.Figure, str]]:
    return [(f, p.name) for p in setup.truth.projects for f in p.figures if f.ledger is not None]


def test_a_held_figure_is_the_total_of_its_counted_rows_among_tens_that_do_not_count(
        computers: dict[str, Path], tmp_path: Path) -> None:
    for computer_dir in computers.values():
        setup, computer = _setup(computer_dir)
        write_private_files(setup, computer, tmp_path)
        assert _held(setup)
        for figure, _ in _held(setup):
            ledger = figure.ledger
            book = openpyxl.load_workbook(tmp_path / ledger.file)
            assert book.sheetnames == [ledger.sheet, f"{ledger.sheet} (prior year)", "Notes"]
            rows = list(book[ledger.sheet].iter_rows(values_only=True))
            header, body = [str(h) for h in rows[0]], rows[1:]
            assert ledger.status_column in header and ledger.amount in header
            assert len(body) >= 24  # tens of rows: the figure has to be computed
            status, amount = header.index(ledger.status_column), header.index(ledger.amount)
            assert {r[status] for r in body} - {ledger.status}  # rows of other statuses sit beside the counted ones
            assert ledgers.total(book, ledger) == figure.value
            assert round(sum(r[amount] for r in body), 2) != figure.value  # summing every row is wrong
            assert figure.quoted not in extract_text("xlsx", (tmp_path / ledger.file).read_bytes())


def test_the_same_truth_writes_the_same_ledgers(computers: dict[str, Path], tmp_path: Path) -> None:
    setup, computer = _setup(computers["windows"])
    write_private_files(setup, computer, tmp_path / "a")
    write_private_files(setup, computer, tmp_path / "b")
    for item in setup.private_files:
        assert (tmp_path / "a" / item.name).read_bytes() == (tmp_path / "b" / item.name).read_bytes()


def test_holders_say_how_to_compute_a_figure_and_share_the_ledger_never_its_total(computers: dict[str, Path]) -> None:
    setup, _ = _setup(computers["macos"])
    titles = {d.id: d.title for d in setup.deliverables}
    for figure, name in _held(setup):
        holder = next(c for c in setup.collaborators if c.name == figure.holder).model_copy(update={"reliability": 1.0})
        now = availability(holder, setup.truth, titles, 5, str, first_answer=True)
        said = "\n".join([*now.facts, *holder.knowledge])
        assert figure.quoted not in said
        assert truth.statement(figure, name, 5) in now.facts and figure.ledger.file in now.files


def test_a_partial_first_answer_shares_only_the_ledgers_of_what_it_gives(computers: dict[str, Path]) -> None:
    setup, _ = _setup(computers["windows"])
    project = next(p for p in setup.truth.projects if sum(f.ledger is not None for f in p.figures) >= 2)
    holder = next(c for c in setup.collaborators if c.name == project.figures[-1].holder)
    held = [f for f in project.figures if f.ledger is not None][:2]
    moved = [f.model_copy(update={"holder": holder.name}) if f in held else f for f in project.figures]
    one = setup.truth.model_copy(update={"projects": [
        p.model_copy(update={"figures": moved}) if p.code == project.code else p for p in setup.truth.projects]})
    titles = {d.id: d.title for d in setup.deliverables}
    unsure = holder.model_copy(update={"reliability": 0.8})
    now = availability(unsure, one, titles, 4, str, first_answer=True)
    assert any(p.what.startswith("still confirming") for p in now.pending)
    assert len(now.files) == len([f for f in moved if f.holder == holder.name and f.ledger]) // 2
    later = availability(unsure, one, titles, 6, str, first_answer=False)
    assert {f.ledger.file for f in held} <= set(later.files)


def test_once_revised_the_holder_states_the_new_value(computers: dict[str, Path]) -> None:
    setup, _ = _setup(computers["macos"])
    figure, name = _held(setup)[0]
    revised = figure.model_copy(update={"revised": figure.value + 100, "revised_day": 8})
    assert truth.statement(revised, name, 7).startswith(f"The {figure.name.lower()} for {name} is the total of")
    assert truth.statement(revised, name, 8) == truth.fact(revised.on(8), name)


def test_the_worker_computes_a_ledger_figure_as_the_truth_quotes_it(computers: dict[str, Path], tmp_path: Path) -> None:
    setup, computer = _setup(computers["windows"])
    write_private_files(setup, computer, tmp_path)
    deliverable = setup.deliverables[0]
    for figure, name in _held(setup):
        text = extract_text("xlsx", (tmp_path / figure.ledger.file).read_bytes())
        note = SourceNote(path=f"C:\\Users\\me\\Downloads\\{figure.ledger.file}", status="read", shared=True,
                          tables=sheet_tables(text, figure.ledger.file))
        said = truth.statement(figure, name, 0)
        brief = Brief(deliverable=deliverable, sources=[note], replies=[Reply(sender=figure.holder, day=1, facts=[said])],
                      awaiting=[], currency=figure.currency, revision=0, date="")
        assert brief.computed(said) == truth.fact(figure, name)
        unread = Brief(deliverable=deliverable, sources=[], replies=[], awaiting=[], currency="", revision=0, date="")
        assert unread.computed(said) == said  # not read yet: the rule stands, with no number


def test_a_number_in_a_figures_own_unit_is_not_its_value() -> None:
    rate = truth.Figure(id="F1", label="Accident frequency rate (per 100,000 h)", value=0.25, decimals=2, how="mean")
    right = read_deliverable("r.md", b"The accident frequency rate (per 100,000 h) was 0.25 this month.\n")
    assert [f.right for f in figures.findings(right, [rate])] == [True]
    inside = read_deliverable("r.md", b"The accident frequency rate (0.25) held.\n")
    assert [f.number.value for f in figures.findings(inside, [rate])] == [0.25]  # another parenthesis is read


def test_a_project_name_with_a_slash_still_names_one_flat_ledger_file() -> None:
    name = truth.ledger_file("Autumn/winter range planning", "Budget lines", "Ana Lopez")
    assert name == "Autumn_winter_range_budget_lines_Ana_Lopez.xlsx" and "/" not in name and "\\" not in name
