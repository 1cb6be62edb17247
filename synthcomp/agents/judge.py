"""The judge: scores deliverables against a rubric by reading the real files (paper 4.2.1).

Each criterion kind has its module in ``agents/criteria`` and returns a score, the
evidence and the quoted spans it rests on. Two gates scale a file's other criteria
(:func:`gated`): failing ``integrity`` keeps ``integrity.PENALTY`` of them, and a file's
prose, looks and revisions count in proportion to its figures being right. The score
is the weighted mean of the criteria that were checked (a renderer-only part without a
renderer is left out, never guessed). A missing, broken or hostile file fails its
criteria with a reason; it never raises. ``RubricScorer`` makes it the env's reward.
"""

from __future__ import annotations

from typing import Any, Protocol

from synthcomp import ospath
from synthcomp.agents.criteria import coverage, figures, integrity, revisions, signoff, visual
from synthcomp.agents.criteria.integrity import Corpus
from synthcomp.agents.criteria.reading import Reading, read_deliverable
from synthcomp.agents.criteria.visual import RenderPages
from synthcomp.agents.rubric import build_rubric
from synthcomp.agents.setup import SetupPlan
from synthcomp.agents.timeliness import timely_score
from synthcomp.agents.truth import Reader
from synthcomp.computer.artifacts.extract import extract_text
from synthcomp.models import Computer, Criterion, CriterionResult, Judgement, Message, Rubric

FIGURES_FLOOR = 0.25
"""What prose, looks and revisions keep on a file whose figures are all missing or wrong."""
CORPUS_TYPES = frozenset({"docx", "pdf", "pptx", "md", "txt", "eml"})
MAX_READ = 32 * 2**20


class Scorer(Protocol):
    def score(self, sandbox: Any, state: Any) -> float:
        """A score in [0, 1] for the deliverables as they stand in ``sandbox`` (``state``: SimState)."""
        ...


def project_corpus(computer: Computer, read_original: Reader, setup: SetupPlan,
                   messages: list[Message] = ()) -> Corpus:
    """What the user was given about the month's projects: their files as created, what
    collaborators know, the messages received. Copying from it is not work."""
    corpus = Corpus()
    codes = {p.code for p in setup.truth.projects}
    for f in computer.plan.files:
        if f.project in codes and f.artifact_type in CORPUS_TYPES:
            try:
                corpus.add(extract_text(f.artifact_type, read_original(f.path)))
            except Exception:  # a source that does not read adds nothing to compare with
                continue
    for c in setup.collaborators:
        corpus.add(" ".join(c.knowledge))
    for m in messages:
        corpus.add(m.body)
    return corpus


class ProceduralJudge:
    """Checks each criterion against the files (see the module docstring)."""

    name = "procedural"

    def __init__(self, read: Reader, setup: SetupPlan, corpus: Corpus | None = None,
                 render_pages: RenderPages | None = None):
        self.read, self.setup, self.corpus, self.render_pages = read, setup, corpus, render_pages
        self._readings: dict[str, tuple[Reading, bytes | None]] = {}

    def reading(self, path: str) -> tuple[Reading, bytes | None]:
        """The file's reading and bytes (None when it is missing or unreadable)."""
        if path not in self._readings:
            try:
                data = self.read(path)
            except Exception as exc:  # a missing or refused file is a finding, not an error
                self._readings[path] = (read_deliverable(path, None, _missing(path, exc)), None)
            else:
                data = data[:MAX_READ]
                self._readings[path] = (read_deliverable(path, data), data)
        return self._readings[path]

    def _other_projects(self, deliverable: str) -> list[str]:
        own = self.setup.truth.project_of(deliverable)
        wanted = next((d for d in self.setup.deliverables if d.id == deliverable), None)
        allowed = {own.code} if own else set()
        for dep in wanted.depends_on if wanted else []:
            if (p := self.setup.truth.project_of(dep)) is not None:
                allowed.add(p.code)
        return [p.name for p in self.setup.truth.projects if p.code not in allowed]

    def check(self, c: Criterion) -> CriterionResult:
        def result(score: float, evidence: str, spans: list[str] | None = None, skipped: bool = False) -> CriterionResult:
            return CriterionResult(id=c.id, score=round(min(max(score, 0.0), 1.0), 4), weight=c.weight,
                                   evidence=evidence, spans=[s[:300] for s in (spans or [])][:8], skipped=skipped)

        reading, data = self.reading(c.path)
        if not reading.opened or data is None:
            return result(0, f"{c.path}: {reading.problem}")
        project = self.setup.truth.project_of(c.deliverable)
        project_figures = project.figures if project else []
        specifics = project.specifics() if project else []
        names = project.names() if project else []
        people = project.people() if project else []
        try:
            if c.kind == "integrity":
                return result(*integrity.check(reading, self.corpus, self._other_projects(c.deliverable)))
            if c.kind == "figures":
                wanted = [f for f in project_figures if f.id in c.expect]
                return result(*figures.score(reading, wanted, project_figures, names))
            if c.kind == "coverage":
                return result(*coverage.score(reading, c.expect[0] if c.expect else "", self.corpus, specifics, people))
            if c.kind == "revisions":
                return result(*revisions.score(reading, c.expect[0] if c.expect else "", c.before,
                                               project_figures, self.corpus, specifics, names, people))
            if c.kind == "visual":
                return result(*visual.score(reading, data, c.low, c.high, self.render_pages))
            if c.kind == "signoff":
                return result(*signoff.score(reading, c.expect))
        except Exception as exc:  # a hostile file that trips a check fails that criterion, not the judgement
            return result(0, f"could not be checked: {type(exc).__name__}: {str(exc)[:200]}")
        return result(0, f"unknown criterion kind {c.kind}", skipped=True)

    def judge(self, rubric: Rubric) -> Judgement:
        results = gated(rubric, [self.check(c) for c in rubric.criteria])
        failed = {c.path for c, r in zip(rubric.criteria, results) if c.kind == "integrity" and r.score < 1}
        counted = [r for r in results if not r.skipped and r.weight > 0]
        total = sum(r.weight for r in counted)
        score = sum(r.score * r.weight for r in counted) / total if total else 0.0
        met = sum(1 for r in counted if r.score >= 1)
        return Judgement(score=round(score, 4), criteria=results, judge=self.name,
                         summary=f"{met} of {len(counted)} criteria fully met; integrity failed on {len(failed)} "
                                 f"file(s); weighted score {score:.3f}.")


