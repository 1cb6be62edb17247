"""A local fake of the Anthropic Messages API, speaking its wire format on 127.0.0.1.

Tests queue replies (a content list, or an HTTP error status) and read back the
requests the real ``anthropic`` SDK sent. Nothing leaves the machine.

It also serves ``POST .../chat/completions`` in the OpenAI wire format, for the real
``openai`` SDK: the request is read back into the Messages layout (so the same
responders drive both), and the reply content becomes a chat completion.
``openai_requests`` keeps those requests as they arrived.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

_ERROR_TYPES = {400: "invalid_request_error", 429: "rate_limit_error", 500: "api_error", 529: "overloaded_error"}

Reply = list[dict[str, Any]] | int | Callable[[dict[str, Any]], list[dict[str, Any]]]


class FakeAnthropic:
    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.default: Reply | None = None
        """Answers every request once ``replies`` is empty (None: HTTP 500)."""
        self.requests: list[dict[str, Any]] = []
        self.openai_requests: list[dict[str, Any]] = []
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
                fake.requests.append(body)
                reply = fake.replies.pop(0) if fake.replies else (fake.default or 500)
                if isinstance(reply, int):
                    self._send(reply, {"type": "error", "error": {"type": _ERROR_TYPES.get(reply, "api_error"),
                                                                  "message": f"fake status {reply}"}})
                    return
                try:
                    content = reply(body) if callable(reply) else reply
                except Exception as exc:  # a broken test responder: fail the request fast, not by retries
                    self._send(400, {"type": "error", "error": {"type": "invalid_request_error",
                                                                "message": f"fake responder failed: {exc!r}"}})
                    return
                if chat:
                    self._send(200, _as_chat_completion(content, body["model"], len(fake.requests)))
                    return
                self._send(200, {
                    "id": f"msg_{len(fake.requests):04d}", "type": "message", "role": "assistant",
                    "model": body["model"], "content": content,
                    "stop_reason": "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn",
                    "stop_sequence": None, "usage": {"input_tokens": 1000, "output_tokens": 200},
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


def _as_chat_completion(content: list[dict[str, Any]], model: str, n: int) -> dict[str, Any]:
    text = "".join(b.get("text", "") for b in content if b["type"] == "text") or None
    calls = [{"id": b["id"], "type": "function", "function": {"name": b["name"], "arguments": json.dumps(b["input"])}}
             for b in content if b["type"] == "tool_use"]
    message: dict[str, Any] = {"role": "assistant", "content": text}
    if calls:
        message["tool_calls"] = calls
    return {"id": f"chatcmpl-{n:04d}", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
            "usage": {"prompt_tokens": 1000, "completion_tokens": 200, "total_tokens": 1200}}
