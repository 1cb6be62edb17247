"""Every reset and step, appended as one JSON line to ``<run_dir>/days/<n>/trajectory.jsonl``."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import IO, Any


class TrajectoryWriter:
    def __init__(self, run_dir: Path):
        self.run_dir = run_dir
        self._day: int | None = None
        self._fh: IO[str] | None = None

    def path(self, day: int) -> Path:
        return self.run_dir / "days" / f"{day:02d}" / "trajectory.jsonl"

    def record(self, day: int, entry: dict[str, Any]) -> None:
        """Append ``entry`` (plus wall time, for logs only) to the day's file; flushed at once."""
        if self._day != day or self._fh is None:
            self.close()
            target = self.path(day)
            target.parent.mkdir(parents=True, exist_ok=True)
            self._fh, self._day = target.open("a", encoding="utf-8"), day
        self._fh.write(json.dumps({**entry, "wall_time": round(time.time(), 3)}, ensure_ascii=False, default=str) + "\n")
        self._fh.flush()

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()
            self._fh, self._day = None, None
