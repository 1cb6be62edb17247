"""Markers for tests that need real infrastructure, and the render service kept out of the way.

``docker`` and ``bwrap`` tests skip on a laptop that lacks the daemon or the binary,
but under CI (``CI=true``) a missing one is a failure: this project's machines have both
(STYLE.md, rule 14).

Commands render in-process here (``SYNTHCOMP_RENDER_SERVICE=0``): a test never reaches
the user's own render service nor leaves one running. The service's tests
(tests/render/test_service.py) turn it on with a folder of their own.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

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


@pytest.fixture(scope="session", autouse=True)
def _render_in_process() -> Iterator[None]:
    before = os.environ.get("SYNTHCOMP_RENDER_SERVICE")
    os.environ["SYNTHCOMP_RENDER_SERVICE"] = "0"
    yield
    if before is None:
        os.environ.pop("SYNTHCOMP_RENDER_SERVICE", None)
    else:
        os.environ["SYNTHCOMP_RENDER_SERVICE"] = before


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


@pytest.fixture(scope="session")
def computers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two small computers made by ``synthcomp create`` (one per OS): {"windows": dir, "macos": dir}."""
    from synthcomp.fleet.batch import CreateRequest, create_computers
    from synthcomp.workspace import computer_dir

    out = tmp_path_factory.mktemp("env-ws")
    request = CreateRequest.from_cli(out=out, n=2, seed=404, os_name="mixed", personas=None, workers=1)
    made = create_computers(request)
    return {c.policy.os: computer_dir(out, c.id) for c in made}
