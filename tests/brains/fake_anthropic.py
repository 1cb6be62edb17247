"""A local fake of the Anthropic Messages API, speaking its wire format on 127.0.0.1.

Tests queue replies (a content list, or an HTTP error status) and read back the
requests the real ``anthropic`` SDK sent. Nothing leaves the machine.
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
        self.requests: list[dict[str, Any]] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # quiet test output
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append(body)
                reply = fake.replies.pop(0) if fake.replies else 500
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
