"""Computer creation on Claude: the same four steps as the procedural brain (paper 2.1-2.3).

Each step sends the previous steps' models as JSON and asks for the next one as a
forced tool call whose schema is our pydantic model, so a reply either validates or is
sent back with the errors. Artifacts: the model writes the content (sections, tables,
numbers) and our writers produce the real files, as the paper's agents used office
skills; a derived file gets its sources' content in the prompt. OS noise, copies and
archive members need no model: they are derived exactly as the procedural brain does.
"""

from __future__ import annotations

import json

from pydantic import BaseModel

from synthcomp import ospath
from synthcomp.brains.base import ArtifactContext, Predecessor
from synthcomp.brains.model.client import ModelClient
from synthcomp.brains.procedural.content import ContentWriter
from synthcomp.errors import BrainError, InputError
from synthcomp.models import (
    ArchiveContent, Catalog, DeckContent, DocumentContent, FilePlan, FilesystemPolicy, ImageContent, OSName,
    Persona, PlannedFile, TextContent, UserProfile, WorkbookContent,
)

SYSTEM = ("You create realistic synthetic computers for long-horizon productivity simulation: the files a real "
          "professional would have. Be specific to the person's occupation, organization and projects; "
          "use realistic names, figures and dates; keep everything internally consistent.")
_CONTENT_MODELS: dict[str, type[BaseModel]] = {
    "docx": DocumentContent, "pdf": DocumentContent, "xlsx": WorkbookContent, "pptx": DeckContent,
    "csv": TextContent, "md": TextContent, "txt": TextContent, "json": TextContent, "py": TextContent,
    "eml": TextContent, "png": ImageContent, "jpg": ImageContent,
}
_PATH_STYLES = {"windows": "Windows style (C:\\Users\\<username>\\...)", "macos": "macOS style (/Users/<username>/...)"}
CONTEXT_CHARS = 12_000
"""How much of each predecessor's content goes into a prompt."""


def block(label: str, model: BaseModel | dict) -> str:
    """A labelled JSON block; prompts carry data this way so it is unambiguous."""
    data = model.model_dump(mode="json") if isinstance(model, BaseModel) else model
    return f"{label}:\n```json\n{json.dumps(data, ensure_ascii=False)}\n```"


def _source(predecessor: Predecessor) -> str:
    """A predecessor's content for the prompt, cut to ``CONTEXT_CHARS``."""
    text = predecessor.content.model_dump_json()
    data = predecessor.content.model_dump(mode="json") if len(text) <= CONTEXT_CHARS else {"truncated": text[:CONTEXT_CHARS]}
    return block(f"Source ({predecessor.kind}): {predecessor.file.path}", data)


class ModelCreationBrain:
    """Implements :class:`synthcomp.brains.base.CreationBrain` on Claude."""

    name = "claude"

    def __init__(self, client: ModelClient, catalog: Catalog, seed: int):
        self.client, self.catalog, self.seed = client, catalog, seed

    def user_profile(self, persona: Persona) -> UserProfile:
        return self.client.structured("creation", UserProfile, system=SYSTEM, prompt=(
            "Expand this persona into a detailed user profile: identity, occupation, organization, career stage, "
            "responsibilities, recent work, current projects, collaborators, common work products, and the "
            "computer-use traits that shape a filesystem (technical level, tidiness 0-1, naming preferences, "
            "organization style, document style).\n\n" + block("Persona", persona)))

    def filesystem_policy(self, profile: UserProfile, os_name: OSName) -> FilesystemPolicy:
        style = _PATH_STYLES[os_name]
        policy = self.client.structured("creation", FilesystemPolicy, system=SYSTEM, prompt=(
            f"Write the filesystem policy of this user's {os_name} computer: start time, the simulated now, drive "
            "layout, default paths (documents, desktop, downloads, pictures, screenshots, trash), the work root, "
            f"naming and organization conventions, storage and usage patterns. Paths in {style}; the username "
            f"is {profile.username}.\n\n" + block("User profile", profile)))
        if policy.os != os_name:
            raise BrainError(f"Claude planned a {policy.os} computer where {os_name} was asked for")
        return policy

    def file_plan(self, profile: UserProfile, policy: FilesystemPolicy) -> FilePlan:
        plan = self.client.structured("creation", FilePlan, system=SYSTEM, prompt=(
            "Plan the files on this computer (about 110: mostly DOCX, then XLSX, PDF, PPTX, plus CSV, MD, TXT, "
            "JSON, PY, EML, PNG/JPG, ZIP): logical paths in the computer's OS style following its conventions, "
            "artifact type, title, description, timestamp before 'now', origin and content mode, and the "
            "dependency edges (references, derived_from, later_version_of, extracted_from; sources are older "
            "than targets; no cycles).\n\n" + block("User profile", profile) + "\n\n" + block("Filesystem policy", policy)))
        for f in plan.files:
            try:
                ospath.to_physical(policy.os, f.path)
            except InputError as exc:
                raise BrainError(f"Claude planned a path the computer cannot hold: {exc}") from None
        return plan

    def artifact_content(self, file: PlannedFile, context: ArtifactContext):
        if file.content_mode in {"system", "copy", "extract"}:
            industry = self.catalog.industry(context.profile.industry) if context.profile.industry in {
                i.key for i in self.catalog.industries} else self.catalog.industries[0]
            return ContentWriter(file, context, industry, self.seed).write()
        if file.artifact_type == "zip":
            members = [self.artifact_content(m.model_copy(update={"content_mode": "synthesize"}),
                                             ArtifactContext(profile=context.profile, policy=context.policy))
                       for m in context.archive_members]
            return ArchiveContent.model_validate({"members": [
                {"name": ospath.name(context.policy.os, m.path), "content": c.model_dump(mode="json")}
                for m, c in zip(context.archive_members, members)]})
        model = _CONTENT_MODELS.get(file.artifact_type)
        if model is None:
            raise BrainError(f"no content model for {file.artifact_type} files")
        sources = "\n\n".join(_source(p) for p in context.predecessors)
        return self.client.structured("creation", model, system=SYSTEM, prompt=(
            f"Write the content of this {file.artifact_type.upper()} file as its author would. A file derived from "
            "a workbook must quote that workbook's figures exactly; a later version must be a real revision of the "
            "earlier one.\n\n" + block("File", file) + "\n\n" + block("Author profile", context.profile)
            + (f"\n\n{sources}" if sources else "")))
