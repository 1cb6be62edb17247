"""Setup agent, procedural backend: month-long deliverables and collaborators (paper 3.1).

Deliverables are drawn from the user's live projects and point at the files already on
the computer that they must build on. Collaborators (5-8, as in the paper's Table 3)
hold what the user lacks: figures and deadlines, each held by one person, and private
reference files (the ledgers held figures are computed from: real XLSX written here,
named per holder and kept outside the sandbox until shared), plus preferences the judge
later checks. All of it is derived from the project truth (``agents/truth.py``) by
:func:`ground`. Beyond the paper, one or two of them change their mind mid-month, never
about the past.
"""

from __future__ import annotations

import math
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import model_validator

from synthcomp import ospath
from synthcomp.agents import ledgers, truth
from synthcomp.agents.truth import Deadline, Figure, ProjectTruth, Reader, Truth
from synthcomp.brains.procedural.rng import rng_for
from synthcomp.computer.artifacts import render_artifact
from synthcomp.models import (
    Collaborator, Computer, Contact, Deliverable, OutputArtifact, Project, SimEvent, Strict,
)

ROLES = ["manager", "peer", "client", "compliance officer", "external partner", "finance partner", "domain expert"]
STYLES = [
    "brief and direct; replies in a few lines", "friendly and detailed; explains the reasoning",
    "formal; expects a clear request and a deadline", "busy; answers late and wants the summary first",
    "data-minded; asks where every number comes from",
]
PREFERENCES = [
    "an executive summary section at the top", "a section on risks and issues", "a next steps section with owners",
    "every figure quoted with its source file", "a short recommendations section",
]


class PrivateFile(Strict):
    """A reference file a collaborator holds; written under the simulation's private/ dir."""

    collaborator: str
    name: str
    artifact_type: Literal["xlsx"] = "xlsx"
    """What :func:`write_private_files` writes: a ledger workbook."""
    deliverable: str
    facts: list[str]
    figures: list[str] = []
    """Ids of the truth's figures it is the ledger of."""


class SetupPlan(Strict):
    deliverables: list[Deliverable]
    collaborators: list[Collaborator]
    private_files: list[PrivateFile] = []
    events: list[SimEvent] = []
    truth: Truth = Truth()

    @model_validator(mode="after")
    def _names_unique(self) -> SetupPlan:
        check_names(self.collaborators, self.private_files)
        return self


def check_names(collaborators: list[Collaborator], private_files: list[PrivateFile]) -> None:
    """One name per person and per private file.

    Raises:
        ValueError: two collaborators or two private files share a name (for a model's
            answer, the repair turn says which).
    """
    people = [c.name for c in collaborators]
    twins = sorted({n for n in people if people.count(n) > 1})
    if twins:
        raise ValueError(f"two collaborators share a name, so their replies cannot be told apart: {twins}")
    names = [f.name.lower() for f in private_files]
    clashes = sorted({n for n in names if names.count(n) > 1})
    if clashes:
        raise ValueError(f"private files share a name, so one would overwrite another: {clashes}")


def procedural_setup(computer: Computer, files: Reader, seed: int, days: int = 20) -> SetupPlan:
    """Deliverables for the live projects and 5-8 collaborators, grounded in one truth
    (:func:`ground`); ``files`` reads the computer as created."""
    return ground(procedural_draft(computer, seed, days), computer, files, seed, days)


