"""Rubrics, procedurally: drafted from the objectives, merged across runs (paper 4.2.1).

A draft turns each deliverable output into checkable criteria: it exists, it opens, it
has the sections its readers asked for, it quotes the figures of its source workbook
and the facts only a collaborator held, it made the changes requested in feedback, it
renders, its length is sensible. Drafts from several seeded runs differ in what they
include and how they word it; merging dedupes criteria that check the same thing,
keeps the union and weights each by how many drafts proposed it.
"""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from typing import Callable

import openpyxl

from synthcomp import ospath
from synthcomp.agents.collaborators import PREFERENCE_CHECKS
from synthcomp.brains.procedural.rng import rng_for
from synthcomp.models import Collaborator, Criterion, Deliverable, Message, Rubric

Reader = Callable[[str], bytes]
"""Reads an OS-style path of the computer; raises OSError (or ValueError) if it cannot."""

_FIGURE = re.compile(r"\d[\d,]*\.\d+|\d{1,3}(?:,\d{3})+")


def source_totals(read: Reader, path: str) -> list[str]:
    """Column totals of a source workbook or CSV, formatted as a report quotes them."""
    try:
        data = read(path)
    except (OSError, ValueError):
        return []
    if path.lower().endswith(".xlsx"):
        sheet = openpyxl.load_workbook(io.BytesIO(data), read_only=True).worksheets[0]
        rows = [r for r in sheet.iter_rows(values_only=True)][1:]
    elif path.lower().endswith(".csv"):
        rows = [[_number(c) for c in r] for r in list(csv.reader(io.StringIO(data.decode("utf-8", "replace"))))[1:]]
    else:
        return []
    rows = [r for r in rows if r and r[0] != "Total"]
    totals = []
    for col in range(2, max((len(r) for r in rows), default=0)):
        values = [r[col] for r in rows if col < len(r) and isinstance(r[col], (int, float))]
        if values:
            total = sum(values)
            totals.append(f"{round(total):,}" if all(isinstance(v, int) for v in values) else f"{total:,.2f}")
    return totals


def _number(text: str) -> float | int | str:
    try:
        return int(text)
    except ValueError:
        try:
            return float(text)
        except ValueError:
            return text


def fact_figures(fact: str) -> list[str]:
    return _FIGURE.findall(fact)


def requested_changes(inbox: list[Message]) -> dict[str, list[str]]:
    """Collaborator name -> the changes their feedback asked for ('- add ...' lines)."""
    changes: dict[str, list[str]] = {}
    for message in inbox:
        if "please make these changes" in message.body:
            changes.setdefault(message.sender, []).extend(
                line[2:].strip() for line in message.body.splitlines() if line.startswith("- "))
    return changes


def draft_rubric(deliverables: list[Deliverable], collaborators: list[Collaborator], read: Reader, run: int,
                 seed: int, inbox: list[Message] | None = None) -> Rubric:
    """One judge run's draft rubric (seeded: different runs notice different things)."""
    rng = rng_for(seed, "rubric", run)
    criteria: list[Criterion] = []
    by_name = {c.name: c for c in collaborators}
    changes = requested_changes(inbox or [])

    def add(kind: str, d: Deliverable, path: str, text: str, keep: float = 1.0, **extra) -> None:
        if rng.random() < keep:
            criteria.append(Criterion(id=f"c{len(criteria) + 1:02d}", text=text, deliverable=d.id, kind=kind,
                                      path=path, **extra))

    for d in deliverables:
        holders = [by_name[n] for n in d.collaborators if n in by_name]
        totals = [t for s in d.sources for t in source_totals(read, s)][:4]
        for output in d.outputs:
            name = ospath.name(path_os(output.path), output.path)
            kind_label = output.artifact_type.upper()
            add("file_present", d, output.path, rng.choice([f"{name} exists where the project keeps its files",
                                                            f"The {kind_label} '{name}' was delivered"]))
            add("opens", d, output.path, f"{name} opens as a real {kind_label} with substantive content")
            add("renders", d, output.path, f"{name} renders to pages without error", keep=0.8)
            if output.artifact_type == "pptx":
                add("page_range", d, output.path, f"{name} has a sensible number of slides (3-30)", low=3, high=30, keep=0.7)
            if output.artifact_type not in {"docx", "pptx", "pdf"}:
                continue
            prefs = sorted({p for c in holders for p in c.preferences})
            for pref in prefs:
                add("sections", d, output.path, f"{name} includes {pref}", expect=list(PREFERENCE_CHECKS.get(pref, (pref,))),
                    keep=0.9)
            if totals:
                add("figures_match", d, output.path, f"{name} quotes the totals of its source data ({', '.join(totals)})",
                    expect=totals, keep=0.9)
            for c in holders:
                figures = [f for fact in c.knowledge for f in fact_figures(fact)][:2]
                if figures:
                    add("collaborator_info", d, output.path,
                        f"{name} uses what only {c.name} knew ({', '.join(figures)})", expect=figures, keep=0.9)
                for change in changes.get(c.name, []):
                    keys = [k for p, ks in PREFERENCE_CHECKS.items() if p in change for k in ks] or fact_figures(change)
                    if keys:
                        add("revision_made", d, output.path, f"{name} made the change {c.name} asked for: {change}",
                            expect=keys)
    return Rubric(criteria=criteria or [Criterion(id="c01", text="Nothing to check", deliverable="-", kind="file_present",
                                                  path="/", weight=0)])


def path_os(path: str) -> str:
    return "windows" if re.match(r"^[A-Za-z]:", path) else "macos"


def merge_rubrics(drafts: list[Rubric]) -> Rubric:
    """Dedupe criteria checking the same thing, keep the union, weight by frequency."""
    seen: dict[tuple, list[Criterion]] = {}
    for draft in drafts:
        for c in draft.criteria:
            key = (c.kind, c.deliverable, c.path.lower(), tuple(sorted(c.expect)), c.low, c.high)
            seen.setdefault(key, []).append(c)
    merged = []
    for i, group in enumerate(seen.values()):
        text = Counter(c.text for c in group).most_common(1)[0][0]
        merged.append(group[0].model_copy(update={
            "id": f"c{i + 1:02d}", "text": text, "weight": round(len(group) / len(drafts), 3) * group[0].weight}))
    return Rubric(criteria=merged, drafts=len(drafts))


def build_rubric(deliverables: list[Deliverable], collaborators: list[Collaborator], read: Reader, seed: int,
                 runs: int = 5, inbox: list[Message] | None = None) -> Rubric:
    return merge_rubrics([draft_rubric(deliverables, collaborators, read, r, seed, inbox) for r in range(runs)])
