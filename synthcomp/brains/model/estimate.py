"""What a run's model calls will cost, before any is made (issue 19: know the cost before paying it).

An estimate is the run's requests as shapes (:class:`Request`: the tokens of the tools and
system prompt, of the conversation the previous turn already sent, of what is new, and of
the reply), billed the way the provider bills them, prompt-cache writes and reads
included (:class:`PromptCache`), and priced with the config's own ``usd``, so an estimate
reads like the ``Usage`` the run will report. Nothing here calls a model or touches a
disk; ``fleet.costs`` reads the shapes of a create, simulate or judge run from its inputs.

Every estimate assumes:

- tokens as the work agent counts them (``context.estimate_tokens``: 3.5 characters a
  token, an image 1,600); the providers' tokenizers count 3.5-4 characters a token;
- every structured reply validates the first time (a repair turn is one more request);
- nothing is in the on-disk response cache (requests it holds cost nothing);
- the prompt cache keeps what was written for the whole run (Anthropic's lasts five
  minutes after its last use; a run's requests come seconds apart).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from functools import cache
from typing import Any

from pydantic import BaseModel

from synthcomp.brains.base import ArtifactContext, Predecessor
from synthcomp.brains.model.base import Billed, ModelBrainConfig
from synthcomp.brains.model.context import COMPACT_AT, COMPACT_TO, KEEP_RECENT, estimate_tokens
from synthcomp.brains.model.creation import CONTEXT_CHARS, SYSTEM as CREATION_SYSTEM, block
from synthcomp.brains.procedural import ProceduralCreationBrain
from synthcomp.models import ArtifactContent, Catalog, FilePlan, OSName, Persona

MIN_CACHEABLE = 1_024
"""The shortest prefix a provider caches (Anthropic's Sonnet and Opus; OpenAI)."""
SAMPLE = 5
"""Computers estimated one by one; the rest of a batch is assumed to cost their mean."""
WORDING_TOKENS = 150
"""A creation prompt's own instructions; the data it carries (persona, profile, policy, the
file, its sources) is counted from the procedural brain's."""
BRIEFING_TOKENS = 2_000
"""The morning briefing that opens a workday (objectives, collaborators, inbox, yesterday's
summary): about 1,900 on a procedural computer's first day."""
RESULT_TOKENS = 1_000
"""What one tool result adds to the day's conversation: reading a procedural computer's
files averages about 1,000 (``tests/brains/busy_worker.py``'s read-heavy day); a listing or
a sent message is less, a long real document more (``read_file`` stops at 20,000 characters)."""
CALL_TOKENS = 200
"""One turn of the work agent (its output): a sentence of reasoning and a tool call, about
90 on the busy day; a turn that writes a whole document is more."""
STUB_TOKENS = 80
"""A tool result once context clearing has replaced it by its one-line stub."""
MESSAGES_PER_DAY = 2
"""Messages a day the collaborators answer, one request each (the scripted worker sends
about 1.4 a day)."""
SETUP_WORDING_TOKENS = 300
"""The setup prompt's instructions; the profile, policy and inventory it carries are counted."""
MESSAGE_CHARS = 600
"""A message from the user to a collaborator (subject and body)."""
REPLY_CHARS = 800
"""A collaborator's reply, written in character."""
JUDGE_WORDING_TOKENS = 400
"""The judge prompt's instructions and page notes; criteria, text and pages are counted."""
FINDING_TOKENS = 100
"""What the judge prompt adds to a criterion: the procedural finding (score, evidence,
quoted spans) and the truth's figures it names."""
SCORE_CHARS = 400
"""The judge's answer for one criterion: its score, a sentence or two of evidence and a quote."""
CHARS_PER_PAGE = 3_000
"""Extracted characters a rendered page holds, for a deliverable not rendered yet."""


@dataclass(frozen=True)
class Request:
    """One request as the estimate sees it: token counts, not text."""

    role: str
    kind: str
    """Requests of one kind open with the same tools and system prompt (``stable``)."""
    stable: int
    """The tools and the system prompt."""
    repeated: int
    """The conversation the previous request of the same conversation sent after ``stable``
    (0: a conversation starts, or its prefix changed)."""
    new: int
    """The rest of the prompt."""
    output: int
    conversation: bool = True
    """More turns repeat this one, so its whole prompt is marked for the cache; a one-off
    structured question marks only its tools and system prompt."""

    @property
    def prompt(self) -> int:
        return self.stable + self.repeated + self.new


class PromptCache:
    """A provider's prompt cache as requests fill it, to bill a request as the provider will.

    Anthropic (``cache_breakpoints``) caches what a request marks: ``ModelClient`` marks the
    tools, the system prompt and (in a conversation) the last block, so a request writes
    everything it marked after what it read (when that reaches ``MIN_CACHEABLE``) at
    ``cache_write_rate``, and a later
    request reads the longest marked prefix it repeats; with ``prompt_caching`` off nothing
    is marked. OpenAI caches every prefix of ``MIN_CACHEABLE`` tokens or more by itself and
    bills no write.
    """

    def __init__(self, config: ModelBrainConfig):
        self.config = config
        self.kinds: set[str] = set()
        """Kinds whose tools and system prompt are in the cache."""

    def bill(self, request: Request) -> Billed:
        marks = self.config.cache_breakpoints
        if marks and not self.config.prompt_caching:
            return Billed(input_tokens=request.prompt, output_tokens=request.output)
        read = 0
        if request.repeated and request.stable + request.repeated >= MIN_CACHEABLE:
            read = request.stable + request.repeated
        elif request.kind in self.kinds:
            read = request.stable
        if request.stable >= MIN_CACHEABLE:
            self.kinds.add(request.kind)
        marked = request.prompt if request.conversation else request.stable
        write = marked - read if marks and marked >= MIN_CACHEABLE and marked > read else 0
        return Billed(request.prompt - read - write, write, read, request.output)


@dataclass
class RoleEstimate:
    """What one role's requests are expected to bill (fractional once a sample is scaled)."""

    requests: float = 0.0
    input_tokens: float = 0.0
    """Read fresh."""
    cache_write_tokens: float = 0.0
    cache_read_tokens: float = 0.0
    output_tokens: float = 0.0
    usd: float = 0.0

    @property
    def prompt_tokens(self) -> float:
        """Every input token sent, however billed."""
        return self.input_tokens + self.cache_write_tokens + self.cache_read_tokens

    def add(self, other: RoleEstimate, factor: float = 1.0) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name) * factor)


