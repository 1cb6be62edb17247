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
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from synthcomp.brains.model.base import ModelBrainConfig, TransportError
from synthcomp.errors import BrainError

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

RETRY_STATUS = {429, 500, 502, 503, 504, 529}
"""Rate limited, server errors and 'overloaded': worth another try after a pause."""

class BudgetExceeded(BrainError):
    """The run's dollar budget is spent; stop cleanly (the caller checkpoints)."""


@dataclass
class Usage:
    """Tokens and dollars, per role and in total; part of every summary."""

    requests: int = 0
    cached: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    usd: float = 0.0
    by_role: dict[str, dict[str, float]] = field(default_factory=dict)

    def add(self, role: str, input_tokens: int, output_tokens: int, usd: float) -> None:
        self.requests += 1
        self.input_tokens += input_tokens
        self.output_tokens += output_tokens
        self.usd += usd
        entry = self.by_role.setdefault(role, {"requests": 0, "input_tokens": 0, "output_tokens": 0, "usd": 0.0})
        entry["requests"] += 1
        entry["input_tokens"] += input_tokens
        entry["output_tokens"] += output_tokens
        entry["usd"] += usd

    def merge(self, other: Usage) -> None:
        """Add another ledger (e.g. a worker process's) to this one."""
        self.requests += other.requests
        self.cached += other.cached
        self.input_tokens += other.input_tokens
        self.output_tokens += other.output_tokens
        self.usd += other.usd
        for role, entry in other.by_role.items():
            mine = self.by_role.setdefault(role, {key: 0 for key in entry})
            for key, value in entry.items():
                mine[key] += value

    def as_dict(self) -> dict[str, Any]:
        """What summaries and JSON output carry."""
        return {"requests": self.requests, "cached": self.cached, "input_tokens": self.input_tokens,
                "output_tokens": self.output_tokens, "usd": round(self.usd, 4), "by_role": self.by_role}


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
               tools: list[dict[str, Any]] | None = None, tool_choice: dict[str, Any] | None = None) -> dict[str, Any]:
        """One Messages API call (cached, retried, accounted); returns the reply as a dict.

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
        cached = self._cache_get(request)
        if cached is not None:
            self.usage.cached += 1
            return cached
        if self.config.budget_usd is not None and self.usage.usd >= self.config.budget_usd:
            raise BudgetExceeded(f"the model budget of ${self.config.budget_usd:.2f} is spent "
                                 f"(${self.usage.usd:.2f} over {self.usage.requests} requests)")
        reply = self._with_retries(role, request)
        usage = reply.get("usage", {})
        tokens_in, tokens_out = int(usage.get("input_tokens", 0)), int(usage.get("output_tokens", 0))
        self.usage.add(role, tokens_in, tokens_out, self._price(request["model"], tokens_in, tokens_out))
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

    def _price(self, model: str, tokens_in: int, tokens_out: int) -> float:
        family = next((f for f in self.config.prices if f in model), None)
        if family is None:
            return 0.0
        per_in, per_out = self.config.prices[family]
        return (tokens_in * per_in + tokens_out * per_out) / 1_000_000

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
    def structured(self, role: str, model: type[M], *, system: str, prompt: str | list[dict[str, Any]]) -> M:
        """Ask for one ``model`` instance via a forced tool call; invalid replies are sent back.

        ``prompt`` is text, or content blocks (text and images) for a multimodal request.

        Raises:
            BrainError: still invalid after ``repairs`` rounds (the message says why).
        """
        tool = {"name": "submit", "description": f"Submit the {model.__name__}.",
                "input_schema": model.model_json_schema()}
        messages: list[dict[str, Any]] = [{"role": "user", "content": prompt}]
        problem = ""
        for _ in range(self.config.repairs + 1):
            reply = self.create(role, system=system, messages=messages, tools=[tool],
                                tool_choice={"type": "tool", "name": "submit"})
            call = next((b for b in reply.get("content", []) if b.get("type") == "tool_use"), None)
            if call is None:
                problem = "the reply held no tool call"
                messages += [{"role": "assistant", "content": reply.get("content") or [{"type": "text", "text": "(empty)"}]},
                             {"role": "user", "content": f"Call the submit tool with the {model.__name__}."}]
                continue
            try:
                return model.model_validate(call["input"])
            except ValidationError as exc:
                problem = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:8])
                log.info("%s (%s): invalid %s, asking for a repair: %s", self.label, role, model.__name__, problem)
                messages += [{"role": "assistant", "content": reply["content"]},
                             {"role": "user", "content": [{"type": "tool_result", "tool_use_id": call["id"],
                                                           "is_error": True,
                                                           "content": f"Invalid {model.__name__}: {problem}. "
                                                                      "Call submit again with a corrected input."}]}]
        raise BrainError(f"{self.label} ({role}) did not produce a valid {model.__name__} after "
                         f"{self.config.repairs + 1} attempts: {problem}")

