"""Sandboxes: one jail per synthetic computer (DESIGN.md, "Sandbox contract").

``Sandbox`` (base.py) is the contract, implemented once on top of a ``Link`` (link.py)
to the jail's supervisor (``inside/``: PID 1 of every jail, which does all file work
and runs the agent's commands where they cannot reach it). ``DockerSandbox``
(docker.py) and ``LocalSandbox`` (local.py, bubblewrap) differ only in starting the
jail; ``FakeSandbox`` (fake.py) runs the same supervisor code in-process for unit tests. Pick a backend with a typed config (config.py)::

    from pydantic import TypeAdapter
    config = TypeAdapter(SandboxConfig).validate_python({"type": "docker"})
    with config.build(computer_dir / "files", os="windows", username="ana", computer_id="c1") as sb:
        sb.exec("ls Documents")

Backends import lazily, so importing this package needs neither Docker nor bwrap.
"""

from synthcomp.sandbox.base import ExecResult, Sandbox, SnapshotRef
from synthcomp.sandbox.config import DockerSandboxConfig, FakeSandboxConfig, LocalSandboxConfig, SandboxConfig
from synthcomp.sandbox.paths import Layout, to_os_path, to_sandbox_path

__all__ = [
    "DockerSandboxConfig", "ExecResult", "FakeSandboxConfig", "Layout", "LocalSandboxConfig", "Sandbox",
    "SandboxConfig", "SnapshotRef", "to_os_path", "to_sandbox_path",
]
