"""Setup agent on Claude (paper 3.1, Opus in the paper): objectives and collaborators.

The agent sees the profile and the computer's inventory (paths, types, descriptions) and
answers with a :class:`SetupDraft` (a plan without its truth), validated like every
structured reply. The runner then grounds the draft (``setup.ground``): the truth comes
from the files and a seeded draw, and what collaborators know and hold is derived from
it, as in the procedural backend.

Everything grounding and the month rely on is part of the draft's validation
(:func:`review`): sources are files on the computer, outputs are paths it can hold and
types the agent can write, names and ids are unique, and deliverables, collaborators,
reviewers and events name only each other and days of the month. A problem goes back to
the model; one that persists is degraded (the offending field cleaned or mapped, an
event or output dropped) and, when no deliverable or no collaborator is left, the
procedural setup agent plans the month instead, with a warning in the run's usage.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import ConfigDict, Field

from synthcomp import ospath
from synthcomp.agents.setup import SetupPlan, procedural_draft
from synthcomp.brains.model.client import ModelClient
from synthcomp.brains.model.creation import block
from synthcomp.brains.model.plan_rules import EXTENSION_TYPES
from synthcomp.brains.model.repair import Finding, closed, nearest, stray, summary, values_of
from synthcomp.models import (
    Collaborator, Computer, Deliverable, EventKind, OutputArtifact, OutputType, SimEvent, Strict,
)

SYSTEM = ("You set up a month-long productivity simulation for one professional. Reason as someone who "
          "understands their responsibilities (a manager, a client, a domain expert).")
INVENTORY_LIMIT = 400

AnyOutputType = closed(OutputType)
AnyEventKind = closed(EventKind)


class OutputDraft(OutputArtifact):
    """An output as the model writes it: its type is an enum it may stray from."""

    model_config = ConfigDict(title="OutputArtifact")

    artifact_type: AnyOutputType


class DeliverableDraft(Deliverable):
    model_config = ConfigDict(title="Deliverable")

    outputs: list[OutputDraft] = Field(min_length=1)


class EventDraft(SimEvent):
    model_config = ConfigDict(title="SimEvent")

    kind: AnyEventKind


class SetupDraft(Strict):
    """What the model writes: the plan's people and work, not its truth."""

    deliverables: list[DeliverableDraft]
    collaborators: list[Collaborator]
    events: list[EventDraft] = []


def claude_setup(computer: Computer, client: ModelClient, seed: int = 0, days: int = 20) -> SetupPlan:
    """3-6 deliverables and 5-8 collaborators for ``computer``, written by Claude (the
    procedural plan for ``seed`` when nothing usable came back; a warning says so).

    Raises:
        BrainError: the API failed (past its retries) or the budget is spent.
    """
    inventory = [{"path": f.path, "type": f.artifact_type, "description": f.description}
                 for f in computer.plan.files if f.content_mode != "system"][:INVENTORY_LIMIT]
    draft = client.structured("setup", SetupDraft, system=SYSTEM, prompt=(
        f"Write about {days} workdays of objectives for this user: 3-6 deliverable work packages (outcome, expected "
        "progress per week, output artifacts with paths in the user's tree, the existing files each must draw on, "
        "dependencies between deliverables) and 5-8 collaborators with distinct names (role, background, "
        "communication style, preferences, reply latency; knowledge only as context without figures: the figures, "
        "deadlines and private files each person holds are assigned from the project data afterwards); add one or "
        f"two mid-month changes of mind (events on days 1-{days - 1}). Sources are paths exactly as listed below; "
        "a deliverable's collaborators and reviewers are people of your list.\n\n"
        + block("User profile", computer.profile) + "\n\n" + block("Filesystem policy", computer.policy)
        + "\n\n" + block("Files on the computer", {"files": inventory})),
        check=lambda got: [f.problem for f in review(got, computer, days)[1]],
        degrade=lambda got: _degraded(got, computer, seed, days))
    return SetupPlan.model_validate(draft.model_dump())


