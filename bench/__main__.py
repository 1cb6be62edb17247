"""Run every benchmark module and write their sections to BENCHMARKS.md.

Each ``bench/bench_*.py`` exposes ``run() -> str``: a Markdown section whose figures are
ratios against a baseline measured in the same run, so they mean the same on any machine.
``python -m bench NAME`` runs only the modules whose name contains NAME.
"""

from __future__ import annotations

import importlib
import platform
import sys
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> None:
    wanted = argv[0] if argv else ""
    names = sorted(p.stem for p in (ROOT / "bench").glob("bench_*.py") if wanted in p.stem)
    reference_before = cpu_reference_ms()
    sections = []
    for name in names:
        print(f"running {name} ...", flush=True)
        started = time.perf_counter()
        section = importlib.import_module(f"bench.{name}").run()
        print(f"  {name}: {time.perf_counter() - started:.1f} s", flush=True)
        sections.append(section.strip())
    header = (
        "# Benchmarks\n\nWritten by `make bench` "
        f"({time.strftime('%Y-%m-%d')}, {platform.machine()}, {platform.python_version()}, "
        f"{_cores()} cores). Figures are measured in one run; ratios compare against the "
        "baseline of the same run.\n\n"
        f"CPU reference: {reference_before:.0f} ms before the benchmarks and {cpu_reference_ms():.0f} ms "
        "after, for a fixed pure-Python loop on one core (best of 5). Absolute figures and the targets "
        "stated in seconds move with it: compare two runs' seconds only after scaling by their "
        "references, and read a wide gap between the two as a machine whose speed drifted during the run.\n"
    )
    out = ROOT / "BENCHMARKS.md"
    if wanted and out.exists():
        print(f"partial run: printing instead of overwriting {out.name}\n")
        print("\n\n".join(sections))
        return
    out.write_text(header + "\n" + "\n\n".join(sections) + "\n")
    print(f"wrote {out}")


def splice(section: str) -> Path:
    """Put one benchmark's section into BENCHMARKS.md, in place of the section with the same
    ``## `` title (or at the end), leaving the others as the last full run wrote them: for a
    benchmark run alone with its own options (``python -m bench.bench_reward --write``)."""
    out = ROOT / "BENCHMARKS.md"
    title = section.strip().splitlines()[0]
    text = out.read_text() if out.exists() else "# Benchmarks\n"
    parts = text.rstrip("\n").split("\n\n## ")
    kept = [parts[0], *(f"## {p}" for p in parts[1:])]
    index = next((i for i, p in enumerate(kept) if p.splitlines()[0] == title), None)
    if index is None:
        kept.append(section.strip())
    else:
        kept[index] = section.strip()
    out.write_text("\n\n".join(kept) + "\n")
    return out


def publish(section: str, write: bool) -> None:
    """A benchmark run alone: splice its section into BENCHMARKS.md (``--write``) or print it."""
    if write:
        print(f"wrote {splice(section)}")
    else:
        print(section)


def run_alone(run: Callable[[], str], description: str) -> None:
    """``python -m bench.bench_NAME [--write]``: one benchmark with no options of its own."""
    import argparse

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--write", action="store_true", help="splice the section into BENCHMARKS.md")
    publish(run(), parser.parse_args().write)


def cpu_reference_ms() -> float:
    """One core's speed at Python, so absolute times from different machines can be compared.

    The creation and env targets are stated in seconds; the same commit measured 1.85 s
    and 3.91 s per computer on two machines of the same kind, and only this line tells
    which machine a BENCHMARKS.md came from.
    """
    best = float("inf")
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for i in range(3_000_000):
            total += i * i % 7
        best = min(best, time.perf_counter() - started)
    return best * 1000


def _cores() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    main(sys.argv[1:])