def gated(rubric: Rubric, results: list[CriterionResult]) -> list[CriterionResult]:
    """The two gates of a file, applied to its other criteria's scores.

    Integrity: a file that fails it keeps ``integrity.PENALTY`` of every other score.
    Figures: prose, looks and revisions of a file whose figures are missing or wrong are
    worth little; they keep ``FIGURES_FLOOR`` plus the rest in proportion to the figures
    score (a file with no figures to report is not gated).
    """
    failed = {c.path for c, r in zip(rubric.criteria, results) if c.kind == "integrity" and r.score < 1}
    figures: dict[str, list[tuple[float, float]]] = {}
    for c, r in zip(rubric.criteria, results):
        if c.kind == "figures" and r.weight > 0:
            figures.setdefault(c.path, []).append((r.score, r.weight))
    out = []
    for c, r in zip(rubric.criteria, results):
        factor, why = 1.0, []
        if c.path in failed and c.kind != "integrity":
            factor *= integrity.PENALTY
            why.append(f"x{integrity.PENALTY}: integrity failed")
        if c.path in figures and c.kind in {"coverage", "visual", "revisions", "signoff"}:
            pairs = figures[c.path]
            share = sum(s * w for s, w in pairs) / sum(w for _, w in pairs)
            gate = FIGURES_FLOOR + (1 - FIGURES_FLOOR) * share
            if gate < 1:
                factor *= gate
                why.append(f"x{gate:.2f}: its figures score {share:.2f}")
        if factor < 1 and r.score > 0:
            r = r.model_copy(update={"score": round(r.score * factor, 4), "evidence": f"{r.evidence} [{'; '.join(why)}]"})
        out.append(r)
    return out


def _missing(path: str, exc: Exception) -> str:
    name = ospath.basename(path)
    return f"{name} is missing" if isinstance(exc, FileNotFoundError) else f"{name} cannot be read ({type(exc).__name__})"


class RubricScorer:
    """The env's reward: the procedural judge on the sandbox's files, without rendering,
    on the truth as it stands that day, with lateness applied (``agents/timeliness.py``;
    it records each deliverable's score at its due day in the state).

    The rubric's fixed part is built once; revision criteria are added from the reviews
    in the state as drafts go out. The corpus of what the user was given grows with the
    messages received."""

    def __init__(self, setup: SetupPlan, seed: int, corpus: Corpus | None = None):
        self.setup, self.seed, self.corpus = setup, seed, corpus
        self._rubrics: dict[int, Rubric] = {}
        self._messages: set[str] = set()

    def rubric(self, state: Any) -> Rubric:
        key = len(state.reviews)
        if key not in self._rubrics:
            self._rubrics = {key: build_rubric(self.setup, seed=self.seed, reviews=state.reviews)}
        return self._rubrics[key]

    def score(self, sandbox: Any, state: Any) -> float:
        if self.corpus is not None:
            for m in state.inbox:
                if m.id not in self._messages and m.deliver_day <= state.day:
                    self._messages.add(m.id)
                    self.corpus.add(m.body)
        setup = self.setup.model_copy(update={"truth": self.setup.truth.as_of(state.day)})
        rubric = self.rubric(state)
        judgement = ProceduralJudge(sandbox.read_bytes, setup, self.corpus).judge(rubric)
        return timely_score(rubric, judgement, setup.truth, state.days_total, state.day, state.due_scores)
