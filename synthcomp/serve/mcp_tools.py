"""MCP for synthetic computers: every env tool, plus ``start_day``, ``snapshot`` and ``restore``.

The tools are the env's own (``synthcomp.env.tools.tool_definitions()``: same names,
descriptions and schemas), so an MCP client and a ``WorkdayEnv`` policy speak one
language. A tool call is a ``SessionManager.step`` on a worker thread; its observation is
the result's text, and ``is_error`` is set when the env says ``info["tool_error"]`` or
the call itself was refused (bad arguments, a closed session, a full server). Nothing a
client sends becomes a protocol error.

Each MCP session owns one synthcomp session, opened on its first tool call: the computer
is the MCP URL's ``?computer=<id>&seed=&days=`` (HTTP), else the server's default (stdio
always). Over HTTP the session is closed with its MCP session (DELETE, idle timeout,
shutdown); if the manager reaped it first, later calls say so (a new MCP session starts
fresh). Over stdio the process is the session: it ends when the client closes the pipe.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import anyio
from mcp import MCPError, types
from mcp.server import Server, ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPASGIApp, StreamableHTTPSessionManager
from mcp.types.version import HANDSHAKE_PROTOCOL_VERSIONS, MODERN_PROTOCOL_VERSIONS
from pydantic import BaseModel, ConfigDict, ValidationError
from starlette.datastructures import Headers, QueryParams
from starlette.responses import JSONResponse

from synthcomp import __version__
from synthcomp.env.tools import tool_definitions
from synthcomp.errors import InputError, SynthcompError
from synthcomp.serve.sessions import (
    MonthOver, OpenRequest, Session, SessionLimit, SessionManager, SnapshotTag, UnknownSession,
)
from synthcomp.workspace import computer_dir

log = logging.getLogger(__name__)

STDIO = "stdio"
"""The key of the one session a stdio server has."""

INSTRUCTIONS = """\
This server is a synthetic computer: the Windows- or macOS-styled computer of a simulated office \
worker, full of real documents, with an inbox and colleagues who answer messages, in a sandbox of \
its own. You work as its user through a month of workdays.
Call start_day first: its briefing says who you are, the date, your objectives and deliverables, \
your inbox and your step budget. Then work with the tools (shell, list_dir, read_file, write_file, \
create_document, send_message, check_inbox, ...; paths in the computer's own style, or relative to \
the home folder). Call end_day with a summary when the day's work is done: the next call starts the \
next workday (its briefing comes first). snapshot(tag) saves the computer and the month; \
restore(tag) brings them back. Each MCP session has a computer of its own, deleted when the session ends."""


class _NoArgs(BaseModel):
    model_config = ConfigDict(extra="forbid")


_SESSION_TOOLS: dict[str, tuple[str, type[BaseModel]]] = {
    "start_day": ("Start the workday and read its morning briefing (who you are, the date, objectives, inbox, "
                  "step budget); if the day has started, show its briefing again. Call it first.", _NoArgs),
    "snapshot": ("Save this computer and the month (files, inbox, activity log, clock) under a tag, replacing "
                 "an earlier snapshot of that tag.", SnapshotTag),
    "restore": ("Bring back the snapshot of this tag: the computer and the month as they were then (what "
                "happened since is gone). Returns that day's briefing.", SnapshotTag),
}


def _schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema.pop("title", None)
    schema.setdefault("properties", {})
    for prop in schema["properties"].values():
        prop.pop("title", None)
    return schema


def mcp_tools() -> list[types.Tool]:
    """The env's tools (from the registry, never by hand) followed by the session tools."""
    env = [types.Tool(name=d["name"], description=d["description"], input_schema=d["input_schema"])
           for d in tool_definitions()]
    return env + [types.Tool(name=name, description=text, input_schema=_schema(model))
                  for name, (text, model) in _SESSION_TOOLS.items()]


def open_request(query: Mapping[str, str], default: OpenRequest | None) -> OpenRequest:
    """The session an MCP URL's query asks for (``computer``, ``seed``, ``days``), over ``default``.

    Raises:
        InputError: no computer named and no default, or a bad value.
    """
    data: dict[str, Any] = default.model_dump() if default is not None else {}
    if "computer" in query:
        data["computer_id"] = query["computer"]
    data.update({k: query[k] for k in ("seed", "days") if k in query})
    if "computer_id" not in data:
        raise InputError("name a computer in the MCP URL: /mcp?computer=<id> (and optionally &seed=N&days=N)")
    try:
        return OpenRequest.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])).replace('computer_id', 'computer')}: {e['msg']}"
                             for e in exc.errors())
        raise InputError(f"bad MCP URL query: {problems}") from None


