"""The OpenAI-compatible provider: Messages-format requests over Chat Completions.

Every role builds its requests in the Anthropic Messages format (system, user/assistant
turns of text, image, ``tool_use`` and ``tool_result`` blocks, tools with an
``input_schema``). This transport translates a request into the Chat Completions layout,
which vLLM, Ollama, TGI and most gateways serve, and the reply back into a
Messages-shaped dict, so the roles, the retry loop, the cache and the accounting stay
the same. This is how a self-hosted model becomes the work agent for RL.
"""

from __future__ import annotations

import json
from typing import Any, ClassVar, Literal

from synthcomp.brains.model.base import ModelBrainConfig, Transport, content_text, sdk_errors


class OpenAIBrainConfig(ModelBrainConfig):
    """An OpenAI-compatible endpoint (``base_url``; OpenAI itself without one)."""

    type: Literal["openai"] = "openai"
    key_variable: ClassVar[str] = "OPENAI_API_KEY"
    key_optional_with_base_url: ClassVar[bool] = True
    cache_breakpoints: ClassVar[bool] = False
    cache_write_rate: ClassVar[float] = 1.0
    """OpenAI caches prompt prefixes by itself: writing costs nothing extra."""
    cache_read_rate: ClassVar[float] = 0.5
    """Cached input at half price, OpenAI's rate for its GPT-4o family (a gateway may differ)."""
    context_window: ClassVar[int] = 128_000

    @property
    def label(self) -> str:
        return f"the model at {self.base_url or 'OpenAI'}"

    def transport(self) -> Transport:
        return OpenAITransport(self)


class OpenAITransport:
    """One ``openai`` SDK client; its own retries are off (``ModelClient`` retries)."""

    def __init__(self, config: OpenAIBrainConfig):
        import openai

        self._errors = openai
        self._sdk = openai.OpenAI(api_key=config.secret(), base_url=config.base_url,
                                  max_retries=0, timeout=config.timeout_s)

    def send(self, request: dict[str, Any]) -> dict[str, Any]:
        with sdk_errors(self._errors):
            completion = self._sdk.chat.completions.create(**to_chat_request(request))
        return from_chat_reply(completion.model_dump(mode="json"))


def openai_tool(definition: dict[str, Any]) -> dict[str, Any]:
    """One Anthropic tool definition in the OpenAI ``tools`` layout."""
    return {"type": "function", "function": {"name": definition["name"], "description": definition["description"],
                                             "parameters": definition["input_schema"]}}


def to_chat_request(request: dict[str, Any]) -> dict[str, Any]:
    """A Messages request as Chat Completions keyword arguments."""
    messages: list[dict[str, Any]] = [{"role": "system", "content": content_text(request["system"])}]
    for turn in request["messages"]:
        messages += _assistant(turn["content"]) if turn["role"] == "assistant" else _user(turn["content"])
    chat: dict[str, Any] = {"model": request["model"], "max_tokens": request["max_tokens"], "messages": messages}
    if request.get("tools"):
        chat["tools"] = [openai_tool(t) for t in request["tools"]]
    choice = request.get("tool_choice")
    if choice and choice.get("type") == "tool":
        chat["tool_choice"] = {"type": "function", "function": {"name": choice["name"]}}
    elif choice:
        chat["tool_choice"] = {"any": "required"}.get(choice["type"], "auto")
    return chat


def _user(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A user turn: tool results become ``tool`` messages, the rest one user message."""
    if isinstance(content, str):
        return [{"role": "user", "content": content}]
    out: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    for block in content:
        if block["type"] == "tool_result":
            text = content_text(block.get("content", ""))
            out.append({"role": "tool", "tool_call_id": block["tool_use_id"],
                        "content": f"ERROR: {text}" if block.get("is_error") else text})
        elif block["type"] == "image":
            source = block["source"]
            parts.append({"type": "image_url",
                          "image_url": {"url": f"data:{source['media_type']};base64,{source['data']}"}})
        else:
            parts.append({"type": "text", "text": block.get("text", "")})
    if parts and all(p["type"] == "text" for p in parts):
        out.append({"role": "user", "content": "\n\n".join(p["text"] for p in parts)})
    elif parts:
        out.append({"role": "user", "content": parts})
    return out


def _assistant(content: str | list[dict[str, Any]]) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"role": "assistant", "content": content}]
    text = "".join(b.get("text", "") for b in content if b["type"] == "text")
    calls = [{"id": b["id"], "type": "function",
              "function": {"name": b["name"], "arguments": json.dumps(b.get("input") or {})}}
             for b in content if b["type"] == "tool_use"]
    message: dict[str, Any] = {"role": "assistant", "content": text or None}
    if calls:
        message["tool_calls"] = calls
    return [message]


def from_chat_reply(completion: dict[str, Any]) -> dict[str, Any]:
    """A Chat Completions reply as a Messages-shaped dict (content blocks and usage).

    Arguments that are not a JSON object are passed on as ``{"_unparsed_arguments": ...}``:
    the env answers them with a tool error and structured output sends them back for
    repair, exactly as it would a malformed Anthropic reply.
    """
    message = (completion.get("choices") or [{}])[0].get("message") or {}
    content: list[dict[str, Any]] = []
    if message.get("content"):
        content.append({"type": "text", "text": message["content"]})
    for call in message.get("tool_calls") or []:
        raw = call["function"].get("arguments") or "{}"
        try:
            arguments = json.loads(raw)
        except json.JSONDecodeError:
            arguments = None
        if not isinstance(arguments, dict):
            arguments = {"_unparsed_arguments": raw}
        content.append({"type": "tool_use", "id": call["id"], "name": call["function"]["name"], "input": arguments})
    usage = completion.get("usage") or {}
    prompt = int(usage.get("prompt_tokens") or 0)
    cached = int((usage.get("prompt_tokens_details") or {}).get("cached_tokens") or 0)
    return {"id": completion.get("id"), "type": "message", "role": "assistant", "model": completion.get("model"),
            "content": content, "stop_reason": "tool_use" if message.get("tool_calls") else "end_turn",
            "usage": {"input_tokens": prompt - cached, "cache_read_input_tokens": cached,
                      "output_tokens": usage.get("completion_tokens", 0)}}