def _degraded(got: SetupDraft | None, computer: Computer, seed: int, days: int) -> tuple[SetupDraft, str]:
    """The model's draft with its problems cleaned, or the procedural draft when it is unusable."""
    if got is not None:
        fixed, findings = review(got, computer, days)
        if fixed.deliverables and fixed.collaborators:
            return fixed, f"kept the setup, fixed: {summary(findings)}"
    fallback = procedural_draft(computer, seed, days)
    return SetupDraft.model_validate(fallback.model_dump(exclude={"truth", "private_files"})), "used the procedural setup"


def review(draft: SetupDraft, computer: Computer, days: int) -> tuple[SetupDraft, list[Finding]]:
    """The draft with every rule kept (each offending field cleaned, mapped or dropped), and
    each broken rule as the repair turn names it and as the warning says it was fixed."""
    found: list[Finding] = []
    people = _unique_people(draft.collaborators, found)
    names = {c.name for c in people}
    deliverables = _unique_deliverables(draft.deliverables, found)
    deliverables = [d for d in (_cleaned(d, computer, found) for d in deliverables) if d is not None]
    deliverables = _distinct_outputs(deliverables, found)
    ids = {d.id for d in deliverables}
    deliverables = [_linked(d, ids, names, found) for d in deliverables]
    events = [e for e in (_event(i, e, ids, names, days, found) for i, e in enumerate(draft.events)) if e is not None]
    if not deliverables:
        found.append(Finding("the setup has no deliverable the computer can hold", "no deliverable was left"))
    if not people:
        found.append(Finding("the setup has no collaborators", "no collaborator was left"))
    return SetupDraft(deliverables=deliverables, collaborators=people, events=events), found


def _unique_people(people: list[Collaborator], found: list[Finding]) -> list[Collaborator]:
    """One person per name: replies are told apart by it."""
    return _first_of_each(people, lambda c: c.name, found, lambda name: Finding(
        f"two collaborators share the name {name!r}, so their replies cannot be told apart",
        f"dropped the second {name!r}"))


def _unique_deliverables(deliverables: list[DeliverableDraft], found: list[Finding]) -> list[DeliverableDraft]:
    return _first_of_each(deliverables, lambda d: d.id, found, lambda ident: Finding(
        f"two deliverables have the id {ident!r}; ids are unique", f"dropped the second deliverable {ident}"))


T = TypeVar("T")


def _first_of_each(items: list[T], key: Callable[[T], str], found: list[Finding],
                   finding: Callable[[str], Finding]) -> list[T]:
    """The first item of each key, a finding for each later one."""
    kept: dict[str, T] = {}
    for item in items:
        if key(item) in kept:
            found.append(finding(key(item)))
        else:
            kept[key(item)] = item
    return list(kept.values())


def _cleaned(d: DeliverableDraft, computer: Computer, found: list[Finding]) -> DeliverableDraft | None:
    """``d`` with sources on the computer and outputs it can hold, of types the agent writes
    (None: no output left)."""
    known = {f.path for f in computer.plan.files}
    unknown = [s for s in d.sources if s not in known]
    if unknown:
        found.append(Finding(f"{d.id}: sources {unknown[:5]} are not files on the computer; use paths exactly as "
                             "listed in 'Files on the computer'", f"{d.id}: dropped sources not on the computer"))
    outputs = []
    for i, o in enumerate(d.outputs):
        where = f"{d.id}: outputs[{i}]"
        if why := ospath.unholdable(computer.policy.os, o.path):
            found.append(Finding(f"{where} path {o.path!r} cannot be held: {why}", f"{where} dropped ({why})"))
            continue
        if problem := stray(f"{where} artifact_type", o.artifact_type, OutputType):
            by_name = EXTENSION_TYPES.get(ospath.extension(o.path))
            mapped = by_name if by_name in values_of(OutputType) else nearest(o.artifact_type, OutputType, "docx")
            found.append(Finding(problem, f"{where} type {o.artifact_type!r} read as {mapped!r}"))
            o = o.model_copy(update={"artifact_type": mapped})
        outputs.append(o)
    if not outputs:
        found.append(Finding(f"{d.id} has no output the computer can hold", f"dropped {d.id} (no output)"))
        return None
    return d.model_copy(update={"sources": [s for s in d.sources if s in known], "outputs": outputs})


