"""Deliverables written for the judge's tests: one honest report and the ways to fake one.

Every writer takes a :class:`Case` (a computer, its setup, one deliverable's DOCX output)
and returns the bytes to put at the output path. The honest report is what a careful
worker writes from the truth it gathered; the others try to win without that work.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from synthcomp import ospath
from synthcomp.agents.rubric import expected_figures, required_topics
from synthcomp.agents.setup import SetupPlan
from synthcomp.agents.truth import Figure
from synthcomp.computer.artifacts import render_artifact
from synthcomp.computer.artifacts.extract import extract_text
from synthcomp.models import Computer, Deliverable, DocumentContent, Section, Table

WHEN = datetime(2025, 6, 2, 9, 0)
LOREM = ("Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et "
         "dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip.")


@dataclass
class Case:
    computer: Computer
    files: Path
    setup: SetupPlan
    deliverable: Deliverable
    path: str

    @property
    def figures(self) -> list[Figure]:
        return expected_figures(self.setup, self.deliverable)

    @property
    def topics(self) -> list[str]:
        return required_topics(self.setup, self.deliverable) or ["risks"]

    @property
    def project_name(self) -> str:
        project = self.setup.truth.project_of(self.deliverable.id)
        assert project is not None
        return project.name

    def render(self, sections: list[Section], title: str | None = None) -> bytes:
        content = DocumentContent(title=title or self.deliverable.title, author="Test Author", sections=sections)
        return render_artifact("docx", content, self.computer.profile.style, WHEN, seed=0)

    def project_texts(self) -> list[str]:
        """The prose of the project's own documents on the computer, as created."""
        project = self.setup.truth.project_of(self.deliverable.id)
        texts = []
        for f in self.computer.plan.files:
            if project and f.project == project.code and f.artifact_type in {"docx", "pdf"}:
                data = (self.files / ospath.to_physical(self.computer.policy.os, f.path)).read_bytes()
                texts.append(extract_text(f.artifact_type, data))
        return texts


TOPIC_PROSE = {
    "executive summary": "This summary gives the state of the work in a few lines. The figures were computed from "
                         "the project's data and checked with the people who hold the budget. The work is on track "
                         "for the deadline that was agreed with the client.",
    "risks": "The main risk is that the data for the last period is still provisional and may be revised. A second "
             "risk is the timing of the approvals, which depends on people outside the team. We will watch both "
             "closely and report any change at the next review.",
    "next steps": "The next step is to confirm the figures with the finance partner before the end of the week. "
                  "After that the report goes to the client for comments, and the final version is filed with the "
                  "project records once they agree.",
    "recommendations": "We recommend keeping the current plan but reviewing the sites with the weakest results "
                       "before the next period. We also recommend that the budget is reconciled with the totals in "
                       "this report before it is signed off.",
    "sources": "- Figures computed from the data workbook.xlsx\n- Budget figures as confirmed in the notes.docx",
    "lessons learned": "Asking for the figures early in the month saved a lot of rework later on. Sending a draft "
                       "for review while there was still time to act on the comments was also worth the effort.",
}


def honest(case: Case) -> bytes:
    rows = [[f.label, f.quoted] for f in case.figures]
    sections = [Section(heading="Executive summary", paragraphs=[TOPIC_PROSE["executive summary"]]),
                Section(heading="Key figures", paragraphs=[
                    "The table gives each figure as computed from the project's data or as confirmed by the person "
                    "who holds it."], table=Table(columns=["Measure", "Value"], rows=rows))]
    for topic in case.topics:
        sections.append(grounded_section(case, topic))
    return case.render(sections)


def grounded_section(case: Case, topic: str) -> Section:
    """A section on ``topic`` that says what only reading the data gives: a figure and its value."""
    figure = case.figures[0]
    if topic == "sources":
        files = sorted({ospath.basename(f.source) for f in case.figures if f.source}) or ["the holders' notes.docx"]
        return Section(heading="Sources", bullets=[f"{name}: gave the {', '.join(f.name.lower() for f in case.figures)}"
                                                   for name in files] + [f"The budget notes.docx: gave the {figure.name.lower()}"])
    text = TOPIC_PROSE.get(topic, TOPIC_PROSE["risks"])
    about = {"executive summary": "The {} of {} is the figure the client asked about first.",
             "risks": "The {} of {} is where a late revision would hurt the most.",
             "next steps": "The {} of {} will be confirmed first, since the other figures depend on it.",
             "recommendations": "The {} of {} should be reviewed again before the next period starts.",
             "lessons learned": "Getting the {} of {} early made every later step easier."}
    return Section(heading=topic.capitalize(), paragraphs=[
        text, about.get(topic, "The {} of {} matters most here.").format(figure.name.lower(), figure.quoted)])


