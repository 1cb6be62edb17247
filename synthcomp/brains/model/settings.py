"""A ``BrainConfig`` from the command line: a TOML file, CLI flags and the API key.

``--model-config FILE`` names a TOML file such as::

    base_url = "http://127.0.0.1:8000/v1"
    budget_usd = 25.0
    max_tokens = 8192
    prompt_caching = true           # cache breakpoints on the stable prefix and the conversation
    context_tokens = 200000         # a request's input budget (default: the provider's window)

    [models]                        # per role; the paper: Sonnet works and creates, Opus sets up and judges
    work = "claude-sonnet-4-6"
    setup = "claude-opus-4-6"

Flags given on the command line win over the file, the file over the defaults. Keys
never go in the file, and ``--brain`` picks the provider: its key variable
(ANTHROPIC_API_KEY for ``claude``, OPENAI_API_KEY for ``openai``, which a self-hosted
server at ``--base-url`` does not need) is read here, at the CLI boundary, and nowhere else.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from synthcomp.brains.model.base import ModelBrainConfig
from synthcomp.brains.model.config import BRAIN_NAMES, PROVIDERS, ProceduralBrainConfig
from synthcomp.configfile import read_config_file
from synthcomp.errors import InputError, did_you_mean

Role = Literal["work", "creation", "setup", "collaborator", "rubric", "judge", "retrospect"]
SELF_HOSTED_KEY = "not-needed"
"""What the openai SDK is given for a self-hosted server that checks no key."""
NO_KEY = "none-dry-run"
"""The key of a config that only estimates (``--dry-run``): it never reaches a provider."""


class ModelSettings(BaseModel):
    """The ``--model-config`` file (see the module docstring); every field optional."""

    model_config = ConfigDict(extra="forbid")

    base_url: str | None = None
    models: dict[Role, str] = Field(default_factory=dict)
    budget_usd: float | None = Field(None, ge=0)
    max_tokens: int | None = Field(None, ge=1)
    retries: int | None = Field(None, ge=0)
    repairs: int | None = Field(None, ge=0)
    timeout_s: float | None = Field(None, gt=0)
    prompt_caching: bool | None = None
    context_tokens: int | None = Field(None, ge=2_000)


def load_settings(path: Path | None) -> ModelSettings:
    """The settings in ``path`` (none: all defaults).

    Raises:
        InputError: the file is missing, not TOML, or holds an unknown or invalid key.
    """
    return ModelSettings() if path is None else read_config_file(path, "--model-config", ModelSettings)


def brain_config(
    brain: str, *, settings_file: Path | None = None, base_url: str | None = None,
    models: dict[str, str | None] | None = None, budget_usd: float | None = None, cache_dir: Path | None = None,
    key_required: bool = True,
) -> ProceduralBrainConfig | ModelBrainConfig:
    """The config of ``brain`` (a name from ``BRAIN_NAMES``), its key read from the environment
    (``key_required`` False: a config to estimate with, which may have none).

    Raises:
        InputError: an unknown brain, a bad settings file, or no key for the provider.
    """
    if brain not in BRAIN_NAMES:
        raise InputError(f"unknown brain {brain!r}{did_you_mean(brain, BRAIN_NAMES)}; brains: {', '.join(BRAIN_NAMES)}")
    if brain == "procedural":
        return ProceduralBrainConfig()
    provider = PROVIDERS[brain]
    settings = load_settings(settings_file)
    base_url = base_url or settings.base_url
    key = os.environ.get(provider.key_variable) or (
        SELF_HOSTED_KEY if provider.key_optional_with_base_url and base_url else None)
    if not key and not key_required:
        key = NO_KEY
    if not key:
        hint = " (or --base-url for a self-hosted server)" if provider.key_optional_with_base_url else " (and --base-url for a gateway)"
        raise InputError(f"the {brain} backend needs an API key: set {provider.key_variable}{hint}")
    tuning = settings.model_dump(exclude_none=True, exclude={"base_url", "models", "budget_usd"})
    chosen = {**settings.models, **{role: m for role, m in (models or {}).items() if m}}
    config = provider(api_key=key, base_url=base_url, cache_dir=cache_dir,
                      budget_usd=budget_usd if budget_usd is not None else settings.budget_usd, **tuning)
    return config.model_copy(update={"models": {**config.models, **chosen}})
