"""The judge on Claude (paper 4.2.1, Opus in the paper): the same rubric and evidence as the
procedural judge, read by a model that also sees every rendered page.

Per deliverable file, the model is shown that file's criteria (with the truth's labels
and values for the figures they name, when the setup is given), the procedural judge's
finding for each (its score before the file's gates, evidence and quoted spans), the
file's extracted text (up to ``text_chars``) and its rendered pages
(``renders/<file name>/page-*.png``, in page order). Every page is sent: the pages are
split into batches of at most ``max_images`` images and about ``token_budget`` tokens a
request (an image counts ``IMAGE_TOKENS``), one structured request per batch, each
scoring all of the file's criteria.

Combining the batches' scores of one criterion (``COMBINE``) makes the file's score
independent of where the batch boundaries fall. Every batch sees the same text and
evidence and differs only in its pages, so:

- *visual* and *integrity* take the **minimum**: they are defect checks, and a broken
  page, an empty slide or pasted filler on any page is a defect of the file, however
  clean the other batches' pages are;
- *figures*, *coverage* and *revisions* take the **maximum**: they are presence checks
  (a figure is reported, a section is there, a change was made), and the page that
  shows it is in one batch only; past ``text_chars`` only that batch can see it at all.
  A mean would dilute a found figure by the number of batches, so a long report would
  score lower than a short one for the same content.

The scores are combined per criterion before the gates; then the procedural judge's
gates apply (``judge.gated``: a weight-0 integrity criterion scoring < 1 scales the
file's other criteria by ``integrity.PENALTY``; prose, looks and revisions count in
proportion to the file's figures) and the weighted score is computed as
``ProceduralJudge.judge`` computes it, so the two judges' numbers mean the same thing.

Every reply is validated (exactly the criteria asked, scores in [0, 1], integrity 0 or
1) and a problem goes back to the model in the client's repair turn. A batch that stays
invalid, or whose request fails, keeps what it scored validly; a criterion no batch
scored takes the procedural score (a warning in the run's usage says so). The judgement
is never lost; only a spent budget (``BudgetExceeded``) stops it.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

from synthcomp import ospath
from synthcomp.agents.criteria.reading import read_deliverable
from synthcomp.agents.judge import gated
from synthcomp.agents.rubric_claude import recording
from synthcomp.agents.setup import SetupPlan
from synthcomp.agents.truth import Reader
from synthcomp.brains.model.client import BudgetExceeded, ModelClient
from synthcomp.errors import BrainError
from synthcomp.models import Criterion, CriterionResult, Judgement, Rubric, Strict

SYSTEM = ("You judge the deliverables of a month of simulated office work against a rubric. Read the text, look at "
          "the rendered pages and weigh the procedural checker's findings; score each criterion from 0 to 1 with "
          "concrete evidence, quoting what your score rests on.")
TEXT_CHARS = 15_000
"""Extracted text shown per file (about 4,000 tokens); the pages show the rest."""
MAX_IMAGES = 16
"""Images in one request."""
TOKEN_BUDGET = 40_000
"""Approximate input tokens of one request: the file's text and criteria plus its batch of pages."""
IMAGE_TOKENS = 1_600
"""What one page image costs at most (a page is scaled to about 1.15 megapixels)."""
MAX_IMAGE_BYTES = 20 * 2**20
"""PNG bytes in one request (base64 makes them a third larger; the API takes 32 MB)."""
CHARS_PER_TOKEN = 4
MAX_SPANS, SPAN_CHARS = 8, 300

COMBINE: dict[str, Callable[[list[float]], float]] = {
    "visual": min, "integrity": min, "figures": max, "coverage": max, "revisions": max}
"""How one criterion's batch scores combine (module docstring: defects min, presence max)."""

_PAGE = re.compile(r"(\d+)")
_GATE_NOTE = re.compile(r"\s*\[(x\d+(?:\.\d+)?: [^\[\]]*)\]$")
_GATE_FACTOR = re.compile(r"(?:^|; )x(\d+(?:\.\d+)?): ")


