"""The MCP server (``synthcomp.serve.mcp_tools``) driven by the real MCP client SDK, offline:
``synthcomp mcp`` over stdio as a subprocess, and the streamable-HTTP endpoint under uvicorn."""

from __future__ import annotations

import contextlib
import os
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import anyio
import httpx2
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client

from synthcomp.env.tools import tool_definitions
from synthcomp.sandbox.config import LocalSandboxConfig
from synthcomp.serve.sessions import SessionManager
from synthcomp.workspace import computer_dirs
from tests.serve.conftest import TOKEN, serving

pytestmark = pytest.mark.bwrap
SESSION_TOOLS = ["start_day", "snapshot", "restore"]


@pytest.fixture(scope="module")
def two_computers(workspace: Path) -> list[Path]:
    """The two Windows computers of the served workspace (conftest)."""
    return list(computer_dirs(workspace))


def text(result: Any) -> str:
    return result.content[0].text


# ---------------------------------------------------------------------------------------------- stdio


def stdio_server(computer: Path, tmp_path: Path, *options: str) -> StdioServerParameters:
    """``synthcomp mcp COMPUTER --sandbox local``, its snapshots in ``tmp_path``."""
    config = tmp_path / "sandbox.toml"
    config.write_text(f'snapshot_dir = "{tmp_path / "snapshots"}"\n')
    return StdioServerParameters(command=sys.executable, args=[
        "-m", "synthcomp.cli", "mcp", str(computer), "--sandbox", "local", "--sandbox-config", str(config), *options,
    ], env=dict(os.environ))


def test_stdio_tools_files_and_bad_calls(two_computers: list[Path], tmp_path: Path) -> None:
    async def main() -> None:
        async with Client(stdio_server(two_computers[0], tmp_path)) as client:
            tools = (await client.list_tools()).tools
            assert [t.name for t in tools] == [d["name"] for d in tool_definitions()] + SESSION_TOOLS
            env_tools = {d["name"]: d for d in tool_definitions()}
            assert all(t.input_schema == env_tools[t.name]["input_schema"] and t.description ==
                       env_tools[t.name]["description"] for t in tools if t.name in env_tools)

            briefing = await client.call_tool("start_day", {})
            assert not briefing.is_error and text(briefing).startswith("Workday 1 of 20")
            listing = await client.call_tool("list_dir", {"path": "Documents"})
            assert not listing.is_error and "Documents" in text(listing).splitlines()[0]
            name = next(line.split()[-1] for line in text(listing).splitlines() if line.startswith("FILE"))
            read = await client.call_tool("read_file", {"path": f"Documents/{name}"})
            assert not read.is_error and text(read).splitlines()[0].endswith(name)

            wrote = await client.call_tool("write_file", {"path": "Documents/notes.txt", "content": "from MCP"})
            assert not wrote.is_error and "notes.txt" in text(wrote)
            read = await client.call_tool("read_file", {"path": "Documents/notes.txt"})
            assert not read.is_error and text(read).splitlines()[1] == "from MCP"

            bad = await client.call_tool("list_dir", {"pth": "Documents"})
            assert bad.is_error and "bad arguments for list_dir" in text(bad) and "pth" in text(bad)
            missing = await client.call_tool("read_file", {"path": "Documents/no-such-file.txt"})
            assert missing.is_error and "no-such-file.txt" in text(missing)
            unknown = await client.call_tool("lsit_dir", {})
            assert unknown.is_error and "did you mean" in text(unknown) and "list_dir" in text(unknown)
            bad_tag = await client.call_tool("snapshot", {"tag": ""})
            assert bad_tag.is_error and "tag" in text(bad_tag)

    anyio.run(main)


def test_stdio_days_snapshots_and_the_month_end(two_computers: list[Path], tmp_path: Path) -> None:
    async def main() -> None:
        async with Client(stdio_server(two_computers[0], tmp_path, "--days", "2", "--steps", "30")) as client:
            saved = await client.call_tool("snapshot", {"tag": "clean"})  # the first call opens the day: briefing first
            assert not saved.is_error and text(saved).startswith("Workday 1 of 2")
            assert "saved snapshot 'clean'" in text(saved)
            assert not (await client.call_tool("write_file", {"path": "Documents/draft.txt", "content": "x"})).is_error
            restored = await client.call_tool("restore", {"tag": "clean"})
            assert not restored.is_error and "Workday 1 of 2" in text(restored)
            gone = await client.call_tool("read_file", {"path": "Documents/draft.txt"})
            assert gone.is_error and "No such file" in text(gone)
            assert (await client.call_tool("restore", {"tag": "other"})).is_error

            ended = await client.call_tool("end_day", {"summary": "read my mail"})
            assert not ended.is_error and "start_day" in text(ended)
            next_day = await client.call_tool("list_dir", {"path": "Documents"})  # starts day 2, briefing first
            assert not next_day.is_error and text(next_day).startswith("Workday 2 of 2")
            again = await client.call_tool("start_day", {})
            assert "Workday 2 of 2" in text(again) and "briefing again" in text(again)

            last = await client.call_tool("end_day", {"summary": "done"})
            assert not last.is_error and "month is over" in text(last)
            over = await client.call_tool("list_dir", {})
            assert over.is_error and "month is over" in text(over) and "start_day" in text(over)
            fresh = await client.call_tool("start_day", {})
            assert not fresh.is_error and "Workday 1 of 2" in text(fresh) and "new month" in text(fresh)
            assert list((tmp_path / "snapshots").rglob("layout.json"))  # this morning's and 'clean'

    anyio.run(main)
    assert not list((tmp_path / "snapshots").rglob("layout.json"))  # the client left: the session was closed