class _Refused(Exception):
    """A tool call refused before it reached the env; the message is for the client."""


@dataclass
class _Link:
    """An MCP session's synthcomp session (None until its first tool call opens it)."""

    lock: anyio.Lock = field(default_factory=anyio.Lock)
    session_id: str | None = None
    gone: str = ""
    """Why the session is no longer live (it was reaped), once a call found out."""
    ended: bool = False
    """The MCP session ended (a session still opening is closed as soon as it is open)."""


def _text(text: str, error: bool = False) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=error)


def _step(manager: SessionManager, session_id: str, name: str, args: Any) -> tuple[str, bool]:
    """One env tool call: its observation (with what comes next when the day ended) and whether it erred."""
    try:
        observation, _, terminated, truncated, info = manager.step(session_id, {"tool": name, "args": args})
    except MonthOver:
        return ("the month is over: its last workday has ended. Call start_day to begin a new month on the "
                "original computer, or restore a snapshot."), True
    if terminated:
        observation += "\n\nThat was the month's last workday: the month is over."
    elif truncated:
        why = "" if name == "end_day" and not info["tool_error"] else " (the day's step budget is spent)"
        observation += (f"\n\nThe workday is over{why}. The next call starts the next one: "
                        "call start_day for its briefing.")
    return observation, bool(info["tool_error"])


def _start_day(manager: SessionManager, session_id: str) -> str:
    """This morning's briefing; the next workday's (or a new month's) if no day is open."""
    def work(session: Session) -> str:
        env, state = session.env, session.env.state
        if state is not None and state.in_day and env.transcript:
            again = f"(this workday started {state.steps_today} step(s) ago; its briefing again)\n\n"
            return (again if state.steps_today else "") + env.transcript[0]
        over = "The month was over: a new month starts on the original computer.\n\n" \
            if state is not None and state.month_over else ""
        briefing, _ = env.reset()
        return over + briefing
    return manager.run(session_id, work)


def _session_call(manager: SessionManager, session_id: str, name: str, args: dict[str, Any]) -> tuple[str, bool]:
    if name == "start_day":
        return _start_day(manager, session_id), False
    model = _SESSION_TOOLS[name][1]
    try:
        tag = model.model_validate(args).tag  # type: ignore[attr-defined]
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'args'}: {e['msg']}" for e in exc.errors())
        return f"error: bad arguments for {name}: {problems}. Usage: {name}(tag: str)", True
    if name == "snapshot":
        manager.snapshot(session_id, tag)
        return f"saved snapshot {tag!r}: restore(tag={tag!r}) brings this computer and month back", False
    briefing, _ = manager.restore(session_id, tag)
    return f"restored snapshot {tag!r}.\n\n{briefing}", False


