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

The machine may be shared: a watcher thread adds up other users' CPU time, so every
point reports how loaded the machine was besides this run ("other load"), and the
core-seconds per task exclude it. Docker resources are cleaned up by the points
themselves (checkpoint images) and, for anything left, by computer label at the end.
"""

from __future__ import annotations

import os
import shutil
import socket
import statistics
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.computer.stats import computer_shape
from synthcomp.pool.executor import LocalExecutor, RayExecutor
from synthcomp.pool.manifest import read_manifest
from synthcomp.fleet.simulations import simulate_many
from synthcomp.sim.config import SimSettings
from synthcomp.sandbox.gc import COMPUTER, HOST, OWNER, ROLE
from synthcomp.sim.cleanup import delete_checkpoints
from synthcomp.workspace import computer_dir, computer_dirs, shard_of, sim_dirs

SEED = 909
CREATE_LOCAL = [(1, 4), (2, 4), (4, 16)]
"""(concurrency, computers), the same seed everywhere: c=4's 16 (the simulations' pool) start with the others' 4."""
CREATE_RAY = [(2, 4)]
SIM_DAYS = 2
SIM_LOCAL = [(1, 2), (2, 2), (4, 4), (8, 8), (16, 16)]
"""(concurrency, simulations): each simulation is one computer of the same pool, first n by id."""
SIM_RAY = [(2, 2), (4, 4)]
SAMPLED = 16
"""The local simulation point during which live containers and their memory are sampled."""
MONTH_DAYS = 20
"""A month-long simulation's workdays, for the projection."""
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
    """CPU time used during the point: the whole machine's, and other users' part of it."""
    retried: int = 0
    failed: int = 0
    files: list[int] = field(default_factory=list)
    turns: int = 0
    task_seconds: list[float] = field(default_factory=list)
    """Each finished task's own wall time, submit to result, as the executor measured it (``Outcome.seconds``)."""

    @property
    def per_hour(self) -> float:
        return self.tasks / self.wall * 3600

    @property
    def steady_per_hour(self) -> float:
        """Tasks/hour with every slot always busy: concurrency / mean task time (no start, no tail)."""
        return self.concurrency / statistics.fmean(self.task_seconds) * 3600 if self.task_seconds else 0.0

    @property
    def workdays(self) -> int:
        return self.tasks * SIM_DAYS


# ---------------------------------------------------------------- measuring helpers


DOCKER_PROCESSES = {"dockerd", "containerd", "containerd-shim", "fuse-overlayfs", "runc", "docker-init", "docker-proxy"}


def _processes() -> dict[int, tuple[int, str, int, int, int]]:
    """pid -> (ppid, comm, start time, CPU ticks incl. reaped children's, nice) for every process."""
    out = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            head, _, rest = stat.rpartition(")")
            f = rest.split()
            out[int(entry.name)] = (int(f[1]), head.partition("(")[2], int(f[19]), sum(map(int, f[11:15])), int(f[16]))
    return out


def _descendants(procs: dict[int, tuple[int, str, int, int, int]] | None = None,
                 roots: set[int] | None = None) -> set[int]:
    """``roots`` (default: this process) and every process below them."""
    procs = _processes() if procs is None else procs
    children: dict[int, list[int]] = {}
    for pid, (ppid, *_) in procs.items():
        children.setdefault(ppid, []).append(pid)
    found = set(roots) if roots is not None else {os.getpid()}
    todo = list(found)
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _busy_seconds() -> float:
    user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in Path("/proc/stat").read_text().split()[1:8])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")  # not idle, iowait or steal


@dataclass
class Cpu:
    """Core-seconds: the whole machine busy, and the part of it other users' processes used."""

    total: float
    other: float

    def __sub__(self, before: Cpu) -> Cpu:
        return Cpu(self.total - before.total, max(self.other - before.other, 0.0))

    @property
    def ours(self) -> float:
        """Everything but other users: this run's processes, the Docker side, the kernel's work for them."""
        return max(self.total - self.other, 0.0)


