"""A local fake of the Anthropic Messages API, speaking its wire format on 127.0.0.1.

Tests queue replies (a content list, or an HTTP error status) and read back the
requests the real ``anthropic`` SDK sent. Nothing leaves the machine.

It bills as the API does: a request's tokens are counted block by block (about four
characters a token; an image a fixed 1,600), ``cache_control`` breakpoints write the
prefix up to them to a prompt cache, and a later request that repeats a cached prefix
(found at a breakpoint or up to 20 blocks before it) reads it back: ``usage`` reports
``input_tokens``, ``cache_creation_input_tokens`` and ``cache_read_input_tokens`` the
way the Messages API does. With ``context_window`` set, a longer request is refused
with the API's "prompt is too long" error.

It also serves ``POST .../chat/completions`` in the OpenAI wire format, for the real
``openai`` SDK: the request is read back into the Messages layout (so the same
responders drive both), and the reply content becomes a chat completion.
``openai_requests`` keeps those requests as they arrived.
"""

from __future__ import annotations

import hashlib
import json
import math
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

CHARS_PER_TOKEN = 4
IMAGE_TOKENS = 1_600
MIN_CACHEABLE = 1_024
"""The shortest prefix the API caches (Sonnet and Opus)."""
LOOKBACK = 20
"""How many blocks before a breakpoint the API looks for an earlier cache entry."""

_ERROR_TYPES = {400: "invalid_request_error", 429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}

Reply = list[dict[str, Any]] | int | Callable[[dict[str, Any]], list[dict[str, Any]]]


