"""The month's horizon: does the world, not the policy, set the pace?

Each computer plays a 20-day month on the fake sandbox (the procedural setup and judge,
as a simulation runs them) with the thorough scripted worker and with random tool calls.
Work arrives in waves, some figures exist only mid-month, a figure is revised, reviewers
answer on later days and sign off a version: the day the worker's cumulative reward
first reaches 90% of its final score is the measure of the horizon (the baseline is day
2, what the same worker reached before the world gated the work). Targets (issue "A month
that takes a month"): thorough final >= 0.7, that day >= 12 (median), >= 200 turns a
month, random <= 0.1. Then Table 3 of the paper beside the worker's own figures, the
file counts from each computer's tree before and after its month.

``python -m bench.bench_horizon --computers 5 --write`` runs it with another count and
writes its section into BENCHMARKS.md (``make bench`` runs the defaults).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from synthcomp.computer.stats import PAPER_TABLE3
from synthcomp.env.milestones import on_time
from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.sim.outcome import tree_growth
from synthcomp.sim.playthrough import Played, play_month
from synthcomp.workspace import computer_dirs

DAYS = 20
COMPUTERS = 10
BASELINE_DAY = 2
"""The day the thorough worker reached 90% of its final reward before the world gated the work."""


def _row(label: str, values: list[float], paper: float | None = None, digits: int = 1) -> str:
    shown = [f"{statistics.fmean(values):.{digits}f}", f"{statistics.median(values):.{digits}f}",
             f"{min(values):.{digits}f}", f"{max(values):.{digits}f}"]
    return f"| {label} | {' | '.join(shown)} | {'-' if paper is None else f'{paper:g}'} |"


def _on_time(played: Played) -> float:
    made, due = on_time(played.setup, played.state)
    return made / due if due else 0.0


def _communications(played: Played) -> int:
    state = played.state
    return len(state.outbox) + sum(1 for m in state.inbox if m.deliver_day < state.days_total)


def run(computers: int = COMPUTERS) -> str:
    """The BENCHMARKS.md section over ``computers`` fresh computers."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        create_computers(CreateRequest.from_cli(out=root / "ws", n=computers, seed=61, os_name="mixed",
                                                personas=None, workers=2))
        dirs = list(computer_dirs(root / "ws"))
        started = time.perf_counter()
        worked = [play_month(c, "thorough", DAYS, root / f"thorough-{i}", keep_files=True) for i, c in enumerate(dirs)]
        month_s = (time.perf_counter() - started) / len(dirs)
        growth = [tree_growth(c / "files", p.files) for c, p in zip(dirs, worked) if p.files is not None]
        floor = [play_month(c, "random", DAYS, root / f"random-{i}").score for i, c in enumerate(dirs)]
    reach = [d if (d := p.day_reaching(0.9)) is not None else DAYS for p in worked]
    scores = [p.score for p in worked]
    turns = [float(p.turns) for p in worked]
    checks = {
        "thorough final >= 0.7 (mean)": statistics.fmean(scores) >= 0.7,
        "90% day >= 12 (median)": statistics.median(reach) >= 12,
        ">= 200 turns (median)": statistics.median(turns) >= 200,
        "random <= 0.1 (mean)": statistics.fmean(floor) <= 0.1,
    }
    return "\n".join([
        "## Horizon: the world sets the pace",
        "",
        f"{len(dirs)} fresh computers, a {DAYS}-day month each on the fake sandbox; {month_s:.1f} s a month for the "
        "thorough worker (policy, env and daily judging).",
        "",
        "| measure | mean | median | min | max | paper mean |",
        "|---|---|---|---|---|---|",
        _row("thorough final score", scores, digits=3),
        _row("day its reward first reaches 90% of its final (0-based)", [float(r) for r in reach]),
        _row("turns", turns, PAPER_TABLE3["turns"], digits=0),
        _row("  weekly planning turns", [float(p.planning_turns) for p in worked], PAPER_TABLE3["planning_turns"], digits=0),
        _row("collaborators", [float(len(p.state.collaborators)) for p in worked], PAPER_TABLE3["collaborators"]),
        _row("communications (sent + received)", [float(_communications(p)) for p in worked],
             PAPER_TABLE3["communications"], digits=0),
        _row("files before", [float(g.files_start) for g in growth], PAPER_TABLE3["files_start"], digits=0),
        _row("files after", [float(g.files_end) for g in growth], PAPER_TABLE3["files_end"], digits=0),
        _row("  created (outputs, and files colleagues shared)", [float(g.created) for g in growth], digits=0),
        _row("  revised (files that existed before)", [float(g.revised) for g in growth], digits=0),
        _row("new folders", [float(g.new_folders) for g in growth], PAPER_TABLE3["new_folders"]),
        _row("milestones met on time (share)", [_on_time(p) for p in worked], digits=2),
        _row("random final score", floor, digits=3),
        "",
        f"Baseline: before the world gated the work the same worker reached 90% on day {BASELINE_DAY}; now on day "
        f"{statistics.median(reach):g} (median), {statistics.median(reach) / BASELINE_DAY:.1f}x later. "
        "The file counts compare each computer's tree as created with its tree at the month's end "
        "(`synthcomp stats WS --post` gives the same for real simulations).",
        "",
        "Targets: " + ", ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in checks.items()) + ".",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--computers", type=int, default=COMPUTERS)
    parser.add_argument("--write", action="store_true", help="splice the section into BENCHMARKS.md")
    args = parser.parse_args()
    from bench.__main__ import publish

    publish(run(args.computers), args.write)


if __name__ == "__main__":
    main()
