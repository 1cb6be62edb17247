"""``WS/manifest.jsonl``: one line per computer and per simulation, with its stats.

Only the driver writes it (results come back from workers), appending one line per
task as it ends (``status``: done, failed, or stopped by a model budget), so a crash
loses at most the line being written. Readers take
the last line per (kind, id): a retried or re-run task's newest record wins. At 10^6
computers the index is a few hundred MB of JSONL, read in one pass; it loads as a table
with ``datasets.load_dataset("json", data_files="WS/manifest.jsonl")``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from synthcomp.errors import SynthcompError
from synthcomp.pool.executor import Outcome

MANIFEST = "manifest.jsonl"


class FleetError(SynthcompError):
    """Some tasks still failed after their retries; the others' output is kept."""

    def __init__(self, what: str, failures: list[Outcome], total: int):
        self.failures = failures
        lines = "; ".join(f"{f.key} ({f.attempts} attempts): {f.errors[-1]}" for f in failures[:5])
        more = f"; and {len(failures) - 5} more" if len(failures) > 5 else ""
        super().__init__(f"{len(failures)} of {total} {what} failed after retries: {lines}{more}. "
                         "Re-run the same command to retry only what is missing.")


class BudgetStopped(SynthcompError):
    """A model budget stopped some simulations at their last finished day; a re-run resumes them."""

    def __init__(self, stopped: list[str], total: int):
        self.stopped = stopped
        names = ", ".join(stopped[:5]) + (f" and {len(stopped) - 5} more" if len(stopped) > 5 else "")
        super().__init__(f"the budget stopped {len(stopped)} of {total} simulations ({names}) at their last "
                         "finished day. Re-run the same command (with a larger --budget-usd) to resume them.")


def failure_record(kind: str, outcome: Outcome) -> dict[str, Any]:
    """The manifest line of a task that failed for good (a re-run retries it)."""
    return {"kind": kind, "id": outcome.key, "status": "failed", "attempts": outcome.attempts,
            "errors": outcome.errors}


def append_records(workspace: Path, records: Iterable[dict[str, Any]]) -> None:
    """Append records (each with ``kind`` and ``id``) and flush them to disk."""
    workspace.mkdir(parents=True, exist_ok=True)
    with (workspace / MANIFEST).open("a", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record, sort_keys=True) + "\n")
        out.flush()


def read_manifest(workspace: Path) -> dict[tuple[str, str], dict[str, Any]]:
    """(kind, id) -> the newest record; a torn last line (a crash mid-write) is ignored."""
    path = workspace / MANIFEST
    records: dict[tuple[str, str], dict[str, Any]] = {}
    if not path.is_file():
        return records
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue
        records[(record["kind"], record["id"])] = record
    return records
