"""The served workspace over HTTP: the JSON API, the OpenEnv WebSocket with openenv-core's
own client, auth, bounds (503, idle reaping) and nothing left behind."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import httpx2
import pytest
from openenv.core import GenericEnvClient
from websockets.asyncio.client import connect

from synthcomp.workspace import computer_dirs
from tests.serve.conftest import TOKEN, local_manager, serving

pytestmark = pytest.mark.bwrap

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def _ids(workspace: Path) -> list[str]:
    return [d.name for d in computer_dirs(workspace)]


def test_health_is_open_and_everything_else_needs_the_token(workspace: Path) -> None:
    manager = local_manager(workspace)
    with serving(manager) as url, httpx2.Client(base_url=url) as http:
        assert http.get("/health").json() == {"status": "healthy", "sessions": 0, "max_sessions": 16}
        refused = http.get("/computers")
        assert refused.status_code == 401 and "bearer token" in refused.json()["error"]
        assert http.get("/computers", headers={"Authorization": "Bearer wrong"}).status_code == 401
        assert http.get("/computers", headers=AUTH).json() == {"computers": _ids(workspace)}
        assert http.post("/sessions", json={"computer_id": _ids(workspace)[0]}).status_code == 401
    assert manager.live() == 0


def test_a_session_over_the_json_api_steps_snapshots_restores_and_closes(workspace: Path) -> None:
    manager = local_manager(workspace)
    with serving(manager) as url, httpx2.Client(base_url=url, headers=AUTH, timeout=60) as http:
        opened = http.post("/sessions", json={"computer_id": _ids(workspace)[0], "days": 2})
        assert opened.status_code == 201 and "Workday 1" in opened.json()["observation"]
        sid = opened.json()["session_id"]

        def step(tool: str, **args: Any) -> dict[str, Any]:
            answer = http.post(f"/sessions/{sid}/step", json={"tool": tool, "args": args})
            assert answer.status_code == 200, answer.text
            return answer.json()

        listed = step("list_dir", path=".")
        assert listed["reward"] == 0.0 and not listed["done"] and not listed["info"]["tool_error"]
        wrong = step("read_file", paths="x")  # a bad tool call is an observation, not an HTTP error
        assert wrong["info"]["tool_error"] and "path" in wrong["observation"]
        assert http.post(f"/sessions/{sid}/snapshot", json={"tag": "before"}).status_code == 200
        step("write_file", path="notes.txt", content="written after the snapshot")
        assert "written after" in step("read_file", path="notes.txt")["observation"]
        restored = http.post(f"/sessions/{sid}/restore", json={"tag": "before"})
        assert restored.status_code == 200
        assert step("read_file", path="notes.txt")["info"]["tool_error"]
        state = http.get(f"/sessions/{sid}/state").json()
        assert state["computer_id"] == _ids(workspace)[0] and state["in_day"] and state["snapshots"] == ["before"]
        ended = step("end_day", summary="Looked around.")
        assert ended["done"] and ended["truncated"] and not ended["terminated"]
        assert "Workday 2" in step("list_dir", path=".")["observation"]  # the next day starts by itself

        assert http.delete(f"/sessions/{sid}").status_code == 204
        gone = http.post(f"/sessions/{sid}/step", json={"tool": "list_dir", "args": {}})
        assert gone.status_code == 404 and "no live session" in gone.json()["error"]
    assert manager.live() == 0


@pytest.mark.parametrize(("path", "body", "status", "words"), [
    ("/sessions", {"computer_id": "no-such-computer"}, 400, "no computer"),
    ("/sessions", {"machine": "x"}, 422, "computer_id"),
    ("/sessions", [1, 2], 400, "JSON object"),
    ("/sessions", {"computer_id": "x", "days": 0}, 422, "days"),
    ("/sessions/nope/step", {"tool": "list_dir"}, 404, "no live session"),
])
def test_bad_requests_are_4xx_json_with_the_reason(workspace: Path, path: str, body: Any, status: int,
                                                   words: str) -> None:
    with serving(local_manager(workspace)) as url, httpx2.Client(base_url=url, headers=AUTH) as http:
        answer = http.post(path, json=body)
        assert answer.status_code == status and words in answer.json()["error"]
        assert http.post("/sessions", content=b"{not json", headers={"Content-Type": "application/json"}
                         ).status_code == 400


def test_the_server_refuses_past_its_maximum_and_reaps_idle_sessions(workspace: Path) -> None:
    manager = local_manager(workspace, max_sessions=1, idle_timeout_s=1.0)
    with serving(manager) as url, httpx2.Client(base_url=url, headers=AUTH, timeout=60) as http:
        first = http.post("/sessions", json={"computer_id": _ids(workspace)[0]})
        assert first.status_code == 201
        full = http.post("/sessions", json={"computer_id": _ids(workspace)[1]})
        assert full.status_code == 503 and "maximum of 1" in full.json()["error"]
        deadline = time.monotonic() + 15
        while manager.live() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert manager.live() == 0  # reaped when idle
        assert http.post(f"/sessions/{first.json()['session_id']}/step",
                         json={"tool": "list_dir"}).status_code == 404
        assert http.post("/sessions", json={"computer_id": _ids(workspace)[1]}).status_code == 201


class BearerEnvClient(GenericEnvClient):
    """openenv-core's generic client with the bearer header its ``connect`` does not send."""

    async def connect(self) -> BearerEnvClient:
        if self._ws is None:
            self._ws = await connect(self._ws_url, open_timeout=self._connect_timeout,
                                     max_size=self._max_message_size, additional_headers=AUTH)
        return self


