"""Fleet throughput (issue 9): computers/hour and simulated workdays/hour vs concurrency.

Local process pool vs Ray, on this machine, with a projection to a 100-node cluster of
the same machines written out from the measured per-task costs.

Baselines measured in the same run: concurrency 1 of the same executor (speed-up), and
the local executor at the same concurrency (Ray's cost). Every point runs in a fresh
temp workspace on the same inputs (creation: the same seed; simulations: copies of the
same created computers), so the points differ only in executor and concurrency.

Memory per live computer is sampled while the concurrency-16 Docker point runs (the
containers' cgroups, i.e. what ``docker stats`` shows), together with the number of
live sandbox containers, which must never exceed the concurrency (the executors'
backpressure guarantee).
"""

from __future__ import annotations

import os
import resource
import shutil
import socket
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from synthcomp.computer.batch import CreateRequest, create_computers
from synthcomp.computer.stats import computer_shape
from synthcomp.fleet.executor import LocalExecutor, RayExecutor
from synthcomp.fleet.manifest import read_manifest
from synthcomp.fleet.simulations import simulate_many
from synthcomp.sandbox.gc import HOST, OWNER, ROLE
from synthcomp.sim.cleanup import delete_checkpoints
from synthcomp.workspace import computer_dir, computer_dirs, shard_of, sim_dirs

SEED = 909
CREATE_LOCAL = [(1, 8), (2, 16), (4, 16)]
"""(concurrency, computers): the same seed everywhere, so c=1's 8 are the first 8 of the others' 16."""
CREATE_RAY = [(2, 16)]
SIM_DAYS = 2
SIM_LOCAL = [(1, 2), (2, 4), (4, 8), (8, 8), (16, 16)]
"""(concurrency, simulations): each simulation is one computer of the same pool, first n by id."""
SIM_RAY = [(2, 4), (8, 8)]
SAMPLED = 16
"""The local simulation point during which live containers and their memory are sampled."""
MONTH_DAYS = 20
NOOPS = 200
NODES = 100
CLUSTER_COMPUTERS = [10**4, 10**5, 10**6]
CLUSTER_MONTHS = 1000


@dataclass
class Point:
    kind: str  # "create" | "sim"
    executor: str
    concurrency: int
    tasks: int
    wall: float
    cpu: Cpu
    """CPU time used during the point: this run's processes, the Docker side, everything else."""
    retried: int = 0
    failed: int = 0
    files: list[int] = field(default_factory=list)
    turns: int = 0

    @property
    def per_hour(self) -> float:
        return self.tasks / self.wall * 3600

    @property
    def workdays(self) -> int:
        return self.tasks * SIM_DAYS


# ---------------------------------------------------------------- measuring helpers


DOCKER_PROCESSES = {"dockerd", "containerd", "containerd-shim", "fuse-overlayfs", "runc", "docker-init"}


@dataclass
class Cpu:
    """Core-seconds so far: this process's tree, the Docker side, the whole machine."""

    own: float
    docker: float
    total: float

    @classmethod
    def now(cls) -> Cpu:
        tick = os.sysconf("SC_CLK_TCK")
        fields = [int(x) for x in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
        total = (sum(fields[:8]) - fields[3] - fields[4]) / tick  # all but idle and iowait
        own = sum(getattr(resource.getrusage(who), f) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)
                  for f in ("ru_utime", "ru_stime"))
        mine = _descendants()
        docker = 0.0
        for pid, (comm, times) in _processes().items():
            if pid in mine:  # utime, stime, and what its reaped children used (Ray's workers, via the raylet)
                own += sum(times) / tick
            elif comm in DOCKER_PROCESSES:  # the containers themselves are in the docker cgroup below
                docker += sum(times[:2]) / tick
        try:
            docker += int(Path("/sys/fs/cgroup/cpuacct/docker/cpuacct.usage").read_text()) / 1e9
        except (OSError, ValueError):
            pass
        return cls(own, docker, total)

    def __sub__(self, other: Cpu) -> Cpu:
        return Cpu(self.own - other.own, self.docker - other.docker, self.total - other.total)

    @property
    def other(self) -> float:
        """Busy time of everything else on the machine (other users' processes)."""
        return max(self.total - self.own - self.docker, 0.0)


