"""Table-1-style statistics over a workspace of computers (paper Table 1 and Figure 5).

Measured on the materialized trees, not the plans, so what is counted is what a user
(or an agent) would find. Depth is counted from the *user root* a person navigates
from: the home folder for files under it, the drive (or volume) root otherwise. So
``C:\\Users\\ana\\Documents\\Reports`` has depth 2 and ``D:\\Projects\\Alpha`` depth 2.
A directory is any folder that holds a file somewhere below it.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path, PurePosixPath

from pydantic import BaseModel
from rich.console import Console
from rich.table import Table

from synthcomp import ospath
from synthcomp.errors import InputError
from synthcomp.models import FinishedSim, parse_summary


class Summary(BaseModel):
    mean: float
    median: float
    min: float
    max: float


class SizeSummary(BaseModel):
    mean: float
    median: float
    p95: float


class WorkspaceStats(BaseModel):
    computers: int
    files: Summary
    dirs: Summary
    avg_depth: Summary
    max_depth: Summary
    ext_share: dict[str, float]
    size_kb: dict[str, SizeSummary]


def _summary(values: list[float]) -> Summary:
    return Summary(mean=round(statistics.fmean(values), 3), median=round(statistics.median(values), 3),
                   min=round(min(values), 3), max=round(max(values), 3))


def _user_root_parts(os_name: str, home: str, logical: str) -> list[str]:
    """Components of ``logical`` below its user root (home, else drive/volume root)."""
    home_root, home_parts = ospath.parts(os_name, home)
    root, parts = ospath.parts(os_name, logical)
    if root == home_root and [p.lower() for p in parts[: len(home_parts)]] == [p.lower() for p in home_parts]:
        return parts[len(home_parts):]
    return parts


def computer_shape(computer_dir: Path) -> tuple[int, int, float, int, list[tuple[str, int]]]:
    """(files, dirs, avg dir depth, max dir depth, [(ext, bytes)]) of one computer."""
    meta = json.loads((computer_dir / "computer.json").read_text())
    os_name, home = meta["policy"]["os"], meta["policy"]["home"]
    files_dir = computer_dir / "files"
    dirs: set[tuple[str, ...]] = set()
    sizes: list[tuple[str, int]] = []
    for path in files_dir.rglob("*"):
        if not path.is_file():
            continue
        logical = ospath.to_logical(os_name, PurePosixPath(path.relative_to(files_dir).as_posix()))
        parts = _user_root_parts(os_name, home, logical)
        for depth in range(1, len(parts)):
            dirs.add(tuple(parts[:depth]))
        suffix = PurePosixPath(path.name).suffix.lower().lstrip(".") or "none"
        sizes.append((suffix, path.stat().st_size))
    depths = [len(d) for d in dirs] or [0]
    return len(sizes), len(dirs), statistics.fmean(depths), max(depths), sizes


def workspace_stats(workspace: Path, *, post: bool = False) -> WorkspaceStats:
    """Summarize every computer under ``workspace/computers`` (``post``: the computers as
    simulations left them, ``workspace/sims/<shard>/<id>/computer``).

    Raises:
        InputError: the workspace holds no such computers.
    """
    pattern = "sims/*/*/computer" if post else "computers/*/*"
    computers = sorted(p for p in workspace.glob(pattern) if (p / "computer.json").is_file())
    if not computers:
        raise InputError(f"no computers in {workspace} (expected {workspace}/{pattern}/computer.json)")
    files, dirs, avg_depth, max_depth = [], [], [], []
    by_ext: dict[str, list[int]] = {}
    for computer in computers:
        n_files, n_dirs, avg, deepest, sizes = computer_shape(computer)
        files.append(n_files)
        dirs.append(n_dirs)
        avg_depth.append(avg)
        max_depth.append(deepest)
        for ext, size in sizes:
            by_ext.setdefault(ext, []).append(size)
    total = sum(len(v) for v in by_ext.values())
    return WorkspaceStats(
        computers=len(computers), files=_summary(files), dirs=_summary(dirs), avg_depth=_summary(avg_depth),
        max_depth=_summary(max_depth),
        ext_share={ext: round(len(v) / total, 4) for ext, v in sorted(by_ext.items(), key=lambda kv: -len(kv[1]))},
        size_kb={ext: SizeSummary(
            mean=round(statistics.fmean(v) / 1024, 1), median=round(statistics.median(v) / 1024, 1),
            p95=round(sorted(v)[min(len(v) - 1, int(0.95 * len(v)))] / 1024, 1),
        ) for ext, v in sorted(by_ext.items())},
    )


def simulation_totals(workspace: Path) -> list[FinishedSim]:
    """The summary.json of every finished simulation (paper Table 3's measures)."""
    summaries = [parse_summary(json.loads(p.read_text())) for p in sorted(workspace.glob("sims/*/*/summary.json"))]
    return [s for s in summaries if isinstance(s, FinishedSim)]


PAPER_TABLE3 = {"turns": 2272, "planning_turns": 63, "collaborators": 5.5, "communications": 31,
                "files_start": 111.6, "files_end": 197.4, "new_folders": 5.6}
"""The paper's means (Tables 1 and 3): turns, planning turns, collaborators, communications,
files before and after a month, and folders added (30.4 -> 36.0 directories)."""

SIMULATION_ROWS = (("turns", "# Turns"), ("planning_turns", "  weekly planning"),
                   ("collaborators", "# Simulated collaborators"), ("communications", "# Communications"),
                   ("messages_sent", "  sent"), ("messages_received", "  received"),
                   ("files_start", "# Files before"), ("files_end", "# Files after"),
                   ("files_created", "  created"), ("files_revised", "  revised"), ("new_folders", "# New folders"),
                   ("milestones_on_time", "Milestones met on time"), ("milestones_due", "  of milestones"),
                   ("env_seconds", "Seconds in the env"), ("policy_seconds", "Seconds in the policy"), ("score", "Score"))


def simulation_measure(summary: FinishedSim, key: str) -> float:
    """One Table 3 measure of a finished simulation (communications = messages sent + received)."""
    if key == "communications":
        return float(summary.messages_sent + summary.messages_received)
    return float(getattr(summary, key))


def print_simulations(summaries: list[FinishedSim], console: Console) -> None:
    """Table 3 of the paper for these simulations, with the paper's mean beside ours."""
    table = Table(title=f"{len(summaries)} simulation(s)")
    for col in ("", "Mean", "Median", "Min", "Max", "Paper mean"):
        table.add_column(col, justify="right" if col else "left")
    for key, label in SIMULATION_ROWS:
        s = _summary([simulation_measure(x, key) for x in summaries])
        paper = PAPER_TABLE3.get(key)
        table.add_row(label, f"{s.mean:.2f}", f"{s.median:.2f}", f"{s.min:g}", f"{s.max:g}",
                      "-" if paper is None else f"{paper:g}")
    console.print(table)


def print_stats(stats: WorkspaceStats, console: Console, title: str = "synthetic computer(s)") -> None:
    table = Table(title=f"{stats.computers} {title}")
    for col in ("", "Mean", "Median", "Min", "Max"):
        table.add_column(col, justify="right" if col else "left")
    for label, s in (("Files per computer", stats.files), ("Directories per computer", stats.dirs),
                     ("Avg directory depth", stats.avg_depth), ("Max directory depth", stats.max_depth)):
        table.add_row(label, f"{s.mean:.2f}", f"{s.median:.2f}", f"{s.min:g}", f"{s.max:g}")
    console.print(table)
    types = Table(title="Artifact types")
    for col in ("Extension", "Share", "Mean KB", "Median KB", "p95 KB"):
        types.add_column(col, justify="right" if col != "Extension" else "left")
    for ext, share in stats.ext_share.items():
        size = stats.size_kb[ext]
        types.add_row(ext, f"{share:.1%}", f"{size.mean:.1f}", f"{size.median:.1f}", f"{size.p95:.1f}")
    office = sum(stats.ext_share.get(e, 0) for e in ("docx", "xlsx", "pptx", "pdf"))
    console.print(types)
    console.print(f"DOCX+XLSX+PPTX+PDF: {office:.1%} of all files")
