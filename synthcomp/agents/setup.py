"""Setup agent, procedural backend: month-long deliverables and collaborators (paper 3.1).

Deliverables are drawn from the user's live projects and point at the files already
on the computer that they must build on; collaborators are the profile's contacts,
each given knowledge the user lacks.
"""

from __future__ import annotations

from synthcomp import ospath
from synthcomp.brains.procedural.rng import rng_for
from synthcomp.models import Collaborator, Computer, Deliverable, OutputArtifact, Strict

_STYLES = [
    "brief and direct; replies in a few lines", "friendly and detailed; explains the reasoning",
    "formal; expects a clear request and a deadline", "busy; answers late and asks for a summary first",
]


class SetupPlan(Strict):
    deliverables: list[Deliverable]
    collaborators: list[Collaborator]


def procedural_setup(computer: Computer, seed: int) -> SetupPlan:
    """3-5 deliverables on the live projects and one collaborator per contact (at most 6)."""
    rng = rng_for(seed, "setup", computer.id)
    os_name, plan = computer.policy.os, computer.plan
    live = [p for p in computer.profile.active_projects if p.status != "archived"] or computer.profile.active_projects
    contacts = computer.profile.collaborators[:6]
    collaborators = [
        Collaborator(
            name=c.name, email=c.email, role=c.role,
            background=f"{c.role.capitalize()} at {c.organization}; works with {computer.profile.first_name} on "
                       f"{rng.choice(live).name}.",
            communication_style=rng.choice(_STYLES),
            knowledge=[f"The agreed deadline for {p.name} is the end of week {rng.randint(2, 4)}." for p in rng.sample(live, k=1)],
            reply_latency_days=rng.choice([1, 1, 2]),
        )
        for c in contacts
    ]
    deliverables: list[Deliverable] = []
    for i, project in enumerate(live[: rng.randint(3, 5)]):
        files = [f for f in plan.files if f.project == project.code and f.content_mode not in {"system", "copy"}]
        sources = [f.path for f in files if f.artifact_type in {"xlsx", "csv", "pdf", "docx"}][:4]
        own = [f for f in files if f.origin == "self" and f.content_mode == "synthesize"
               and not f.path.startswith(computer.policy.default_paths["downloads"])]
        folder = ospath.parent(os_name, own[-1].path) if own else computer.policy.work_root
        stem = "_".join(project.name.split()[:4])
        outputs = [OutputArtifact(path=ospath.join(os_name, folder, f"{stem}_status_report.docx"), artifact_type="docx",
                                  description=f"Status report on {project.name} for {project.client}")]
        if rng.random() < 0.6:
            outputs.append(OutputArtifact(path=ospath.join(os_name, folder, f"{stem}_analysis.xlsx"), artifact_type="xlsx",
                                          description="Analysis workbook behind the report"))
        if rng.random() < 0.4:
            outputs.append(OutputArtifact(path=ospath.join(os_name, folder, f"{stem}_briefing.pptx"), artifact_type="pptx",
                                          description="Briefing deck for the steering meeting"))
        deliverables.append(Deliverable(
            id=f"D{i + 1}", title=f"{project.name}: status report and analysis",
            outcome=f"A reviewed status report on {project.name} for {project.client}, grounded in the project's files.",
            weekly_progress=["gather sources and ask for missing inputs", "draft the analysis", "draft the report",
                             "revise after feedback and finalize"],
            outputs=outputs, sources=sources, depends_on=[f"D{i}"] if i and rng.random() < 0.3 else [],
            collaborators=[c.name for c in rng.sample(collaborators, k=min(2, len(collaborators)))],
        ))
    return SetupPlan(deliverables=deliverables, collaborators=collaborators)
