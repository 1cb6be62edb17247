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

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str]) -> None:
    wanted = argv[0] if argv else ""
    names = sorted(p.stem for p in (ROOT / "bench").glob("bench_*.py") if wanted in p.stem)
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
        "baseline of the same run.\n"
    )
    out = ROOT / "BENCHMARKS.md"
    if wanted and out.exists():
        print(f"partial run: printing instead of overwriting {out.name}\n")
        print("\n\n".join(sections))
        return
    out.write_text(header + "\n" + "\n\n".join(sections) + "\n")
    print(f"wrote {out}")


def _cores() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    main(sys.argv[1:])
