"""Which milestones each deliverable has met, observed at the close of every workday.

A milestone is met on the first day its condition holds and every milestone before it is
met, so none can be met before what it depends on exists:

- *inputs*: every figure the deliverable needs from a colleague that exists by then was
  told to the user (it stands in a message that arrived) or the ledger it is computed
  from was shared with them;
- *analysis*: its workbook (or first output) exists;
- *draft*: all its outputs exist;
- *review*: a reviewer read a draft of its main output;
- *final*: each of its reviewers signed off the version of the main output that stands.

The record (``SimState.milestones``) is what the briefing shows and what the summary
counts as met on time against ``Deliverable.milestones()``.
"""

from __future__ import annotations

from collections.abc import Callable

from synthcomp import ospath
from synthcomp.agents.criteria.revisions import digest
from synthcomp.agents.criteria.reading import read_deliverable
from synthcomp.agents.setup import SetupPlan
from synthcomp.env.state import SimState
from synthcomp.errors import SandboxError
from synthcomp.models import MILESTONES, Deliverable


def record_milestones(setup: SetupPlan, state: SimState, read: Callable[[str], bytes]) -> None:
    """Mark in ``state.milestones`` what each assigned deliverable met by today (``read``
    reads the computer's files)."""

    def exists(path: str) -> bool:
        try:
            read(path)
        except (OSError, SandboxError):  # missing, a folder, or not a regular file
            return False
        return True

    told = "\n".join(m.body for m in state.inbox if m.deliver_day <= state.day)
    shared = {ospath.basename(a) for m in state.inbox if m.deliver_day <= state.day for a in m.attachments}
    truth = setup.truth.as_of(state.day)
    for d in setup.deliverables:
        if d.opens_day > state.day:
            continue
        met = state.milestones.setdefault(d.id, {})
        for name, _ in MILESTONES:
            if name in met:
                continue
            if not _holds(name, d, setup, state, truth, told, shared, exists, read):
                break
            met[name] = state.day


def on_time(setup: SetupPlan, state: SimState) -> tuple[int, int]:
    """(milestones met by their day, milestones due by the month's end)."""
    due = met = 0
    for d in setup.deliverables:
        for name, day in d.milestones().items():
            due += 1
            met += state.milestones.get(d.id, {}).get(name, state.days_total) <= day
    return met, due


def _holds(name: str, d: Deliverable, setup: SetupPlan, state: SimState, truth, told: str, shared: set[str],
           exists: Callable[[str], bool], read: Callable[[str], bytes]) -> bool:
    main = d.outputs[0].path
    if name == "inputs":
        project = truth.project_of(d.id)
        needed = [f for f in (project.figures if project else []) if f.holder and f.deliverable in ("", d.id)
                  and f.available_day <= state.day]
        return all(f.quoted in told or (f.ledger is not None and f.ledger.file in shared) for f in needed)
    if name == "analysis":
        workbook = next((o.path for o in d.outputs if o.artifact_type == "xlsx"), main)
        return exists(workbook)
    if name == "draft":
        return all(exists(o.path) for o in d.outputs)
    if name == "review":
        return any(r.path.lower() == main.lower() for r in state.reviews)
    reviewers = d.reviewers or d.collaborators[:1]
    try:
        text = read_deliverable(main, read(main)).text
    except Exception:  # noqa: BLE001 - a file that does not read (however hostile) is not final
        return False
    now = digest(text or "")
    signed = {r.reviewer for r in state.reviews if r.path.lower() == main.lower() and not r.changes and r.digest == now}
    return bool(reviewers) and set(reviewers) <= signed