class _Sessions:
    """The synthcomp session of each MCP session of one server."""

    def __init__(self, manager: SessionManager, default: OpenRequest | None, http: bool):
        self.manager, self.default, self.http = manager, default, http
        self.links: dict[str, _Link] = {}

    def _key(self, ctx: ServerRequestContext) -> str:
        if not self.http:
            return STDIO
        key = ctx.request.headers.get("mcp-session-id") if ctx.request is not None else None
        if not key:
            raise _Refused("this server needs an MCP session (the 2025 handshake): reconnect with one")
        return key

    async def attach(self, ctx: ServerRequestContext) -> tuple[str, str]:
        """The session id for this call, and the briefing if the call just opened it."""
        key = self._key(ctx)
        link = self.links.get(key)
        if link is None:
            link = self.links[key] = _Link()
            if self.http:
                self._close_with_mcp_session(ctx, key, link)
        async with link.lock:
            if link.gone:
                raise _Refused(link.gone)
            if link.session_id is not None:
                return link.session_id, ""
            query = ctx.request.query_params if self.http and ctx.request is not None else {}
            request = open_request(query, self.default)
            session, briefing, _ = await anyio.to_thread.run_sync(self.manager.open, request)
            link.session_id = session.id
            if link.ended:  # the MCP session ended while its computer was opening
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(self.manager.close, session.id)
                raise _Refused("this MCP session has ended")
            log.info("MCP session %s opened %s on %s", key, session.id, request.computer_id)
            return session.id, briefing

    def _close_with_mcp_session(self, ctx: ServerRequestContext, key: str, link: _Link) -> None:
        async def close() -> None:
            link.ended = True
            self.links.pop(key, None)
            if link.session_id is not None:
                with anyio.CancelScope(shield=True):
                    await anyio.to_thread.run_sync(self.manager.close, link.session_id)
                log.info("MCP session %s ended; its session %s is closed", key, link.session_id)

        # private in mcp 2.3.0, but the documented place for per-connection teardown; it runs on
        # DELETE, idle timeout and shutdown (never use it on stdio: there it unwinds after every call)
        stack = getattr(getattr(ctx.session, "_connection", None), "exit_stack", None)
        if stack is None:
            log.warning("no teardown hook on MCP session %s: its computer closes when reaped", key)
            return
        stack.push_async_callback(close)

    def reaped(self, ctx: ServerRequestContext) -> str:
        message = (f"this MCP session's computer was closed: unused for {self.manager.idle_timeout_s:.0f} s (or "
                   "the server closed it), it was reaped with its files. Start a new MCP session (reconnect) "
                   "for a fresh computer.")
        link = self.links.get(self._key(ctx))
        if link is not None:
            link.gone = message
        return message

    async def call(self, ctx: ServerRequestContext, params: types.CallToolRequestParams) -> types.CallToolResult:
        name, args = params.name, params.arguments or {}
        try:
            session_id, briefing = await self.attach(ctx)
            if name in _SESSION_TOOLS:
                text, error = await anyio.to_thread.run_sync(_session_call, self.manager, session_id, name, args)
            else:  # the env's tools, and unknown names (the env's registry answers those)
                text, error = await anyio.to_thread.run_sync(_step, self.manager, session_id, name, args)
        except _Refused as exc:
            return _text(f"error: {exc}", True)
        except SessionLimit as exc:
            return _text(f"error: the server is full: {exc}", True)
        except UnknownSession:
            return _text(f"error: {self.reaped(ctx)}", True)
        except InputError as exc:
            return _text(f"error: {exc}", True)
        except SynthcompError as exc:  # the computer failed (e.g. a snapshot that cannot be exact)
            log.warning("MCP tool %s failed: %s", name, exc)
            return _text(f"error: the environment failed: {exc}", True)
        except Exception:  # noqa: BLE001 - a fault of ours is the client's tool error, not a dead connection
            log.exception("MCP tool %s failed", name)
            return _text(f"error: the {name} tool failed inside the environment; this is not the call's fault", True)
        if briefing and name != "start_day":  # the first call opened the day: the agent reads its briefing first
            text = f"{briefing}\n\n{text}"
        return _text(text, error)


async def _handshake_only(ctx: ServerRequestContext,
                          call_next: Callable[[ServerRequestContext], Awaitable[Any]]) -> Any:
    """Refuse the session-less 2026-07-28 era, so ``auto`` clients fall back to ``initialize``."""
    if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
        raise MCPError(code=types.UNSUPPORTED_PROTOCOL_VERSION, message="this server needs an MCP session",
                       data={"supported": list(HANDSHAKE_PROTOCOL_VERSIONS), "requested": ctx.protocol_version})
    return await call_next(ctx)


