"""The generative roles of computer creation, as one interface with two backends.

``procedural`` (seeded, offline, the default) and ``claude`` (anthropic SDK, a later
issue) both implement :class:`CreationBrain`; the pipeline in ``synthcomp.computer``
only ever talks to this interface, so swapping the backend changes no other code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from synthcomp.models import (
    ArtifactContent,
    EdgeKind,
    FilePlan,
    FilesystemPolicy,
    OSName,
    Persona,
    PlannedFile,
    UserProfile,
)


@dataclass(frozen=True)
class Predecessor:
    """A file the one being written depends on, with the content it was written with."""

    file: PlannedFile
    kind: EdgeKind
    content: ArtifactContent


@dataclass(frozen=True)
class ArtifactContext:
    """Everything a brain may condition one artifact on (paper 2.3, Figure 3)."""

    profile: UserProfile
    policy: FilesystemPolicy
    predecessors: list[Predecessor] = field(default_factory=list)
    archive_members: list[PlannedFile] = field(default_factory=list)
    """For a ZIP: the planned files that will later be extracted from it."""


class CreationBrain(Protocol):
    """Grows a persona into a computer, one structured step at a time.

    Every method returns a validated pydantic model; a backend that cannot produce
    one raises :class:`synthcomp.errors.BrainError`. Calls are independent of their
    order: a seeded backend derives each call's randomness from the seed and the call's
    inputs, so creating files in parallel or resuming gives the same result.
    """

    name: str

    def user_profile(self, persona: Persona) -> UserProfile:
        """Expand a one-line persona into a full user profile (paper 2.1)."""
        ...

    def filesystem_policy(self, profile: UserProfile, os_name: OSName) -> FilesystemPolicy:
        """Decide the computer's conventions: drives, default paths, time axis (paper 2.2.1)."""
        ...

    def file_plan(self, profile: UserProfile, policy: FilesystemPolicy) -> FilePlan:
        """Plan the file inventory and its dependency DAG (paper 2.2.2)."""
        ...

    def artifact_content(self, file: PlannedFile, context: ArtifactContext) -> ArtifactContent:
        """Write the content of one planned file, quoting its predecessors (paper 2.3)."""
        ...