def _distinct_outputs(deliverables: list[DeliverableDraft], found: list[Finding]) -> list[DeliverableDraft]:
    """Each output path belongs to one deliverable, once (the judge finds a file's criteria by it)."""
    owner: dict[str, str] = {}
    kept = []
    for d in deliverables:
        outputs = []
        for o in d.outputs:
            key = o.path.lower()
            if key in owner:
                found.append(Finding(f"{d.id}: output {o.path!r} is already an output of {owner[key]}",
                                     f"{d.id}: dropped the second {o.path!r}"))
            else:
                owner[key] = d.id
                outputs.append(o)
        if outputs:
            kept.append(d.model_copy(update={"outputs": outputs}))
        else:
            found.append(Finding(f"{d.id} has no output of its own", f"dropped {d.id} (no output of its own)"))
    return kept


def _linked(d: DeliverableDraft, ids: set[str], names: set[str], found: list[Finding]) -> DeliverableDraft:
    """``d`` naming only deliverables and people of the setup, its reviewers among its collaborators."""
    update: dict[str, list[str]] = {}
    if bad := [x for x in d.depends_on if x not in ids or x == d.id]:
        found.append(Finding(f"{d.id}: depends_on {bad} are not other deliverables of the setup ({sorted(ids)})",
                             f"{d.id}: dropped depends_on {bad}"))
        update["depends_on"] = [x for x in d.depends_on if x in ids and x != d.id]
    if bad := [x for x in d.collaborators if x not in names]:
        found.append(Finding(f"{d.id}: collaborators {bad} are not in the collaborators list",
                             f"{d.id}: dropped collaborators {bad}"))
        update["collaborators"] = [x for x in d.collaborators if x in names]
    team = update.get("collaborators", d.collaborators)
    if bad := [x for x in d.reviewers if x not in team]:
        found.append(Finding(f"{d.id}: reviewers {bad} are not among its collaborators ({team})",
                             f"{d.id}: dropped reviewers {bad}"))
        update["reviewers"] = [x for x in d.reviewers if x in team]
    return d.model_copy(update=update) if update else d


def _event(i: int, e: EventDraft, ids: set[str], names: set[str], days: int,
           found: list[Finding]) -> EventDraft | None:
    """The event naming a person and a deliverable of the setup, on a day inside the month
    (moved into it when it falls outside), of a known kind; None when it cannot be kept."""
    where = f"events[{i}]"
    kind = e.kind
    if problem := stray(f"{where} kind", e.kind, EventKind):
        kind = nearest(e.kind, EventKind, None)
        found.append(Finding(problem, f"{where} kind {e.kind!r} " + (f"read as {kind!r}" if kind else "unknown, dropped")))
    if e.collaborator not in names:
        found.append(Finding(f"{where}: collaborator {e.collaborator!r} is not in the collaborators list",
                             f"{where} dropped (unknown collaborator)"))
        return None
    if e.deliverable not in ids:
        found.append(Finding(f"{where}: deliverable {e.deliverable!r} is not one of {sorted(ids)}",
                             f"{where} dropped (unknown deliverable)"))
        return None
    day = e.day
    if not 1 <= e.day <= days - 1:
        day = min(max(e.day, 1), days - 1)
        found.append(Finding(f"{where}: day {e.day} is outside the month (days 1-{days - 1})",
                             f"{where} moved to day {day}" if day >= 1 else f"{where} dropped (no day inside the month)"))
    if kind is None or day < 1:
        return None
    return e.model_copy(update={"kind": kind, "day": day})
