"""Seeded randomness that does not depend on call order.

Each decision draws from its own ``random.Random`` keyed by the computer's seed and a
label naming the decision, so adding a new random choice somewhere does not shift every
other choice, and a file's content does not depend on which files were written before it.
"""

from __future__ import annotations

import hashlib
import random


def rng_for(seed: int, *labels: object) -> random.Random:
    """A generator determined by ``seed`` and ``labels`` alone (never Python's ``hash``)."""
    key = ":".join([str(seed), *map(str, labels)]).encode()
    return random.Random(int.from_bytes(hashlib.sha256(key).digest()[:8], "big"))
