"""*signoff*: the version that stands is the one its reviewers approved.

A draft sent for review comes back with concrete changes or with a sign-off
(``Review`` with no changes). The criterion is met, reviewer by reviewer, when the file's
text now is exactly a version that reviewer signed off: a change after a sign-off (or no
sign-off at all) leaves that reviewer's share unmet. Each review round takes the reviewer's days, so
the world, not the policy, sets when a deliverable can be final.
"""

from __future__ import annotations

from synthcomp.agents.criteria.reading import Reading
from synthcomp.agents.criteria.revisions import digest


def score(reading: Reading, expect: list[str]) -> tuple[float, str, list[str]]:
    """``expect``: the reviewers who must sign off (names), then each sign-off given
    ('<name>:<digest of the version>')."""
    assert reading.text is not None
    required = [e for e in expect if ":" not in e]
    if not required:
        return 0.0, "no reviewer to sign it off", []
    now = digest(reading.text)
    signed = {e.split(":", 1)[0] for e in expect if ":" in e and e.split(":", 1)[1] == now}
    missing = [r for r in required if r not in signed]
    if not missing:
        return 1.0, f"this version was signed off by {', '.join(required)}", []
    ever = {e.split(":", 1)[0] for e in expect if ":" in e}
    why = ", ".join(f"{r} ({'changed since their sign-off' if r in ever else 'no sign-off'})" for r in missing)
    return (len(required) - len(missing)) / len(required), f"not signed off as it stands by: {why}", []
