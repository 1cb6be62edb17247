"""Markers for tests that need real infrastructure.

``docker`` and ``bwrap`` tests skip on a laptop that lacks the daemon or the binary,
but under CI (``CI=true``) a missing one is a failure: this project's machines have both
(STYLE.md, rule 14).
"""

from __future__ import annotations

import functools
import os
import shutil

import pytest


@functools.cache
def _missing(marker: str) -> str | None:
    """None when the infrastructure behind ``marker`` is here, else why it is not."""
    if marker == "docker":
        try:
            import docker

            docker.from_env().ping()
        except Exception as exc:  # any failure to reach the daemon means "not available"
            return f"Docker daemon not reachable: {exc}"
        return None
    if marker == "bwrap":
        return None if shutil.which("bwrap") else "bubblewrap (bwrap) is not installed"
    return None


@pytest.fixture(autouse=True)
def _require_marked_infrastructure(request: pytest.FixtureRequest) -> None:
    for marker in ("docker", "bwrap"):
        if request.node.get_closest_marker(marker) is None:
            continue
        reason = _missing(marker)
        if reason is None:
            continue
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI machines must have it: {reason}")
        pytest.skip(reason)