@dataclass
class Estimate:
    """A run's expected model cost per role, and what it assumes."""

    roles: dict[str, RoleEstimate] = field(default_factory=dict)
    assumptions: list[str] = field(default_factory=list)

    @property
    def total(self) -> RoleEstimate:
        out = RoleEstimate()
        for role in self.roles.values():
            out.add(role)
        return out

    def merge(self, other: Estimate, factor: float = 1.0) -> Estimate:
        """This estimate plus ``factor`` times ``other`` (its assumptions added once)."""
        for name, role in other.roles.items():
            self.roles.setdefault(name, RoleEstimate()).add(role, factor)
        self.assumptions += [a for a in other.assumptions if a not in self.assumptions]
        return self

    def line(self) -> str:
        """The one line a run prints before it starts."""
        t = self.total
        return (f"estimate: ~{t.requests:,.0f} requests, ~{t.prompt_tokens:,.0f} tokens in / ~{t.output_tokens:,.0f} "
                f"out, ~${t.usd:,.2f} ({'; '.join(self.assumptions)})")

    def breakdown(self) -> list[str]:
        """Per role: requests, input tokens (fresh / cache write / cache read), output tokens, dollars."""
        rows = [*self.roles.items(), ("total", self.total)]
        return [f"  {name:<13}{r.requests:>9,.0f} requests  {r.prompt_tokens:>13,.0f} in ({r.input_tokens:,.0f} "
                f"fresh / {r.cache_write_tokens:,.0f} written / {r.cache_read_tokens:,.0f} read)  "
                f"{r.output_tokens:>11,.0f} out  ${r.usd:,.2f}" for name, r in rows]


def price(config: ModelBrainConfig, requests: Iterable[Request]) -> Estimate:
    """``requests``, in the order the run sends them, billed and priced on ``config``."""
    prompt_cache = PromptCache(config)
    off = config.cache_breakpoints and not config.prompt_caching
    out = Estimate(assumptions=["prompt caching off"] if off else [])
    for request in requests:
        billed = prompt_cache.bill(request)
        usd = config.usd(config.model_for(request.role), billed)
        out.roles.setdefault(request.role, RoleEstimate()).add(RoleEstimate(
            1, billed.input_tokens, billed.cache_write_tokens, billed.cache_read_tokens, billed.output_tokens, usd))
    return out


