"""Setup agent, procedural backend: month-long deliverables and collaborators (paper 3.1).

Deliverables are drawn from the user's live projects and point at the files already on
the computer that they must build on. Collaborators (5-8, as in the paper's Table 3)
hold what the user lacks: facts with concrete figures and private reference files (real
XLSX/DOCX written here, kept outside the sandbox until shared), plus preferences the
judge later checks. Beyond the paper, one or two of them change their mind mid-month.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from synthcomp import ospath
from synthcomp.brains.procedural.rng import rng_for
from synthcomp.computer.artifacts import render_artifact
from synthcomp.models import (
    Collaborator, Column, Computer, Contact, Deliverable, DocumentContent, OutputArtifact, Project, Section, Sheet,
    SimEvent, Strict, WorkbookContent,
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
    artifact_type: str
    deliverable: str
    facts: list[str]


class SetupPlan(Strict):
    deliverables: list[Deliverable]
    collaborators: list[Collaborator]
    private_files: list[PrivateFile] = []
    events: list[SimEvent] = []


def procedural_setup(computer: Computer, seed: int, days: int = 20) -> SetupPlan:
    """Deliverables for the live projects, 5-8 collaborators, their private files and events."""
    rng = rng_for(seed, "setup", computer.id)
    profile = computer.profile
    live = [p for p in profile.active_projects if p.status != "archived"] or profile.active_projects
    contacts = list(profile.collaborators[:8])
    while len(contacts) < 5:
        contacts.append(Contact(name=f"{rng.choice(['Alex', 'Sam', 'Jordan', 'Robin'])} {rng.choice(['Reyes', 'Novak', 'Ito', 'Okafor'])}",
                                role="external partner", organization=rng.choice(live).client,
                                email=f"partner{len(contacts)}@{profile.email.split('@')[1]}"))
    roles = ["manager", *rng.sample(ROLES[1:], k=len(ROLES) - 1)]
    count = min(rng.randint(3, 6), len(live) * len(VARIANTS))  # never the same project and kind twice
    projects = [live[i % len(live)] for i in range(count)]
    deliverables = [_deliverable(computer, project, i, VARIANTS[(i // len(live)) % len(VARIANTS)], rng)
                    for i, project in enumerate(projects)]
    collaborators, private = [], []
    for i, contact in enumerate(contacts):
        holds = deliverables[i % len(deliverables)]
        project = projects[i % len(projects)]
        amount = round(rng.uniform(12_000, 480_000), 2)
        facts = [f"The approved budget for {project.name} is {profile.currency} {amount:,.2f}.",
                 f"{project.client} expects the final version by the end of week {rng.randint(3, 4)}."]
        files = []
        if i < len(deliverables) or rng.random() < 0.4:
            kind = "xlsx" if i % 2 == 0 else "docx"
            name = f"{'_'.join(project.name.split()[:3])}_{'figures' if kind == 'xlsx' else 'requirements'}.{kind}"
            private.append(PrivateFile(collaborator=contact.name, name=name, artifact_type=kind,
                                       deliverable=holds.id, facts=facts))
            files.append(name)
            holds.collaborators = sorted({*holds.collaborators, contact.name})
        collaborators.append(Collaborator(
            name=contact.name, email=contact.email, role=roles[i % len(roles)],
            background=f"{contact.role.capitalize()} at {contact.organization}; involved in {project.name}.",
            communication_style=rng.choice(STYLES), knowledge=facts, private_files=files,
            preferences=rng.sample(PREFERENCES, k=rng.randint(1, 2)),
            reply_latency_days=rng.choice([1, 1, 1, 2]), reliability=rng.choice([0.8, 0.9, 1.0]),
        ))
    events = []
    for _ in range(rng.randint(1, 2)):
        who, target = rng.choice(collaborators), rng.choice(deliverables)
        kind = rng.choice(["new_requirement", "moved_deadline"])
        text = (f"One more thing for {target.title}: please add a section on lessons learned."
                if kind == "new_requirement" else
                f"Heads-up: the deadline for {target.title} has moved to the end of week {rng.randint(2, 3)}.")
        events.append(SimEvent(day=rng.randint(days // 3, max(days // 3, 2 * days // 3)), collaborator=who.name,
                               kind=kind, deliverable=target.id, text=text))
    return SetupPlan(deliverables=deliverables, collaborators=collaborators, private_files=private, events=events)


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
    sources = [f.path for f in files if f.artifact_type in {"xlsx", "csv"}][:2] + \
              [f.path for f in files if f.artifact_type in {"pdf", "docx"}][:2]
    stem = "_".join(project.name.split()[:4])
    label, templates = variant
    outputs = [OutputArtifact(path=ospath.join(os_name, folder, f"{stem}_{suffix}.{kind}"), artifact_type=kind,
                              description=f"{label.capitalize()} for {project.name} ({project.client}): {kind.upper()}")
               for suffix, kind in templates if kind == "docx" or rng.random() < 0.8 or suffix == templates[0][0]]
    return Deliverable(
        id=f"D{i + 1}", title=f"{project.name}: {label}",
        outcome=f"A reviewed {label} on {project.name} for {project.client}, grounded in the project's files "
                "and the figures collaborators hold.",
        weekly_progress=["gather sources and ask collaborators for missing inputs", "draft the analysis workbook",
                         "draft the report and deck", "revise after feedback and finalize"],
        outputs=outputs, sources=sources, depends_on=[f"D{i}"] if i and rng.random() < 0.3 else [],
    )


def write_private_files(setup: SetupPlan, computer: Computer, private_dir: Path) -> None:
    """Write every collaborator's reference files (real office documents) under ``private_dir``."""
    when = datetime.combine(computer.policy.now.date(), datetime.min.time()).replace(hour=8)
    for i, item in enumerate(setup.private_files):
        target = private_dir / item.name
        target.parent.mkdir(parents=True, exist_ok=True)
        if item.artifact_type == "xlsx":
            content = WorkbookContent(title=item.name, author=item.collaborator, sheets=[Sheet(
                name="Figures", columns=[Column(name="Item", type="text"), Column(name="Value", type="text")],
                rows=[[f"Fact {n + 1}", fact] for n, fact in enumerate(item.facts)])])
        else:
            content = DocumentContent(title=item.name.rsplit(".", 1)[0].replace("_", " "), author=item.collaborator,
                                      sections=[Section(heading="What you need", bullets=item.facts)])
        target.write_bytes(render_artifact(item.artifact_type, content, computer.profile.style, when, seed=i))
