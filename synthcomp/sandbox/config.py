"""Typed sandbox configuration: one model per backend, discriminated by ``type``.

``SandboxConfig`` parses ``{"type": "docker", ...}``, ``{"type": "local", ...}`` or
``{"type": "fake"}``; ``build()`` imports its backend lazily, so ``docker`` stays
optional for code that never starts a container (STYLE.md rule 1). Bad combinations
fail here, before anything is started, naming both fields.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal, Union, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, model_validator

from synthcomp.configfile import read_config_file
from synthcomp.errors import InputError

if TYPE_CHECKING:
    from synthcomp.sandbox.base import Sandbox


class _Common(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    max_output_bytes: int = Field(64 * 1024, ge=1024)
    """Per stream: beyond this, the head and tail halves of a command's output are kept."""
    flood_bytes: int = Field(32 * 2**20, ge=2**20)
    """A command that prints more than this in total is killed (``yes`` cannot run for long)."""
    start_timeout_s: float = Field(60, gt=0)
    """How long the jail may take to start and answer."""
    hostname: str | None = Field(None, pattern=r"^[A-Za-z0-9][A-Za-z0-9.-]{0,62}$")
    """The computer's hostname; default derived from the computer id."""
    snapshot_dir: Path | None = None
    """Where snapshots are kept; default ``~/.cache/synthcomp/snapshots``."""

    def build(self, tree: Path | None, *, os: str, username: str, computer_id: str) -> Sandbox:
        """Start this backend's sandbox for one computer.

        Args:
            tree: the computer's ``files/`` directory (holding ``drives/`` or ``Users/``),
                or None for an empty computer (e.g. to ``restore`` a snapshot into).
            os: "windows" or "macos".
            username: the synthetic user (``computer.profile.username``).
            computer_id: the computer's id; labels and snapshot names carry it.
        """
        raise NotImplementedError


class _Jail(_Common):
    """A real jail: its tree and /tmp live in memory, under one memory limit."""

    memory_mb: int = Field(1024, ge=128)
    """Memory limit of the whole jail (no swap); the tree's tmpfs and /tmp count against it."""
    disk_mb: int = Field(256, ge=16)
    """Size of the tmpfs holding the computer's tree: a full disk is ENOSPC, not a full host."""
    tmp_mb: int = Field(64, ge=1)
    """Size of /tmp (tmpfs)."""

    @model_validator(mode="after")
    def _disk_fits_in_memory(self):
        if self.disk_mb + self.tmp_mb + 16 > self.memory_mb - 96:
            raise ValueError(
                f"disk_mb ({self.disk_mb}) + tmp_mb ({self.tmp_mb}) must leave at least 96 MB of "
                f"memory_mb ({self.memory_mb}) free: the tree lives in memory, and a full disk must "
                "not starve the jail's processes"
            )
        return self


class DockerSandboxConfig(_Jail):
    """One container per computer from the offline-built image."""

    type: Literal["docker"] = "docker"
    image: str | None = None
    """Image tag; None means the tag the current recipe builds (``synthcomp image build``)."""
    cpus: float = Field(1.0, gt=0)
    """CPU limit (cores)."""
    pids: int = Field(256, ge=16)
    """Process limit: a fork bomb stops here."""
    spares: int = Field(1, ge=0, le=4)
    """Containers of the same computer started ahead, once it has been started twice in this process
    (an episode reset, a restore), so the next one only streams its tree in; 0 turns them off."""

    def build(self, tree: Path | None, *, os: str, username: str, computer_id: str) -> Sandbox:
        from synthcomp.sandbox.docker import DockerSandbox

        return DockerSandbox(tree, os=os, username=username, computer_id=computer_id, config=self)


class LocalSandboxConfig(_Jail):
    """A bubblewrap jail on this machine, for machines without Docker.

    ``memory_mb`` is a cgroup limit on the whole jail when synthcomp runs as root, and
    otherwise an address-space limit on each of its processes.
    """

    type: Literal["local"] = "local"
    max_processes: int = Field(512, ge=16)
    """Process limit of the jail (a fork bomb stops here)."""
    run_as: int = Field(65534, ge=1)
    """Host uid and gid bwrap runs as when synthcomp runs as root (never root itself)."""
    bwrap: str = "bwrap"
    """The bubblewrap binary."""
    python: str = "/usr/bin/python3"
    """The host's system Python 3 (standard library only), which runs the jail's supervisor."""

    def build(self, tree: Path | None, *, os: str, username: str, computer_id: str) -> Sandbox:
        from synthcomp.sandbox.local import LocalSandbox

        return LocalSandbox(tree, os=os, username=username, computer_id=computer_id, config=self)


class FakeSandboxConfig(BaseModel):
    """Files on a temp dir, canned command output: for unit tests of later layers."""

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    type: Literal["fake"] = "fake"
    responses: dict[str, str] = Field(default_factory=dict)
    """Command -> stdout. Any other command exits 127 ('not scripted')."""
    snapshot_dir: Path | None = None
    """Where snapshots are kept; default: a temp dir removed with the sandbox."""

    def build(self, tree: Path | None, *, os: str, username: str, computer_id: str) -> Sandbox:
        from synthcomp.sandbox.fake import FakeSandbox

        return FakeSandbox(tree, os=os, username=username, computer_id=computer_id, config=self)


SandboxConfig = Annotated[
    Union[DockerSandboxConfig, LocalSandboxConfig, FakeSandboxConfig], Field(discriminator="type")
]
"""Any backend's config; parse with ``TypeAdapter(SandboxConfig).validate_python({...})``."""

SANDBOX_NAMES = tuple(cls.model_fields["type"].default for cls in get_args(get_args(SandboxConfig)[0])
                      if cls is not FakeSandboxConfig)
"""What ``--sandbox`` takes, read off the union (the fake backend is for tests)."""


def sandbox_config(name: str, settings_file: Path | None = None) -> SandboxConfig:
    """The ``--sandbox`` backend's config, with the limits in ``--sandbox-config FILE`` (TOML:
    ``memory_mb``, ``disk_mb``, ``pids``, ``cpus``, ...; a ``type`` there wins over ``name``).

    Raises:
        InputError: an unknown backend, or a bad file (unknown key, value out of range).
    """
    if name not in SANDBOX_NAMES:
        raise InputError(f"--sandbox must be {' or '.join(SANDBOX_NAMES)}, got {name!r}")
    if settings_file is None:
        return TypeAdapter(SandboxConfig).validate_python({"type": name})
    return read_config_file(settings_file, "--sandbox-config", SandboxConfig, defaults={"type": name})
