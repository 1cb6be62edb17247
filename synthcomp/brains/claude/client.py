"""The one door to Claude: retries, an on-disk cache, token/cost accounting, a budget,
and structured output validated by our pydantic models (DESIGN.md, "Brains").

Every generative role's Claude backend goes through :class:`ClaudeClient`, so these
concerns are solved once. The SDK's own retries are off (``max_retries=0``) because
the loop here also has to honour the budget and record every attempt.

Requests are always written in the Messages format. With ``provider="openai"`` the same
client speaks to an OpenAI-compatible endpoint (vLLM, Ollama, a gateway) through the
``openai`` SDK, translating on the way (``openai_compat``): every role, the retries, the
cache and the budget work unchanged on a self-hosted model.
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from synthcomp.brains.claude.openai_compat import from_chat_reply, to_chat_request
from synthcomp.errors import BrainError, InputError

log = logging.getLogger(__name__)

M = TypeVar("M", bound=BaseModel)

RETRY_STATUS = {429, 500, 502, 503, 504, 529}
"""Rate limited, server errors and 'overloaded': worth another try after a pause."""

PRICES_PER_MTOK = {"opus": (15.0, 75.0), "sonnet": (3.0, 15.0), "haiku": (0.8, 4.0)}
"""USD per million (input, output) tokens by model family; override with ``ClaudeConfig.prices``."""


def require_config(config: ClaudeConfig | None, what: str) -> ClaudeConfig:
    """``config``, or the one error every Claude entry point gives when there is no key.

    Raises:
        InputError: ``config`` is None.
    """
    if config is None:
        raise InputError(f"{what} needs an API key: set ANTHROPIC_API_KEY (and --base-url for a gateway)")
    return config


class BudgetExceeded(BrainError):
    """The run's dollar budget is spent; stop cleanly (the caller checkpoints)."""


class ClaudeConfig(BaseModel):
    """How to reach Claude. The key is never read from the environment here: the CLI does that."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    api_key: SecretStr
    """The Anthropic API key (or any token the gateway at ``base_url`` accepts)."""
    provider: Literal["anthropic", "openai"] = "anthropic"
    """Wire format: the Messages API, or an OpenAI-compatible Chat Completions endpoint."""
    base_url: str | None = None
    """A proxy, gateway or local server; None = the SDK's default endpoint."""
    models: dict[str, str] = Field(default_factory=lambda: {
        "work": "claude-sonnet-4-6", "creation": "claude-sonnet-4-6", "setup": "claude-opus-4-6",
        "collaborator": "claude-sonnet-4-6", "rubric": "claude-opus-4-6", "judge": "claude-opus-4-6",
        "retrospect": "claude-opus-4-6"})
    """Model per role (paper 4.1: Sonnet works and creates, Opus sets up and judges)."""
    max_tokens: int = Field(8192, ge=1)
    retries: int = Field(5, ge=0)
    """Extra attempts after a 429/5xx/529/timeout."""
    backoff_s: float = Field(1.0, ge=0)
    """First pause; doubles each retry, with up to 50% jitter."""
    repairs: int = Field(2, ge=0)
    """How many times a reply that fails validation is sent back to be fixed."""
    budget_usd: float | None = Field(None, ge=0)
    """Stop before a call once this much has been spent in this run."""
    timeout_s: float = Field(600, gt=0)
    cache_dir: Path | None = None
    """On-disk response cache keyed by the request's hash; None = no cache."""
    prices: dict[str, tuple[float, float]] = Field(default_factory=lambda: dict(PRICES_PER_MTOK))


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


class ClaudeClient:
    """Calls the Messages API through the real ``anthropic`` SDK (see module docstring)."""

    def __init__(self, config: ClaudeConfig, *, sleep=time.sleep, seed: int = 0, usage: Usage | None = None):
        """``usage`` is the run's ledger when several clients (setup, collaborators, the
        work agent) share one budget; by default the client keeps its own."""
        self.config = config
        self.usage = usage if usage is not None else Usage()
        self._sleep = sleep
        self._jitter = random.Random(seed)
        key = config.api_key.get_secret_value()
        if config.provider == "openai":
            import openai as sdk
        else:
            import anthropic as sdk
        self._errors = sdk
        client_class = sdk.OpenAI if config.provider == "openai" else sdk.Anthropic
        self._sdk = client_class(api_key=key, base_url=config.base_url, max_retries=0, timeout=config.timeout_s)

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
        return "Claude" if self.config.provider == "anthropic" else f"the model at {self.config.base_url or 'OpenAI'}"

    def model_for(self, role: str) -> str:
        return self.config.models.get(role) or self.config.models["work"]

    def _send(self, request: dict[str, Any]) -> dict[str, Any]:
        if self.config.provider == "openai":
            completion = self._sdk.chat.completions.create(**to_chat_request(request))
            return from_chat_reply(completion.model_dump(mode="json"))
        return self._sdk.messages.create(**request).model_dump(mode="json")

    def _with_retries(self, role: str, request: dict[str, Any]) -> dict[str, Any]:
        sdk = self._errors  # both SDKs name their errors alike
        for attempt in range(self.config.retries + 1):
            try:
                return self._send(request)
            except sdk.APIStatusError as exc:
                if exc.status_code not in RETRY_STATUS or attempt == self.config.retries:
                    raise BrainError(f"{self.label} ({role}, {request['model']}) answered HTTP {exc.status_code}: "
                                     f"{_message(exc)}") from None
            except (sdk.APITimeoutError, sdk.APIConnectionError) as exc:
                if attempt == self.config.retries:
                    raise BrainError(f"{self.label} ({role}) could not be reached after {attempt + 1} attempts: {exc}") from None
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


def _message(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        return str(body.get("error", {}).get("message", body))
    return str(exc)
