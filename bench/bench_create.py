"""Creation speed: seconds per computer on one core, computers/hour with two workers.

Baselines measured in the same run: the I/O floor (copying the finished trees, i.e.
what it costs just to put the same bytes on disk) and the one-worker run itself for the
two-worker speed-up. Target (issue 21): at most 1.5 s per paper-size computer on one core.

``python -m bench.bench_create --write`` runs it alone and writes its section into
BENCHMARKS.md, with the CPU reference of its own run (the seconds move with the machine).
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.computer.stats import computer_shape
from synthcomp.workspace import computer_dirs

N_SERIAL = 12
N_PARALLEL = 24
PAPER_FILES = 111.6
"""Table 1's mean files per computer: the size the target is stated for."""
TARGET_S = 1.5
"""Seconds per paper-size computer on one core (issue 21)."""


def _create(out: Path, n: int, workers: int, seed: int) -> tuple[float, float]:
    """Wall seconds, and CPU seconds of this process (all the work when ``workers == 1``,
    which creates in this process)."""
    request = CreateRequest.from_cli(out=out, n=n, seed=seed, os_name="mixed", personas=None, workers=workers)
    started, cpu_started = time.perf_counter(), time.process_time()
    create_computers(request)
    return time.perf_counter() - started, time.process_time() - cpu_started


def run() -> str:
    from bench.__main__ import cpu_reference_ms

    reference = cpu_reference_ms()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        serial, serial_cpu = _create(root / "serial", N_SERIAL, workers=1, seed=101)
        parallel, _ = _create(root / "parallel", N_PARALLEL, workers=2, seed=202)
        computers = list(computer_dirs(root / "serial"))
        files = [computer_shape(c)[0] for c in computers]
        started = time.perf_counter()
        for c in computers:
            shutil.copytree(c, root / "copies" / c.name)
        copy = time.perf_counter() - started
    per_computer = serial / N_SERIAL
    per_file = serial / sum(files)
    paper_size = per_file * PAPER_FILES
    paper_size_cpu = serial_cpu / sum(files) * PAPER_FILES
    per_hour = N_PARALLEL / parallel * 3600
    floor = copy / N_SERIAL
    return "\n".join([
        "## Computer creation (procedural brain)",
        "",
        f"{N_SERIAL} computers on one worker, {N_PARALLEL} on two; files per computer in the serial set: "
        f"mean {statistics.fmean(files):.0f}, median {statistics.median(files):.0f}, max {max(files)}. "
        f"CPU reference at the start of this benchmark: {reference:.0f} ms. The target is judged on "
        "CPU seconds, the one-worker run's process time, which other load on the machine does not "
        "inflate as it does wall seconds.",
        "",
        "| measure | value | ratio |",
        "|---|---|---|",
        f"| seconds per computer, 1 worker (this sample) | {per_computer:.2f} s | {per_computer / floor:.0f}x the I/O floor |",
        f"| milliseconds per file, 1 worker | {per_file * 1000:.1f} ms | |",
        f"| seconds per paper-size computer ({PAPER_FILES} files), 1 worker | {paper_size:.2f} s | |",
        f"| CPU seconds per paper-size computer, 1 worker | {paper_size_cpu:.2f} s | |",
        f"| I/O floor: copying a finished computer | {floor * 1000:.0f} ms | 1x (baseline) |",
        f"| computers per hour, 2 workers | {per_hour:,.0f} | {per_hour / (3600 / per_computer):.2f}x one worker |",
        f"| target: <= {TARGET_S} CPU s per paper-size computer on one core | "
        f"{'met' if paper_size_cpu <= TARGET_S else 'NOT met'} | |",
    ])


def main() -> None:
    from bench.__main__ import run_alone

    run_alone(run, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
