"""Judge speed: one deliverable and a month's judgement, against the substring judge.

Three fresh computers play a 10-day month with the thorough scripted worker on the fake
sandbox; their final deliverables are then judged offline, without rendering, in the
same process. Baseline, measured in the same run: the judge this project had before
the reward-integrity work, which extracted each file's text and looked for the
expected strings in it (``_substring_judge`` keeps exactly that cost: one extraction
per file, one substring test per expected string). Targets (issue "Reward integrity"):
one deliverable <= 1 s on one core after warm-up; a month's judgement <= 10 s.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from synthcomp.agents.judge import ProceduralJudge, project_corpus
from synthcomp.agents.rubric import build_rubric
from synthcomp.computer.artifacts.extract import clear_extraction_cache, extract_text
from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.models import Rubric
from synthcomp.ospath import tree_reader
from synthcomp.sim.playthrough import play_month
from synthcomp.workspace import computer_dirs

COMPUTERS = 3
DAYS = 10


def _substring_judge(read, rubric: Rubric, quoted: dict[str, str]) -> float:
    """The previous judge's work: extract each file once, test each expected string."""
    texts: dict[str, str] = {}
    met = 0
    for c in rubric.criteria:
        if c.path not in texts:
            try:
                texts[c.path] = extract_text(c.path.rsplit(".", 1)[-1].lower(), read(c.path)).lower()
            except Exception:  # noqa: BLE001 - a missing file scores 0, as it did
                texts[c.path] = ""
        met += all(quoted.get(e, e).lower() in texts[c.path] for e in c.expect)
    return met / len(rubric.criteria)


def _timed(work: Callable[[], object]) -> float:
    """Seconds one call takes from a cold extraction cache: every judge reads the files anew."""
    clear_extraction_cache()
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


def _timed_pair(judge: Callable[[], object], baseline: Callable[[], object]) -> tuple[float, float]:
    return _timed(judge), _timed(baseline)


def run() -> str:
    with tempfile.TemporaryDirectory() as tmp:
        ws = Path(tmp)
        create_computers(CreateRequest.from_cli(out=ws, n=COMPUTERS, seed=31, os_name="mixed", personas=None, workers=1))
        per_file, per_month, baseline_file, baseline_month = [], [], [], []
        for computer_dir in computer_dirs(ws):
            played = play_month(computer_dir, "thorough", DAYS, ws / f"run-{computer_dir.name}", keep_files=True)
            setup, state, files = played.setup, played.state, played.files
            read = tree_reader(files, played.computer.policy.os)
            rubric = build_rubric(setup, seed=0, reviews=state.reviews)
            quoted = {f.id: f.quoted for f in setup.truth.figures()}
            original = tree_reader(computer_dir / "files", played.computer.policy.os)
            paths = sorted({c.path for c in rubric.criteria})
            clear_extraction_cache()
            ProceduralJudge(read, setup).judge(rubric)  # warm-up: imports, first parses
            corpus = project_corpus(played.computer, original, setup, state.inbox)
            month_s, base_s = _timed_pair(lambda: ProceduralJudge(read, setup, corpus).judge(rubric),
                                          lambda: _substring_judge(read, rubric, quoted))
            per_month.append(month_s + _timed(lambda: project_corpus(played.computer, original, setup, state.inbox)))
            baseline_month.append(base_s)
            for path in paths:
                one = Rubric(criteria=[c for c in rubric.criteria if c.path == path])
                file_s, base_s = _timed_pair(lambda: ProceduralJudge(read, setup, corpus).judge(one),
                                             lambda: _substring_judge(read, one, quoted))
                per_file.append(file_s)
                baseline_file.append(base_s)
    med_file, med_base = statistics.median(per_file), statistics.median(baseline_file)
    worst_file = max(per_file)
    month, base_month = statistics.fmean(per_month), statistics.fmean(baseline_month)
    return "\n".join([
        "## Judge (offline, no rendering)",
        "",
        f"{COMPUTERS} computers, a {DAYS}-day month each with the thorough scripted worker on the fake sandbox; "
        f"{len(per_file)} deliverables judged one by one, then each month's judgement whole (the corpus of the "
        "project's files and messages built inside the timing). Baseline: the previous substring judge on the "
        "same files and rubric, in the same run.",
        "",
        "| what | this judge | substring judge | ratio |",
        "|---|---|---|---|",
        f"| one deliverable, median | {med_file * 1000:.0f} ms | {med_base * 1000:.0f} ms | {med_file / med_base:.1f}x |",
        f"| one deliverable, worst | {worst_file * 1000:.0f} ms | {max(baseline_file) * 1000:.0f} ms | "
        f"{worst_file / max(baseline_file):.1f}x |",
        f"| a month's judgement, mean | {month:.2f} s | {base_month:.2f} s | {month / base_month:.1f}x |",
        "",
        f"Targets: one deliverable <= 1 s ({'met' if worst_file <= 1 else 'NOT met'}); a month <= 10 s "
        f"({'met' if max(per_month) <= 10 else 'NOT met'}).",
    ])
