"""The Anthropic provider: the Messages API through the real ``anthropic`` SDK."""

from __future__ import annotations

from typing import Any, ClassVar, Literal

from synthcomp.brains.model.base import ModelBrainConfig, Transport, sdk_errors


class AnthropicBrainConfig(ModelBrainConfig):
    """Claude, directly or through a gateway at ``base_url``."""

    type: Literal["claude"] = "claude"
    key_variable: ClassVar[str] = "ANTHROPIC_API_KEY"

    @property
    def label(self) -> str:
        return "Claude"

    def transport(self) -> Transport:
        return AnthropicTransport(self)


class AnthropicTransport:
    """One ``anthropic`` SDK client; its own retries are off (``ModelClient`` retries)."""

    def __init__(self, config: AnthropicBrainConfig):
        import anthropic

        self._errors = anthropic
        self._sdk = anthropic.Anthropic(api_key=config.secret(), base_url=config.base_url,
                                        max_retries=0, timeout=config.timeout_s)

    def send(self, request: dict[str, Any]) -> dict[str, Any]:
        with sdk_errors(self._errors):
            return self._sdk.messages.create(**request).model_dump(mode="json")
