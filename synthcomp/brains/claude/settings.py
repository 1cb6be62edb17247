"""Model settings for the generative roles: a TOML file, CLI flags and the API key.

``--model-config FILE`` names a TOML file such as::

    base_url = "http://127.0.0.1:8000/v1"
    budget_usd = 25.0
    max_tokens = 8192

    [models]                        # per role; the paper: Sonnet works and creates, Opus sets up and judges
    work = "claude-sonnet-4-6"
    setup = "claude-opus-4-6"

Flags given on the command line win over the file, the file over the defaults. Keys
never go in the file, and ``--brain`` picks the wire format: ANTHROPIC_API_KEY (``--brain claude``) or OPENAI_API_KEY
(``--brain openai``; a self-hosted server at ``--base-url`` needs none) are read here,
at the CLI boundary, and nowhere else.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from synthcomp.brains.claude.client import ClaudeConfig
from synthcomp.errors import InputError

Brain = Literal["procedural", "claude", "openai"]
Role = Literal["work", "creation", "setup", "collaborator", "rubric", "judge", "retrospect"]
KEY_VARIABLES = {"claude": "ANTHROPIC_API_KEY", "openai": "OPENAI_API_KEY"}
SELF_HOSTED_KEY = "not-needed"
"""What the openai SDK is given for a self-hosted server that checks no key."""


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


def load_settings(path: Path | None) -> ModelSettings:
    """The settings in ``path`` (none: all defaults).

    Raises:
        InputError: the file is missing, not TOML, or holds an unknown or invalid key.
    """
    if path is None:
        return ModelSettings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"--model-config {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"--model-config {path}: not TOML ({exc})") from None
    try:
        return ModelSettings.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"--model-config {path}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None


def model_config_for(
    brain: str, *, settings_file: Path | None = None, base_url: str | None = None,
    models: dict[str, str | None] | None = None, budget_usd: float | None = None, cache_dir: Path | None = None,
) -> ClaudeConfig | None:
    """The client config for ``brain`` (None for the procedural brain).

    Raises:
        InputError: an unknown brain, a bad settings file, or no key for the brain.
    """
    if brain not in ("procedural", *KEY_VARIABLES):
        raise InputError(f"--brain must be procedural, claude or openai, got {brain!r}")
    if brain == "procedural":
        return None
    settings = load_settings(settings_file)
    base_url = base_url or settings.base_url
    key = os.environ.get(KEY_VARIABLES[brain]) or (SELF_HOSTED_KEY if brain == "openai" and base_url else None)
    if not key:
        hint = " (or --base-url for a self-hosted server)" if brain == "openai" else " (and --base-url for a gateway)"
        raise InputError(f"the {brain} backend needs an API key: set {KEY_VARIABLES[brain]}{hint}")
    tuning = settings.model_dump(exclude_none=True, exclude={"base_url", "models", "budget_usd"})
    config = ClaudeConfig(api_key=key, provider="openai" if brain == "openai" else "anthropic", base_url=base_url,
                          budget_usd=budget_usd if budget_usd is not None else settings.budget_usd,
                          cache_dir=cache_dir, **tuning)
    chosen = {**settings.models, **{role: m for role, m in (models or {}).items() if m}}
    return config.model_copy(update={"models": {**config.models, **chosen}})
