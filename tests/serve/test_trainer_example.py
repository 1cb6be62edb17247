"""The trainer example (examples/trainer_openenv.py) against a live server: concurrent
remote sessions, each a month whose daily rewards come back through openenv-core's client."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest

from synthcomp.workspace import computer_dirs
from tests.serve.conftest import TOKEN, local_manager, serving

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "trainer_openenv.py"


def _example():
    spec = importlib.util.spec_from_file_location("trainer_openenv", EXAMPLE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.bwrap
def test_the_trainer_example_plays_remote_months_and_collects_rewards(workspace: Path) -> None:
    trainer = _example()
    manager = local_manager(workspace)
    ids = [d.name for d in computer_dirs(workspace)]
    with serving(manager) as url:
        async def both() -> list[list[float]]:
            return await asyncio.gather(*(trainer.play(url, TOKEN, ids[i], "scripted", i, 2) for i in range(2)))

        months = asyncio.run(both())
    assert [len(m) for m in months] == [2, 2]
    assert all(sum(m) > 0 for m in months)  # the scripted worker earns reward remotely, as in-process
    assert manager.live() == 0
