"""Shared workspaces: creating computers is the slow part, so each is made once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from synthcomp.fleet.batch import CreateRequest, create_computers
from synthcomp.computer.show import load_computer
from synthcomp.models import Computer
from synthcomp.workspace import computer_dirs


def make_workspace(out: Path, n: int, seed: int, os_name: str = "mixed", workers: int = 2) -> list[Computer]:
    request = CreateRequest.from_cli(out=out, n=n, seed=seed, os_name=os_name, personas=None, workers=workers)
    return create_computers(request)


@pytest.fixture(scope="session")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """50 computers, half Windows and half macOS: the size the paper's Table 1 is checked at."""
    out = tmp_path_factory.mktemp("fleet")
    make_workspace(out, n=50, seed=2026)
    return out


@pytest.fixture(scope="session")
def fleet_computers(fleet: Path) -> list[tuple[Path, Computer]]:
    dirs = list(computer_dirs(fleet))
    return [(d, load_computer(d)) for d in dirs]
