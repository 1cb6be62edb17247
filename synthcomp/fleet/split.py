"""``WS/split.json``: which computers skills may be mined from (train) and which they are
judged on (held-out), so an evaluation never scores a skill on the computers it came from.

The split is a pure function of the computer ids: ids are ranked by ``sha256(id)`` and the
first ``held_out_fraction`` of them (rounded, at least one of each side once there are
two computers) are held out. It is therefore stable across machines and independent of
the order computers were created in. It is made on first use with a held-out fraction of
0.2 (``synthcomp split WS --held-out F`` remakes it).

Computers created after the split was made are added to it, and it is rewritten, without
moving any computer already placed (skills mined from the train side stay leak-free): a
new computer is held out when its ``sha256(id)``, read as a fraction of the hash space,
is below ``held_out_fraction``, the same order the ranking uses, so each new computer's
side depends on its id alone, not on which others were added with it. Computers no
longer in the workspace are dropped from the file.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal, get_args

from pydantic import Field, ValidationError

from synthcomp.errors import InputError
from synthcomp.models import Strict
from synthcomp.workspace import computer_dir, computer_dirs

SPLIT = "split.json"
DEFAULT_HELD_OUT = 0.2
Which = Literal["all", "train", "held-out"]
WHICH: tuple[str, ...] = get_args(Which)


class Split(Strict):
    held_out_fraction: float = Field(gt=0, lt=1)
    train: list[str] = Field(description="Computer ids skills may be mined from, sorted.")
    held_out: list[str] = Field(description="Computer ids kept for evaluation, sorted.")


def _digest(computer_id: str) -> int:
    return int(hashlib.sha256(computer_id.encode()).hexdigest(), 16)


def _held_out_count(n: int, fraction: float) -> int:
    """``n * fraction`` rounded half up; at least one held out and one train once ``n >= 2``."""
    count = int(n * fraction + 0.5)
    return min(max(count, 1), n - 1) if n >= 2 else count


def _write(workspace: Path, split: Split) -> Split:
    path = workspace / SPLIT
    tmp = path.with_suffix(".tmp")
    tmp.write_text(split.model_dump_json(indent=1) + "\n")
    tmp.replace(path)
    return split


def make_split(workspace: Path, held_out_fraction: float = DEFAULT_HELD_OUT) -> Split:
    """(Re)make the split of every computer of ``workspace`` and write it.

    Raises:
        InputError: the fraction is not strictly between 0 and 1, or there are no computers.
    """
    if not 0 < held_out_fraction < 1:
        raise InputError(f"the held-out fraction must be between 0 and 1 (exclusive), got {held_out_fraction}")
    ids = [d.name for d in computer_dirs(workspace)]
    if not ids:
        raise InputError(f"no computers in {workspace} (expected {workspace}/computers/<shard>/<id>/computer.json)")
    ranked = sorted(ids, key=lambda i: (_digest(i), i))
    count = _held_out_count(len(ids), held_out_fraction)
    return _write(workspace, Split(held_out_fraction=held_out_fraction, train=sorted(ranked[count:]),
                                   held_out=sorted(ranked[:count])))


def load_split(workspace: Path) -> Split:
    """The workspace's split: made on first use, and brought up to date with its computers
    (new ones placed by their hash, see the module docstring; vanished ones dropped).

    Raises:
        InputError: split.json is not a split, or (on first use) there are no computers.
    """
    path = workspace / SPLIT
    if not path.is_file():
        return make_split(workspace)
    try:
        split = Split.model_validate_json(path.read_text())
    except ValidationError as exc:
        raise InputError(f"{path} is not a split: {exc.errors()[0]['msg']}; "
                         f"remake it with `synthcomp split {workspace}`") from None
    present = {d.name for d in computer_dirs(workspace)}
    placed = set(split.train) | set(split.held_out)
    new = present - placed
    if not new and placed <= present:
        return split
    held = {i for i in new if _digest(i) / 2**256 < split.held_out_fraction}
    return _write(workspace, Split(held_out_fraction=split.held_out_fraction,
                                   train=sorted((set(split.train) | (new - held)) & present),
                                   held_out=sorted((set(split.held_out) | held) & present)))


def select_computers(workspace: Path, which: str) -> list[Path]:
    """The computer directories of ``which`` side ("all" needs no split), in id order.

    Raises:
        InputError: ``which`` is not all, train or held-out, or the split cannot be made.
    """
    if which not in WHICH:
        raise InputError(f"--computers must be {', '.join(WHICH[:-1])} or {WHICH[-1]}, got {which!r}")
    if which == "all":
        return list(computer_dirs(workspace))
    split = load_split(workspace)
    return [computer_dir(workspace, i) for i in (split.train if which == "train" else split.held_out)]
