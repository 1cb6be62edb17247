"""*revisions*: a change a reviewer asked for was made, judged against the reviewed version.

When a draft goes out for review, the env keeps a digest of the text the reviewer saw and
the changes they asked for (``Review``). The criterion is met when the file now differs
from that version and the change is there: a requested section is covered with
substance (as *coverage* judges it), a requested figure is reported with its label (as
*figures* judges it). Echoing the reviewer's words earns nothing; re-saving the reviewed
version earns nothing.
"""

from __future__ import annotations

import hashlib

from synthcomp.agents.criteria import coverage, figures
from synthcomp.agents.criteria.integrity import Corpus
from synthcomp.agents.criteria.reading import Reading
from synthcomp.agents.truth import Figure


def digest(text: str) -> str:
    """What identifies a version of a deliverable: its extracted text, whitespace-trimmed."""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


def score(reading: Reading, change: str, before: str, project_figures: list[Figure],
          corpus: Corpus | None, specifics: list[str], names: list[str] = (),
          people: list[str] = ()) -> tuple[float, str, list[str]]:
    """``change`` is ``section:<topic>`` or ``figure:<figure id>``."""
    assert reading.text is not None
    if digest(reading.text) == before:
        return 0.0, "unchanged since the version that was reviewed", []
    kind, _, target = change.partition(":")
    if kind == "section":
        value, why, spans = coverage.score(reading, target, corpus, specifics, people)
        return value, f"requested section on {target}: {why}", spans
    figure = next((f for f in project_figures if f.id == target), None)
    if figure is None:
        return 0.0, f"the requested figure {target} is not part of this project", []
    found = [p for p in figures.findings(reading, project_figures, names) if p.figure.id == target]
    right = [p for p in found if p.right]
    if right and len(right) == len(found):
        return 1.0, f"now reports {figure.label} = {figure.quoted}", [right[0].unit[:200]]
    if right:
        return 0.5, f"reports {figure.label} = {figure.quoted} but also contradicts it", [p.unit[:200] for p in found]
    return 0.0, f"still does not report {figure.label} = {figure.quoted}", [p.unit[:200] for p in found]
