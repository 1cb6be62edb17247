"""Sandbox speed: exec round trip, start with a computer loaded, snapshot/restore, density.

Everything is measured side by side in one run: a command through the jail's
supervisor (one request on the attach stream; a fresh bash as the agent, everything it
started ended with it) against a ``docker exec`` per command and a local
``subprocess.run`` floor; DockerSandbox against LocalSandbox (bubblewrap). Needs the Docker daemon, the
computer image (``synthcomp image build``) and bwrap; a missing piece is reported as
a skipped row rather than failing the whole benchmark run.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable

LIVE_TARGET = 50
THINK_S = 0.02
"""A policy's pause between two commands in the paced exec measure (excluded from the figure)."""
EPISODE_S = 1.0
"""An episode's length between two starts or restores of the same computer (excluded)."""


def _tree(root: Path, n_files: int) -> Path:
    """A Windows computer's ``files/`` dir with ``n_files`` files, three of them real .docx."""
    import docx

    home = root / "files" / "drives" / "C" / "Users" / "ana"
    folders = [home / "Documents", home / "Desktop", home / "Downloads", root / "files/drives/D/Projects/Survey"]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
    for i in range(3):
        document = docx.Document()
        document.add_heading(f"Report {i}", 0)
        document.add_paragraph("Turbidity stayed below 4 NTU. " * 20)
        document.save(folders[0] / f"Report {i}.docx")
    for i in range(3, n_files):
        (folders[i % len(folders)] / f"note_{i:03d}.md").write_text(f"# Note {i}\n" + "text line\n" * (i % 40))
    return root / "files"