def lorem(case: Case) -> bytes:
    headings = ["Executive summary", "Key figures", *[t.capitalize() for t in case.topics]]
    return case.render([Section(heading=h, paragraphs=[LOREM, LOREM]) for h in headings])


def keyword_stuffing(case: Case) -> bytes:
    """Every label, topic and project word, and every figure, under every heading."""
    words = [f.name.lower() for f in case.figures] + case.topics + case.project_name.lower().split()
    words += ["budget", "approved", "reserve", "risk", "summary", "recommendation", "next", "steps", "owner", "source"]
    numbers = [f.quoted for f in case.figures]
    stuffed = " ".join(words * 3) + " " + " ".join(numbers)
    headings = ["Executive summary", "Key figures", *[t.capitalize() for t in case.topics]]
    return case.render([Section(heading=h, paragraphs=[stuffed]) for h in headings])


def number_dump(case: Case) -> bytes:
    """The right numbers, but not next to their labels."""
    labels = ", ".join(f.label for f in case.figures)
    values = " ".join(f.quoted for f in reversed(case.figures))
    return case.render([Section(heading="Key figures", paragraphs=[f"Measures covered: {labels}.", f"Values: {values}"]),
                        *[Section(heading=t.capitalize(), paragraphs=[TOPIC_PROSE.get(t, TOPIC_PROSE["risks"])])
                          for t in case.topics]])


def pasted_sources(case: Case) -> bytes:
    """The project's documents and the collaborators' facts pasted in under the right headings."""
    texts = case.project_texts()
    facts = [fact for c in case.setup.collaborators for fact in c.knowledge]
    chunks = [t for t in texts if t.strip()] + ["\n".join(facts)]
    headings = ["Executive summary", "Key figures", *[t.capitalize() for t in case.topics]]
    sections = [Section(heading=h, paragraphs=[line for line in chunks[i % len(chunks)].splitlines()
                                               if line.strip() and not line.startswith("#")][:40] or ["-"])
                for i, h in enumerate(headings)]
    sections.append(Section(heading="Figures from collaborators", bullets=facts or ["-"]))
    return case.render(sections)


def contradictory(case: Case) -> bytes:
    """The honest report, plus each figure quoted again with another value."""
    base = extract_text("docx", honest(case))
    wrong = [[f.label, _wrong(f)] for f in case.figures]
    sections = [Section(heading="Executive summary", paragraphs=[TOPIC_PROSE["executive summary"]]),
                Section(heading="Key figures", paragraphs=["The figures as computed."],
                        table=Table(columns=["Measure", "Value"], rows=[[f.label, f.quoted] for f in case.figures])),
                Section(heading="Key figures (other count)", paragraphs=["The same figures, counted again."],
                        table=Table(columns=["Measure", "Value"], rows=wrong))]
    sections += [Section(heading=t.capitalize(), paragraphs=[TOPIC_PROSE.get(t, TOPIC_PROSE["risks"])]) for t in case.topics]
    assert base  # the honest text is what this one adds to
    return case.render(sections)


def _wrong(figure: Figure) -> str:
    value = figure.value * 1.37 + 11
    return f"{figure.currency + ' ' if figure.currency else ''}{value:,.{figure.decimals}f}"


def empty_sections(case: Case) -> bytes:
    """The right headings with nothing under them."""
    headings = ["Executive summary", "Key figures", *[t.capitalize() for t in case.topics]]
    return case.render([Section(heading=h, paragraphs=[h + "."]) for h in headings])


def old_version(case: Case) -> bytes | None:
    """Last month's document of the same project, saved again under the new name (None if it has none)."""
    project = case.setup.truth.project_of(case.deliverable.id)
    assert project is not None
    olds = [f for f in case.computer.plan.files if f.project == project.code and f.artifact_type == "docx"
            and f.content_mode != "system"]
    return (case.files / ospath.to_physical(case.computer.policy.os, olds[-1].path)).read_bytes() if olds else None


def other_project(case: Case, other: Case) -> bytes:
    """An honest report of another project, saved as this one."""
    return honest(other)
