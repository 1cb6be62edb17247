"""The agent tries to take the host's memory: every transfer, action, cache and jail is bounded."""

from __future__ import annotations

import pytest

from synthcomp.computer.artifacts import extract
from tests.hostile.conftest import ALL, JAILS, call, host_memory_growth, shell

MB = 2**20
BOUND_MB = 150
"""How much the host process may grow during one attack (it holds a few capped answers)."""


@pytest.mark.parametrize("backend", JAILS)
def test_a_fifo_fed_a_gigabyte_is_refused_without_reading_it(backend, env_for):
    env = env_for(backend)
    with host_memory_growth() as growth:
        shell(env, "mkfifo ~/feed && (head -c 1G /dev/zero > ~/feed &) ; (setsid sh -c 'yes > ~/feed' &) ; echo started")
        observation, info = call(env, "read_file", path="feed")
        assert info["tool_error"] and "Not a regular file" in observation
        observation, info = call(env, "search_files", query="y")
        assert not info["tool_error"]
        assert growth() < BOUND_MB
    assert "started" not in shell(env, "echo next")  # the writers ended with their step


@pytest.mark.parametrize("backend", JAILS)
def test_a_file_larger_than_the_read_cap_is_an_error_not_a_transfer(backend, env_for):
    env = env_for(backend)
    shell(env, "head -c 40M /dev/zero > ~/Documents/huge.docx && head -c 40M /dev/urandom > ~/big.txt")
    with host_memory_growth() as growth:
        observation, info = call(env, "read_file", path="Documents/huge.docx")
        assert info["tool_error"] and "File too large" in observation
        observation, info = call(env, "read_file", path="big.txt", max_chars=1000)
        assert not info["tool_error"] and "the file goes on" in observation
        assert growth() < BOUND_MB


@pytest.mark.parametrize("backend", ALL)
def test_a_fifty_megabyte_action_is_refused_and_not_logged_whole(backend, env_for, tmp_path):
    env = env_for(backend)
    with host_memory_growth() as growth:
        huge = '{"tool": "write_file", "args": {"path": "x.txt", "content": "' + "A" * (50 * MB) + '"}}'
        observation, _, _, _, info = env.step(huge)
        del huge
        assert info["tool_error"] and "characters long" in observation
        assert growth() < 3 * 50 + BOUND_MB  # the action itself is the caller's; nothing beyond it is kept
    logged = sum(p.stat().st_size for p in env.run_dir.rglob("trajectory.jsonl"))
    assert logged < 2 * MB


@pytest.mark.parametrize("backend", JAILS)
def test_the_jail_has_a_memory_limit(backend, env_for):
    env = env_for(backend)
    observation = shell(env, "python3 -c 'b = bytearray(3 * 2**30); print(\"allocated\")'", timeout_s=60)
    assert "allocated\n" not in observation.split("[stderr]")[0]
    assert "MemoryError" in observation or "[exit 137]" in observation or "Killed" in observation
    assert shell(env, "echo alive").startswith("alive")


@pytest.mark.parametrize("backend", ["fake"])
def test_extraction_cache_is_bounded_and_freed_on_close(backend, env_for):
    env = env_for(backend)
    for i in range(6):
        rows = [[f"row {i}-{r}", r, f"text {r} " * 12] for r in range(1000)]
        spec = {"sheets": [{"name": "S", "columns": [{"name": "a", "type": "text"}, {"name": "n", "type": "int"},
                                                      {"name": "t", "type": "text"}], "rows": rows}]}
        observation, info = call(env, "create_document", path=f"Documents/big{i}.xlsx", kind="xlsx", spec=spec)
        assert not info["tool_error"], observation
        call(env, "read_file", path=f"Documents/big{i}.xlsx", max_chars=100)
    assert 0 < extract.cache_bytes() <= extract.CACHE_BYTES
    env.close()
    assert extract.cache_bytes() == 0
