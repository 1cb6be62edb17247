"""The procedural creation brain: seeded, offline, the default (DESIGN.md "Brains").

Deterministic from ``seed``: the same persona and seed give the same profile, policy,
plan and contents, whatever order the calls come in.
"""

from __future__ import annotations

from synthcomp.brains.base import ArtifactContext
from synthcomp.brains.procedural.content import ContentWriter
from synthcomp.brains.procedural.plan import build_plan
from synthcomp.brains.procedural.policy import build_policy
from synthcomp.brains.procedural.profile import build_profile
from synthcomp.models import (
    ArtifactContent, Catalog, FilePlan, FilesystemPolicy, OSName, Persona, PlannedFile, UserProfile,
)


class ProceduralCreationBrain:
    """Implements :class:`synthcomp.brains.base.CreationBrain` from templates and the catalog."""

    name = "procedural"

    def __init__(self, catalog: Catalog, seed: int):
        self.catalog, self.seed = catalog, seed

    def user_profile(self, persona: Persona) -> UserProfile:
        return build_profile(persona, self.catalog, self.seed)

    def filesystem_policy(self, profile: UserProfile, os_name: OSName) -> FilesystemPolicy:
        return build_policy(profile, os_name, self.seed)

    def file_plan(self, profile: UserProfile, policy: FilesystemPolicy) -> FilePlan:
        return build_plan(profile, policy, self.catalog.industry(profile.industry), self.seed)

    def artifact_content(self, file: PlannedFile, context: ArtifactContext) -> ArtifactContent:
        industry = self.catalog.industry(context.profile.industry)
        return ContentWriter(file, context, industry, self.seed).write()