def _median_ms(fn: Callable[[], object], n: int, warmup: int = 2, pause_s: float = 0.0) -> float:
    """Median milliseconds of ``fn``; with ``pause_s``, each call follows a pause (not counted)."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(n):
        time.sleep(pause_s)
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def run() -> str:
    from synthcomp.sandbox import DockerSandboxConfig, LocalSandboxConfig

    work = Path(tempfile.mkdtemp(prefix="synthcomp-bench-"))
    rows: list[tuple[str, str, str, str]] = []
    notes: list[str] = []
    try:
        tree110, tree200 = _tree(work / "c110", 110), _tree(work / "c200", 200)
        floor = _median_ms(lambda: subprocess.run(["echo", "x"], stdout=subprocess.DEVNULL), 200)
        rows.append(("exec floor: `subprocess.run(['echo','x'])` on the host", f"{floor:.2f} ms", "", "1.0x floor"))

        docker_cfg = DockerSandboxConfig(snapshot_dir=work / "snapshots")
        try:
            rows += _docker_rows(docker_cfg, tree110, tree200, floor, notes)
        except Exception as exc:  # noqa: BLE001 - report, keep going
            rows.append(("docker backend", "skipped", "", f"{type(exc).__name__}: {exc}"[:160]))
        local_cfg = LocalSandboxConfig(snapshot_dir=work / "snapshots")
        try:
            rows += _local_rows(local_cfg, tree110, tree200, floor)
        except Exception as exc:  # noqa: BLE001
            rows.append(("local backend (bwrap)", "skipped", "", f"{type(exc).__name__}: {exc}"[:160]))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    table = "\n".join(f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows)
    return (
        "## Sandbox\n\n"
        f"`bench/bench_sandbox.py`: {os.cpu_count()} cores, Docker storage driver "
        f"{_driver()}. Medians; ratios against the `docker exec` baseline or the host "
        "floor of the same run.\n\n"
        "| measure | value | target | ratio / note |\n|---|---|---|---|\n" + table + "\n"
        + ("\n" + "\n".join(f"- {n}" for n in notes) + "\n" if notes else "")
    )


def _driver() -> str:
    try:
        from synthcomp.sandbox.image import connect

        return connect().info().get("Driver", "?")
    except Exception:  # noqa: BLE001
        return "(no daemon)"


def _timed_starts(start, n: int = 5):
    """Seconds each of ``n`` starts took; the last sandbox is returned open for further use."""
    starts = []
    for i in range(n):
        started = time.perf_counter()
        sandbox = start(i)
        starts.append(time.perf_counter() - started)
        if i < n - 1:
            sandbox.close()
    return starts, sandbox


def _docker_rows(cfg, tree110: Path, tree200: Path, floor: float, notes: list[str]) -> list[tuple[str, str, str, str]]:
    from synthcomp.sandbox.docker import DockerSandbox
    from synthcomp.sandbox.spares import SPARE_LIMIT, SPARES

    rows = []
    starts, sb = _timed_starts(lambda i: DockerSandbox(tree110, os="windows", username="ana",
                                                       computer_id=f"bench-start-{i}", config=cfg))
    api, cid = sb._client.api, sb.container_id
    shell_ms = _median_ms(lambda: sb.exec("echo x"), 500, warmup=20)
    paced_ms = _median_ms(lambda: sb.exec("echo x"), 200, warmup=5, pause_s=THINK_S)

    def docker_exec() -> None:
        exec_id = api.exec_create(cid, ["echo", "x"])["Id"]
        api.exec_start(exec_id)

    exec_ms = _median_ms(docker_exec, 40)
    cli_ms = None
    if shutil.which("docker"):
        cli_ms = _median_ms(lambda: subprocess.run(["docker", "exec", cid, "echo", "x"], stdout=subprocess.DEVNULL), 20)
    rows.append(("exec round trip: DockerSandbox via its supervisor (`echo x`), back to back", f"{shell_ms:.2f} ms",
                 "≤ 3 ms, ≥ 20x", f"{exec_ms / shell_ms:.0f}x faster than docker exec (API); {shell_ms / floor:.2f}x the host floor"))
    rows.append((f"the same with {THINK_S * 1000:.0f} ms between commands (a policy choosing the next; not counted)",
                 f"{paced_ms:.2f} ms", "≤ 3 ms, ≥ 20x",
                 f"{exec_ms / paced_ms:.0f}x faster than docker exec (API); the bash was started during the pause"))
    rows.append(("exec baseline: `docker exec` through the API (exec_create + exec_start)", f"{exec_ms:.1f} ms", "",
                 "1.0x baseline"))
    if cli_ms is not None:
        rows.append(("exec baseline: `docker exec CID echo x` (CLI)", f"{cli_ms:.1f} ms", "",
                     f"the supervisor is {cli_ms / shell_ms:.0f}x faster"))
    cold = statistics.median(starts)
    rows.append(("start: container + 110-file computer loaded + supervisor ready (a new computer)", f"{cold:.2f} s",
                 "< 1.5 s", f"min {min(starts):.2f} s, max {max(starts):.2f} s over 5"))
    sb.close()
    again = []
    for _ in range(6):
        started = time.perf_counter()
        sb = DockerSandbox(tree110, os="windows", username="ana", computer_id="bench-again", config=cfg)
        again.append(time.perf_counter() - started)
        time.sleep(EPISODE_S)
        sb.close()
    warm = statistics.median(again[2:])
    rows.append((f"start again of the same computer (an episode reset; {EPISODE_S:g} s episodes), from a spare",
                 f"{warm:.2f} s", "", f"{cold / warm:.1f}x faster than a new container; the first two starts "
                 f"(no spare yet) {again[0]:.2f} s, {again[1]:.2f} s"))
    sb.close()
    spares_before = SPARES.count()
    SPARES.close()

    store = cfg.snapshot_dir
    cold_cfg = cfg.model_copy(update={"spares": 0})
    for config, label in ((cold_cfg, "into a new container"), (cfg, "into a spare started ahead")):
        sb = DockerSandbox(tree200, os="windows", username="ana", computer_id=f"bench-snap-{config.spares}",
                           config=config)
        try:
            snaps, restores, refs, growth = [], [], [], []
            for i in range(3):
                sb.write_bytes(f"~/Documents/step{i}.txt", b"work %d" % i)
                size = _dir_bytes(store)
                started = time.perf_counter()
                refs.append(sb.snapshot(f"step-{i}", {"step": i}))
                snaps.append(time.perf_counter() - started)
                growth.append(_dir_bytes(store) - size)
            for ref in refs:
                time.sleep(EPISODE_S)
                started = time.perf_counter()
                sb.restore(ref)
                restores.append(time.perf_counter() - started)
            if config.spares == 0:
                rows.append(("snapshot of a 200-file computer (exact tar, split into the content-addressed store)",
                             f"{statistics.median(snaps):.2f} s", "≤ 0.3 s", f"max {max(snaps):.2f} s over 3; the first "
                             f"stored {growth[0] / 1024:.0f} KB, each later one {statistics.median(growth[1:]) / 1024:.0f} KB "
                             "(one changed file and the tar's headers)"))
                cold_restore = statistics.median(restores)
                rows.append((f"restore of a 200-file computer {label} (every byte hash-checked, digest checked)",
                             f"{cold_restore:.2f} s", "", f"max {max(restores):.2f} s over 3; baseline"))
            else:
                rows.append((f"restore of a 200-file computer {label}", f"{statistics.median(restores):.2f} s",
                             "≤ 0.3 s", f"max {max(restores):.2f} s over 3; {cold_restore / statistics.median(restores):.1f}x "
                             "faster than into a new container"))
        finally:
            for ref in sb.list_snapshots():
                sb.delete_snapshot(ref)
            sb.close()
    SPARES.close()
    notes.append(f"Spares: a computer started a second time in a process gets one container started ahead "
                 f"(`spares`, default 1; at most {SPARE_LIMIT} per process); spares waiting after the "
                 f"restarts above: {spares_before}. The first two starts of a computer are cold.")
    rows += _density_rows(cold_cfg, tree110, notes)
    return rows


def _dir_bytes(root: Path) -> int:
    return sum(p.stat().st_size for p in Path(root).rglob("*") if p.is_file())


def _density_rows(cfg, tree110: Path, notes: list[str]) -> list[tuple[str, str, str, str]]:
    from synthcomp.sandbox.docker import DockerSandbox

    before = _host_used_mb()
    live = []
    started = time.perf_counter()
    try:
        for i in range(LIVE_TARGET):
            live.append(DockerSandbox(tree110, os="windows", username="ana", computer_id=f"bench-live-{i}", config=cfg))
        elapsed = time.perf_counter() - started
        answered = sum(sb.exec("echo ok").stdout == "ok\n" for sb in live)
        round_ms = _median_ms(lambda: [sb.exec("true") for sb in live], 5, warmup=1) / len(live)
        time.sleep(1)
        host_per = (_host_used_mb() - before) / len(live)
        cgroup = [_cgroup_mb(sb.container_id) for sb in live[:10]]
        cgroup = [c for c in cgroup if c is not None]
        available = _available_mb()
    finally:
        for sb in live:
            sb.close()
    rows = [
        ("live computers at once (110 files each), all answering", f"{answered}/{LIVE_TARGET}", f"{LIVE_TARGET}",
         f"started in {elapsed:.1f} s; one `true` in each: {round_ms:.2f} ms per computer"),
        ("idle memory per container (cgroup: supervisor + the tree's tmpfs)",
         f"{statistics.median(cgroup):.1f} MB" if cgroup else "n/a", "", "median of 10"),
        ("host memory per live computer (incl. containerd-shim)", f"{host_per:.1f} MB", "",
         f"{available / 1024:.0f} GB were still free: memory alone would allow ~{int(available / max(host_per, 1))} more"),
    ]
    return rows


def _local_rows(cfg, tree110: Path, tree200: Path, floor: float) -> list[tuple[str, str, str, str]]:
    from synthcomp.sandbox.local import LocalSandbox

    starts, sb = _timed_starts(lambda i: LocalSandbox(tree110, os="windows", username="ana",
                                                      computer_id=f"bench-local-{i}", config=cfg))
    shell_ms = _median_ms(lambda: sb.exec("echo x"), 500, warmup=20)
    sb.close()
    sb = LocalSandbox(tree200, os="windows", username="ana", computer_id="bench-local-snap", config=cfg)
    try:
        started = time.perf_counter()
        ref = sb.snapshot("s")
        snap = time.perf_counter() - started
        started = time.perf_counter()
        sb.restore(ref)
        restore = time.perf_counter() - started
        sb.delete_snapshot(ref)
    finally:
        sb.close()
    return [
        ("exec round trip: LocalSandbox (bwrap) via its supervisor, nested namespaces per command", f"{shell_ms:.2f} ms", "< 10 ms",
         f"{shell_ms / floor:.2f}x the host floor"),
        ("start: bwrap jail + 110-file computer loaded", f"{statistics.median(starts):.2f} s", "", ""),
        ("snapshot / restore of a 200-file computer (bwrap, exact tar, digest checked)", f"{snap:.2f} s / {restore:.2f} s", "", ""),
    ]


def _host_used_mb() -> float:
    info = _meminfo()
    return (info["MemTotal"] - info["MemAvailable"]) / 1024


def _available_mb() -> float:
    return _meminfo()["MemAvailable"] / 1024


def _meminfo() -> dict[str, int]:
    out = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, _, value = line.partition(":")
        out[key] = int(value.split()[0])
    return out


def _cgroup_mb(cid: str) -> float | None:
    for path in (f"/sys/fs/cgroup/memory/docker/{cid}/memory.usage_in_bytes",
                 f"/sys/fs/cgroup/system.slice/docker-{cid}.scope/memory.current"):
        try:
            return int(Path(path).read_text()) / 2**20
        except OSError:
            continue
    return None
