"""Where things live in a workspace, sharded so that it holds millions of computers.

::

    WS/computers/<shard>/<computer-id>/     computer.json, files/
    WS/sims/<shard>/<sim-id>/               a simulation (sim/runner.py)
    WS/manifest.jsonl                       one line per computer and per simulation (fleet)

``<shard>`` is the first two hex digits of the id's digest part (``win-3fa9...`` -> ``3f``),
so 256 directories of ~4,000 entries hold 10^6 computers, and a simulation sits in the
same shard as its computer. Every path in the code goes through these helpers.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

COMPUTERS = "computers"
SIMS = "sims"


def shard_of(identifier: str) -> str:
    """The shard of a computer or simulation id (``mac-0a1b...-scripted-s0`` -> ``0a``)."""
    _, _, rest = identifier.partition("-")
    return (rest or identifier)[:2].lower()


def computer_dir(workspace: Path, computer_id: str) -> Path:
    return workspace / COMPUTERS / shard_of(computer_id) / computer_id


def sim_dir(workspace: Path, sim_id: str) -> Path:
    return workspace / SIMS / shard_of(sim_id) / sim_id


def workspace_of(path: Path) -> Path:
    """The workspace holding a computer or simulation directory (or anything inside one)."""
    path = path.resolve()
    for parent in path.parents:
        if parent.name in (COMPUTERS, SIMS):
            return parent.parent
    return path.parent


def computer_dirs(workspace: Path) -> Iterator[Path]:
    """Every finished computer of the workspace, in id order."""
    yield from sorted((p.parent for p in (workspace / COMPUTERS).glob("*/*/computer.json")), key=lambda p: p.name)


def sim_dirs(workspace: Path) -> Iterator[Path]:
    """Every simulation directory of the workspace, in id order."""
    yield from sorted((p.parent for p in (workspace / SIMS).glob("*/*/sim.json")), key=lambda p: p.name)
