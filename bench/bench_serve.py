"""Serving over HTTP: what a remote step costs beside the same step in-process.

One session, then ``SESSIONS`` at once, step ``STEPS`` tool calls each, on the local
(bubblewrap) and the Docker sandbox. In-process (the baseline, in the same run): one
``SessionManager`` stepped from as many threads. Over HTTP: ``synthcomp serve`` in its own
process on loopback, stepped through openenv-core's own client (one WebSocket per
session) and through the JSON API (``POST /sessions/<id>/step``). The step is ``list_dir .`` (a cheap tool, so the transport
is what differs). Target (issue "Serve synthetic computers"): HTTP overhead <= 2 ms at p50,
no errors, nothing left behind: every session closed, no sandbox process or container
of this process alive afterwards.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2

from bench.bench_env import _docker_available
from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.sandbox.config import sandbox_config
from synthcomp.serve.sessions import OpenRequest, SessionManager
from synthcomp.workspace import computer_dirs
from tests.processes import descendants
from tests.serve.conftest import serve_process

SESSIONS = 16
STEPS = 200
ACTION = {"tool": "list_dir", "args": {"path": "."}}


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000


def _in_threads(count: int, work: Callable[[int], list[float]]) -> list[float]:
    """``work(i)`` on ``count`` threads at once; every latency they measured."""
    results: list[list[float]] = [[] for _ in range(count)]
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            results[i] = work(i)
        except BaseException as exc:  # noqa: BLE001 - reported after the join
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return [x for r in results for x in r]


def _in_process(manager: SessionManager, computers: list[str], sessions: int) -> list[float]:
    def work(i: int) -> list[float]:
        session, _, _ = manager.open(OpenRequest(computer_id=computers[i % len(computers)], days=1))
        try:
            out = []
            for _ in range(STEPS):
                started = time.perf_counter()
                manager.step(session.id, ACTION)
                out.append(time.perf_counter() - started)
            return out
        finally:
            manager.close(session.id)
    return _in_threads(sessions, work)


def _json_api(url: str, computers: list[str], sessions: int) -> list[float]:
    def work(i: int) -> list[float]:
        with httpx2.Client(base_url=url, timeout=120) as http:
            opened = http.post("/sessions", json={"computer_id": computers[i % len(computers)], "days": 1})
            opened.raise_for_status()
            sid = opened.json()["session_id"]
            out = []
            for _ in range(STEPS):
                started = time.perf_counter()
                http.post(f"/sessions/{sid}/step", json=ACTION).raise_for_status()
                out.append(time.perf_counter() - started)
            http.delete(f"/sessions/{sid}").raise_for_status()
            return out
    return _in_threads(sessions, work)


def _openenv(url: str, computers: list[str], sessions: int) -> list[float]:
    from openenv.core import GenericEnvClient

    async def one(i: int) -> list[float]:
        async with GenericEnvClient(base_url=f"{url}/openenv", message_timeout_s=120) as env:
            await env.reset(computer_id=computers[i % len(computers)], days=1)
            out = []
            for _ in range(STEPS):
                started = time.perf_counter()
                await env.step(ACTION)
                out.append(time.perf_counter() - started)
            return out

    async def all_of_them() -> list[list[float]]:
        return await asyncio.gather(*(one(i) for i in range(sessions)))

    return [x for r in asyncio.run(all_of_them()) for x in r]


def _timed(measure: Callable[[], list[float]]) -> tuple[list[float], float]:
    """The latencies ``measure`` returns and the steps per second of the whole run."""
    started = time.perf_counter()
    samples = measure()
    return samples, len(samples) / (time.perf_counter() - started)


def _row(backend: str, label: str, sessions: int, run: tuple[list[float], float],
         base: tuple[float, float] | None) -> str:
    samples, rate = run
    p50, p99 = _percentiles(samples)
    overhead = "-" if base is None else f"{p50 - base[0]:+.2f}"
    return f"| {backend} | {label} | {sessions} | {len(samples)} | {p50:.2f} | {p99:.2f} | {overhead} | {rate:,.0f} |"


def _containers_of(pid: int) -> int:
    from synthcomp.sandbox.gc import OWNER
    from synthcomp.sandbox.image import connect

    return len(connect().containers.list(all=True, filters={"label": f"{OWNER}={pid}"}))


def run() -> str:
    """The BENCHMARKS.md section."""
    backends = ["local"] + (["docker"] if _docker_available() is None else [])
    rows, notes = [], []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        create_computers(CreateRequest.from_cli(out=root, n=4, seed=31, os_name="mixed", personas=None, workers=2))
        computers = [d.name for d in computer_dirs(root)]
        for backend in backends:
            manager = SessionManager(root, sandbox_config(backend), max_sessions=SESSIONS, step_budget=STEPS + 1)
            bases = {n: _timed(lambda n=n: _in_process(manager, computers, n)) for n in (1, SESSIONS)}
            with serve_process(root, "--sandbox", backend, "--steps", str(STEPS + 1),
                               "--max-sessions", str(SESSIONS)) as (url, server):
                remote = {(path, n): _timed(lambda m=measure, n=n: m(url, computers, n))
                          for path, measure in (("OpenEnv WebSocket", _openenv), ("JSON API", _json_api))
                          for n in (1, SESSIONS)}
                jails = descendants(server.pid)
            for n in (1, SESSIONS):
                baseline = _percentiles(bases[n][0])
                rows.append(_row(backend, "in-process (baseline)", n, bases[n], None))
                rows += [_row(backend, path, n, remote[(path, n)], baseline) for path in ("OpenEnv WebSocket", "JSON API")]
            time.sleep(1.0)
            left = (f"{_containers_of(server.pid)} container(s)" if backend == "docker"
                    else f"{len([p for p in jails if Path(f'/proc/{p}').exists()])} jail process(es)")
            notes.append(f"{backend}: {left} of the server alive after it stopped")
    return "\n".join([
        "## Serving over HTTP: step latency beside in-process",
        "",
        f"One session, then {SESSIONS} at once, {STEPS} `list_dir` steps each, on loopback against `synthcomp serve` "
        "in its own process (as deployed); the clients run in the benchmark's process. Latency in ms; overhead is "
        "the p50 minus the in-process p50 of the same backend and concurrency (target <= 2 ms). The machine has "
        f"{os.cpu_count()} cores: at {SESSIONS} sessions the clients, the server and the sandboxes share them, so "
        "that row's overhead is mostly queueing for a core, and steps/s (all sessions together, counting each session's opening and closing) is the figure to compare.",
        "",
        "| sandbox | path | sessions | steps | p50 | p99 | overhead at p50 | steps/s |",
        "|---|---|---|---|---|---|---|---|",
        *rows,
        "",
        "No errors (a failed step stops the benchmark). " + "; ".join(notes) + ".",
    ])


def main() -> None:
    from bench.__main__ import run_alone

    run_alone(run, __doc__.splitlines()[0])


if __name__ == "__main__":
    main()
