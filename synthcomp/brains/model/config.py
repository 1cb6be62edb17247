"""``BrainConfig``: who plays the generative roles, as one typed union.

``{"type": "procedural"}`` is the seeded offline brain; every other member is a model
provider (``anthropic``, ``openai``), and its ``client()`` is the door every model-backed
role (creation, setup, collaborators, rubric, judge, retrospective, the work agent)
goes through. Adding a provider is one module (a ``ModelBrainConfig`` and its transport)
plus one member of ``ModelBrain``.
"""

from __future__ import annotations

from typing import Annotated, Literal, Union, get_args

from pydantic import BaseModel, ConfigDict, Field

from synthcomp.brains.model.anthropic import AnthropicBrainConfig
from synthcomp.brains.model.client import Usage
from synthcomp.brains.model.openai import OpenAIBrainConfig


class ProceduralBrainConfig(BaseModel):
    """The deterministic offline brain: no key, no network."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: Literal["procedural"] = "procedural"

    def client(self, seed: int = 0, usage: Usage | None = None) -> None:
        """No model client: the procedural roles need none."""
        return None


ModelBrain = Annotated[Union[AnthropicBrainConfig, OpenAIBrainConfig], Field(discriminator="type")]
"""Any model provider's config."""

BrainConfig = Annotated[Union[ProceduralBrainConfig, AnthropicBrainConfig, OpenAIBrainConfig],
                        Field(discriminator="type")]
"""Any brain's config; parse with ``TypeAdapter(BrainConfig).validate_python({"type": ...})``."""

PROVIDERS: dict[str, type[AnthropicBrainConfig | OpenAIBrainConfig]] = {
    cls.model_fields["type"].default: cls for cls in get_args(get_args(ModelBrain)[0])}
"""Provider name (``--brain``, ``--policy``) -> its config class, read off the union."""

BRAIN_NAMES = ("procedural", *PROVIDERS)

