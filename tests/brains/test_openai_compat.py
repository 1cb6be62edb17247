"""The OpenAI-compatible backend: the work agent on a self-hosted model through the real
``openai`` SDK, against the fake server's chat-completions endpoint."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from synthcomp.brains.model.client import ModelClient
from synthcomp.brains.model.openai import OpenAIBrainConfig
from synthcomp.brains.model.openai import from_chat_reply, openai_tool, to_chat_request
from synthcomp.cli import app
from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.env.tools import tool_definitions
from synthcomp.models import Strict
from synthcomp.workspace import computer_dir, sim_dir
from tests.brains.fake_anthropic import FakeAnthropic, tool_use
from tests.brains.test_claude_policy import work_model


@pytest.mark.bwrap
def test_a_two_day_simulation_with_a_self_hosted_work_agent(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                               fake_api: FakeAnthropic) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)  # a local server checks no key
    made = create_computers(CreateRequest.from_cli(out=tmp_path, n=1, seed=12, os_name="windows", personas=None, workers=1))
    fake_api.replies.extend([work_model] * 20)
    result = CliRunner().invoke(app, ["simulate", str(computer_dir(tmp_path, made[0].id)), "--policy", "openai",
                                      "--days", "2", "--sandbox", "local", "--base-url", f"{fake_api.base_url}/v1",
                                      "--model-work", "qwen2.5-7b-instruct"])
    assert result.exit_code == 0, result.output
    assert len(fake_api.openai_requests) == 8
    for request in fake_api.openai_requests:
        assert request["model"] == "qwen2.5-7b-instruct"
        assert request["tools"] == [openai_tool(d) for d in tool_definitions()]
    tool_messages = [m for r in fake_api.openai_requests for m in r["messages"] if m["role"] == "tool"]
    assert tool_messages and not any(m["content"].startswith("ERROR") for m in tool_messages)
    sim = sim_dir(tmp_path, f"{made[0].id}-openai-s0")
    state = json.loads((sim / "state.json").read_text())
    assert len(state["log"]) == 2 and state["outbox"]
    assert json.loads((sim / "summary.json").read_text())["usage"]["by_role"]["work"]["requests"] == 8


class Answer(Strict):
    value: int


def test_structured_output_retries_and_repairs_over_the_openai_wire(fake_api: FakeAnthropic) -> None:
    pauses: list[float] = []
    client = ModelClient(OpenAIBrainConfig(api_key="x", base_url=f"{fake_api.base_url}/v1"),
                          sleep=pauses.append)
    fake_api.replies += [429, 529, tool_use({"value": "many"}), tool_use({"value": 3})]
    assert client.structured("setup", Answer, system="s", prompt="How many?") == Answer(value=3)
    assert len(pauses) == 2 and pauses[1] > pauses[0]
    repair = fake_api.openai_requests[-1]["messages"]
    assert repair[-1]["role"] == "tool" and repair[-1]["content"].startswith("ERROR: Invalid Answer")
    assert fake_api.openai_requests[-1]["tool_choice"] == {"type": "function", "function": {"name": "submit"}}


def test_messages_requests_translate_to_chat_and_back() -> None:
    request = {"model": "m", "max_tokens": 10, "system": "sys", "tools": tool_definitions()[:1],
               "messages": [
                   {"role": "user", "content": [{"type": "text", "text": "look"},
                                                {"type": "image", "source": {"type": "base64", "media_type": "image/png",
                                                                             "data": "AAAA"}}]},
                   {"role": "assistant", "content": [{"type": "text", "text": "ok"},
                                                     {"type": "tool_use", "id": "t1", "name": "list_dir",
                                                      "input": {"path": "."}}]},
                   {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t1", "content": "no such dir",
                                                 "is_error": True}]}]}
    chat = to_chat_request(request)
    assert [m["role"] for m in chat["messages"]] == ["system", "user", "assistant", "tool"]
    assert chat["messages"][1]["content"][1]["image_url"]["url"] == "data:image/png;base64,AAAA"
    assert json.loads(chat["messages"][2]["tool_calls"][0]["function"]["arguments"]) == {"path": "."}
    assert chat["messages"][3] == {"role": "tool", "tool_call_id": "t1", "content": "ERROR: no such dir"}
    reply = from_chat_reply({"choices": [{"message": {"content": None, "tool_calls": [
        {"id": "c1", "type": "function", "function": {"name": "read_file", "arguments": "{not json"}}]}}],
        "usage": {"prompt_tokens": 7, "completion_tokens": 3}})
    assert reply["content"] == [{"type": "tool_use", "id": "c1", "name": "read_file",
                                 "input": {"_unparsed_arguments": "{not json"}}]
    assert reply["usage"] == {"input_tokens": 7, "cache_read_input_tokens": 0, "output_tokens": 3}


def test_openai_brain_without_key_or_server_is_one_clear_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    result = CliRunner().invoke(app, ["create", "--out", str(tmp_path), "--brain", "openai"])
    assert result.exit_code == 2 and result.output.startswith("error:") and "OPENAI_API_KEY" in result.output
    assert not (tmp_path / "computers").exists()
