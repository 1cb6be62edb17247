"""One HTTP server for a workspace of synthetic computers (``synthcomp serve WS``).

Three doors onto the same :class:`SessionManager`, so one set of bounds holds for all:

- ``/mcp``: the env's tools over MCP (streamable HTTP, ``mcp_tools``), one session of the
  protocol = one computer;
- ``/openenv/ws`` (and ``/ws``, where openenv-core's ``EnvClient`` looks when given the
  server's root): the OpenEnv protocol (reset / step / state / close as JSON messages on a
  WebSocket), which that client speaks unchanged; one connection = one computer, closed
  when the connection ends however it ends;
- ``/sessions``: the same as plain JSON over HTTP (open, step, reset, state, snapshot,
  restore, close), for curl and for trainers without a WebSocket client.

``/health`` answers without a token (a load balancer's probe); everything else needs
``Authorization: Bearer <token>`` when the server has one, which ``synthcomp serve``
requires unless it is bound to loopback. Every bad request is a 4xx JSON body
``{"error": ...}``; a full server is 503. A background task closes sessions idle past
the manager's timeout, and shutdown closes every sandbox.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket, WebSocketDisconnect

from synthcomp.errors import InputError
from synthcomp.serve.mcp_tools import mcp_http
from synthcomp.serve.sessions import OpenRequest, SessionLimit, SessionManager, SnapshotTag, UnknownSession

log = logging.getLogger(__name__)

REAP_EVERY_S = 30.0
"""How often idle sessions are looked for (at most; a short timeout looks more often)."""
MAX_BODY = 4 * 2**20
"""The largest request body read: a tool call writing a long document fits many times over."""


class ToolCall(BaseModel):
    """One step: a tool of the env and its arguments (``synthcomp.env.tools``)."""

    model_config = ConfigDict(extra="forbid")

    tool: str = Field(min_length=1)
    args: dict[str, Any] = Field(default_factory=dict)


class ResetBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    seed: int | None = Field(None, ge=0)


def build_app(manager: SessionManager, token: str | None = None, default: OpenRequest | None = None) -> Starlette:
    """The server's ASGI app (see the module docstring); ``default``: the computer an MCP
    session opens when its URL names none."""
    mcp_app, mcp_sessions = mcp_http(manager, default)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with mcp_sessions.run(), anyio.create_task_group() as tasks:
            tasks.start_soon(_reaper, manager)
            try:
                yield
            finally:
                tasks.cancel_scope.cancel()
                await anyio.to_thread.run_sync(manager.close_all)

    api = JsonApi(manager)
    routes = [
        Route("/health", api.health),
        Route("/computers", api.computers),
        Route("/sessions", api.open, methods=["POST"]),
        Route("/sessions/{session_id}", api.close, methods=["DELETE"]),
        Route("/sessions/{session_id}/state", api.state),
        Route("/sessions/{session_id}/step", api.step, methods=["POST"]),
        Route("/sessions/{session_id}/reset", api.reset, methods=["POST"]),
        Route("/sessions/{session_id}/snapshot", api.snapshot, methods=["POST"]),
        Route("/sessions/{session_id}/restore", api.restore, methods=["POST"]),
        Mount("/openenv", routes=[Route("/health", api.health), WebSocketRoute("/ws", OpenEnvSocket(manager))]),
        WebSocketRoute("/ws", OpenEnvSocket(manager)),  # where openenv-core's client looks given the server's root
        Route("/mcp", mcp_app, methods=["GET", "POST", "DELETE"]),
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    if token:
        app.add_middleware(BearerAuth, token=token)
    return app


async def _reaper(manager: SessionManager) -> None:
    """Close idle sessions, forever (cancelled at shutdown)."""
    while True:
        await anyio.sleep(min(REAP_EVERY_S, max(manager.idle_timeout_s / 4, 0.5)))
        for session_id in await anyio.to_thread.run_sync(manager.reap):
            log.info("closed idle session %s", session_id)


class BearerAuth:
    """Every request but ``/health`` carries ``Authorization: Bearer <token>`` (compared in
    constant time); a WebSocket without it is refused before it is accepted."""

    def __init__(self, app: ASGIApp, token: str):
        self.app, self.token = app, token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in {"http", "websocket"} and not scope["path"].endswith("/health"):
            given = dict(scope["headers"]).get(b"authorization", b"")
            if not hmac.compare_digest(given, b"Bearer " + self.token):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1008, "reason": "a bearer token is required"})
                    return
                response = JSONResponse({"error": "a bearer token is required (Authorization: Bearer <token>)"},
                                        401, headers={"WWW-Authenticate": "Bearer"})
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status)


async def _guarded(call: Callable[[], Awaitable[Response]]) -> Response:
    """The JSON API's one error boundary: what a client got wrong is a 4xx with the reason."""
    try:
        return await call()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(map(str, first["loc"])) or "body"
        return _error(422, f"{where}: {first['msg']}")
    except SessionLimit as exc:
        return _error(503, str(exc))
    except UnknownSession as exc:
        return _error(404, str(exc))
    except InputError as exc:
        return _error(400, str(exc))


