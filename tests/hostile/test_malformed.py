"""Malformed actions come back as observations, on every backend, and the env goes on."""

from __future__ import annotations

import json

import pytest

from tests.hostile.conftest import ALL, call


def _nested(depth: int) -> dict:
    value: dict = {"leaf": 1}
    for _ in range(depth):
        value = {"x": value}
    return value


MALFORMED = {
    "json-100k-deep": '{"tool": "write_file", "args": ' + "[" * 100_000 + "]" * 100_000 + "}",
    "args-5000-deep": {"tool": "create_document", "args": {"path": "a.docx", "kind": "docx", "spec": _nested(5000)}},
    "lone-surrogate-text": '{"tool": "write_file", "args": {"path": "a.txt", "content": "\\ud800"}}',
    "lone-surrogate-dict": {"tool": "write_file", "args": {"path": "a\ud800.txt", "content": "x"}},
    "raw-surrogate-in-text": '{"tool": "write_file", "args": {"path": "b.txt", "content": "\ud800"}}',
    "bytes": b'{"tool": "list_dir", "args": {}}',
    "list": ["list_dir"],
    "none": None,
    "number": 7,
    "nan": '{"tool": "read_file", "args": {"path": "x", "max_chars": NaN}}',
    "non-json-value": {"tool": "write_file", "args": {"path": "x.txt", "content": object()}},
    "non-text-key": {"tool": "list_dir", "args": {1: "x"}},
    "long-name": {"tool": "write_file", "args": {"path": "x" * 300 + ".txt", "content": "x"}},
    "long-path": {"tool": "write_file", "args": {"path": "/".join(["d" * 200] * 30) + "/x.txt", "content": "x"}},
    "nul-in-path": {"tool": "read_file", "args": {"path": "a\0b"}},
    "huge-tool-name": {"tool": "t" * 100_000, "args": {}},
}


@pytest.mark.parametrize("backend", ALL)
def test_malformed_actions_are_tool_errors(backend, env_for):
    env = env_for(backend)
    for name, action in MALFORMED.items():
        observation, reward, terminated, truncated, info = env.step(action)
        assert info["tool_error"], name
        assert observation.startswith("error:") and len(observation) < 5000, (name, observation[:200])
        observation.encode("utf-8")  # always valid Unicode
    listing, info = call(env, "list_dir", path=".")
    assert not info["tool_error"] and "Documents" in listing
    for line in env.run_dir.joinpath("days/00/trajectory.jsonl").read_text(encoding="utf-8").splitlines():
        json.loads(line)  # every line of the trajectory stays JSON, whatever was sent