class FakeAnthropic:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.default: Reply | None = None
        """Answers every request once ``replies`` is empty (None: HTTP 500)."""
        self.requests: list[dict[str, Any]] = []
        """Each request as the roles wrote it (``plain``: without the cache breakpoints)."""
        self.raw_requests: list[dict[str, Any]] = []
        """Each request exactly as it arrived."""
        self.openai_requests: list[dict[str, Any]] = []
        self.context_window: int | None = None
        """Refuse requests of more tokens than this, as the API does (None: no limit)."""
        self.cache = PromptCache()
        self.fixed_usage: dict[str, int] | None = None
        """Bill every reply this instead (tests whose arithmetic needs a fixed price per request)."""
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet test output
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                chat = self.path.endswith("/chat/completions")
                if chat:
                    fake.openai_requests.append(body)
                    body = _as_messages_request(body)
                fake.raw_requests.append(body)
                fake.requests.append(plain(body))
                prompt = request_blocks(body)
                total = sum(tokens for _, tokens in prompt)
                if fake.context_window is not None and total > fake.context_window:
                    message = (f"prompt is too long: {total} tokens > {fake.context_window} maximum" if not chat else
                               f"This model's maximum context length is {fake.context_window} tokens. However, your "
                               f"messages resulted in {total} tokens. (context_length_exceeded)")
                    self._send(400, {"type": "error", "error": {"type": "invalid_request_error", "message": message,
                                                                "code": "context_length_exceeded"}})
                    return
                reply = fake.replies.pop(0) if fake.replies else (fake.default or 500)
                if isinstance(reply, int):
                    self._send(reply, {"type": "error", "error": {"type": _ERROR_TYPES.get(reply, "api_error"),
                                                                  "message": f"fake status {reply}"}})
                    return
                try:
                    content = reply(fake.requests[-1]) if callable(reply) else reply
                except Exception as exc:  # a broken test responder: fail the request fast, not by retries
                    self._send(400, {"type": "error", "error": {"type": "invalid_request_error",
                                                                "message": f"fake responder failed: {exc!r}"}})
                    return
                usage = fake.cache.bill(prompt, automatic=chat)
                usage["output_tokens"] = tokens_of(content)
                if fake.fixed_usage is not None:
                    usage = {"cache_creation_input_tokens": 0, "cache_read_input_tokens": 0, **fake.fixed_usage}
                if chat:
                    self._send(200, _as_chat_completion(content, body["model"], len(fake.requests), usage))
                    return
                self._send(200, {
                    "id": f"msg_{len(fake.requests):04d}", "type": "message", "role": "assistant",
                    "model": body["model"], "content": content,
                    "stop_reason": "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn",
                    "stop_sequence": None, "usage": usage,
                })

            def _send(self, status: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def tokens_of(value: Any) -> int:
    """What a block (or any JSON value) costs: a fixed price for an image, else its characters / 4."""
    if isinstance(value, dict) and value.get("type") == "image":
        return IMAGE_TOKENS
    if isinstance(value, dict) and isinstance(value.get("content"), list):  # a tool result holding images
        return sum(tokens_of(b) for b in value["content"]) + tokens_of({k: v for k, v in value.items() if k != "content"})
    plain = {k: v for k, v in value.items() if k != "cache_control"} if isinstance(value, dict) else value
    return max(1, math.ceil(len(json.dumps(plain, ensure_ascii=False)) / CHARS_PER_TOKEN))


def request_blocks(body: dict[str, Any]) -> list[tuple[dict[str, Any], int]]:
    """The request's prompt as the API orders it (tools, system, messages), block by block, with tokens."""
    blocks: list[dict[str, Any]] = list(body.get("tools") or [])
    system = body.get("system") or []
    blocks += [{"type": "text", "text": system}] if isinstance(system, str) else list(system)
    for message in body["messages"]:
        content = message["content"]
        parts = [{"type": "text", "text": content}] if isinstance(content, str) else content
        blocks += [{**b, "_role": message["role"]} for b in parts]
    return [(b, tokens_of({k: v for k, v in b.items() if k != "_role"})) for b in blocks]


class PromptCache:
    """The API's prompt cache: prefixes written at breakpoints, read back when repeated."""

    def __init__(self) -> None:
        self.prefixes: set[str] = set()
        self.lock = threading.Lock()

    def bill(self, blocks: list[tuple[dict[str, Any], int]], *, automatic: bool = False) -> dict[str, int]:
        """The usage of a request of ``blocks``. ``automatic`` (OpenAI): every block boundary
        is a breakpoint, as that API caches prefixes by itself."""
        keys, sums, digest, running = [], [], hashlib.sha256(), 0
        for block, tokens in blocks:
            digest.update(json.dumps({k: v for k, v in block.items() if k != "cache_control"}, sort_keys=True).encode())
            keys.append(digest.copy().hexdigest())
            running += tokens
            sums.append(running)
        marks = list(range(len(blocks))) if automatic else [i for i, (b, _) in enumerate(blocks) if b.get("cache_control")]
        with self.lock:
            read = -1
            for mark in marks:
                for i in range(mark, max(-1, mark - LOOKBACK - 1), -1):
                    if keys[i] in self.prefixes:
                        read = max(read, i)
                        break
            written = -1
            for mark in marks:
                if sums[mark] >= MIN_CACHEABLE and mark > read:
                    self.prefixes.add(keys[mark])
                    written = mark
        read_tokens = sums[read] if read >= 0 else 0
        write_tokens = sums[written] - read_tokens if written >= 0 and not automatic else 0
        return {"input_tokens": running - read_tokens - write_tokens, "cache_creation_input_tokens": write_tokens,
                "cache_read_input_tokens": read_tokens}


def plain(body: dict[str, Any]) -> dict[str, Any]:
    """``body`` without its cache breakpoints, as the role wrote it: the system prompt a
    string again, and a turn the client turned into one marked text block a string."""
    def unmarked(block: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in block.items() if k != "cache_control"}

    out = {**body}
    if isinstance(body.get("system"), list):
        out["system"] = "".join(b.get("text", "") for b in body["system"])
    if body.get("tools"):
        out["tools"] = [unmarked(t) for t in body["tools"]]
    messages = []
    for message in body["messages"]:
        content = message["content"]
        if isinstance(content, list):
            marked = len(content) == 1 and content[0].get("type") == "text" and "cache_control" in content[0]
            content = content[0]["text"] if marked else [unmarked(b) for b in content]
        messages.append({**message, "content": content})
    out["messages"] = messages
    return out


def tool_use(payload: dict[str, Any], name: str = "submit", ident: str = "toolu_01") -> list[dict[str, Any]]:
    return [{"type": "tool_use", "id": ident, "name": name, "input": payload}]


def _as_messages_request(chat: dict[str, Any]) -> dict[str, Any]:
    """An OpenAI chat request read back into the Messages layout."""
    messages: list[dict[str, Any]] = []
    for m in chat["messages"][1:]:
        if m["role"] == "tool":
            block = {"type": "tool_result", "tool_use_id": m["tool_call_id"], "content": m["content"],
                     "is_error": m["content"].startswith("ERROR: ")}
            if messages and messages[-1]["role"] == "user" and isinstance(messages[-1]["content"], list):
                messages[-1]["content"].append(block)
            else:
                messages.append({"role": "user", "content": [block]})
        elif m["role"] == "assistant":
            content = [{"type": "text", "text": m["content"]}] if m.get("content") else []
            content += [{"type": "tool_use", "id": c["id"], "name": c["function"]["name"],
                         "input": json.loads(c["function"]["arguments"])} for c in m.get("tool_calls") or []]
            messages.append({"role": "assistant", "content": content})
        elif isinstance(m["content"], str):
            messages.append({"role": "user", "content": m["content"]})
        else:
            messages.append({"role": "user", "content": [
                {"type": "text", "text": p["text"]} if p["type"] == "text" else {"type": "image", "source": p}
                for p in m["content"]]})
    tools = [{"name": t["function"]["name"], "description": t["function"]["description"],
              "input_schema": t["function"]["parameters"]} for t in chat.get("tools") or []]
    return {"model": chat["model"], "system": chat["messages"][0]["content"], "messages": messages, "tools": tools}


def _as_chat_completion(content: list[dict[str, Any]], model: str, n: int, usage: dict[str, int]) -> dict[str, Any]:
    text = "".join(b.get("text", "") for b in content if b["type"] == "text") or None
    calls = [{"id": b["id"], "type": "function", "function": {"name": b["name"], "arguments": json.dumps(b["input"])}}
             for b in content if b["type"] == "tool_use"]
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if calls:
        message["tool_calls"] = calls
    prompt = usage["input_tokens"] + usage["cache_read_input_tokens"]
    return {"id": f"chatcmpl-{n:04d}", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": {"prompt_tokens": prompt, "completion_tokens": usage["output_tokens"],
                      "total_tokens": prompt + usage["output_tokens"],
                      "prompt_tokens_details": {"cached_tokens": usage["cache_read_input_tokens"]}}}
