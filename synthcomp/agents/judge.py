"""Scoring a simulation's deliverables (the env's reward seam).

``OutputsScorer`` is the simple stand-in until the rubric judge lands (issue 7): each
deliverable output scores 1 if it exists in the computer and opens as its type with
real content, 0.5 if it exists but does not open, 0 if missing. The score is the mean.
"""

from __future__ import annotations

from typing import Protocol

from synthcomp.computer.artifacts.extract import extract_text
from synthcomp.models import Deliverable
from synthcomp.sandbox.base import Sandbox


class Scorer(Protocol):
    def score(self, sandbox: Sandbox, deliverables: list[Deliverable]) -> float:
        """A score in [0, 1] for the deliverables as they stand in ``sandbox``."""
        ...


class OutputsScorer:
    """Presence and openability of every planned output (see module docstring)."""

    min_chars = 200

    def score(self, sandbox: Sandbox, deliverables: list[Deliverable]) -> float:
        outputs = [o for d in deliverables for o in d.outputs]
        if not outputs:
            return 0.0
        total = 0.0
        for output in outputs:
            try:
                data = sandbox.read_bytes(output.path)
            except (OSError, ValueError):
                continue
            try:
                total += 1.0 if len(extract_text(output.artifact_type, data)) >= self.min_chars else 0.5
            except Exception:  # an unreadable deliverable is scored, not raised: it is the agent's output
                total += 0.5
        return round(total / len(outputs), 4)