class CpuWatch(threading.Thread):
    """Adds up, every ``interval`` s, the CPU time of *other users'* processes: everything that
    is neither below this process, nor Docker's (dockerd, containerd, shims, fuse-overlayfs
    and the containers' processes below them), nor a kernel thread, nor init. The machine's
    busy time minus that is this run's cost, whatever process it was spent in.

    Each process's ticks include its reaped children's, so short-lived commands count
    through their parent; a process that ends with no other user's live process above it
    to inherit its ticks (init reaps orphans) is counted up to its last look, losing at
    most ``interval`` s.
    """

    def __init__(self, interval: float = 0.5):
        super().__init__(daemon=True)
        self.interval, self.stop = interval, threading.Event()
        self.lock = threading.RLock()  # the thread and now() both look
        self.other_ticks = 0
        self.last: dict[int, tuple[int, int, int]] = {}  # other users' pid -> (ppid, start time, ticks)
        self.ray_nice: set[int] = set()  # niceness of Ray's worker processes
        self.mine: set[int] = set()  # ever below this process: still ours once orphaned
        self._look(first=True)

    def _look(self, first: bool = False) -> None:
        with self.lock:
            self._look_locked(first)

    def _look_locked(self, first: bool) -> None:
        procs = _processes()
        mine = _descendants(procs)
        docker = _descendants(procs, {pid for pid, (_, comm, *_) in procs.items()
                                      if comm in DOCKER_PROCESSES or comm.startswith("containerd-shim")})
        now: dict[int, tuple[int, int, int]] = {}
        for pid, (ppid, comm, start, ticks, nice) in procs.items():
            if pid in mine or pid in self.mine:
                self.mine.add(pid)
                if comm.startswith(("ray::run_job", "ray::simulate_t", "ray::shard_of")):  # workers running our tasks
                    self.ray_nice.add(nice)
            elif not (pid in (1, 2) or ppid == 2 or pid in docker):  # init, kernel threads, Docker and containers
                now[pid] = (ppid, start, ticks)
        gained = sum(t for _, _, t in now.values()) - sum(t for _, _, t in self.last.values())
        gone = {pid for pid, (_, start, _) in self.last.items() if now.get(pid, (0, None))[1] != start}
        for pid in gone:
            up = self.last[pid][0]
            while up in gone:  # its parent ended too: whoever reaps that one gets both
                up = self.last[up][0]
            if up not in now:  # no other user's live process inherits its ticks: keep what it had used
                gained += self.last[pid][2]
        self.last = now
        if not first:
            self.other_ticks += gained

    def run(self) -> None:
        while not self.stop.wait(self.interval):
            self._look()

    def now(self) -> Cpu:
        self._look()
        with self.lock:
            return Cpu(_busy_seconds(), self.other_ticks / os.sysconf("SC_CLK_TCK"))


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
                    memory = _cgroup_mb(c.id) or self._daemon_stats(c)
                    if memory is not None:  # None: it stopped between the listing and now
                        self.samples.append(memory[0])
                        self.peaks[c.id] = max(self.peaks.get(c.id, 0.0), memory[1])
                self.host_peak = max(self.host_peak, _host_used_mb() - self.host_before)
            except Exception as exc:  # the daemon hiccuped: that tick is skipped
                self.error = f"{type(exc).__name__}: {exc}"
            self.stop.wait(self.interval)

    @staticmethod
    def _daemon_stats(container) -> tuple[float, float] | None:
        """`docker stats`' memory figures from the API, where the cgroup files are not visible."""
        import docker.errors

        try:
            stats = container.stats(stream=False, one_shot=True)["memory_stats"]
        except docker.errors.NotFound:
            return None
        if "usage" not in stats:
            return None
        detail = stats.get("stats", {})
        cache = detail.get("total_inactive_file", detail.get("inactive_file", 0))
        return (stats["usage"] - cache) / 2**20, stats.get("max_usage", stats["usage"]) / 2**20


# ---------------------------------------------------------------- the points


class Timed:
    """An executor that passes everything through and keeps each finished task's ``seconds``."""

    def __init__(self, inner):
        self.inner, self.concurrency = inner, inner.concurrency
        self.seconds: list[float] = []

    def run(self, fn, items, keys):
        for outcome in self.inner.run(fn, items, keys):
            if outcome.status == "done":
                self.seconds.append(outcome.seconds)
            yield outcome


