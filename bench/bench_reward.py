"""Reward integrity: policies that do not do the work against the worker that does it.

Each policy plays a 10-day month on the same fresh computers (the fake sandbox; the
procedural setup and judge, as a simulation runs them) and its final score is the sum of
its rewards. The policies that try not to work see only the observation and ``info``
(``synthcomp/policies/gamers.py``): random tool calls, lorem filler, the keyword stuffer
that pastes everything it saw, the careful template writer that quotes every column's
sum *and* mean, and last month's report re-saved. The parrot does half the work: it asks
the holders, reports what they say and sums the ledger rows they say to sum, but never totals
a data file and writes generic prose. The baseline is the scripted worker out of the box; "thorough"
is the same worker with every practice a skill can teach. Then the distribution of the
thorough worker's score over ``DISTRIBUTION`` computers. Targets (issue "Reward
integrity"): every faker <= 0.35 mean over >= 5 computers, the worker that does the work
(thorough: it revises after feedback and new figures, which a month with revised figures and
sign-offs demands) >= 0.7, and half the work between the fakers and the worker.

``python -m bench.bench_reward --compared 5 --distribution 10 --write`` runs it with
other counts and writes its section into BENCHMARKS.md (``make bench`` runs the defaults).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.sim.playthrough import play_month
from synthcomp.workspace import computer_dirs

DAYS = 10
COMPARED = 6
DISTRIBUTION = 50
FAKERS = {
    "random": "random tool calls",
    "lorem": "lorem ipsum under the expected headings, day 1",
    "gamer": "every word, number (sums and means), reply and source pasted in; rewrites on mail",
    "template": "generic prose with labels dropped in; each column's sum and mean",
    "copy": "the project's most similar document re-saved",
}
PARTIAL = {"parrot": "half the work: asks the holders, reports what they say, sums the ledger rows they name; "
                     "never totals a data file; generic prose"}
"""Policies that do part of the work: their score should sit between the fakers' and the worker's."""
WORKERS = {"scripted": "the scripted worker out of the box", "thorough": "the scripted worker with every practice"}


def _scores(computers: list[Path], policy: str, scratch: Path) -> list[float]:
    return [play_month(c, policy, DAYS, scratch / f"{policy}-{i}").score for i, c in enumerate(computers)]


def _quantile(values: list[float], q: float) -> float:
    """The nearest-rank quantile: a value that was measured."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(compared: int = COMPARED, distribution: int = DISTRIBUTION) -> str:
    """The BENCHMARKS.md section: every policy on ``compared`` computers, the thorough
    worker on ``max(compared, distribution)``."""
    total = max(compared, distribution)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        create_computers(CreateRequest.from_cli(out=root / "ws", n=total, seed=47, os_name="mixed",
                                                personas=None, workers=2))
        computers = list(computer_dirs(root / "ws"))
        create_s = time.perf_counter() - started
        table, seconds = {}, {}
        for policy in [*FAKERS, *PARTIAL, *WORKERS]:
            started = time.perf_counter()
            table[policy] = _scores(computers[:compared], policy, root / "runs")
            seconds[policy] = time.perf_counter() - started
        started = time.perf_counter()
        spread = table["thorough"] + _scores(computers[compared:], "thorough", root / "spread")
        spread_s = time.perf_counter() - started + seconds["thorough"]
    rows = [f"| {p} | {statistics.fmean(s):.3f} | {min(s):.3f} | {max(s):.3f} | {seconds[p] / len(s):.1f} s | {what} |"
            for p, what in {**FAKERS, **PARTIAL, **WORKERS}.items() for s in [table[p]]]
    over = [p for p in FAKERS if statistics.fmean(table[p]) > 0.35]
    worker_ok = statistics.fmean(table["thorough"]) >= 0.7
    between = all(max(statistics.fmean(table[f]) for f in FAKERS) < statistics.fmean(table[p])
                  < statistics.fmean(table["scripted"]) for p in PARTIAL)
    return "\n".join([
        "## Reward integrity",
        "",
        f"{compared} fresh computers, a {DAYS}-day month each on the fake sandbox; the score is the month's summed "
        "reward (= the final rubric score). The fakers see only the observation and `info` "
        "(`synthcomp/policies/gamers.py`); `docs/reward.md` says what each criterion rewards.",
        "",
        "| policy | mean | min | max | per month | what it does |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
        f"Targets: every faker <= 0.35 mean ({'met' if not over else 'NOT met by ' + ', '.join(over)}); the thorough "
        f"worker >= 0.7 ({'met' if worker_ok else 'NOT met'}); half the work scores between the fakers and the "
        f"scripted worker ({'met' if between else 'NOT met'}).",
        "",
        f"The thorough worker over {len(spread)} computers: mean {statistics.fmean(spread):.3f}, "
        f"p10 {_quantile(spread, 0.1):.3f}, p50 {_quantile(spread, 0.5):.3f}, p90 {_quantile(spread, 0.9):.3f}, "
        f"min {min(spread):.3f}, max {max(spread):.3f} ({spread_s:.0f} s of months; the {total} computers took "
        f"{create_s:.0f} s to create on 2 workers).",
    ])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compared", type=int, default=COMPARED, help="computers every policy plays (>= 1)")
    parser.add_argument("--distribution", type=int, default=DISTRIBUTION,
                        help="computers the thorough worker plays for its score distribution")
    parser.add_argument("--write", action="store_true", help="put the section into BENCHMARKS.md")
    args = parser.parse_args(argv)
    if args.compared < 1:
        parser.error("--compared must be at least 1")
    started = time.perf_counter()
    section = run(args.compared, args.distribution)
    print(section)
    print(f"\n({time.perf_counter() - started:.0f} s)")
    if args.write:
        from bench.__main__ import splice

        print(f"wrote {splice(section)}")


if __name__ == "__main__":
    main()
