"""Skills from experience (paper 4.2.3): group lessons by occupation, count, write SKILL.md.

Experience items from many retrospectives are grouped by the user's occupation, by the
occupation family (the industry) and into one general group. Within a group, items that
teach the same thing merge: the same practice, or lessons whose wording is nearly the
same (difflib ratio >= ``NEAR``). Each merged lesson counts the simulations that taught
it, failures and successes apart, and keeps its evidence, so every line of a SKILL.md
points back to trajectory steps. Lessons are written most frequent first; the practices
they teach go in ``metadata.practices`` for the scripted policy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from synthcomp.agents.skill_index import INDEX, SkillGroup, SkillIndex
from synthcomp.models import ExperienceItem, Retrospective, StepRef
from synthcomp.skillmd import front_matter

NEAR = 0.85
EVIDENCE_SHOWN = 4
"""Evidence references printed per lesson (all are in the lesson's sources)."""


@dataclass
class Lesson:
    """One merged lesson of a group."""

    lesson: str
    practice: str | None
    situations: list[str] = field(default_factory=list)
    failures: set[str] = field(default_factory=set)
    """Simulations where ignoring it cost criteria."""
    successes: set[str] = field(default_factory=set)
    evidence: list[StepRef] = field(default_factory=list)

    @property
    def simulations(self) -> set[str]:
        return self.failures | self.successes

    def absorb(self, sim_id: str, item: ExperienceItem) -> None:
        (self.failures if item.kind == "failure" else self.successes).add(sim_id)
        if item.situation not in self.situations:
            self.situations.append(item.situation)
        self.evidence += item.evidence


def merge_items(retrospectives: list[Retrospective]) -> list[Lesson]:
    """Merge every item of ``retrospectives`` into lessons, most frequent first."""
    lessons: list[Lesson] = []
    for retro in retrospectives:
        for item in retro.items:
            match = next((l for l in lessons if _same(l, item)), None)
            if match is None:
                match = Lesson(lesson=item.lesson, practice=item.practice)
                lessons.append(match)
            match.absorb(retro.sim_id, item)
    return sorted(lessons, key=lambda l: (-len(l.simulations), -len(l.failures), l.lesson))


def _same(lesson: Lesson, item: ExperienceItem) -> bool:
    if lesson.practice or item.practice:
        return lesson.practice == item.practice
    return SequenceMatcher(None, lesson.lesson.lower(), item.lesson.lower()).ratio() >= NEAR


def build_skills(retrospectives: list[Retrospective], out: Path) -> SkillIndex:
    """Write one skill per occupation, per industry and a general one under ``out``."""
    groups: dict[tuple[str, str], list[Retrospective]] = {}
    for retro in retrospectives:
        for key in (("occupation", retro.occupation), ("industry", retro.industry), ("general", "*")):
            groups.setdefault(key, []).append(retro)
    out.mkdir(parents=True, exist_ok=True)
    index = []
    for (group, key), members in sorted(groups.items()):
        lessons = merge_items(members)
        if not lessons:
            continue
        name = _skill_name(group, key)
        practices = list(dict.fromkeys(l.practice for l in lessons if l.practice))
        (out / name).mkdir(exist_ok=True)
        (out / name / "SKILL.md").write_text(_skill_md(name, group, key, members, lessons, practices), encoding="utf-8")
        index.append(SkillGroup(name=name, group=group, key=key, practices=practices,  # type: ignore[arg-type]
                                simulations=sorted({r.sim_id for r in members}),
                                computers=sorted({r.computer_id for r in members})))
    skills = SkillIndex(groups=index, train_computers=sorted({r.computer_id for r in retrospectives}))
    (out / INDEX).write_text(skills.model_dump_json(indent=1) + "\n")
    return skills


def _skill_name(group: str, key: str) -> str:
    """A skill name as the format wants it: lowercase letters, digits and hyphens, <= 64 chars."""
    if group == "general":
        return "general-office-work"
    slug = re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")
    return f"{group}-{slug}"[:64].rstrip("-")


def _skill_md(name: str, group: str, key: str, members: list[Retrospective], lessons: list[Lesson],
              practices: list[str]) -> str:
    n = len({r.sim_id for r in members})
    who = {"occupation": f"a {key}", "industry": f"someone working in {key.replace('_', ' ')}",
           "general": "any professional"}[group]
    top = "; ".join(l.lesson.rstrip(".") for l in lessons[:2])
    description = (f"Lessons for {who} doing a month of office work on their computer, mined from {n} simulated "
                   f"month(s): {top}.")[:1024]
    title = key if group != "general" else "Office work"
    lines = [f"# {title}: lessons from {n} simulated month(s)", "",
             f"Use this skill when working as {who}: planning a month of deliverables, reading the files they draw "
             "on, coordinating with collaborators and revising drafts. Lessons are ordered by how many simulations "
             "taught them; each cites the trajectory steps it comes from "
             "(`<sim>/days/<day>/trajectory.jsonl#L<line>`).", "", "## Lessons, most frequent first", ""]
    for i, lesson in enumerate(lessons, 1):
        counts = f"seen in {len(lesson.simulations)} of {n} simulation(s)"
        if lesson.failures:
            counts += f"; ignoring it cost rubric criteria in {len(lesson.failures)}"
        lines += [f"{i}. **{lesson.lesson}** ({counts})", f"   - When: {lesson.situations[0]}",
                  "   - Evidence: " + ", ".join(f"`{e.cite()}`" for e in lesson.evidence[:EVIDENCE_SHOWN])
                  + (f" and {len(lesson.evidence) - EVIDENCE_SHOWN} more" if len(lesson.evidence) > EVIDENCE_SHOWN else ""),
                  "   - From: " + ", ".join(sorted(lesson.simulations))]
    metadata = {"practices": practices, "group": group, "key": key, "simulations": n}
    return front_matter(name, description, metadata) + "\n" + "\n".join(lines) + "\n"