def _create_point(watch: CpuWatch, out: Path, executor, name: str, concurrency: int, n: int) -> Point:
    request = CreateRequest.from_cli(out=out, n=n, seed=SEED, os_name="mixed", personas=None, workers=1)
    executor = Timed(executor)
    cpu, started = watch.now(), time.perf_counter()
    create_computers(request, executor=executor)
    wall, cpu = time.perf_counter() - started, watch.now() - cpu
    records = [r for (kind, _), r in read_manifest(out).items() if kind == "computer"]
    return Point("create", name, concurrency, n, wall, cpu,
                 retried=sum(r.get("attempts", 1) > 1 for r in records),
                 failed=sum(r.get("status") == "failed" for r in records),
                 files=[computer_shape(c)[0] for c in computer_dirs(out)], task_seconds=executor.seconds)


def _sim_point(watch: CpuWatch, ws: Path, pool: list[Path], executor, name: str, concurrency: int, n: int,
               sampler: LiveSampler | None = None) -> Point:
    assert n <= len(pool), f"{n} simulations need {n} computers; the pool has {len(pool)}"
    for source in pool[:n]:
        shutil.copytree(source, computer_dir(ws, source.name))
    if sampler is not None:
        sampler.start()
    executor = Timed(executor)
    cpu, started = watch.now(), time.perf_counter()
    try:
        report = simulate_many(ws, executor, SimSettings(policy="scripted", days=SIM_DAYS, sandbox="docker"))
    finally:
        wall, cpu = time.perf_counter() - started, watch.now() - cpu
        if sampler is not None:
            sampler.stop.set()
            sampler.join()
        _delete_checkpoints(ws)  # docker checkpoints are kept images that outlive the temp dir
    records = [r for (kind, _), r in read_manifest(ws).items() if kind == "sim"]
    return Point("sim", name, concurrency, n, wall, cpu, retried=report.retried, failed=len(report.failed),
                 turns=sum(r.get("turns", 0) for r in records), task_seconds=executor.seconds)


def _delete_checkpoints(ws: Path) -> None:
    """Remove the simulations' checkpoint images (between points, a few at a time)."""
    sims = [sim for sim in sim_dirs(ws) if any((sim / "checkpoints").glob("day-*.json"))]
    with ThreadPoolExecutor(4) as removers:
        list(removers.map(delete_checkpoints, sims))


def _noop_seconds(executor) -> float:
    """Wall seconds per task of a task that does nothing (``shard_of`` on an id)."""
    items = [f"win-{i:010x}" for i in range(NOOPS)]
    list(executor.run(shard_of, items[:10], items[:10]))  # warm-up: Ray keeps its workers, a pool does not
    started = time.perf_counter()
    done = sum(o.status == "done" for o in executor.run(shard_of, items, items))
    assert done == NOOPS, f"{NOOPS - done} no-op tasks failed"
    return (time.perf_counter() - started) / NOOPS


# ---------------------------------------------------------------- run


@dataclass
class Results:
    points: list[Point] = field(default_factory=list)
    sampler: LiveSampler | None = None
    local_noop: float = 0.0
    ray_noop: float = 0.0
    ray_start: float = 0.0
    ray_nice: set[int] = field(default_factory=set)
    seconds: float = 0.0
    leftovers: str = ""