class CriterionScore(Strict):
    id: str
    score: float = Field(ge=0, le=1)
    evidence: str
    spans: list[str] = Field(default_factory=list, description=(
        "Rows, sentences or headings quoted from the file (text or pages) that the score rests on."))


class ClaudeScores(Strict):
    criteria: list[CriterionScore]
    summary: str


def plan_batches(sizes: list[int], fixed_tokens: int, *, max_images: int = MAX_IMAGES,
                 token_budget: int = TOKEN_BUDGET, image_tokens: int = IMAGE_TOKENS,
                 max_bytes: int = MAX_IMAGE_BYTES) -> list[range]:
    """Consecutive batches (index ranges) of pages of ``sizes`` bytes: each holds at most
    ``max_images`` pages, ``max_bytes`` bytes and what is left of ``token_budget`` after
    ``fixed_tokens``, and at least one page (a page is never left out). No pages: one
    batch with none (the file is still judged from its text)."""
    per_batch = max(1, min(max_images, (token_budget - fixed_tokens) // max(1, image_tokens)))
    batches: list[range] = []
    start = 0
    while start < len(sizes):
        end, used = start, 0
        while end < len(sizes) and end - start < per_batch and (end == start or used + sizes[end] <= max_bytes):
            used += sizes[end]
            end += 1
        batches.append(range(start, end))
        start = end
    return batches or [range(0)]


def page_number(page: Path) -> int:
    found = _PAGE.findall(page.stem)
    return int(found[-1]) if found else 0


def render_dirs(paths: list[str]) -> dict[str, str]:
    """The folder under ``renders/`` of each path: its file name, and ``name-2``, ``name-3``...
    for later paths (in sorted order, as ``sim.judging`` renders them) with the same name,
    as the renderer names them."""
    out: dict[str, str] = {}
    counts: dict[str, int] = {}
    for path in sorted(paths):
        name = ospath.basename(path)
        counts[name] = counts.get(name, 0) + 1
        out[path] = name if counts[name] == 1 else f"{name}-{counts[name]}"
    return out


def ungated(result: CriterionResult) -> tuple[float, str]:
    """A procedural result's score and evidence before the file's gates (``judge.gated``
    notes each factor after the evidence: ``[x0.1: integrity failed; x0.44: ...]``). The
    score is approximate when a factor was rounded in the note."""
    match = _GATE_NOTE.search(result.evidence)
    if not match:
        return result.score, result.evidence
    factor = math.prod(float(f) for f in _GATE_FACTOR.findall(match.group(1)))
    score = min(1.0, result.score / factor) if factor > 0 else result.score
    return round(score, 4), result.evidence[:match.start()]


class ClaudeJudge:
    """Scores a rubric on Claude, file by file and batch by batch (see the module docstring)."""

    name = "claude"

    def __init__(self, client: ModelClient, read: Reader, renders: Path | None = None, *,
                 setup: SetupPlan | None = None, text_chars: int = TEXT_CHARS, max_images: int = MAX_IMAGES,
                 token_budget: int = TOKEN_BUDGET, image_tokens: int = IMAGE_TOKENS,
                 max_image_bytes: int = MAX_IMAGE_BYTES):
        """``setup`` lets the model see the truth's labels and values for the figures a
        criterion names; without it, it has the ids and the procedural evidence only."""
        self.client, self.read, self.renders, self.setup = client, read, renders, setup
        self.text_chars, self.max_images, self.token_budget = text_chars, max_images, token_budget
        self.image_tokens, self.max_image_bytes = image_tokens, max_image_bytes

    def judge(self, rubric: Rubric, evidence: Judgement | None = None) -> Judgement:
        """One judgement of ``rubric``, scored by the model with ``evidence`` (the procedural
        judgement of the same rubric) as context and fallback. Never raises on a bad reply.

        Raises:
            BudgetExceeded: the model budget is spent.
        """
        procedural = {r.id: r for r in (evidence.criteria if evidence else [])}
        paths = sorted({c.path for c in rubric.criteria})
        dirs = render_dirs(paths)
        scored: dict[str, CriterionResult] = {}
        notes: list[str] = []
        fallbacks: list[str] = []
        requests = pages_sent = 0
        for path in paths:
            criteria = [c for c in rubric.criteria if c.path == path and c.kind in COMBINE]
            outcome = self._judge_file(path, dirs[path], criteria, procedural)
            for c in rubric.criteria:  # a sign-off is a fact of the simulation, not of the pages: it stands
                if c.path == path and c.kind not in COMBINE:
                    outcome.results[c.id] = self._fallback(c, procedural)
            scored.update(outcome.results)
            fallbacks += outcome.fallbacks
            requests += outcome.requests
            pages_sent += outcome.pages
            if outcome.summary:
                notes.append(f"{ospath.basename(path)}: {outcome.summary}")
        results = gated(rubric, [scored[c.id] for c in rubric.criteria])
        failed = {c.path for c, r in zip(rubric.criteria, results) if c.kind == "integrity" and r.score < 1}
        counted = [r for r in results if not r.skipped and r.weight > 0]
        total = sum(r.weight for r in counted)
        score = sum(r.score * r.weight for r in counted) / total if total else 0.0
        met = sum(1 for r in counted if r.score >= 1)
        summary = (f"{met} of {len(counted)} criteria fully met; integrity failed on {len(failed)} file(s); weighted "
                   f"score {score:.3f}; {requests} request(s), {pages_sent} page(s) over {len(paths)} file(s).")
        if fallbacks:
            summary += f" Procedural score kept for {', '.join(fallbacks)}."
        if notes:
            summary += " " + " | ".join(notes)
        return Judgement(score=round(score, 4), criteria=results, summary=summary, judge=self.name)

    # ------------------------------------------------------------------ one file

    def _judge_file(self, path: str, render_dir: str, criteria: list[Criterion],
                    procedural: dict[str, CriterionResult]) -> _FileOutcome:
        outcome = _FileOutcome()
        text = self._text(path)
        pages = self._pages(render_dir)
        if text is None and not pages:  # nothing to show: the procedural finding (missing, broken) stands
            for c in criteria:
                outcome.results[c.id] = self._fallback(c, procedural)
            outcome.summary = "not sent to the model (missing or does not open; no pages): procedural findings kept"
            return outcome
        header = self._header(path, criteria, procedural, text)
        sizes = [_size(p) for p in pages]
        schema_tokens = len(json.dumps(ClaudeScores.model_json_schema())) // CHARS_PER_TOKEN
        fixed = (len(SYSTEM) + sum(len(b["text"]) for b in header)) // CHARS_PER_TOKEN + schema_tokens + 200
        batches = plan_batches(sizes, fixed, max_images=self.max_images, token_budget=self.token_budget,
                               image_tokens=self.image_tokens, max_bytes=self.max_image_bytes)
        asked = {c.id: c for c in criteria}
        by_batch: list[tuple[str, dict[str, CriterionScore]]] = []
        summaries = []
        for number, batch in enumerate(batches, 1):
            shown = [pages[i] for i in batch]
            where = (f"pages {page_number(shown[0])}-{page_number(shown[-1])} of {len(pages)}" if shown
                     else "no rendered pages")
            content = [*header, {"type": "text", "text": _batch_note(where, number, len(batches), len(pages))}]
            for page in shown:
                try:
                    data = base64.b64encode(page.read_bytes()).decode()
                except OSError as exc:
                    content.append({"type": "text", "text": f"(page {page_number(page)} could not be read: {exc})"})
                    continue
                content += [{"type": "text", "text": f"Page {page_number(page)}:"},
                            {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": data}}]
            got, summary = self._ask(path, where, asked, content)
            outcome.requests += 1
            outcome.pages += len(shown)
            by_batch.append((where, got))
            if summary:
                summaries.append(summary.strip()[:300])
        for c in criteria:
            scores = [(where, got[c.id]) for where, got in by_batch if c.id in got]
            if not scores:
                outcome.results[c.id] = self._fallback(c, procedural)
                outcome.fallbacks.append(c.id)
                continue
            outcome.results[c.id] = self._combined(c, scores, len(by_batch), procedural.get(c.id))
        outcome.summary = " ".join(dict.fromkeys(summaries))[:600]
        return outcome

    def _ask(self, path: str, where: str, asked: dict[str, Criterion],
             content: list[dict[str, Any]]) -> tuple[dict[str, CriterionScore], str]:
        """One batch's validated scores (by id) and summary; a reply that stays invalid keeps
        what it scored validly, a failed request nothing (a warning says which)."""
        model, seen = recording(ClaudeScores)
        name = ospath.basename(path)
        try:
            reply = self.client.structured("judge", model, system=SYSTEM, prompt=content,
                                           check=lambda got: _reply_problems(got.criteria, asked),
                                           degrade=lambda _: _salvaged(seen, asked, name, where))
        except BudgetExceeded:
            raise
        except BrainError as exc:  # the request failed: what the model did answer still counts
            reply, done = _salvaged(seen, asked, name, where)
            self.client.usage.warn(f"{self.client.label} (judge) failed on {name} ({where}): {str(exc)[:300]}; "
                                   f"degraded: {done}")
        return {s.id: s for s in reply.criteria}, reply.summary

    def _combined(self, c: Criterion, scores: list[tuple[str, CriterionScore]], batches: int,
                  procedural: CriterionResult | None) -> CriterionResult:
        value = COMBINE[c.kind]([s.score for _, s in scores])
        where, chosen = next((w, s) for w, s in scores if s.score == value)  # the batch the score comes from
        evidence = chosen.evidence
        if batches > 1:
            rule = "lowest" if COMBINE[c.kind] is min else "highest"
            evidence += f" ({where}; the {rule} of {len(scores)} batch score(s))"
        spans = [s[:SPAN_CHARS] for s in chosen.spans if s.strip()] or (procedural.spans if procedural else [])
        return CriterionResult(id=c.id, score=round(value, 4), weight=c.weight, evidence=evidence,
                               spans=spans[:MAX_SPANS])

    def _fallback(self, c: Criterion, procedural: dict[str, CriterionResult]) -> CriterionResult:
        """The procedural result before its gates (gates are applied once, on every result)."""
        found = procedural.get(c.id)
        if found is None:
            return CriterionResult(id=c.id, score=0.0, weight=c.weight, skipped=True,
                                   evidence="not scored by the model and no procedural evidence")
        score, why = ungated(found)
        return CriterionResult(id=c.id, score=score, weight=c.weight, evidence=f"procedural: {why}",
                               spans=found.spans, skipped=found.skipped)

    # ------------------------------------------------------------------ what the model sees

    def _header(self, path: str, criteria: list[Criterion], procedural: dict[str, CriterionResult],
                text: str | None) -> list[dict[str, Any]]:
        """The text blocks every batch of a file starts with: instructions, criteria with
        their procedural findings, and the extracted text."""
        rows = []
        for c in criteria:
            row: dict[str, Any] = {"id": c.id, "kind": c.kind, "text": c.text}
            if c.expect:
                row["expect"] = c.expect
            if c.kind == "visual" and c.high:
                row["pages_or_slides"] = f"{c.low}-{c.high}"
            figures = self._figures(c)
            if figures:
                row["figures"] = figures
            if (found := procedural.get(c.id)) is not None:
                score, why = ungated(found)
                row["procedural"] = {"score": score, "evidence": why, "spans": found.spans}
            rows.append(row)
        deliverable = self._deliverable(criteria[0].deliverable)
        intro = (f"File {path}" + (f" of deliverable {deliverable}" if deliverable else "") + ".\n"
                 "Score exactly these criteria, each from 0 to 1, for this file as a whole. `procedural` is what a "
                 "program found reading the same file (its score before any gate): confirm or correct it from the "
                 "text and pages. Score each criterion on its own; gates between criteria are applied afterwards. "
                 "integrity is 1 (passes) or 0 (fails: filler, repetition, keyword lists, copied prose or another "
                 "project's content). figures: each figure's right value next to its label; a contradicting value "
                 "cancels a right one. coverage: a section on the topic with substantive, specific prose. visual: "
                 "judge the pages you are shown (tables or charts where called for, legible, no empty or broken "
                 "pages, the page count in range). Quote what each score rests on in `spans`.\n"
                 "Criteria:\n```json\n" + json.dumps(rows, ensure_ascii=False) + "\n```")
        if text is None:
            body = "The file does not open as text; judge it from its pages."
        else:
            cut = text[:self.text_chars]
            rest = f"\n[... {len(text) - len(cut):,} more characters: see the pages]" if len(text) > len(cut) else ""
            body = f"Extracted text of {ospath.basename(path)} ({len(text):,} characters):\n{cut}{rest}"
        return [{"type": "text", "text": intro}, {"type": "text", "text": body}]

    def _figures(self, c: Criterion) -> list[dict[str, str]]:
        """The truth's label and value of each figure the criterion names."""
        if self.setup is None:
            return []
        wanted = c.expect if c.kind == "figures" else [e.partition(":")[2] for e in c.expect
                                                       if c.kind == "revisions" and e.startswith("figure:")]
        known = {f.id: f for f in self.setup.truth.figures()}
        return [{"id": known[i].id, "label": known[i].label, "value": known[i].quoted} for i in wanted if i in known]

    def _deliverable(self, ident: str) -> str:
        if self.setup is None:
            return ident
        found = next((d for d in self.setup.deliverables if d.id == ident), None)
        return f"{ident} ({found.title})" if found else ident

    def _text(self, path: str) -> str | None:
        try:
            return read_deliverable(path, self.read(path)).text
        except Exception:  # a missing or unreadable deliverable is shown as such
            return None

    def _pages(self, render_dir: str) -> list[Path]:
        """Every rendered page of a file, in page order."""
        if self.renders is None:
            return []
        return sorted((self.renders / render_dir).glob("page-*.png"), key=lambda p: (page_number(p), p.name))


class _FileOutcome:
    def __init__(self) -> None:
        self.results: dict[str, CriterionResult] = {}
        self.fallbacks: list[str] = []
        self.requests = 0
        self.pages = 0
        self.summary = ""


def _batch_note(where: str, number: int, batches: int, pages: int) -> str:
    if batches == 1:
        return f"Rendered pages: {where}." if pages else "No rendered pages: judge from the text."
    return (f"Rendered pages, batch {number} of {batches}: {where}. The other batches are judged in separate "
            "requests; for what sits on pages you are not shown, rely on the extracted text.")


def _size(page: Path) -> int:
    try:
        return page.stat().st_size
    except OSError:
        return 0


def _reply_problems(scores: list[CriterionScore], asked: dict[str, Criterion]) -> list[str]:
    ids = [s.id for s in scores]
    problems = []
    missing = sorted(set(asked) - set(ids))
    unknown = sorted(set(ids) - set(asked))
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if missing:
        problems.append(f"criteria not scored: {missing}")
    if unknown:
        problems.append(f"criteria that were not asked: {unknown}")
    if twice:
        problems.append(f"criteria scored more than once: {twice}")
    problems += [f"{s.id} is an integrity gate: score 1 (passes) or 0 (fails), not {s.score}"
                 for s in scores if s.id in asked and asked[s.id].kind == "integrity" and s.score not in (0, 1)]
    if problems:
        problems.append(f"score exactly {sorted(asked)}")
    return problems


def _salvaged(seen: list[Any], asked: dict[str, Criterion], name: str, where: str) -> tuple[ClaudeScores, str]:
    """The valid scores of asked criteria in the last reply (first of each id; an integrity
    score must be 0 or 1), and which criteria keep the procedural score."""
    raw = seen[-1] if seen and isinstance(seen[-1], dict) else {}
    items = raw.get("criteria")
    got: dict[str, CriterionScore] = {}
    for item in items if isinstance(items, list) else []:
        try:
            score = CriterionScore.model_validate(item)
        except ValidationError:
            continue
        gate = score.id in asked and asked[score.id].kind == "integrity"
        if score.id in asked and score.id not in got and not (gate and score.score not in (0, 1)):
            got[score.id] = score
    summary = raw.get("summary")
    missing = sorted(set(asked) - set(got))
    return (ClaudeScores(criteria=list(got.values()), summary=summary if isinstance(summary, str) else ""),
            f"on {name} ({where}) kept {len(got)} score(s), no score for {missing} (the procedural score stands)")
