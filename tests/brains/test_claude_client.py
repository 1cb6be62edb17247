"""The Claude client through the real SDK against a local fake Messages API."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthcomp.brains.model.anthropic import AnthropicBrainConfig
from synthcomp.brains.model.client import BudgetExceeded, ModelClient
from synthcomp.errors import BrainError
from synthcomp.models import Persona
from tests.brains.fake_anthropic import FakeAnthropic, tool_use

GOOD = {"text": "a municipal water-quality engineer in Leeds", "occupation": "Water-quality engineer"}


def _client(fake: FakeAnthropic, tmp_path: Path | None = None, **options) -> tuple[ModelClient, list[float]]:
    pauses: list[float] = []
    config = AnthropicBrainConfig(api_key="test-key", base_url=fake.base_url, backoff_s=0.01,
                          cache_dir=tmp_path / "cache" if tmp_path else None, **options)
    return ModelClient(config, sleep=pauses.append), pauses


def test_structured_output_is_a_validated_model_from_a_forced_tool_call(fake_api: FakeAnthropic) -> None:
    fake_api.replies.append(tool_use(GOOD))
    client, _ = _client(fake_api)
    persona = client.structured("creation", Persona, system="You write personas.", prompt="One persona.")
    assert persona == Persona(**GOOD)
    sent = fake_api.requests[0]
    assert sent["tool_choice"] == {"type": "tool", "name": "submit"}
    assert sent["tools"][0]["input_schema"] == Persona.model_json_schema()
    assert sent["model"] == "claude-sonnet-4-6"


def test_429_and_529_are_retried_with_growing_pauses(fake_api: FakeAnthropic) -> None:
    fake_api.replies += [429, 529, tool_use(GOOD)]
    client, pauses = _client(fake_api)
    client.structured("setup", Persona, system="s", prompt="p")
    assert len(fake_api.requests) == 3 and len(pauses) == 2 and pauses[1] > pauses[0] * 1.3
    assert fake_api.requests[0]["model"] == "claude-opus-4-6"


def test_a_refused_request_fails_at_once_with_the_reason(fake_api: FakeAnthropic) -> None:
    fake_api.replies.append(400)
    client, pauses = _client(fake_api)
    with pytest.raises(BrainError, match="HTTP 400: fake status 400"):
        client.structured("creation", Persona, system="s", prompt="p")
    assert not pauses


def test_a_malformed_reply_is_sent_back_and_repaired(fake_api: FakeAnthropic) -> None:
    fake_api.replies += [tool_use({"text": "x"}), tool_use(GOOD)]
    client, _ = _client(fake_api)
    assert client.structured("creation", Persona, system="s", prompt="p").text == GOOD["text"]
    repair = fake_api.requests[1]["messages"][-1]["content"][0]
    assert repair["type"] == "tool_result" and repair["is_error"] and "text" in repair["content"]


def test_a_reply_that_stays_malformed_is_a_clear_error(fake_api: FakeAnthropic) -> None:
    fake_api.replies += [tool_use({"text": "x"})] * 3
    client, _ = _client(fake_api)
    with pytest.raises(BrainError, match="did not produce a valid Persona after 3 attempts: text"):
        client.structured("creation", Persona, system="s", prompt="p")


def test_the_cache_makes_a_second_run_free(fake_api: FakeAnthropic, tmp_path: Path) -> None:
    fake_api.replies.append(tool_use(GOOD))
    first, _ = _client(fake_api, tmp_path)
    first.structured("creation", Persona, system="s", prompt="p")
    second, _ = _client(fake_api, tmp_path)
    assert second.structured("creation", Persona, system="s", prompt="p") == Persona(**GOOD)
    assert len(fake_api.requests) == 1 and second.usage.requests == 0 and second.usage.cached == 1


def test_tokens_and_dollars_are_counted_and_the_budget_stops_the_run(fake_api: FakeAnthropic) -> None:
    fake_api.replies += [tool_use(GOOD), tool_use(GOOD)]
    fake_api.fixed_usage = {"input_tokens": 1000, "output_tokens": 200}
    client, _ = _client(fake_api, budget_usd=0.001)
    client.structured("creation", Persona, system="s", prompt="p1")
    assert client.usage.input_tokens == 1000 and client.usage.output_tokens == 200
    assert client.usage.usd == pytest.approx((1000 * 3 + 200 * 15) / 1e6)
    assert client.usage.by_role["creation"]["requests"] == 1
    with pytest.raises(BudgetExceeded, match="budget"):
        client.structured("creation", Persona, system="s", prompt="p2")
