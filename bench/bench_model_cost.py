"""What a model workday costs, with prompt caching and without.

One workday of the model work agent (the real policy, the real ``anthropic`` SDK, the
bubblewrap sandbox) against the project's fake Messages API (``tests/brains``), which
counts tokens block by block, writes prompt-cache prefixes at breakpoints and reads them
back when a request repeats them, as the API bills. The fake model is read-heavy
(``BusyWorker``: a file of up to 20,000 characters a turn) and works ``TURNS`` turns, the
paper's average day (2,272 turns over a 20-day month). The baseline is the same day with
``prompt_caching = false``; the target (issue "Model-backed runs") is a cache-read share
of input tokens >= 0.8. A third day gives the fake a 60,000-token window that the
config does not know: the provider refuses, the agent clears old tool results and the
day still ends by the model's own ``end_day``.

``python -m bench.bench_model_cost --write`` splices its section into BENCHMARKS.md.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from synthcomp.cli import app
from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.workspace import computer_dir, sim_dir
from tests.brains.busy_worker import BusyWorker
from tests.brains.fake_anthropic import FakeAnthropic

TURNS = 114
"""The paper's turns per workday (2,272 a month of 20 days)."""
DAYS_A_MONTH = 20
SMALL_WINDOW = 60_000


def _day(root: Path, settings: str, window: int | None = None) -> tuple[dict[str, Any], int, float]:
    """One workday on a new computer: its usage, the requests the fake received, seconds."""
    made = create_computers(CreateRequest.from_cli(out=root, n=1, seed=12, os_name="windows", personas=None, workers=1))
    config = root / "models.toml"
    config.write_text(f"retries = 0\n{settings}")
    fake = FakeAnthropic()
    fake.default, fake.context_window = BusyWorker(TURNS), window
    os.environ.setdefault("ANTHROPIC_API_KEY", "bench-key")
    try:
        started = time.perf_counter()
        result = CliRunner().invoke(app, ["simulate", str(computer_dir(root, made[0].id)), "--policy", "claude",
                                          "--days", "1", "--steps", str(TURNS + 10), "--sandbox", "local",
                                          "--base-url", fake.base_url, "--model-config", str(config)])
        seconds = time.perf_counter() - started
        if result.exit_code != 0:
            raise RuntimeError(result.output)
        summary = json.loads((sim_dir(root, f"{made[0].id}-claude-s0") / "summary.json").read_text())
        return summary["usage"], len(fake.requests), seconds
    finally:
        fake.close()


def _row(label: str, usage: dict[str, Any], sent: int, seconds: float) -> str:
    prompt = usage["input_tokens"] + usage["cache_write_tokens"] + usage["cache_read_tokens"]
    return (f"| {label} | {usage['requests']} ({sent - usage['requests']}) | {prompt:,} | {usage['cache_read_tokens']:,} "
            f"| {usage['cache_write_tokens']:,} | {usage['cache_read_share']:.3f} | ${usage['usd']:.2f} "
            f"| ${usage['usd'] * DAYS_A_MONTH:.0f} | {seconds:.1f} |")


def run() -> str:
    """The BENCHMARKS.md section."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cached = _day(root / "cached", "")
        plain = _day(root / "plain", "prompt_caching = false\n")
        tight = _day(root / "tight", "", window=SMALL_WINDOW)
    share = cached[0]["cache_read_share"]
    return "\n".join([
        "## Model workday cost: prompt caching and context management",
        "",
        f"One workday of the Claude work agent, {TURNS} turns of reading files of up to 20,000 characters (the paper's "
        "turns per day), through the real SDK against the project's fake Messages API, which bills cache writes "
        "(1.25x input) and reads (0.1x) as the API does (Sonnet prices). Baseline: the same day without cache "
        f"breakpoints. A month is {DAYS_A_MONTH} such days. The last row's fake refuses prompts over "
        f"{SMALL_WINDOW:,} tokens, which the config does not know.",
        "",
        "| day | requests billed (refused) | input tokens | read from cache | written to cache | cache-read share "
        "| cost a day | a month | seconds |",
        "|---|---|---|---|---|---|---|---|---|",
        _row("no caching (baseline)", *plain),
        _row("caching", *cached),
        _row(f"caching, {SMALL_WINDOW // 1000}k window", *tight),
        "",
        f"Cache-read share {share:.3f} (target >= 0.8); a cached day costs {cached[0]['usd'] / plain[0]['usd']:.2f}x "
        f"the uncached one. With the small window every turn was still answered and the model ended the day.",
    ])


def main() -> None:
    from bench.__main__ import run_alone

    run_alone(run, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
