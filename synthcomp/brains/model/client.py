"""The one door to a model: retries, an on-disk cache, token/cost accounting, a budget,
and structured output validated by our pydantic models (DESIGN.md, "Brains").

Every model-backed role goes through :class:`ModelClient`, so these concerns are solved
once for every provider. Requests are always written in the Messages format; the
config's transport (``anthropic``, ``openai``) carries them, with the SDK's own retries
off because the loop here also has to honour the budget and record every attempt.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import re
import time
from dataclasses import dataclass, field
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from synthcomp.brains.model.base import Billed, ModelBrainConfig, TransportError
from synthcomp.errors import BrainError

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

Check = Callable[[M], list[str]]
"""The problems of a schema-valid value, each in words the model can act on (none: it is good)."""
Degrade = Callable[[M | None], tuple[M, str]]
"""A safe value from the last schema-valid one (None if none was), and what was done to get it."""

RETRY_STATUS = {429, 500, 502, 503, 504, 529}
"""Rate limited, server errors and 'overloaded': worth another try after a pause."""

TOO_LONG = re.compile(r"prompt is too long|maximum context length|context_length_exceeded|context window", re.I)
"""How providers word a request that does not fit the model's context (Anthropic, OpenAI, vLLM)."""


class BudgetExceeded(BrainError):
    """The run's dollar budget is spent; stop cleanly (the caller checkpoints)."""


