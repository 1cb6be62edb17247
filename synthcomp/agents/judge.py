"""The judge: scores deliverables against a rubric by reading the real files (paper 4.2.1).

Every criterion kind has a small programmatic check (STYLE.md rule 11). ``renders``
and DOCX page counts need a renderer (LibreOffice); without one those criteria are
reported as skipped and left out of the score. The score is the weighted fraction of
criteria met, each with its evidence. ``RubricScorer`` makes it the env's reward.
"""

from __future__ import annotations

import io
import re
import zipfile
from typing import Any, Callable, Protocol

from synthcomp import ospath
from synthcomp.agents.rubric import Reader
from synthcomp.computer.artifacts.extract import extract_text
from synthcomp.models import Criterion, CriterionResult, Deliverable, Judgement, Rubric

MIN_CHARS = 200
RenderPages = Callable[[str, bytes], int]
"""Renders a file (name, bytes) and returns its page count; raises on failure."""


class Scorer(Protocol):
    def score(self, sandbox: Any, deliverables: list[Deliverable]) -> float:
        """A score in [0, 1] for the deliverables as they stand in ``sandbox``."""
        ...


class ProceduralJudge:
    """Checks each criterion against the files (see the module docstring)."""

    name = "procedural"

    def __init__(self, read: Reader, render_pages: RenderPages | None = None):
        self.read, self.render_pages = read, render_pages
        self._text: dict[str, str | None] = {}

    def text(self, path: str) -> str | None:
        """The file's extracted text, or None if it is missing or does not open."""
        if path not in self._text:
            try:
                self._text[path] = extract_text(ospath.extension(path), self.read(path))
            except Exception:  # a missing or broken deliverable is a finding, not an error
                self._text[path] = None
        return self._text[path]

    def check(self, c: Criterion) -> CriterionResult:
        def result(score: float, evidence: str, skipped: bool = False) -> CriterionResult:
            return CriterionResult(id=c.id, score=round(score, 4), weight=c.weight, evidence=evidence, skipped=skipped)

        try:
            data = self.read(c.path)
        except (OSError, ValueError):
            return result(0, f"{c.path} is missing")
        if c.kind == "file_present":
            return result(1, f"{c.path} exists ({len(data):,} bytes)")
        text = self.text(c.path)
        if c.kind == "opens":
            if text is None:
                return result(0, f"{c.path} does not open as {c.path.rsplit('.', 1)[-1].upper()}")
            return result(1 if len(text) >= MIN_CHARS else 0.5, f"opens; {len(text):,} characters of text")
        if c.kind in {"sections", "figures_match", "collaborator_info", "revision_made"}:
            if text is None:
                return result(0, f"{c.path} does not open, so nothing in it can be checked")
            lowered = text.lower()
            found = [e for e in c.expect if e.lower() in lowered]
            missing = [e for e in c.expect if e.lower() not in lowered]
            return result(len(found) / max(len(c.expect), 1),
                          f"found {found}" + (f"; missing {missing}" if missing else ""))
        if c.kind == "renders":
            if self.render_pages is None:
                return result(0, "no renderer available", skipped=True)
            try:
                pages = self.render_pages(c.path, data)
            except Exception as exc:  # the renderer's failure on this file is the finding
                return result(0, f"does not render: {exc}")
            return result(1 if pages > 0 else 0, f"renders to {pages} page(s)")
        if c.kind == "page_range":
            pages = self._pages(c.path, data)
            if pages is None:
                return result(0, "page count needs a renderer", skipped=True)
            inside = c.low <= pages <= c.high
            return result(1 if inside else 0, f"{pages} page(s)/slide(s); expected {c.low}-{c.high}")
        return result(0, f"unknown criterion kind {c.kind}", skipped=True)

    def _pages(self, path: str, data: bytes) -> int | None:
        lowered = path.lower()
        try:
            if lowered.endswith(".pptx"):
                with zipfile.ZipFile(io.BytesIO(data)) as z:
                    return sum(1 for n in z.namelist() if re.fullmatch(r"ppt/slides/slide\d+\.xml", n))
            if lowered.endswith(".pdf"):
                return len(re.findall(rb"/Type\s*/Page[^s]", data))
        except zipfile.BadZipFile:
            return 0
        if self.render_pages is not None:
            try:
                return self.render_pages(path, data)
            except Exception:
                return 0
        return None

    def judge(self, rubric: Rubric) -> Judgement:
        results = [self.check(c) for c in rubric.criteria]
        counted = [r for r in results if not r.skipped and r.weight > 0]
        total = sum(r.weight for r in counted)
        score = sum(r.score * r.weight for r in counted) / total if total else 0.0
        met = sum(1 for r in counted if r.score >= 1)
        return Judgement(score=round(score, 4), criteria=results, judge=self.name,
                         summary=f"{met} of {len(counted)} criteria fully met "
                                 f"({sum(r.skipped for r in results)} skipped); weighted score {score:.3f}.")


class RubricScorer:
    """The env's reward: the procedural judge on the sandbox's files, without rendering."""

    def __init__(self, rubric: Rubric):
        self.rubric = rubric

    def score(self, sandbox: Any, deliverables: list[Deliverable]) -> float:
        return ProceduralJudge(sandbox.read_bytes).judge(self.rubric).score
