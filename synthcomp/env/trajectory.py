"""Every reset and step, appended as one JSON line to ``<run_dir>/days/<n>/trajectory.jsonl``.

One env owns a run directory: from its first line until it closes, the writer holds an
exclusive lock on it, so a second env pointed at the same directory fails when it starts
writing instead of interleaving its lines (merely constructing one, as Gymnasium's
``check_env`` does, is harmless). Whatever the agent sent is written as valid JSON text: bounded in size,
with text that is not valid Unicode escaped.
"""

from __future__ import annotations

import fcntl
import json
import os
import reprlib
import time
from pathlib import Path
from typing import IO, Any

from synthcomp.errors import InputError

_SHORT = reprlib.Repr()
_SHORT.maxlevel, _SHORT.maxstring, _SHORT.maxother = 4, 1000, 1000
MAX_LOGGED_CHARS = 200_000
"""Longest action or observation kept in a trajectory line (the rest is counted, not kept)."""


def loggable(value: Any) -> Any:
    """``value`` as something ``json.dumps`` writes: an action the env refused may be anything."""
    if isinstance(value, str):
        return clip(value)
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return clip(f"<not JSON: {type(value).__name__}> " + _SHORT.repr(value))
    return value if len(text) <= MAX_LOGGED_CHARS else clip(text)


def clip(text: str) -> str:
    if len(text) <= MAX_LOGGED_CHARS:
        return text
    return text[:MAX_LOGGED_CHARS] + f"[... {len(text) - MAX_LOGGED_CHARS} more characters not logged]"


class TrajectoryWriter:
    """Appends the lines of one env's run directory, which it locks from its first line."""

    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self._day: int | None = None
        self._fh: IO[str] | None = None
        self._lock = -1

    def _claim(self) -> None:
        """Lock the run directory for this writer.

        Raises:
            InputError: another open env writes to it.
        """
        self.run_dir.mkdir(parents=True, exist_ok=True)
        lock = os.open(self.run_dir / ".lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(lock)
            raise InputError(f"{self.run_dir} is in use by another open env: give each env its own run_dir") from None
        self._lock = lock

    def path(self, day: int) -> Path:
        return self.run_dir / "days" / f"{day:02d}" / "trajectory.jsonl"

    def record(self, day: int, entry: dict[str, Any]) -> None:
        """Append ``entry`` (plus wall time, for logs only) to the day's file; flushed at once."""
        if self._lock < 0:
            self._claim()
        if self._day != day or self._fh is None:
            self._close_file()
            target = self.path(day)
            target.parent.mkdir(parents=True, exist_ok=True)
            self._fh, self._day = target.open("a", encoding="utf-8", errors="backslashreplace"), day
        line = json.dumps({**entry, "wall_time": round(time.time(), 3)}, ensure_ascii=False, default=str)
        self._fh.write(line + "\n")
        self._fh.flush()

    def _close_file(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh, self._day = None, None

    def close(self) -> None:
        """Close the day's file and release the run directory."""
        self._close_file()
        if self._lock >= 0:
            os.close(self._lock)
            self._lock = -1