class PromptTooLong(BrainError):
    """The provider refused a request for its length. ``limit`` and ``count`` are the
    maximum and the request's tokens as the provider stated them (None where it did not)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.limit, self.count = _stated(r">\s*([\d,]+)\s*maximum|maximum context length is\s*([\d,]+)", message), \
            _stated(r"too long:\s*([\d,]+)\s*tokens|resulted in\s*([\d,]+)\s*tokens", message)


def _stated(pattern: str, message: str) -> int | None:
    found = re.search(pattern, message)
    return None if found is None else int(next(g for g in found.groups() if g).replace(",", ""))


CACHE_MARK = {"type": "ephemeral"}


def with_cache_breakpoints(request: dict[str, Any], conversation: bool = True) -> dict[str, Any]:
    """``request`` with prompt-cache breakpoints on its stable prefix (the last tool, the
    system prompt) and, for a ``conversation`` that goes on, on its last block, so the next
    turn, which repeats all of it, reads it back from the cache. A one-off question leaves
    its prompt unmarked: writing it to the cache costs a quarter more and nothing reads it.
    The caller's lists are not changed."""
    out = dict(request)
    if out.get("tools"):
        out["tools"] = [*out["tools"][:-1], {**out["tools"][-1], "cache_control": CACHE_MARK}]
    out["system"] = [{"type": "text", "text": request["system"], "cache_control": CACHE_MARK}]
    messages = list(request["messages"])
    if messages and conversation:
        last = messages[-1]
        content = last["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else list(content)
        if blocks:
            blocks[-1] = {**blocks[-1], "cache_control": CACHE_MARK}
            messages[-1] = {**last, "content": blocks}
    out["messages"] = messages
    return out


ROLE_KEYS = ("requests", "input_tokens", "cache_write_tokens", "cache_read_tokens", "output_tokens", "usd")


@dataclass
class Usage:
    """Tokens and dollars, per role and in total, and what was degraded; part of every summary.

    Input is billed in three parts, as the providers bill it: ``input_tokens`` (read
    fresh), ``cache_write_tokens`` (written to the prompt cache, at a premium) and
    ``cache_read_tokens`` (read from it, at a fraction). ``cached`` counts whole replies
    replayed from the on-disk response cache, which cost nothing.
    """

    requests: int = 0
    cached: int = 0
    input_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0
    by_role: dict[str, dict[str, float]] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """Each degradation of a model's answer (what was wrong, what was done instead)."""

    def add(self, role: str, billed: Billed, usd: float) -> None:
        counts = {"requests": 1, "input_tokens": billed.input_tokens, "cache_write_tokens": billed.cache_write_tokens,
                  "cache_read_tokens": billed.cache_read_tokens, "output_tokens": billed.output_tokens, "usd": usd}
        entry = self.by_role.setdefault(role, dict.fromkeys(ROLE_KEYS, 0))
        for key, value in counts.items():
            setattr(self, key, getattr(self, key) + value)
            entry[key] = entry.get(key, 0) + value

    def warn(self, message: str) -> None:
        """Record a degradation (and log it): the run goes on, the summary says what changed."""
        log.warning("%s", message)
        self.warnings.append(message)

    def merge(self, other: Usage) -> None:
        """Add another ledger (e.g. a worker process's) to this one."""
        for key in (*ROLE_KEYS, "cached"):
            setattr(self, key, getattr(self, key) + getattr(other, key))
        self.warnings += other.warnings
        for role, entry in other.by_role.items():
            mine = self.by_role.setdefault(role, dict.fromkeys(ROLE_KEYS, 0))
            for key, value in entry.items():
                mine[key] = mine.get(key, 0) + value

    @property
    def prompt_tokens(self) -> int:
        """Every input token sent, however billed."""
        return self.input_tokens + self.cache_write_tokens + self.cache_read_tokens

    @property
    def cache_read_share(self) -> float:
        """The share of input tokens read from the prompt cache."""
        return self.cache_read_tokens / self.prompt_tokens if self.prompt_tokens else 0.0

    def as_dict(self) -> dict[str, Any]:
        """What summaries and JSON output carry."""
        return {"requests": self.requests, "cached": self.cached, "input_tokens": self.input_tokens,
                "cache_write_tokens": self.cache_write_tokens, "cache_read_tokens": self.cache_read_tokens,
                "cache_read_share": round(self.cache_read_share, 4), "output_tokens": self.output_tokens,
                "usd": round(self.usd, 4), "by_role": self.by_role, "warnings": self.warnings}


class ModelClient:
    """Every model-backed role's calls, to whichever provider ``config`` names."""

    def __init__(self, config: ModelBrainConfig, *, sleep=time.sleep, seed: int = 0, usage: Usage | None = None):
        """``usage`` is the run's ledger when several clients (setup, collaborators, the
        work agent) share one budget; by default the client keeps its own."""
        self.config = config
        self.usage = usage if usage is not None else Usage()
        self._sleep = sleep
        self._jitter = random.Random(seed)
        self._transport = config.transport()

    # ------------------------------------------------------------------ raw calls
    def create(self, role: str, *, system: str, messages: list[dict[str, Any]],
               tools: list[dict[str, Any]] | None = None, tool_choice: dict[str, Any] | None = None,
               conversation: bool = True) -> dict[str, Any]:
        """One Messages API call (cached, retried, accounted); returns the reply as a dict.
        ``conversation``: more turns will repeat this one (its prompt is marked for the cache).

        Raises:
            BudgetExceeded: the budget is spent.
            BrainError: the API refused the request, or kept failing past the retries.
        """
        request: dict[str, Any] = {"model": self.model_for(role), "max_tokens": self.config.max_tokens,
                                   "system": system, "messages": messages}
        if tools:
            request["tools"] = tools
        if tool_choice:
            request["tool_choice"] = tool_choice
        if self.config.prompt_caching and self.config.cache_breakpoints:
            request = with_cache_breakpoints(request, conversation)
        cached = self._cache_get(request)
        if cached is not None:
            self.usage.cached += 1
            return cached
        if self.config.budget_usd is not None and self.usage.usd >= self.config.budget_usd:
            raise BudgetExceeded(f"the model budget of ${self.config.budget_usd:.2f} is spent "
                                 f"(${self.usage.usd:.2f} over {self.usage.requests} requests)")
        reply = self._with_retries(role, request)
        billed = Billed.of(reply)
        self.usage.add(role, billed, self.config.usd(request["model"], billed))
        self._cache_put(request, reply)
        return reply

    @property
    def label(self) -> str:
        """How errors name the backend: 'Claude', or the OpenAI-compatible endpoint."""
        return self.config.label

    def model_for(self, role: str) -> str:
        return self.config.model_for(role)

    def _with_retries(self, role: str, request: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(self.config.retries + 1):
            try:
                return self._transport.send(request)
            except TransportError as exc:
                last = attempt == self.config.retries
                if exc.status == 400 and TOO_LONG.search(str(exc)):
                    raise PromptTooLong(f"{self.label} ({role}): {exc}") from None
                if exc.status is not None and (exc.status not in RETRY_STATUS or last):
                    raise BrainError(f"{self.label} ({role}, {request['model']}) answered HTTP {exc.status}: "
                                     f"{exc}") from None
                if exc.status is None and last:
                    raise BrainError(f"{self.label} ({role}) could not be reached after {attempt + 1} attempts: "
                                     f"{exc}") from None
            pause = self.config.backoff_s * 2**attempt
            log.warning("%s (%s): attempt %d failed; retrying in %.1f s", self.label, role, attempt + 1, pause)
            self._sleep(pause + self._jitter.uniform(0, pause / 2))
        raise AssertionError("unreachable")

    # ------------------------------------------------------------------ cache
    def _cache_path(self, request: dict[str, Any]) -> Path | None:
        if self.config.cache_dir is None:
            return None
        key = hashlib.sha256(json.dumps(request, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        return self.config.cache_dir / key[:2] / f"{key}.json"

    def _cache_get(self, request: dict[str, Any]) -> dict[str, Any] | None:
        path = self._cache_path(request)
        if path is None or not path.is_file():
            return None
        try:
            return json.loads(path.read_text())
        except json.JSONDecodeError:
            return None  # a torn write: ask again

    def _cache_put(self, request: dict[str, Any], reply: dict[str, Any]) -> None:
        path = self._cache_path(request)
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(reply))
        tmp.replace(path)

    # ------------------------------------------------------------------ structured output
    def structured(self, role: str, model: type[M], *, system: str, prompt: str | list[dict[str, Any]],
                   check: Check[M] | None = None, degrade: Degrade[M] | None = None) -> M:
        """Ask for one ``model`` instance via a forced tool call. A reply that fails the
        schema, or whose value ``check`` finds problems in (rules the schema cannot state:
        an edge to a file the plan lacks, a cycle), goes back to the model naming each
        problem, up to ``repairs`` times.

        After that, ``degrade`` (given the last schema-valid value, or None) makes a safe
        substitute and says what it did; the run's usage records it as a warning and the
        run goes on. Without ``degrade`` the failure is an error.

        ``prompt`` is text, or content blocks (text and images) for a multimodal request.

        Raises:
            BrainError: still invalid after the repairs, and nothing to degrade to.
        """
        schema = model.model_json_schema()
        name = schema.get("title", model.__name__)  # a draft model keeps the title of what it drafts
        tool = {"name": "submit", "description": f"Submit the {name}.", "input_schema": schema}
        messages: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
        problem = ""
        usable: M | None = None
        for _ in range(self.config.repairs + 1):
            reply = self.create(role, system=system, messages=messages, tools=[tool],
                                tool_choice={"type": "tool", "name": "submit"}, conversation=len(messages) > 1)
            call = next((b for b in reply.get("content", []) if b.get("type") == "tool_use"), None)
            if call is None:
                problem = "the reply held no tool call"
                messages += [{"role": "assistant", "content": reply.get("content") or [{"type": "text", "text": "(empty)"}]},
                             {"role": "user", "content": f"Call the submit tool with the {name}."}]
                continue
            try:
                value = model.model_validate(call["input"])
            except ValidationError as exc:
                problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:8])
                verdict = f"Invalid {name}: {problem}."
            else:
                problems = check(value) if check is not None else []
                if not problems:
                    return value
                usable, problem = value, "; ".join(problems[:12])
                verdict = f"The {name} breaks these rules: {problem}."
            log.info("%s (%s): %s asking for a repair", self.label, role, verdict)
            messages += [{"role": "assistant", "content": reply["content"]},
                         {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call["id"], "is_error": True,
                                                       "content": f"{verdict} Call submit again with a corrected input."}]}]
        failure = (f"{self.label} ({role}) did not produce a valid {name} after "
                   f"{self.config.repairs + 1} attempts: {problem}")
        if degrade is None:
            raise BrainError(failure)
        value, done = degrade(usable)
        self.usage.warn(f"{failure}; degraded: {done}")
        return value
