"""Two small computers (one per OS) shared by the env tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthcomp.computer.batch import CreateRequest, create_computers
from synthcomp.workspace import computer_dir


@pytest.fixture(scope="session")
def computers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """{"windows": dir, "macos": dir}."""
    out = tmp_path_factory.mktemp("env-ws")
    request = CreateRequest.from_cli(out=out, n=2, seed=404, os_name="mixed", personas=None, workers=1)
    made = create_computers(request)
    return {c.policy.os: computer_dir(out, c.id) for c in made}