def run() -> str:
    client = _docker()
    before_containers = {c.id for c in client.containers.list(all=True)} if client else set()
    before_images = {i.id for i in client.images.list(filters={"label": f"{ROLE}=snapshot"})} if client else set()
    started = time.perf_counter()
    res = Results()
    watch = CpuWatch()
    watch.start()
    pool: list[Path] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        try:
            # local executor first: no pool ever forks a process that holds Ray's threads
            res.local_noop = _noop_seconds(LocalExecutor(2))
            for c, n in CREATE_LOCAL:
                res.points.append(_create_point(watch, root / f"create-local-{c}", LocalExecutor(c), "local", c, n))
            pool = list(computer_dirs(root / f"create-local-{CREATE_LOCAL[-1][0]}"))
            if client is not None:
                for c, n in SIM_LOCAL:
                    sampler = LiveSampler(client, before_containers) if c == SAMPLED else None
                    res.points.append(_sim_point(watch, root / f"sim-local-{c}", pool, LocalExecutor(c), "local", c, n,
                                                 sampler))
                    res.sampler = sampler or res.sampler
            import ray

            t0 = time.perf_counter()  # one session for every Ray point; its start is reported on its own
            ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
            res.ray_start = time.perf_counter() - t0
            try:
                res.ray_noop = _noop_seconds(RayExecutor(2))
                for c, n in CREATE_RAY:
                    res.points.append(_create_point(watch, root / f"create-ray-{c}", RayExecutor(c), "ray", c, n))
                if client is not None:
                    for c, n in SIM_RAY:
                        res.points.append(_sim_point(watch, root / f"sim-ray-{c}", pool, RayExecutor(c), "ray", c, n))
                res.ray_nice = set(watch.ray_nice)
            finally:
                ray.shutdown()
        finally:
            watch.stop.set()
            for ws in root.glob("sim-*"):
                _delete_checkpoints(ws)
    res.seconds = time.perf_counter() - started
    res.leftovers = _leftovers(client, before_containers, before_images, {p.name for p in pool})
    return _section(res)


def _leftovers(client, before_containers: set[str], before_images: set[str], computers: set[str]) -> str:
    """Remove (and say) what this run left in Docker: only new containers, snapshot images and
    volumes labelled with one of this run's computers, so nobody else's are touched."""
    if client is None:
        return "no Docker daemon"
    time.sleep(2)  # auto-remove is asynchronous
    ours = lambda labels: (labels or {}).get(COMPUTER) in computers
    containers = [c for c in client.containers.list(all=True, filters={"label": OWNER})
                  if c.id not in before_containers and ours(c.labels)]
    images = [i for i in client.images.list(filters={"label": f"{ROLE}=snapshot"})
              if i.id not in before_images and ours(i.labels)]
    volumes = [v for v in client.volumes.list(filters={"label": OWNER}) if ours(v.attrs.get("Labels"))]
    for c in containers:
        c.remove(force=True, v=True)
    for i in images:
        client.images.remove(i.id, force=True)
    for v in volumes:
        v.remove(force=True)
    return (f"{len(containers)} containers, {len(images)} snapshot images and {len(volumes)} volumes of this run "
            "were left over (removed now)")


# ---------------------------------------------------------------- the section


def _find(points: list[Point], kind: str, executor: str, c: int) -> Point | None:
    return next((p for p in points if (p.kind, p.executor, p.concurrency) == (kind, executor, c)), None)


def _hours(seconds: float) -> str:
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 3600:
        return f"{seconds / 60:.1f} min"
    if seconds < 3 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} days"


def _at(n: float, per_hour: float) -> str:
    """How long ``n`` tasks take at ``per_hour``."""
    return _hours(n / per_hour * 3600) if per_hour > 0 else "n/a"


def _host_total_gb() -> float:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) / 2**20
    return 0.0


def _speedup(points: list[Point], p: Point) -> str:
    base = _find(points, p.kind, p.executor, 1) or _find(points, p.kind, "local", 1)
    text = f"{p.per_hour / base.per_hour:.2f}x" if base else ""
    local = _find(points, p.kind, "local", p.concurrency)
    if p.executor == "ray" and local is not None:
        text += f" ({p.per_hour / local.per_hour:.2f}x local c={p.concurrency})"
    return text


def _steady(points: list[Point], p: Point, scale: int = 1) -> str:
    base = _find(points, p.kind, p.executor, 1) or _find(points, p.kind, "local", 1)
    ratio = f" ({p.steady_per_hour / base.steady_per_hour:.2f}x)" if base and base.steady_per_hour else ""
    return f"{p.steady_per_hour * scale:,.0f}{ratio}"


def _loaded(points: list[Point]) -> list[str]:
    """A warning naming the points that shared the machine with other users' work."""
    loaded = [f"{p.executor} c={p.concurrency} ({p.cpu.other / p.wall:.2f})" for p in points
              if p.cpu.other / p.wall > 0.1]
    if not loaded:
        return ["", "No other users' load above 0.1 core during these points."]
    return ["", "**Other users' load above 0.1 core** (of 2) during: " + ", ".join(loaded) + ". Those wall times, "
            "and the ratios that involve them, are slower than this machine alone would give."]