@cache
def _tool_tokens(model: type[BaseModel]) -> int:
    """The forced ``submit`` tool of ``ModelClient.structured``, holding ``model``'s schema."""
    return estimate_tokens({"name": "submit", "description": f"Submit the {model.__name__}.",
                            "input_schema": model.model_json_schema()})


def structured(role: str, model: type[BaseModel], system: str, prompt: Any, answer: Any, wording: int = 0) -> Request:
    """One ``ModelClient.structured`` request: ``prompt`` is the user turn (text, or content
    blocks with images), ``answer`` a JSON value the size of what the model submits, and
    ``wording`` the tokens of the prompt's instructions when ``prompt`` holds only its data."""
    call = {"type": "tool_use", "id": "toolu_01", "name": "submit", "input": answer}
    return Request(role, f"{model.__name__}:{system}", _tool_tokens(model) + estimate_tokens(system), 0,
                   estimate_tokens(prompt) + wording, estimate_tokens([call]), conversation=False)


# ---------------------------------------------------------------------- creation

def creation(config: ModelBrainConfig, computers: Sequence[tuple[Persona, OSName, int]], count: int,
             catalog: Catalog) -> Estimate:
    """Creating ``count`` computers, priced from ``computers`` (persona, OS and computer seed
    of the batch's first ones, at most ``SAMPLE``) and scaled to ``count``.

    The procedural brain plays the model for the same persona, OS and seed: the model is
    asked for what it wrote (profile, policy, plan, each file's content) and sent what it
    was given, so a computer is as many requests as the procedural plan has files to write
    (a ZIP one per member; system files, copies and extracted files none), its prompts as
    long as the procedural profile, policy, file and sources, its replies as long as the
    procedural content.
    """
    sampled = computers[:SAMPLE]
    requests = [r for persona, os_name, seed in sampled for r in creation_requests(persona, os_name, seed, catalog)]
    estimate = Estimate().merge(price(config, requests), count / len(sampled))
    estimate.assumptions.append(f"{len(requests) / len(sampled):.0f} requests a computer, as many as the procedural "
                                "plan has files to write, replies as long as its content"
                                + (f"; priced from the first {len(sampled)} computers" if count > len(sampled) else ""))
    return estimate


def creation_requests(persona: Persona, os_name: OSName, seed: int, catalog: Catalog) -> list[Request]:
    """One computer's creation requests, in the order ``ModelCreationBrain`` sends them."""
    brain = ProceduralCreationBrain(catalog, seed)
    profile = brain.user_profile(persona)
    policy = brain.filesystem_policy(profile, os_name)
    plan = brain.file_plan(profile, policy)

    def ask(prompt: list[str], answer: BaseModel) -> Request:
        return structured("creation", type(answer), CREATION_SYSTEM, "\n\n".join(prompt),
                          answer.model_dump(mode="json"), WORDING_TOKENS)

    requests = [ask([block("Persona", persona)], profile), ask([block("User profile", profile)], policy),
                ask([block("User profile", profile), block("Filesystem policy", policy)], plan)]
    contents = procedural_contents(brain, ArtifactContext(profile=profile, policy=policy), plan)
    by_id = {f.id: f for f in plan.files}
    incoming, members = plan.links()
    author = block("Author profile", profile)
    for file in plan.files:
        if file.content_mode in {"system", "copy", "extract"}:
            continue
        if file.artifact_type == "zip":
            requests += [ask([block("File", by_id[m]), author], contents[m]) for m in members.get(file.id, [])]
            continue
        quoted = [contents[s].model_dump_json()[:CONTEXT_CHARS] for s, _ in incoming.get(file.id, [])]
        requests.append(ask([block("File", file), author, *quoted], contents[file.id]))
    return requests


