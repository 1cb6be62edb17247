"""A text space that holds every real observation and action.

gymnasium 1.x's ``spaces.Text`` checks each character against a charset that is
alphanumeric by default, so ``C:\\Users``, punctuation or Unicode in a real observation
fail ``check_env``. ``AnyText`` accepts any string up to ``max_length`` and samples
printable junk (which, as an action, the env answers with a tool error).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces

_PRINTABLE = "".join(chr(c) for c in range(32, 127)) + "\\éü€…—"


class AnyText(spaces.Text):
    def __init__(self, max_length: int, seed: int | np.random.Generator | None = None):
        super().__init__(max_length=max_length, min_length=0, charset=_PRINTABLE, seed=seed)

    def contains(self, x: Any) -> bool:
        return isinstance(x, str) and len(x) <= self.max_length

    def __repr__(self) -> str:
        return f"AnyText(max_length={self.max_length})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, AnyText) and other.max_length == self.max_length
