"""JSON files that are either the old version or the new one, never half of each.

A file whose existence means something ("summary.json: the simulation finished",
"progress.json: resume from here") must appear whole: it is written to a temporary
file in the same folder, flushed to disk, and renamed over the target.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from pydantic import BaseModel


def write_json_atomic(path: Path, data: BaseModel | Any, *, indent: int = 1) -> None:
    """Write ``data`` (a pydantic model, or anything ``json.dumps`` takes) to ``path`` atomically."""
    text = data.model_dump_json(indent=indent) if isinstance(data, BaseModel) else json.dumps(data, indent=indent, default=str)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text + "\n")
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