def _section(res: Results) -> str:
    cores = os.cpu_count() or 1
    points = res.points
    creates = [p for p in points if p.kind == "create"]
    sims = [p for p in points if p.kind == "sim"]
    nice = ", ".join(map(str, sorted(res.ray_nice))) or "?"
    lines = [
        "## Fleet throughput: local pool vs Ray",
        "",
        f"`bench/bench_fleet.py` on {cores} cores and {_host_total_gb():.0f} GiB; the module took {res.seconds:.0f} s. "
        "Each point is one `create_computers` / `simulate_many` call on a fresh temp workspace; *wall* includes "
        "the executor starting its workers (a local pool forks them per call; Ray's are kept). Speed-up is "
        "against concurrency 1 of the same executor in this run; Ray has no c=1 point, so its ratio is against "
        "local c=1, and against local at the same concurrency. *Core-s* is the machine's busy CPU time during "
        "the point (`/proc/stat`) minus other users' processes (sampled every 0.5 s), divided by the tasks: "
        "this run's workers, the Ray node, Docker (dockerd, containerd, shims, fuse-overlayfs, the containers) "
        "and the kernel's work for them. *Other load* is the other users' part, in cores on average: this is a "
        "shared 2-core machine, and wherever it is above ~0.1 that point's wall time is slower than on an idle "
        "machine. *Steady state* = concurrency / the mean of the tasks' own wall times (each measured by the "
        "executor from submit to result): the rate with every slot busy, without the batch's start (forking "
        "the pool) and tail (the last tasks running beside idle slots), which is what a batch of 10^4+ tasks "
        "approaches; with one task per slot it is approximate (the last tasks run with fewer neighbours). "
        f"Ray runs its workers at nice {nice} (Ray's default, `RAY_worker_niceness`), the pool's "
        "workers at 0, so under other load Ray's tasks yield first.",
        "",
        f"### Creation (procedural brain, seed {SEED}, mixed OS; no containers)",
        "",
        "| executor | concurrency | computers | files per computer (mean) | wall | computers/hour | speed-up | steady state: computers/hour (ratio) | core-s per computer | other load | retried / failed |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in creates:
        lines.append(f"| {p.executor} | {p.concurrency} | {p.tasks} | {statistics.fmean(p.files):.0f} | {p.wall:.1f} s | "
                     f"{p.per_hour:,.0f} | {_speedup(points, p)} | {_steady(points, p)} | {p.cpu.ours / p.tasks:.2f} | "
                     f"{p.cpu.other / p.wall:.2f} | {p.retried} / {p.failed} |")
    lines += [
        "",
        f"Creation is CPU-bound Python in the worker processes: more workers than the {cores} cores only add "
        "switching, so concurrency 4 shows the plateau and is not a setting to use. Every point uses the same "
        "seed, so the points with the same count create the same computers; c=4 makes 16 (the first ones the "
        "same), which are also the simulations' pool.",
    ]
    base = _find(points, "create", "local", 1)
    for p in creates:
        size = statistics.fmean(base.files) / statistics.fmean(p.files) if base else 1.0
        if abs(size - 1) > 0.05:
            lines += ["", f"{p.executor} c={p.concurrency}'s computers average {statistics.fmean(p.files):.0f} files "
                      f"against c=1's {statistics.fmean(base.files):.0f}; creation time grows with the files, so its "
                      f"rates and ratios are {'flattered' if size > 1 else 'penalized'} by up to "
                      f"{max(size, 1 / size):.2f}x."]
    lines += _loaded(creates)
    if sims:
        lines += [
            "",
            f"### Simulations ({SIM_DAYS}-workday months, scripted policy, `sandbox=\"docker\"`, one container per simulation)",
            "",
            "Concurrency = the most live containers. Each simulation is a different computer of the pool "
            f"(copied into the point's workspace); a point with n simulations uses the first n. To fit the time "
            "budget there is one simulation per slot from c=2 on (two at c=1). Wall time includes setup, a "
            "checkpoint (`docker commit`) after each day, the end-of-month judgement (no rendering) and the export "
            "of the updated computer. *s per workday per slot* = wall x concurrency / workdays.",
            "",
            "| executor | concurrency | simulations | workdays | turns | wall | simulations/hour | workdays/hour | speed-up | steady state: workdays/hour (ratio) | core-s per workday | s per workday per slot | other load | retried / failed |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for p in sims:
            lines.append(
                f"| {p.executor} | {p.concurrency} | {p.tasks} | {p.workdays} | {p.turns} | {p.wall:.1f} s | "
                f"{p.per_hour:,.0f} | {p.workdays / p.wall * 3600:,.0f} | {_speedup(points, p)} | "
                f"{_steady(points, p, SIM_DAYS)} | "
                f"{p.cpu.ours / p.workdays:.2f} | {p.wall * p.concurrency / p.workdays:.2f} | "
                f"{p.cpu.other / p.wall:.2f} | {p.retried} / {p.failed} |")
        lines += [
            "",
            f"A {SIM_DAYS}-day month pays once per simulation what a real month pays once per {MONTH_DAYS} days (container "
            "start, setup, judgement, export), and its days are the busiest of a month (reading, planning, first "
            "drafts), so its cost per workday likely overstates a month-long simulation's.",
        ]
        lines += _loaded(sims)
    sampler = res.sampler
    if sampler is not None:
        peaks = list(sampler.peaks.values())
        per_host = sampler.host_peak / max(sampler.peak_live, 1)
        check = "met" if sampler.peak_live <= SAMPLED else "NOT met"
        lines += [
            "",
            f"### Live computers and their memory during the local concurrency-{SAMPLED} point",
            "",
            f"Sampled every {sampler.interval} s: this run's running `synthcomp.role=sandbox` containers (owner "
            "pid below this process) and each one's memory cgroup: usage minus inactive file cache, which is what "
            "`docker stats` shows; the computer's tree and /tmp are tmpfs inside it, so they count.",
            "",
            "| measure | value |",
            "|---|---|",
            f"| containers seen during the point | {len(sampler.seen)} |",
            f"| peak live containers at once (check: <= concurrency {SAMPLED}) | {sampler.peak_live} ({check}) |",
        ]
        if sampler.samples:
            lines += [
                f"| memory per live container, mean of {len(sampler.samples)} samples | {statistics.fmean(sampler.samples):.1f} MB |",
                f"| memory per live container, largest sample | {max(sampler.samples):.1f} MB |",
            ]
        if peaks:
            lines.append(f"| each container's own cgroup peak (incl. page cache), median / max | "
                         f"{statistics.median(peaks):.1f} / {max(peaks):.1f} MB |")
        lines.append(f"| host memory in use above the point's start, at its peak, per live computer (container, "
                     f"its Python worker, shim, fuse-overlayfs; other users' processes not excluded) | "
                     f"{per_host:.0f} MB ({sampler.host_peak / 1024:.2f} GiB for {sampler.peak_live}) |")
        if sampler.error:
            lines += ["", f"Last sampling error (that tick was skipped): `{sampler.error[:200]}`."]
    lines += [
        "",
        "### Ray's fixed and per-task costs",
        "",
        "| measure | value | ratio |",
        "|---|---|---|",
        f"| `ray.init(num_cpus=2)`: local head node up (once per session, not in the Ray points) | {res.ray_start:.1f} s | |",
        f"| wall per no-op task, local pool, 2 in flight ({NOOPS} tasks, pool start included) | {res.local_noop * 1000:.1f} ms | 1x (baseline) |",
        f"| wall per no-op task, `RayExecutor`, 2 in flight ({NOOPS} tasks, warm workers) | {res.ray_noop * 1000:.1f} ms | {res.ray_noop / res.local_noop:.1f}x local |",
    ]
    lines += _projection(res)
    lines += ["", f"Docker after the run: {res.leftovers}."]
    return "\n".join(lines)


def _projection(res: Results) -> list[str]:
    cores = os.cpu_count() or 1
    cluster_cores = NODES * cores
    points, ray_noop = res.points, res.ray_noop
    creates = [p for p in points if p.kind == "create"]
    sims = [p for p in points if p.kind == "sim"]
    serial = _find(points, "create", "local", 1)
    best = max(creates, key=lambda p: p.per_hour)
    steady = max(creates, key=lambda p: p.steady_per_hour)
    per_core = serial.wall / serial.tasks
    out = [
        "",
        f"### Projection to a {NODES}-node cluster of these {cores}-core machines (arithmetic on the figures above, not measured)",
        "",
        "Assumptions: tasks share nothing (each reads its inputs and writes only its own directory), so nodes "
        "add up linearly; every node sustains a rate measured on this one (the best batch rate, or the best "
        "steady state); one Ray driver hands out all tasks at the measured "
        f"{ray_noop * 1000:.1f} ms each (a whole no-op round trip with 2 in flight, so an upper bound on the "
        "driver's share), which overlaps the work as long as it is shorter than a task's time divided by the "
        "cluster's slots; storage keeps up. Not included: copying computers to and from the nodes, node "
        "failures and retries, a 10^6-line manifest, other users' load.",
        "",
        f"Creation: one core (local c=1) took {per_core:.2f} s per computer of {statistics.fmean(serial.files):.0f} "
        f"files on average ({serial.cpu.ours / serial.tasks:.2f} core-s of the machine's). Best node rates: batch {best.per_hour:,.0f} computers/hour ({best.executor}, "
        f"c={best.concurrency}), steady state {steady.steady_per_hour:,.0f} ({steady.executor}, "
        f"c={steady.concurrency}). The driver alone could hand out 1 / {ray_noop * 1000:.1f} ms = "
        f"{3600 / ray_noop:,.0f} tasks per hour.",
        "",
        f"| computers | batch rate: n / ({best.per_hour:,.0f} x {NODES}) per h | steady state: n / ({steady.steady_per_hour:,.0f} x {NODES}) per h "
        f"| one core's time: n x {per_core:.2f} s / {cluster_cores} cores | Ray hand-out, serial: n x {ray_noop * 1000:.1f} ms |",
        "|---|---|---|---|---|",
    ]
    for n in CLUSTER_COMPUTERS:
        out.append(f"| {n:,} | {_at(n, best.per_hour * NODES)} | {_at(n, steady.steady_per_hour * NODES)} | "
                   f"{_hours(n * per_core / cluster_cores)} | {_hours(n * ray_noop)} |")
    if sims:
        best_sim = max(sims, key=lambda p: p.workdays / p.wall)
        steady_sim = max(sims, key=lambda p: p.steady_per_hour)
        rate = best_sim.workdays / best_sim.wall * 3600
        steady_rate = steady_sim.steady_per_hour * SIM_DAYS
        per_slot = best_sim.wall * best_sim.concurrency / best_sim.workdays
        workdays = CLUSTER_MONTHS * MONTH_DAYS
        out += [
            "",
            f"Simulations: best node rates: batch {rate:,.0f} workdays/hour ({best_sim.executor}, "
            f"c={best_sim.concurrency}: {per_slot:.2f} s per workday per slot, {SIM_DAYS}-day months), steady "
            f"state {steady_rate:,.0f} ({steady_sim.executor}, c={steady_sim.concurrency}). "
            f"{CLUSTER_MONTHS:,} month-long simulations = {CLUSTER_MONTHS:,} x {MONTH_DAYS} = {workdays:,} workdays, "
            f"on {NODES} nodes x {best_sim.concurrency} slots = {NODES * best_sim.concurrency:,} live containers "
            f"(batch rate). The {SIM_DAYS}-day months' cost per workday likely overstates a month's (see above); "
            "each node's cores, not its memory, set the slot count (see the memory table).",
            "",
            f"| simulations | batch rate: workdays / ({rate:,.0f} x {NODES}) per h | steady state: workdays / ({steady_rate:,.0f} x {NODES}) per h | Ray hand-out, serial |",
            "|---|---|---|---|",
            f"| {CLUSTER_MONTHS:,} x {MONTH_DAYS} workdays | {_at(workdays, rate * NODES)} | "
            f"{_at(workdays, steady_rate * NODES)} | "
            f"{CLUSTER_MONTHS:,} x {ray_noop * 1000:.1f} ms = {_hours(CLUSTER_MONTHS * ray_noop)} |",
        ]
    return out