def test_stdio_rejects_a_directory_that_is_no_computer(tmp_path: Path) -> None:
    import subprocess

    done = subprocess.run([sys.executable, "-m", "synthcomp.cli", "mcp", str(tmp_path), "--sandbox", "local"],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and done.stdout == "" and done.stderr.startswith("error:")


# ----------------------------------------------------------------------------------------------- HTTP


@contextlib.contextmanager
def Served(manager: SessionManager) -> Iterator[str]:
    """``synthcomp serve``'s whole app (token required) on a free loopback port; the MCP URL."""
    with serving(manager, token=TOKEN) as base:
        yield f"{base}/mcp"


@pytest.fixture
def manager(two_computers: list[Path], tmp_path: Path) -> Iterator[SessionManager]:
    now = [0.0]
    manager = SessionManager(two_computers[0].parents[2], LocalSandboxConfig(snapshot_dir=tmp_path / "snapshots"),
                             max_sessions=2, idle_timeout_s=600, clock=lambda: now[0])
    manager.now = now  # type: ignore[attr-defined]  # the test moves the clock
    yield manager
    manager.close_all()


@contextlib.asynccontextmanager
async def mcp_client(url: str, token: str | None = TOKEN) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx2.AsyncClient(timeout=httpx2.Timeout(30, read=300), headers=headers) as http:
        async with Client(streamable_http_client(url, http_client=http)) as client:
            yield client


async def refusal(url: str, token: str | None = TOKEN) -> str:
    """Why the server refused a new MCP session at ``url`` (every message of the error raised)."""
    try:
        async with mcp_client(url, token):
            pass
    except BaseException as exc:  # noqa: BLE001 - the SDK wraps it in exception groups
        def messages(e: BaseException) -> list[str]:
            return [m for sub in getattr(e, "exceptions", ()) for m in messages(sub)] or [str(e)]
        return " | ".join(messages(exc))
    raise AssertionError(f"the server accepted {url}")


def wait_for(condition: Any, timeout_s: float = 30) -> bool:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_http_sessions_are_apart_and_close_with_their_client(two_computers: list[Path],
                                                             manager: SessionManager) -> None:
    first, second = (c.name for c in two_computers)

    async def main(url: str) -> None:
        async with mcp_client(f"{url}?computer={first}") as one, mcp_client(f"{url}?computer={second}&days=3") as two:
            assert one.protocol_version == two.protocol_version == "2025-11-25"  # the session-ful handshake
            assert [t.name for t in (await one.list_tools()).tools][-3:] == SESSION_TOOLS
            assert "start_day" in (one.instructions or "")
            opened = await anyio.to_thread.run_sync(lambda: manager.live())
            assert opened == 0  # lazily: a computer opens on a session's first tool call
            day_one, day_two = await one.call_tool("start_day", {}), await two.call_tool("start_day", {})
            assert "of 20" in text(day_one).splitlines()[0] and "of 3" in text(day_two).splitlines()[0]
            assert manager.live() == 2
            assert not (await one.call_tool("write_file", {"path": "Documents/only-here.txt", "content": "1"})).is_error
            assert "only-here.txt" in text(await one.call_tool("list_dir", {"path": "Documents"}))
            assert "only-here.txt" not in text(await two.call_tool("list_dir", {"path": "Documents"}))
            assert (await two.call_tool("read_file", {"path": "Documents/only-here.txt"})).is_error

            assert "server is full" in await refusal(f"{url}?computer={first}")  # a third: HTTP 503 at once
        assert await anyio.to_thread.run_sync(lambda: wait_for(lambda: manager.live() == 0))  # DELETE closed both

    with Served(manager) as url:
        anyio.run(main, url)


def test_http_a_vanished_client_s_computer_closes_when_its_mcp_session_idles(two_computers: list[Path],
                                                                               tmp_path: Path) -> None:
    """A client that opened a computer and went away (no DELETE, no GET stream) loses it after the idle timeout."""
    manager = SessionManager(two_computers[0].parents[2], LocalSandboxConfig(snapshot_dir=tmp_path / "snapshots"),
                             idle_timeout_s=2)
    headers = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json",
               "Authorization": f"Bearer {TOKEN}"}

    def post(http: httpx2.Client, url: str, message: dict[str, Any]) -> httpx2.Response:
        response = http.post(url, json={"jsonrpc": "2.0", **message}, headers=headers)
        assert response.status_code in (200, 202), response.text
        return response

    try:
        with Served(manager) as url, httpx2.Client(timeout=120) as http:
            url += f"?computer={two_computers[1].name}"
            hello = post(http, url, {"id": 1, "method": "initialize", "params": {
                "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "0"}}})
            headers.update({"mcp-session-id": hello.headers["mcp-session-id"], "mcp-protocol-version": "2025-11-25"})
            post(http, url, {"method": "notifications/initialized"})
            called = post(http, url, {"id": 2, "method": "tools/call", "params": {"name": "list_dir", "arguments": {}}})
            assert "Workday 1 of 20" in called.text and manager.live() == 1
            assert wait_for(lambda: manager.live() == 0, 20)  # no request in flight for 2 s: the session ended
    finally:
        manager.close_all()


def test_http_refuses_a_bad_url_and_reports_a_reaped_session(two_computers: list[Path],
                                                              manager: SessionManager) -> None:
    async def main(url: str) -> None:
        async with httpx2.AsyncClient() as http:  # no token: refused before MCP is spoken
            assert (await http.post(f"{url}?computer={two_computers[0].name}", json={})).status_code == 401
        for query, problem in [("", "name a computer"), ("?computer=win-nosuchone", "no computer"),
                               (f"?computer={two_computers[0].name}&days=0", "days")]:
            assert problem in await refusal(url + query)
        assert manager.live() == 0

        async with mcp_client(f"{url}?computer={two_computers[0].name}") as client:
            assert not (await client.call_tool("list_dir", {})).is_error
            manager.now[0] += 601  # type: ignore[attr-defined]
            assert len(await anyio.to_thread.run_sync(manager.reap)) == 1
            for _ in range(2):
                reaped = await client.call_tool("list_dir", {})
                assert reaped.is_error and "reaped" in text(reaped) and "new MCP session" in text(reaped)
            assert manager.live() == 0
        async with mcp_client(f"{url}?computer={two_computers[0].name}") as client:  # a new MCP session starts fresh
            assert text(await client.call_tool("start_day", {})).startswith("Workday 1 of 20")

    with Served(manager) as url:
        anyio.run(main, url)


def test_http_every_env_tool_answers_through_the_whole_app(two_computers: list[Path], manager: SessionManager) -> None:
    calls = [
        ("shell", {"command": "echo hello from mcp"}, "hello from mcp"),
        ("list_dir", {"path": "."}, "Documents"),
        ("write_file", {"path": "Documents/draft.md", "content": "# Draft\n\nFirst lines."}, "draft.md"),
        ("read_file", {"path": "Documents/draft.md"}, "First lines."),
        ("search_files", {"query": "draft"}, "draft.md"),
        ("create_document", {"path": "Documents/report.docx", "kind": "docx", "spec": {
            "title": "Status report", "sections": [{"heading": "Summary", "paragraphs": ["On track."]}]}}, "report.docx"),
        ("move", {"src": "Documents/draft.md", "dst": "Documents/draft-v2.md"}, "draft-v2.md"),
        ("delete", {"path": "Documents/draft-v2.md"}, "draft-v2.md"),
        ("check_inbox", {}, ""),
        ("submit_week_plan", {"plan": {"goals": ["Draft the report"], "activities": [
            {"day": 0, "kind": "deep_work", "description": "Write the report", "files": ["Documents/report.docx"]}]}},
         "week"),
        ("end_day", {"summary": "Drafted the report."}, "day ended"),
    ]

    async def main(url: str) -> None:
        async with mcp_client(f"{url}?computer={two_computers[0].name}") as client:
            briefing = text(await client.call_tool("start_day", {}))
            person = next(line for line in briefing.splitlines() if "@" in line and line.startswith("- "))
            name = person[2:].split(" <")[0]
            sent = await client.call_tool("send_message", {"to": name, "subject": "Figures",
                                                           "body": "Could you send the latest figures?"})
            assert not sent.is_error, text(sent)
            tried = {"send_message"}
            for tool, args, expected in calls:
                result = await client.call_tool(tool, args)
                assert not result.is_error and expected in text(result), (tool, text(result))
                tried.add(tool)
            assert tried == {d["name"] for d in tool_definitions()}  # every env tool, once

    with Served(manager) as url:
        anyio.run(main, url)