def mcp_server(manager: SessionManager, default: OpenRequest | None, *, http: bool) -> Server:
    """The MCP server of ``manager``'s computers: the env's tools plus the session tools.

    Args:
        manager: opens, steps and closes the sessions.
        default: the session a client gets when its URL names no computer (stdio: always).
        http: served over streamable HTTP (one session per MCP session id), else stdio (one session).
    """
    sessions = _Sessions(manager, default, http)
    tools = mcp_tools()

    async def list_tools(ctx: ServerRequestContext,
                         params: types.PaginatedRequestParams | None) -> types.ListToolsResult:
        return types.ListToolsResult(tools=tools)

    instructions = INSTRUCTIONS + (f"\nThis server's computer is {default.computer_id}." if default else "")
    server = Server("synthcomp", version=__version__, instructions=instructions, on_list_tools=list_tools,
                    on_call_tool=sessions.call)
    if http:  # not on stdio: there a refused probe locks the pipe to the modern era
        server.middleware.append(_handshake_only)
    return server


class _Admission:
    """ASGI: refuse a new MCP session at once, with an HTTP status, when it could not open a
    computer (bad query 400, unknown computer 404, server full 503); the first tool call
    still checks, since the server may fill up in between."""

    def __init__(self, app: Any, manager: SessionManager, default: OpenRequest | None):
        self.app, self.manager, self.default = app, manager, default

    def _refusal(self, scope: Mapping[str, Any]) -> tuple[int, str] | None:
        try:
            request = open_request(QueryParams(scope.get("query_string", b"").decode("latin-1")), self.default)
        except InputError as exc:
            return 400, str(exc)
        if not (computer_dir(self.manager.workspace, request.computer_id) / "computer.json").is_file():
            return 404, f"no computer {request.computer_id!r} in the served workspace"
        if self.manager.live() >= self.manager.max_sessions:
            return 503, (f"the server is full: it holds its maximum of {self.manager.max_sessions} live "
                         "computers; retry later")
        return None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and "mcp-session-id" not in Headers(scope=scope):
            refusal = self._refusal(scope)
            if refusal is not None:
                status, message = refusal
                code = types.INVALID_PARAMS if status < 500 else types.INTERNAL_ERROR
                body = {"jsonrpc": "2.0", "id": None, "error": {"code": code, "message": message}}
                headers = {"Retry-After": "30"} if status == 503 else None
                await JSONResponse(body, status, headers=headers)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def mcp_http(manager: SessionManager, default: OpenRequest | None) -> tuple[Any, StreamableHTTPSessionManager]:
    """The streamable-HTTP MCP endpoint: ``(asgi_app, session_manager)``.

    Mount ``asgi_app`` at ``/mcp`` (``Route("/mcp", asgi_app)``) and enter
    ``session_manager.run()`` in the parent app's lifespan (once per manager).
    """
    session_manager = StreamableHTTPSessionManager(app=mcp_server(manager, default, http=True), stateless=False,
                                                   session_idle_timeout=manager.idle_timeout_s)
    return _Admission(StreamableHTTPASGIApp(session_manager), manager, default), session_manager


def run_stdio(manager: SessionManager, request: OpenRequest) -> None:
    """Serve one session of ``request`` over stdin/stdout until the client closes; then close it."""
    from mcp.server.stdio import stdio_server

    async def serve() -> None:
        server = mcp_server(manager, request, http=False)
        try:
            async with stdio_server() as (read, write):  # fd 1 points at stderr meanwhile
                await server.run(read, write, server.create_initialization_options())
        finally:
            with anyio.CancelScope(shield=True):
                await anyio.to_thread.run_sync(manager.close_all)

    anyio.run(serve)