def procedural_contents(brain: ProceduralCreationBrain, base: ArtifactContext,
                        plan: FilePlan) -> dict[str, ArtifactContent]:
    """Every file's procedural content by id, each written after what it depends on and given
    it, as ``computer.materialize`` gives it (nothing is rendered)."""
    by_id = {f.id: f for f in plan.files}
    incoming, members = plan.links()
    contents: dict[str, ArtifactContent] = {}

    def content(file_id: str) -> ArtifactContent:
        if file_id not in contents:
            file, sources = by_id[file_id], incoming.get(file_id, [])
            if file.content_mode == "copy":
                contents[file_id] = content(sources[0][0])
            else:
                context = ArtifactContext(
                    profile=base.profile, policy=base.policy,
                    predecessors=[Predecessor(by_id[s], kind, content(s)) for s, kind in sources],  # type: ignore[arg-type]
                    archive_members=[by_id[m] for m in members.get(file_id, [])])
                contents[file_id] = brain.artifact_content(file, context)
        return contents[file_id]

    for file in plan.files:
        content(file.id)
    return contents


# ---------------------------------------------------------------------- simulation

@dataclass(frozen=True)
class Workday:
    """One day of the work agent (``policies.model``): ``turns`` requests in one conversation
    that opens with the briefing and grows by a model turn and a tool result a turn; each
    request repeats all of it (so, with prompt caching, reads the previous request back and
    writes only the newest turn). Once the conversation passes ``COMPACT_AT`` of the context
    budget, the oldest tool results are cleared to stubs until it is under ``COMPACT_TO``
    (``context.ContextKeeper``); that request's prefix changed, so it reads only the tools
    and system prompt from the cache and writes the rest."""

    turns: int
    """Requests a day. The CLI passes the step budget, which no day exceeds: a model that
    ends its day earlier costs less."""
    fixed: int
    """The tool definitions and the system prompt (with any SKILL.md files)."""
    briefing: int = BRIEFING_TOKENS
    result: int = RESULT_TOKENS
    call: int = CALL_TOKENS

    def requests(self, budget: int) -> list[Request]:
        """The day's requests for a context ``budget`` of input tokens."""
        out: list[Request] = []
        results: list[int] = []
        sent = 0
        for turn in range(self.turns):
            conversation = self.briefing + turn * self.call + sum(results)
            repeated = sent
            if self.fixed + conversation > budget * COMPACT_AT:
                before = conversation
                for i in [*range(len(results) - KEEP_RECENT), *range(len(results))]:  # the old ones first
                    if self.fixed + conversation <= budget * COMPACT_TO:
                        break
                    conversation -= results[i] - min(results[i], STUB_TOKENS)
                    results[i] = min(results[i], STUB_TOKENS)
                repeated = 0 if conversation < before else sent
            out.append(Request("work", "work", self.fixed, repeated, conversation - repeated, self.call))
            sent = conversation
            results.append(self.result)
        return out


def simulation(days: int, *, brain: ModelBrainConfig | None = None, setup: Request | None = None,
               replies: Sequence[Request] = (), work: ModelBrainConfig | None = None,
               workday: Workday | None = None) -> Estimate:
    """A simulation of ``days`` workdays: on a model ``brain``, the ``setup`` request and
    ``MESSAGES_PER_DAY`` collaborator ``replies`` a day (taken in turn); on a model ``work``
    policy, ``days`` times the ``workday``. The simulation judges procedurally (no model)."""
    estimate = Estimate()
    if brain is not None and setup is not None:
        asks = [replies[i % len(replies)] for i in range(MESSAGES_PER_DAY * days)] if replies else []
        estimate.merge(price(brain, [setup, *asks]))
        estimate.assumptions.append(f"{MESSAGES_PER_DAY} messages a day answered")
    if work is not None and workday is not None:
        estimate.merge(price(work, workday.requests(work.context_budget) * days))
        estimate.assumptions.append(f"{workday.turns} work turns a day, each adding ~{workday.result + workday.call:,} "
                                    "tokens to the day's conversation")
    return estimate


# ---------------------------------------------------------------------- judging

def judging(config: ModelBrainConfig, drafts: Sequence[Request], batches: Sequence[Request], pages: int) -> Estimate:
    """Judging a simulation: the rubric ``drafts`` (none when the rubric is drafted already),
    then one request per batch of a deliverable's pages (``pages`` images in all)."""
    estimate = price(config, [*drafts, *batches])
    estimate.assumptions.append(f"{len(drafts)} rubric drafts, {len(batches)} judge requests showing {pages} pages "
                                f"(rendered, or one per {CHARS_PER_PAGE:,} characters of text)")
    return estimate


def pages_of(chars: int) -> int:
    """Pages a deliverable of ``chars`` extracted characters renders to."""
    return max(1, math.ceil(chars / CHARS_PER_PAGE))