async def _body(request: Request, model: type[BaseModel]) -> Any:
    """The request's JSON body as ``model`` (an empty body is ``{}``).

    Raises:
        InputError: too large, or not a JSON object.
        ValidationError: the object does not fit ``model``.
    """
    raw = bytearray()
    async for chunk in request.stream():  # read no further than the cap, whatever Content-Length says
        raw += chunk
        if len(raw) > MAX_BODY:
            raise InputError(f"the body is over {MAX_BODY:,} bytes")
    try:
        data = json.loads(raw) if raw.strip() else {}
    except json.JSONDecodeError as exc:
        raise InputError(f"the body is not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise InputError("the body must be a JSON object")
    return model.model_validate(data)


def step_payload(step: tuple[str, float, bool, bool, dict[str, Any]]) -> dict[str, Any]:
    """A step as the JSON API answers it; ``done`` ends the episode (a workday)."""
    observation, reward, terminated, truncated, info = step
    return {"observation": observation, "reward": reward, "terminated": terminated, "truncated": truncated,
            "done": terminated or truncated, "info": info}


class JsonApi:
    """The ``/sessions`` routes (see the module docstring)."""

    def __init__(self, manager: SessionManager):
        self.manager = manager

    async def health(self, request: Request) -> Response:
        return JSONResponse({"status": "healthy", "sessions": self.manager.live(),
                             "max_sessions": self.manager.max_sessions})

    async def computers(self, request: Request) -> Response:
        return JSONResponse({"computers": await anyio.to_thread.run_sync(self.manager.computers)})

    async def open(self, request: Request) -> Response:
        async def call() -> Response:
            wanted = await _body(request, OpenRequest)
            session, observation, info = await anyio.to_thread.run_sync(self.manager.open, wanted)
            return JSONResponse({"session_id": session.id, "observation": observation, "info": info}, 201)
        return await _guarded(call)

    async def close(self, request: Request) -> Response:
        async def call() -> Response:
            session_id = request.path_params["session_id"]
            if not await anyio.to_thread.run_sync(self.manager.close, session_id):
                raise UnknownSession(f"no live session {session_id!r}")
            return Response(status_code=204)
        return await _guarded(call)

    async def state(self, request: Request) -> Response:
        async def call() -> Response:
            session = self.manager.get(request.path_params["session_id"])
            return JSONResponse(session.state())
        return await _guarded(call)

    async def step(self, request: Request) -> Response:
        async def call() -> Response:
            action = await _body(request, ToolCall)
            step = await anyio.to_thread.run_sync(self.manager.step, request.path_params["session_id"],
                                                  action.model_dump())
            return JSONResponse(step_payload(step))
        return await _guarded(call)

    async def reset(self, request: Request) -> Response:
        async def call() -> Response:
            body = await _body(request, ResetBody)
            observation, info = await anyio.to_thread.run_sync(self.manager.reset, request.path_params["session_id"],
                                                               body.seed)
            return JSONResponse({"observation": observation, "info": info})
        return await _guarded(call)

    async def snapshot(self, request: Request) -> Response:
        async def call() -> Response:
            body = await _body(request, SnapshotTag)
            saved = await anyio.to_thread.run_sync(self.manager.snapshot, request.path_params["session_id"], body.tag)
            return JSONResponse(saved)
        return await _guarded(call)

    async def restore(self, request: Request) -> Response:
        async def call() -> Response:
            body = await _body(request, SnapshotTag)
            observation, info = await anyio.to_thread.run_sync(self.manager.restore,
                                                               request.path_params["session_id"], body.tag)
            return JSONResponse({"observation": observation, "info": info})
        return await _guarded(call)


class OpenEnvSocket:
    """The OpenEnv protocol on one WebSocket: ``{"type": "reset", "data": {computer_id, seed,
    days}}`` opens this connection's computer (or, with no computer, starts its next day; a
    seed restarts the month), ``{"type": "step", "data": {tool, args}}`` runs a tool call,
    ``{"type": "state"}`` reads the session, ``{"type": "close"}`` ends it. Answers are
    ``{"type": "observation", "data": {"observation": {"text", "info"}, "reward", "done"}}``,
    ``{"type": "state", "data": ...}`` or ``{"type": "error", "data": {"message", "code"}}``,
    as openenv-core's client expects. The session is closed when the connection ends."""

    def __init__(self, manager: SessionManager):
        self.manager = manager

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        socket = WebSocket(scope, receive, send)
        await socket.accept()
        session_id: str | None = None
        try:
            while True:
                try:
                    message = json.loads(await socket.receive_text())
                except json.JSONDecodeError as exc:
                    await _socket_error(socket, f"not JSON: {exc}", "INVALID_JSON")
                    continue
                kind = message.get("type") if isinstance(message, dict) else None
                if kind == "close":
                    break
                try:
                    answer, session_id = await self._answer(kind, message.get("data") or {}, session_id)
                except ValidationError as exc:
                    await _socket_error(socket, str(exc.errors()[0]["msg"]), "VALIDATION_ERROR")
                except SessionLimit as exc:
                    await _socket_error(socket, str(exc), "CAPACITY_REACHED")
                except InputError as exc:
                    await _socket_error(socket, str(exc), "EXECUTION_ERROR")
                else:
                    await socket.send_json(answer)
        except WebSocketDisconnect:
            pass
        finally:
            if session_id is not None:
                await anyio.to_thread.run_sync(self.manager.close, session_id)
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):  # the client closed it first
            await socket.close()

    async def _answer(self, kind: Any, data: Any, session_id: str | None) -> tuple[dict[str, Any], str | None]:
        """The reply to one message, and the connection's session after it."""
        if not isinstance(data, dict):
            raise InputError("data must be a JSON object")
        if kind == "reset":
            return await self._reset(data, session_id)
        if session_id is None:
            raise InputError(f"send a reset with a computer_id first (computers: {', '.join(self.manager.computers()[:5])}"
                             f"{' ...' if len(self.manager.computers()) > 5 else ''})")
        if kind == "step":
            action = ToolCall.model_validate(data)
            observation, reward, terminated, truncated, info = await anyio.to_thread.run_sync(
                self.manager.step, session_id, action.model_dump())
            info = {**info, "terminated": terminated, "truncated": truncated}
            return _observation(observation, info, reward, terminated or truncated), session_id
        if kind == "state":
            return {"type": "state", "data": self.manager.get(session_id).state()}, session_id
        raise InputError(f"unknown message type {kind!r}: use reset, step, state or close")

    async def _reset(self, data: dict[str, Any], session_id: str | None) -> tuple[dict[str, Any], str | None]:
        if data.get("computer_id") or session_id is None:  # a (new) computer: this connection's session moves to it
            wanted = OpenRequest.model_validate({k: v for k, v in data.items() if k != "episode_id"})
            if session_id is not None:
                await anyio.to_thread.run_sync(self.manager.close, session_id)
                session_id = None
            session, observation, info = await anyio.to_thread.run_sync(self.manager.open, wanted)
            return _observation(observation, info, None, False), session.id
        body = ResetBody.model_validate({k: v for k, v in data.items() if k == "seed"})
        observation, info = await anyio.to_thread.run_sync(self.manager.reset, session_id, body.seed)
        return _observation(observation, info, None, False), session_id


def _observation(text: str, info: dict[str, Any], reward: float | None, done: bool) -> dict[str, Any]:
    return {"type": "observation", "data": {"observation": {"text": text, "info": info}, "reward": reward, "done": done}}


async def _socket_error(socket: WebSocket, message: str, code: str) -> None:
    await socket.send_json({"type": "error", "data": {"message": message, "code": code}})