def _processes() -> dict[int, tuple[str, list[int]]]:
    """pid -> (comm, [utime, stime, cutime, cstime]) in clock ticks."""
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            head, _, rest = stat.rpartition(")")
            fields = rest.split()
            out[int(entry.name)] = (head.partition("(")[2], [int(x) for x in fields[11:15]])
    return out


def _descendants() -> set[int]:
    """Pids of every process below this one (pool workers, the Ray node and its workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = set(), [os.getpid()]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _docker():
    try:
        import docker

        client = docker.from_env()
        client.ping()
        return client
    except Exception:  # no daemon: the simulation rows are simply absent
        return None


def _host_used_mb() -> float:
    info = {}
    for line in Path("/proc/meminfo").read_text().splitlines():
        key, _, value = line.partition(":")
        info[key] = int(value.split()[0])
    return (info["MemTotal"] - info["MemAvailable"]) / 1024


def _cgroup_mb(cid: str) -> tuple[float, float] | None:
    """(usage as `docker stats` shows it: usage - inactive file cache, the cgroup's own peak), MB."""
    for base in (Path(f"/sys/fs/cgroup/memory/docker/{cid}"), Path(f"/sys/fs/cgroup/system.slice/docker-{cid}.scope")):
        try:
            if (base / "memory.usage_in_bytes").exists():  # cgroup v1
                usage = int((base / "memory.usage_in_bytes").read_text())
                peak = int((base / "memory.max_usage_in_bytes").read_text())
                key = "total_inactive_file"
            else:  # cgroup v2
                usage = int((base / "memory.current").read_text())
                peak_file = base / "memory.peak"
                peak = int(peak_file.read_text()) if peak_file.exists() else usage
                key = "inactive_file"
            stat = dict(line.split() for line in (base / "memory.stat").read_text().splitlines())
            return (usage - int(stat.get(key, 0))) / 2**20, peak / 2**20
        except (OSError, ValueError):
            continue
    return None


class LiveSampler(threading.Thread):
    """Every ``interval`` s: this run's live sandbox containers and their memory."""

    def __init__(self, client, ignore: set[str], interval: float = 0.25):
        super().__init__(daemon=True)
        self.client, self.ignore, self.interval = client, ignore, interval
        self.stop = threading.Event()
        self.peak_live = 0
        self.samples: list[float] = []  # MB, one per container per tick
        self.peaks: dict[str, float] = {}  # container -> its cgroup's own peak, MB
        self.host_peak = 0.0
        self.host_before = _host_used_mb()
        self.seen: set[str] = set()
        self.error = ""

    def run(self) -> None:
        host = socket.gethostname()
        while not self.stop.is_set():
            try:
                mine = _descendants()
                live = [c for c in self.client.containers.list(filters={"label": f"{ROLE}=sandbox"}, ignore_removed=True)
                        if c.id not in self.ignore and c.labels.get(HOST) == host
                        and c.labels.get(OWNER, "").isdigit() and int(c.labels[OWNER]) in mine]
                self.peak_live = max(self.peak_live, len(live))
                self.seen.update(c.id for c in live)
                for c in live:
                    memory = _cgroup_mb(c.id)
                    if memory is None:  # no cgroup file here: ask the daemon instead
                        stats = c.stats(stream=False, one_shot=True)["memory_stats"]
                        if "usage" not in stats:  # it stopped between the listing and now
                            continue
                        cache = stats.get("stats", {}).get("total_inactive_file", stats.get("stats", {}).get("inactive_file", 0))
                        memory = ((stats["usage"] - cache) / 2**20, stats.get("max_usage", stats["usage"]) / 2**20)
                    self.samples.append(memory[0])
                    self.peaks[c.id] = max(self.peaks.get(c.id, 0.0), memory[1])
                self.host_peak = max(self.host_peak, _host_used_mb() - self.host_before)
            except Exception as exc:  # a container went away mid-sample: try again next tick
                self.error = f"{type(exc).__name__}: {exc}"
            self.stop.wait(self.interval)


# ---------------------------------------------------------------- the points


def _create_point(out: Path, executor, name: str, concurrency: int, n: int) -> Point:
    request = CreateRequest.from_cli(out=out, n=n, seed=SEED, os_name="mixed", personas=None, workers=1)
    cpu, started = Cpu.now(), time.perf_counter()
    create_computers(request, executor=executor)
    wall, cpu = time.perf_counter() - started, Cpu.now() - cpu
    records = [r for (kind, _), r in read_manifest(out).items() if kind == "computer"]
    return Point("create", name, concurrency, n, wall, cpu,
                 retried=sum(r.get("attempts", 1) > 1 for r in records),
                 failed=sum(r.get("status") == "failed" for r in records),
                 files=[computer_shape(c)[0] for c in computer_dirs(out)])


def _sim_point(ws: Path, pool: list[Path], executor, name: str, concurrency: int, n: int,
               sampler: LiveSampler | None = None, days: int = SIM_DAYS) -> Point:
    assert n <= len(pool), f"{n} simulations need {n} computers; the pool has {len(pool)}"
    for source in pool[:n]:
        shutil.copytree(source, computer_dir(ws, source.name))
    if sampler is not None:
        sampler.start()
    cpu, started = Cpu.now(), time.perf_counter()
    try:
        report = simulate_many(ws, executor, policy="scripted", days=days, sandbox="docker", seed=0, step_budget=150)
    finally:
        wall, cpu = time.perf_counter() - started, Cpu.now() - cpu
        if sampler is not None:
            sampler.stop.set()
            sampler.join()
        _delete_checkpoints(ws)  # docker checkpoints are kept images that outlive the temp dir
    records = [r for (kind, _), r in read_manifest(ws).items() if kind == "sim"]
    return Point("sim", name, concurrency, n, wall, cpu, retried=report.retried, failed=len(report.failed),
                 turns=sum(r.get("turns", 0) for r in records))


def _delete_checkpoints(ws: Path) -> None:
    for sim in sim_dirs(ws):
        if any((sim / "checkpoints").glob("day-*.json")):
            delete_checkpoints(sim)


def _noop_seconds(executor) -> float:
    """Wall seconds per task of a task that does nothing (shard_of on an id)."""
    items = [f"win-{i:010x}" for i in range(NOOPS)]
    list(executor.run(shard_of, items[:10], items[:10]))  # warm-up: Ray's workers exist, a pool's do not persist
    started = time.perf_counter()
    done = sum(o.status == "done" for o in executor.run(shard_of, items, items))
    assert done == NOOPS, f"{NOOPS - done} no-op tasks failed"
    return (time.perf_counter() - started) / NOOPS


# ---------------------------------------------------------------- run


def run() -> str:
    client = _docker()
    before_containers = {c.id for c in client.containers.list(all=True)} if client else set()
    before_images = {i.id for i in client.images.list(filters={"label": f"{ROLE}=snapshot"})} if client else set()
    started_all = time.perf_counter()
    points: list[Point] = []
    sampler = None
    month = None
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        try:
            # -- local executor (before Ray starts, so no pool forks a process holding Ray's threads)
            local_noop = _noop_seconds(LocalExecutor(2))
            for c, n in CREATE_LOCAL:
                points.append(_create_point(root / f"create-local-{c}", LocalExecutor(c), "local", c, n))
            pool = list(computer_dirs(root / f"create-local-{CREATE_LOCAL[-1][0]}"))
            if client is not None:
                for c, n in SIM_LOCAL:
                    sampler = LiveSampler(client, before_containers) if c == SAMPLED else None
                    points.append(_sim_point(root / f"sim-local-{c}", pool, LocalExecutor(c), "local", c, n, sampler))
                ws = root / "month"
                month = _sim_point(ws, pool, LocalExecutor(1), "local", 1, 1, days=MONTH_DAYS)
            # -- Ray: one session for every Ray point; its start is reported on its own
            import ray

            t0 = time.perf_counter()
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
            ray_start = time.perf_counter() - t0
            try:
                ray_noop = _noop_seconds(RayExecutor(2))
                for c, n in CREATE_RAY:
                    points.append(_create_point(root / f"create-ray-{c}", RayExecutor(c), "ray", c, n))
                if client is not None:
                    for c, n in SIM_RAY:
                        points.append(_sim_point(root / f"sim-ray-{c}", pool, RayExecutor(c), "ray", c, n))
            finally:
                ray.shutdown()
        finally:
            for ws in root.glob("sim-*"):
                _delete_checkpoints(ws)
            _delete_checkpoints(root / "month")
    total = time.perf_counter() - started_all
    leftovers = _leftovers(client, before_containers, before_images)
    return _section(points, sampler, month, local_noop, ray_noop, ray_start, total, leftovers)


def _leftovers(client, before_containers: set[str], before_images: set[str]) -> str:
    """Remove (and say) what this run left behind in Docker: containers and snapshot images."""
    if client is None:
        return "no Docker daemon"
    time.sleep(1)  # auto-remove is asynchronous
    containers = [c for c in client.containers.list(all=True, filters={"label": OWNER}) if c.id not in before_containers]
    images = [i for i in client.images.list(filters={"label": f"{ROLE}=snapshot"}) if i.id not in before_images]
    for c in containers:
        c.remove(force=True, v=True)
    for i in images:
        client.images.remove(i.id, force=True)
    return f"{len(containers)} containers and {len(images)} snapshot images left behind (removed)"


# ---------------------------------------------------------------- the section


def _find(points: list[Point], kind: str, executor: str, c: int) -> Point | None:
    return next((p for p in points if (p.kind, p.executor, p.concurrency) == (kind, executor, c)), None)


def _hours(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _section(points, sampler, month, local_noop, ray_noop, ray_start, total, leftovers) -> str:
    cores = os.cpu_count() or 1
    creates = [p for p in points if p.kind == "create"]
    sims = [p for p in points if p.kind == "sim"]
    lines = [
        "## Fleet throughput: local pool vs Ray",
        "",
        f"`bench/bench_fleet.py`: {cores} cores, {_host_total_gb():.0f} GiB. Each point is one "
        "`create_computers` / `simulate_many` call on a fresh workspace; *wall* includes the executor "
        "starting its workers. *Core-s per task* is the whole machine's busy CPU time during the point "
        "(`/proc/stat`: workers, dockerd, containerd, the containers) divided by the tasks. "
        f"Speed-up is against concurrency 1 of the same executor in this run; Ray is also compared "
        f"with the local executor at the same concurrency. The whole module took {total:.0f} s.",
        "",
        f"### Creation (procedural brain, seed {SEED}, mixed OS; no containers)",
        "",
        "| executor | concurrency | computers | files per computer (mean) | wall | computers/hour | speed-up vs c=1 | core-s per computer | retried / failed |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    base = _find(points, "create", "local", 1)
    for p in creates:
        ref = base if p.executor == "local" else _find(points, "create", "local", p.concurrency)
        vs = f"{p.per_hour / base.per_hour:.2f}x" if base else ""
        if p.executor == "ray" and ref is not None:
            vs += f" ({p.per_hour / ref.per_hour:.2f}x local c={p.concurrency})"
        lines.append(f"| {p.executor} | {p.concurrency} | {p.tasks} | {statistics.fmean(p.files):.0f} | {p.wall:.1f} s | "
                     f"{p.per_hour:,.0f} | {vs} | {p.core_seconds / p.tasks:.2f} | {p.retried} / {p.failed} |")
    lines += [
        "",
        f"Creation is CPU-bound Python in the worker processes: beyond {cores} workers (the cores) it can only "
        "add switching, so concurrency 4 is there to show the plateau, not as a setting to use. "
        "The c=1 set is the first 8 of the others' 16 (same seed), so its mean size differs.",
    ]
    if sims:
        lines += [
            "",
            f"### Simulations ({SIM_DAYS}-workday months, scripted policy, `sandbox=\"docker\"`, one container per simulation)",
            "",
            "Each simulation is a different computer of one pool of 16 (copied into the point's workspace); "
            "a point with n simulations uses the first n. Wall time includes setup, a checkpoint "
            "(`docker commit`) after each day, the end-of-month judgement (no rendering) and the "
            "export of the updated computer.",
            "",
            "| executor | concurrency (live containers) | simulations | workdays | turns | wall | simulations/hour | workdays/hour | speed-up vs c=1 | core-s per workday | s per workday per slot | retried / failed |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        base = _find(points, "sim", "local", 1)
        for p in sims:
            ref = _find(points, "sim", "local", p.concurrency)
            vs = f"{p.per_hour / base.per_hour:.2f}x" if base else ""
            if p.executor == "ray" and ref is not None:
                vs += f" ({p.per_hour / ref.per_hour:.2f}x local c={p.concurrency})"
            lines.append(
                f"| {p.executor} | {p.concurrency} | {p.tasks} | {p.workdays} | {p.turns} | {p.wall:.1f} s | "
                f"{p.per_hour:,.0f} | {p.workdays / p.wall * 3600:,.0f} | {vs} | "
                f"{p.core_seconds / p.workdays:.2f} | {p.wall * p.concurrency / p.workdays:.2f} | {p.retried} / {p.failed} |")
        if month is not None:
            lines += [
                "",
                f"Calibration, one full month: a {MONTH_DAYS}-workday simulation of the pool's first computer alone "
                f"(local, c=1) took {month.wall:.1f} s ({month.turns} turns, {month.wall / MONTH_DAYS:.2f} s per workday, "
                f"{month.core_seconds:.1f} core-s). Short months cost more per workday: setup, container start, "
                "judgement and export are per simulation, and the first days (reading, planning, first drafts) "
                "are the busiest.",
            ]
    if sampler is not None:
        per_host = sampler.host_peak / max(sampler.peak_live, 1)
        peaks = list(sampler.peaks.values())
        check = "met" if sampler.peak_live <= SAMPLED else "NOT met"
        lines += [
            "",
            f"### Live computers during the local concurrency-{SAMPLED} point",
            "",
            f"Sampled every {sampler.interval} s: this run's running `synthcomp.role=sandbox` containers "
            "(owner pid a descendant of this process) and each one's memory cgroup (usage minus inactive "
            "file cache, as `docker stats` reports it; the computer's tree and /tmp are tmpfs, so they count).",
            "",
            "| measure | value |",
            "|---|---|",
            f"| containers seen during the point | {len(sampler.seen)} |",
            f"| peak live containers at once (check: <= concurrency {SAMPLED}) | {sampler.peak_live} ({check}) |",
            f"| memory per live container, mean of {len(sampler.samples)} samples | "
            f"{statistics.fmean(sampler.samples):.1f} MB |" if sampler.samples else "| memory per live container | n/a |",
            f"| memory per live container, max sample | {max(sampler.samples):.1f} MB |" if sampler.samples else None,
            f"| per-container cgroup peak (incl. page cache), median / max | {statistics.median(peaks):.1f} / {max(peaks):.1f} MB |"
            if peaks else None,
            f"| host memory above the point's start at its peak, per live computer (container + its Python "
            f"worker + containerd-shim) | {per_host:.0f} MB ({sampler.host_peak / 1024:.1f} GiB for {sampler.peak_live}) |",
        ]
        if sampler.error:
            lines.append(f"\nLast sampling error (retried next tick): {sampler.error}")
    lines += _ray_lines(points, local_noop, ray_noop, ray_start)
    lines += _projection(points, month, ray_noop, sampler)
    lines += ["", f"Docker after the run: {leftovers}."]
    return "\n".join(line for line in lines if line is not None)


def _host_total_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 2**20
    return 0.0


def _ray_lines(points, local_noop, ray_noop, ray_start) -> list[str]:
    return [
        "",
        "### Ray's fixed and per-task costs",
        "",
        "| measure | value | ratio |",
        "|---|---|---|",
        f"| `ray.init(num_cpus=2)`: local head node up (once per session, excluded from the Ray points) | {ray_start:.1f} s | |",
        f"| wall per no-op task, local pool, 2 in flight ({NOOPS} tasks, pool start included) | {local_noop * 1000:.1f} ms | 1x (baseline) |",
        f"| wall per no-op task, `RayExecutor`, 2 in flight ({NOOPS} tasks) | {ray_noop * 1000:.1f} ms | {ray_noop / local_noop:.1f}x local |",
    ]


def _projection(points, month, ray_noop, sampler) -> list[str]:
    out = ["", f"### Projection to a {NODES}-node cluster of these {os.cpu_count()}-core machines (not measured)", ""]
    creates = [p for p in points if p.kind == "create"]
    sims = [p for p in points if p.kind == "sim"]
    serial = _find(points, "create", "local", 1)
    best = max(creates, key=lambda p: p.per_hour)
    out += [
        "Assumptions: tasks share nothing (each reads its inputs and writes its own directory), so nodes scale "
        "linearly; each node runs at the best rate measured here; one Ray driver dispatches every task and pays "
        f"the measured {ray_noop * 1000:.1f} ms per no-op task (an upper bound on its per-task cost: that figure is "
        "a full round trip with 2 in flight), serially; the shared workspace's storage keeps up. "
        "Not included: moving computers to and from the nodes, node failures, the manifest at scale.",
        "",
        f"Creation: {serial.wall / serial.tasks:.2f} s of one core per computer measured at c=1 "
        f"({serial.core_seconds / serial.tasks:.2f} busy core-s); best node rate {best.per_hour:,.0f} computers/hour "
        f"({best.executor}, c={best.concurrency}), so {NODES} nodes make {best.per_hour * NODES:,.0f}/hour.",
        "",
        "| computers | cluster time = n / (node rate x nodes) | + Ray dispatch (n x per-task cost, serial) | same from core-s: n x s / cores |",
        "|---|---|---|---|",
    ]
    cluster_cores = NODES * (os.cpu_count() or 1)
    for n in CLUSTER_COMPUTERS:
        t = n / (best.per_hour * NODES) * 3600
        out.append(f"| {n:,} | {n:,} / ({best.per_hour:,.0f} x {NODES}) /h = {_hours(t)} | "
                   f"{n:,} x {ray_noop * 1000:.1f} ms = {_hours(n * ray_noop)} (overlaps the work) | "
                   f"{n:,} x {serial.wall / serial.tasks:.2f} s / {cluster_cores} = {_hours(n * serial.wall / serial.tasks / cluster_cores)} |")
    if sims:
        best_sim = max(sims, key=lambda p: p.workdays / p.wall)
        rate = best_sim.workdays / best_sim.wall * 3600
        per_slot = best_sim.wall * best_sim.concurrency / best_sim.workdays
        workdays = CLUSTER_MONTHS * MONTH_DAYS
        t_days = workdays / (rate * NODES) * 3600
        out += [
            "",
            f"Simulations: best node rate {rate:,.0f} workdays/hour ({best_sim.executor}, c={best_sim.concurrency}: "
            f"{per_slot:.2f} s per workday per slot, {SIM_DAYS}-day months). {CLUSTER_MONTHS:,} month-long "
            f"({MONTH_DAYS}-workday) simulations = {workdays:,} workdays.",
            "",
            "| basis | arithmetic | cluster time |",
            "|---|---|---|",
            f"| per workday, from the {SIM_DAYS}-day months (overstates: per-simulation costs spread over {SIM_DAYS} days) | "
            f"{workdays:,} / ({rate:,.0f} x {NODES}) /h | {_hours(t_days)} |",
        ]
        base = _find(points, "sim", best_sim.executor, 1) or _find(points, "sim", "local", 1)
        if month is not None and base is not None:
            speedup = best_sim.per_hour / base.per_hour
            months_per_node = 3600 / month.wall * speedup
            out.append(
                f"| per month: the measured {MONTH_DAYS}-day month ({month.wall:.1f} s at c=1) times the {SIM_DAYS}-day "
                f"months' speed-up at c={best_sim.concurrency} ({speedup:.2f}x) | "
                f"{CLUSTER_MONTHS:,} / ({months_per_node:,.0f} months/h x {NODES}) | "
                f"{_hours(CLUSTER_MONTHS / (months_per_node * NODES) * 3600)} |")
        out.append(
            f"| Ray dispatch for {CLUSTER_MONTHS:,} tasks | {CLUSTER_MONTHS:,} x {ray_noop * 1000:.1f} ms | "
            f"{CLUSTER_MONTHS * ray_noop:.1f} s (negligible) |")
        if sampler is not None and sampler.peak_live:
            per_host = sampler.host_peak / sampler.peak_live
            out += ["", f"Memory is not what limits a node: at the measured {per_host:.0f} MB per live computer "
                    f"(container + worker), {_host_total_gb():.0f} GiB hold ~{int(_host_total_gb() * 1024 / max(per_host, 1)):,} "
                    f"live computers, while the CPU saturates at c={best_sim.concurrency} here."]
    return out
