"""What every model provider shares: its settings and the one call it must make.

A provider is one module beside this one: a config class (a ``ModelBrainConfig`` with its
own ``type`` literal and ``key_variable``) whose ``transport()`` sends one request written
in the Messages format and returns a Messages-shaped reply, raising ``TransportError`` for
anything the retry loop should know about. Retries, the cache, prices, the budget and
structured output live once in ``client.ModelClient``; the roles never learn which
provider answers.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from synthcomp.errors import InputError

if TYPE_CHECKING:
    from synthcomp.brains.model.client import ModelClient, Usage

PRICES_PER_MTOK = {"opus": (15.0, 75.0), "sonnet": (3.0, 15.0), "haiku": (0.8, 4.0)}
"""USD per million (input, output) tokens by model family; override with ``ModelBrainConfig.prices``.
Prompt-cache writes and reads are priced as multiples of the input price (each provider's
``cache_write_rate`` and ``cache_read_rate``)."""

DEFAULT_MODELS = {"work": "claude-sonnet-4-6", "creation": "claude-sonnet-4-6", "setup": "claude-opus-4-6",
                  "collaborator": "claude-sonnet-4-6", "rubric": "claude-opus-4-6", "judge": "claude-opus-4-6",
                  "retrospect": "claude-opus-4-6"}
"""Model per role (paper 4.1: Sonnet works and creates, Opus sets up and judges)."""


@dataclass(frozen=True)
class Billed:
    """The tokens of one reply as its provider bills them."""

    input_tokens: int = 0
    cache_write_tokens: int = 0
    cache_read_tokens: int = 0
    output_tokens: int = 0

    @classmethod
    def of(cls, reply: dict[str, Any]) -> Billed:
        """Read from a Messages-shaped reply's ``usage``."""
        usage = reply.get("usage") or {}
        return cls(int(usage.get("input_tokens") or 0), int(usage.get("cache_creation_input_tokens") or 0),
                   int(usage.get("cache_read_input_tokens") or 0), int(usage.get("output_tokens") or 0))


def content_text(content: str | list[dict[str, Any]]) -> str:
    """The text of a Messages-format content (a string, or blocks whose text ones are joined)."""
    if isinstance(content, str):
        return content
    return "\n".join(b.get("text", "") for b in content if b.get("type") == "text")


class TransportError(Exception):
    """One failed request: ``status`` is the HTTP status, None when nothing came back
    (a timeout or a refused connection)."""

    def __init__(self, status: int | None, message: str):
        super().__init__(message)
        self.status = status


@contextmanager
def sdk_errors(sdk: Any) -> Iterator[None]:
    """An SDK's failures as ``TransportError`` (the anthropic and openai SDKs name them alike)."""
    try:
        yield
    except sdk.APIStatusError as exc:
        raise TransportError(exc.status_code, error_message(exc)) from None
    except (sdk.APITimeoutError, sdk.APIConnectionError) as exc:
        raise TransportError(None, str(exc)) from None