def procedural_draft(computer: Computer, seed: int, days: int = 20) -> SetupPlan:
    """The plan :func:`procedural_setup` grounds: deliverables, collaborators and events,
    before the truth (also what a model-backed setup falls back on)."""
    rng = rng_for(seed, "setup", computer.id)
    profile = computer.profile
    live = [p for p in profile.active_projects if p.status != "archived"] or profile.active_projects
    contacts: list[Contact] = []
    for contact in profile.collaborators:  # one person, one name: replies are told apart by it
        if len(contacts) < 8 and all(c.name != contact.name for c in contacts):
            contacts.append(contact)
    while len(contacts) < 5:
        name = f"{rng.choice(['Alex', 'Sam', 'Jordan', 'Robin'])} {rng.choice(['Reyes', 'Novak', 'Ito', 'Okafor'])}"
        if all(c.name != name for c in contacts):
            contacts.append(Contact(name=name, role="external partner", organization=rng.choice(live).client,
                                    email=f"partner{len(contacts)}@{profile.email.split('@')[1]}"))
    roles = ["manager", *rng.sample(ROLES[1:], k=len(ROLES) - 1)]
    count = min(rng.randint(4, 6), len(live) * len(VARIANTS))  # several; never the same project and kind twice
    projects = [live[i % len(live)] for i in range(count)]
    deliverables = [_deliverable(computer, project, i, VARIANTS[(i // len(live)) % len(VARIANTS)], rng)
                    for i, project in enumerate(projects)]
    collaborators = []
    for i, contact in enumerate(contacts):
        project = projects[i % len(projects)]
        collaborators.append(Collaborator(
            name=contact.name, email=contact.email, role=roles[i % len(roles)],
            background=f"{contact.role.capitalize()} at {contact.organization}; involved in {project.name}.",
            communication_style=rng.choice(STYLES), knowledge=[], private_files=[],
            preferences=rng.sample(PREFERENCES, k=rng.randint(1, 2)),
            reply_latency_days=rng.choice([1, 1, 1, 2]), reliability=rng.choice([0.8, 0.9, 1.0]),
        ))
    kinds = ["revised_figure", *rng.choices(["new_requirement", "moved_deadline", "revised_figure"], k=rng.randint(0, 2))]
    events = [SimEvent(day=rng.randint(days // 3, max(days // 3, 2 * days // 3)),
                       collaborator=rng.choice(collaborators).name, kind=kind,  # type: ignore[arg-type]
                       deliverable=rng.choice(deliverables).id, text="")
              for kind in kinds]
    return SetupPlan(deliverables=deliverables, collaborators=collaborators, events=events)


def ground(plan: SetupPlan, computer: Computer, files: Reader, seed: int, days: int) -> SetupPlan:
    """The plan with its truth established and everything people know derived from it.

    Whoever wrote the plan (the procedural or the model-backed setup agent), the figures
    come from the computer's data files and a seeded draw, each held figure and deadline
    has one holder, collaborators' knowledge and private files list exactly what they
    hold, and mid-month changes only move deadlines into the future.
    """
    rng = rng_for(seed, "truth", computer.id)
    profile = computer.profile
    by_code = {p.code: p for p in profile.active_projects}
    people = [c.name for c in plan.collaborators]
    manager = next((c.name for c in plan.collaborators if c.role == "manager"), people[0])
    others = [n for n in people if n != manager] or people
    weeks = max(1, days // 5)
    projects: list[ProjectTruth] = []
    next_id = 1
    for code in dict.fromkeys(_project_of(computer, d) for d in plan.deliverables):
        project = by_code.get(code)
        if project is None:
            continue
        sources = dict.fromkeys(s for d in plan.deliverables if _project_of(computer, d) == code for s in d.sources)
        figures: list[Figure] = []
        for source in sources:  # one value per label: a second file's same measure is not a new fact
            labels = {f.label for f in figures}
            figures += [f for f in truth.file_figures(files, source, code, next_id + len(figures)) if f.label not in labels]
        figures = [f.model_copy(update={"id": f"F{next_id + i}"}) for i, f in enumerate(figures)]
        next_id += len(figures)
        start = (len(projects) * truth.HELD_PER_PROJECT) % len(others)
        held = truth.held_figures(code, project.name, profile.currency, others[start:] + others[:start], rng, next_id)
        next_id += len(held)
        entities = [e for source in sources for e in truth.file_entities(files, source)]
        projects.append(ProjectTruth(code=code, name=project.name, client=project.client, currency=profile.currency,
                                     figures=figures + held, entities=[*dict.fromkeys(entities)], deliverables=[
                                         d.id for d in plan.deliverables if _project_of(computer, d) == code]))
    deadlines = []
    for i, d in enumerate(plan.deliverables):  # due in waves: the first at the end of week 2, the last at the month's end
        week = 1 + math.ceil((i + 1) * (weeks - 1) / len(plan.deliverables)) if weeks > 1 else 1
        opens = 0 if week <= 2 else (week - 1) * truth.DAYS_PER_WEEK - 2  # a week and a bit before it is due
        deadlines.append(Deadline(deliverable=d.id, week=week, opens_day=opens,
                                  holder=manager if i % 2 == 0 else others[i % len(others)]))
    by_project = {p.code: p for p in projects}
    for i, (d, deadline) in enumerate(zip(plan.deliverables, deadlines)):
        project = by_project.get(_project_of(computer, d))
        if deadline.opens_day == 0 or project is None:
            continue  # the first wave works from what exists on day one
        due = deadline.due_day(days)
        available = max(deadline.opens_day, min(deadline.opens_day + rng.randint(1, 3), due - 3))
        taken = {f.label for f in project.figures}
        figure = truth.event_figure(project.code, profile.currency, others[(i + 1) % len(others)], d.id,
                                    available, rng, f"F{next_id}", taken)
        if figure is not None:  # one value per label: a project's second late deliverable gets another kind
            project.figures.append(figure)
            next_id += 1
    established = Truth(projects=projects, deadlines=deadlines)
    events = [_grounded_event(e, plan, established, days, rng) for e in plan.events]
    return _derive(plan.model_copy(update={"truth": established, "events": events}), computer, days)


def _reviewers(d: Deliverable, contacts: set[str], deadline: Deadline | None) -> list[str]:
    """Who signs a deliverable off: the one who holds its deadline, then one or two more of
    its collaborators (how many follows its number, so deliverables differ)."""
    ordered = [deadline.holder] if deadline and deadline.holder in contacts else []
    ordered += sorted(c for c in contacts if c not in ordered)
    count = 1 + int("".join(ch for ch in d.id if ch.isdigit()) or 0) % 3
    return ordered[:count]


def _project_name(computer: Computer, d: Deliverable) -> str:
    code = _project_of(computer, d)
    return next((p.name for p in computer.profile.active_projects if p.code == code), d.title.split(":")[0])


def _project_of(computer: Computer, d: Deliverable) -> str:
    """The code of the project a deliverable is about (from its sources, else its title)."""
    codes = {f.path: f.project for f in computer.plan.files}
    for source in d.sources:
        if codes.get(source):
            return codes[source]
    title = d.title.lower()
    return next((p.code for p in computer.profile.active_projects if p.name.lower() in title), "")


def _grounded_event(event: SimEvent, plan: SetupPlan, established: Truth, days: int, rng) -> SimEvent:
    """A mid-month change consistent with the truth, about a deliverable assigned and not yet
    due: a revised figure it reports (the truth records the new value and the day), a deadline
    moved to a later week, or else a new requirement."""
    weeks = max(1, days // truth.DAYS_PER_WEEK)
    assigned = [d for d in plan.deliverables if (x := established.deadline(d.id)) and x.opens_day <= event.day]
    open_ = [d for d in assigned if (x := established.deadline(d.id)) and x.due_day(days) > event.day + 1] or assigned
    target = next((d for d in open_ if d.id == event.deliverable), open_[0] if open_ else plan.deliverables[0])
    deadline = established.deadline(target.id)
    assert deadline is not None
    project = established.project_of(target.id)
    if event.kind == "revised_figure" and project is not None:
        candidates = [f for f in project.figures if f.holder and f.revised is None and f.available_day <= event.day
                      and f.deliverable in ("", target.id)]
        if candidates:
            figure = candidates[rng.randrange(len(candidates))]
            figure.revised, figure.revised_day = truth.revised_value(figure, rng), event.day
            return event.model_copy(update={
                "deliverable": target.id, "collaborator": figure.holder,
                "text": f"Update for {target.title}: the figure has been revised. {truth.fact(figure.on(event.day), project.name)} "
                        "It replaces the figure I gave you earlier; please use the new one from now on."})
    current = event.day // truth.DAYS_PER_WEEK + 1
    later = [w for w in range(max(current, deadline.final_week) + 1, weeks + 1)]
    if event.kind == "moved_deadline" and later:
        deadline.moved_to, deadline.moved_on_day = later[-1], event.day
        return event.model_copy(update={
            "deliverable": target.id, "collaborator": deadline.holder,
            "text": f"Heads-up: the deadline for {target.title} has moved to the end of week {later[-1]}."})
    return event.model_copy(update={
        "kind": "new_requirement", "deliverable": target.id,
        "text": f"One more thing for {target.title}: please add a section on lessons learned."})


def _derive(plan: SetupPlan, computer: Computer, days: int) -> SetupPlan:
    """Knowledge, private files and deliverable contacts from the truth (module docstring)."""
    established = plan.truth
    titles = {d.id: d.title for d in plan.deliverables}
    knowledge: dict[str, list[str]] = {c.name: [] for c in plan.collaborators}
    private: list[PrivateFile] = []
    contacts: dict[str, set[str]] = {d.id: set() for d in plan.deliverables}
    for p in established.projects:
        served = [d for d in plan.deliverables if _project_of(computer, d) == p.code]
        for f in p.figures:
            if f.deliverable and f.deliverable in contacts:
                contacts[f.deliverable].add(f.holder)
        for f in p.figures:
            if not f.holder or f.deliverable:
                continue
            said = truth.statement(f, p.name, 0)
            knowledge[f.holder].append(said)
            if f.ledger is not None:
                private.append(PrivateFile(collaborator=f.holder, name=f.ledger.file, artifact_type="xlsx",
                                           deliverable=served[0].id if served else "", facts=[said], figures=[f.id]))
            for d in served:
                contacts[d.id].add(f.holder)
    for deadline in established.deadlines:
        knowledge[deadline.holder].append(truth.deadline_fact(deadline, titles[deadline.deliverable]))
        contacts[deadline.deliverable].add(deadline.holder)
    files_of: dict[str, list[str]] = {}
    for f in private:
        files_of.setdefault(f.collaborator, []).append(f.name)
    collaborators = [c.model_copy(update={
        "knowledge": knowledge[c.name] + [k for k in c.knowledge if not any(ch.isdigit() for ch in k)],
        "private_files": files_of.get(c.name, [])}) for c in plan.collaborators]
    deadlines = {x.deliverable: x for x in established.deadlines}
    deliverables = [d.model_copy(update={"collaborators": sorted(contacts[d.id]), "reviewers": _reviewers(
        d, contacts[d.id], deadlines.get(d.id)), "needs": d.needs or [
        need(computer.policy.os, p, _project_name(computer, d)) for p in d.sources], **(
        {"opens_day": x.opens_day, "due_day": x.model_copy(update={"moved_to": None}).due_day(days)}
        if (x := deadlines.get(d.id)) else {})}) for d in plan.deliverables]
    return plan.model_copy(update={"collaborators": collaborators, "deliverables": deliverables,
                                   "private_files": private})


VARIANTS = [
    ("status report and analysis", [("status_report", "docx"), ("analysis", "xlsx")]),
    ("steering committee briefing", [("briefing", "pptx"), ("briefing_note", "docx")]),
    ("budget and forecast review", [("budget_review", "xlsx"), ("budget_memo", "docx")]),
]
"""Kinds of work package; a project with several deliverables gets different kinds."""


def _deliverable(computer: Computer, project: Project, i: int, variant: tuple[str, list[tuple[str, str]]],
                 rng) -> Deliverable:
    os_name, plan = computer.policy.os, computer.plan
    files = [f for f in plan.files if f.project == project.code and f.content_mode not in {"system", "copy"}]
    own = [f for f in files if f.origin == "self" and f.content_mode == "synthesize"
           and not f.path.startswith(computer.policy.default_paths["downloads"])]
    folder = ospath.parent(os_name, own[-1].path) if own else computer.policy.work_root
    named = [f for f in plan.files if f.content_mode != "system" and _names_project(f.path, project.name)
             and not ospath.is_stray(f.path)] or files  # what a search by name finds
    data = sorted((f for f in named if f.artifact_type in {"xlsx", "csv"}), key=lambda f: (f.timestamp, f.path))
    docs = sorted((f for f in named if f.artifact_type in {"pdf", "docx"}), key=lambda f: (f.timestamp, f.path))
    sources = [f.path for f in data[-1:]] + [f.path for f in reversed(docs[-2:])]  # the newest, as a person picks
    stem = "_".join(project.name.split()[:4])
    label, templates = variant
    outputs = [OutputArtifact(path=ospath.join(os_name, folder, f"{stem}_{suffix}.{kind}"), artifact_type=kind,
                              description=f"{label.capitalize()} for {project.name} ({project.client}): {kind.upper()}")
               for suffix, kind in templates if kind == "docx" or rng.random() < 0.8 or suffix == templates[0][0]]
    return Deliverable(
        id=f"D{i + 1}", title=f"{project.name}: {label}", needs=[need(os_name, p, project.name) for p in sources],
        outcome=f"A reviewed {label} on {project.name} for {project.client}, grounded in the project's files "
                "and the figures collaborators hold.",
        weekly_progress=["gather sources and ask collaborators for missing inputs", "draft the analysis workbook",
                         "draft the report and deck", "revise after feedback and finalize"],
        outputs=outputs, sources=sources, depends_on=[f"D{i}"] if i and rng.random() < 0.3 else [],
    )


def _names_project(path: str, project: str) -> bool:
    """Whether a file's name or folder carries the project's first words (as a search finds it)."""
    return " ".join(project.lower().split()[:3]) in ospath.name_words(path)


def need(os_name: str, path: str, project: str) -> str:
    """How a colleague names a source file without saying where it is."""
    kind = ospath.basename(path).rsplit(".", 1)[-1].lower()
    if kind in {"xlsx", "csv"}:
        return f"the most recent data file (XLSX or CSV) on {project}"
    return f"one of the two most recent documents (PDF or DOCX) on {project}"


def write_private_files(setup: SetupPlan, computer: Computer, private_dir: Path) -> None:
    """Write every collaborator's reference files (real workbooks) under ``private_dir``:
    the ledger each held figure is computed from (:mod:`synthcomp.agents.ledgers`)."""
    when = datetime.combine(computer.policy.now.date(), datetime.min.time()).replace(hour=8)
    names = {p.code: p.name for p in setup.truth.projects}
    figures = {f.id: f for f in setup.truth.figures()}
    for i, item in enumerate(setup.private_files):
        kept = [figures[x] for x in item.figures if x in figures and figures[x].ledger is not None]
        if kept and item.facts:  # one ledger per held figure, with what its holder says of it
            content = ledgers.workbook(kept[0], item.collaborator, names.get(kept[0].project, ""), item.facts[0],
                                       when.date())
            private_dir.mkdir(parents=True, exist_ok=True)
            (private_dir / item.name).write_bytes(render_artifact("xlsx", content, computer.profile.style, when, seed=i))