async def _worker(url: str, computer: str, name: str) -> dict[str, Any]:
    async with BearerEnvClient(base_url=f"{url}/openenv" if name == "alpha" else url) as env:  # both doors
        morning = await env.reset(computer_id=computer, seed=0, days=1)
        wrote = await env.step({"tool": "write_file", "args": {"path": f"{name}.txt", "content": name}})
        await asyncio.sleep(0.2)  # the other session writes meanwhile
        listed = await env.step({"tool": "shell", "args": {"command": "ls *.txt"}})
        bad = await env.step({"tool": "no_such_tool", "args": {}})
        state = await env.state()
        ended = await env.step({"tool": "end_day", "args": {"summary": "done"}})
        return {"morning": morning, "wrote": wrote, "listed": listed, "bad": bad, "state": state, "ended": ended}


def test_openenv_clients_step_isolated_sessions_and_leave_nothing(workspace: Path) -> None:
    manager = local_manager(workspace)
    ids = _ids(workspace)
    with serving(manager) as url:
        async def both() -> list[dict[str, Any]]:
            return await asyncio.gather(_worker(url, ids[0], "alpha"), _worker(url, ids[1], "beta"))

        alpha, beta = asyncio.run(both())
    for mine, theirs, result in (("alpha", "beta", alpha), ("beta", "alpha", beta)):
        assert "Workday 1" in result["morning"].observation["text"] and result["morning"].reward is None
        listing = result["listed"].observation["text"]
        assert f"{mine}.txt" in listing and f"{theirs}.txt" not in listing
        assert result["bad"].observation["info"]["tool_error"] and "no_such_tool" in result["bad"].observation["text"]
        assert result["ended"].done and result["ended"].reward is not None
    assert alpha["state"]["computer_id"] == ids[0] and beta["state"]["computer_id"] == ids[1]
    assert manager.live() == 0


def test_a_client_that_vanishes_mid_episode_leaves_no_session(workspace: Path) -> None:
    manager = local_manager(workspace)
    with serving(manager) as url:
        async def vanish() -> None:
            socket = await connect(url.replace("http", "ws") + "/openenv/ws", additional_headers=AUTH)
            await socket.send('{"type": "reset", "data": {"computer_id": "%s"}}' % _ids(workspace)[0])
            await socket.recv()
            assert manager.live() == 1
            socket.transport.abort()  # no close frame: the connection just drops

        asyncio.run(vanish())
        deadline = time.monotonic() + 15
        while manager.live() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert manager.live() == 0


def test_a_websocket_without_the_token_is_refused(workspace: Path) -> None:
    with serving(local_manager(workspace)) as url:
        async def refused() -> None:
            with pytest.raises(Exception):
                async with GenericEnvClient(base_url=f"{url}/openenv") as env:
                    await env.reset(computer_id=_ids(workspace)[0])

        asyncio.run(refused())


def test_a_body_past_the_cap_is_refused_without_being_read_whole(workspace: Path) -> None:
    from synthcomp.serve.app import MAX_BODY

    with serving(local_manager(workspace)) as url, httpx2.Client(base_url=url, headers=AUTH) as http:
        answer = http.post("/sessions", content=b"{" + b" " * (MAX_BODY + 10) + b"}",
                           headers={"Content-Type": "application/json"})
        assert answer.status_code == 400 and "over" in answer.json()["error"]