def error_message(exc: Any) -> str:
    """The provider's own words from an SDK status error (both SDKs put them in ``body``)."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        error = body.get("error", body)
        return str(error.get("message", error) if isinstance(error, dict) else error)
    return str(exc)


class Transport(Protocol):
    """Sends one Messages-format request to a provider."""

    def send(self, request: dict[str, Any]) -> dict[str, Any]:
        """The reply as a Messages-shaped dict (``content`` blocks and ``usage``).

        Raises:
            TransportError: the provider refused or could not be reached.
        """
        ...


class ModelBrainConfig(BaseModel):
    """How to reach a model provider. Keys are read at the CLI boundary (``settings``), and
    ``api_key``, ``budget_usd`` and ``cache_dir`` are never serialized: a key never lands
    on disk, and a resumed run may change its budget or cache."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    key_variable: ClassVar[str]
    """The environment variable the CLI reads this provider's key from."""
    key_optional_with_base_url: ClassVar[bool] = False
    """A self-hosted server at ``base_url`` may check no key."""
    cache_breakpoints: ClassVar[bool] = True
    """The provider caches only what requests mark (Anthropic); False: it caches prefixes by itself."""
    cache_write_rate: ClassVar[float] = 1.25
    """A token written to the prompt cache costs this many input tokens (Anthropic: 1.25, 5-minute cache)."""
    cache_read_rate: ClassVar[float] = 0.1
    """A token read from the prompt cache costs this many input tokens (Anthropic: 0.1)."""
    context_window: ClassVar[int] = 200_000
    """The provider's usual context window in tokens: the default ``context_tokens``."""

    api_key: SecretStr | None = Field(None, exclude=True)
    """The provider's API key (or any token the gateway at ``base_url`` accepts); None in a
    config read back from a record, which can then be shown but not run."""
    base_url: str | None = None
    """A proxy, gateway or local server; None = the SDK's default endpoint."""
    models: dict[str, str] = Field(default_factory=lambda: dict(DEFAULT_MODELS))
    """Model per role; a role without one uses the "work" model."""
    max_tokens: int = Field(8192, ge=1)
    retries: int = Field(5, ge=0)
    """Extra attempts after a 429/5xx/529/timeout."""
    backoff_s: float = Field(1.0, ge=0)
    """First pause; doubles each retry, with up to 50% jitter."""
    repairs: int = Field(2, ge=0)
    """How many times a reply that fails validation is sent back to be fixed."""
    budget_usd: float | None = Field(None, ge=0, exclude=True)
    """Stop before a call once this much has been spent in this run."""
    timeout_s: float = Field(600, gt=0)
    cache_dir: Path | None = Field(None, exclude=True)
    """On-disk response cache keyed by the request's hash; None = no cache."""
    prices: dict[str, tuple[float, float]] = Field(default_factory=lambda: dict(PRICES_PER_MTOK))
    prompt_caching: bool = True
    """Mark the stable prefix (tools, system) and the growing conversation for the prompt
    cache, so each turn reads what it sent before (providers that cache by themselves ignore it)."""
    context_tokens: int | None = Field(None, ge=2_000)
    """The most input tokens one request may carry (None: the provider's ``context_window``);
    the work agent clears old tool results before a day's conversation outgrows it."""

    @property
    def label(self) -> str:
        """How errors name the backend."""
        raise NotImplementedError

    def transport(self) -> Transport:
        """A ready connection to the provider (its SDK imported here, lazily)."""
        raise NotImplementedError

    def client(self, seed: int = 0, usage: Usage | None = None) -> ModelClient:
        """The door every model-backed role goes through (``usage``: the run's shared ledger).

        Raises:
            InputError: no key (a config read back from a record).
        """
        from synthcomp.brains.model.client import ModelClient

        return ModelClient(self, seed=seed, usage=usage)

    def secret(self) -> str:
        """The key, for the transport only (never from the environment: the SDKs would look there).

        Raises:
            InputError: no key (a config read back from a record).
        """
        if self.api_key is None:
            raise InputError(f"the {self.type} brain needs an API key: set {self.key_variable}")  # type: ignore[attr-defined]
        return self.api_key.get_secret_value()

    def model_for(self, role: str) -> str:
        return self.models.get(role) or self.models["work"]

    @property
    def context_budget(self) -> int:
        """The input tokens a request may carry."""
        return self.context_tokens or self.context_window

    def usd(self, model: str, billed: Billed) -> float:
        """What ``billed`` costs on ``model`` (0 for a model no price names: a self-hosted one)."""
        family = next((f for f in self.prices if f in model), None)
        if family is None:
            return 0.0
        per_in, per_out = self.prices[family]
        fresh = (billed.input_tokens + billed.cache_write_tokens * self.cache_write_rate
                 + billed.cache_read_tokens * self.cache_read_rate)
        return (fresh * per_in + billed.output_tokens * per_out) / 1_000_000
