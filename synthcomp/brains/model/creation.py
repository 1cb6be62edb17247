"""Computer creation on Claude: the same four steps as the procedural brain (paper 2.1-2.3).

Each step sends the previous steps' models as JSON and asks for the next one as a
forced tool call whose schema is our pydantic model, so a reply either validates or is
sent back with the errors. Artifacts: the model writes the content (sections, tables,
numbers) and our writers produce the real files, as the paper's agents used office
skills; a derived file gets its sources' content in the prompt. OS noise, copies and
archive members need no model: they are derived exactly as the procedural brain does.

Every rule a step's answer must keep for the computer to be written is part of its
validation (repair, then degrade: DESIGN.md, "Brains"): the profile names the people
and tools content is written with, the policy is for the OS asked and its folders can be
held, the plan keeps the rules of :mod:`plan_rules`, and an image chart has its data. A
problem goes back to the model; one that persists is degraded (a field filled in or
mapped, an edge dropped, a file made standalone) or, when nothing usable came back, the
procedural brain writes that step, and the run's usage records a warning. One bad field
never costs the computer.
"""

from __future__ import annotations

import json

from pydantic import BaseModel

from synthcomp import ospath
from synthcomp.brains.base import ArtifactContext, Predecessor
from synthcomp.brains.model.client import ModelClient
from synthcomp.brains.model.plan_rules import FilePlanDraft, as_draft, as_plan, naive_utc, plan_problems, review
from synthcomp.brains.model.repair import summary
from synthcomp.brains.procedural import ProceduralCreationBrain
from synthcomp.brains.procedural.content import ContentWriter
from synthcomp.errors import BrainError
from synthcomp.models import (
    ArchiveContent, ArtifactContent, Catalog, DeckContent, DocumentContent, FilePlan, FilesystemPolicy, ImageContent,
    Industry, OSName, Persona, PlannedFile, TextContent, UserProfile, WorkbookContent,
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
POLICY_FOLDERS = ("documents", "desktop", "downloads", "pictures", "screenshots")
"""The default paths a policy must name: files are planned, and attachments land, in them."""


def block(label: str, model: BaseModel | dict) -> str:
    """A labelled JSON block; prompts carry data this way so it is unambiguous."""
    data = model.model_dump(mode="json") if isinstance(model, BaseModel) else model
    return f"{label}:\n```json\n{json.dumps(data, ensure_ascii=False)}\n```"


def _source(predecessor: Predecessor) -> str:
    """A predecessor's content for the prompt, cut to ``CONTEXT_CHARS``."""
    text = predecessor.content.model_dump_json()
    data = predecessor.content.model_dump(mode="json") if len(text) <= CONTEXT_CHARS else {"truncated": text[:CONTEXT_CHARS]}
    return block(f"Source ({predecessor.kind}): {predecessor.file.path}", data)


def profile_problems(profile: UserProfile) -> list[str]:
    """What content writing needs of a profile beyond its schema: people to author and send
    files, a tool to screenshot, an address for the e-mails."""
    problems = []
    if not profile.collaborators:
        problems.append("collaborators: list the user's colleagues (at least one): files are written by and sent to them")
    if not profile.preferred_tools:
        problems.append("preferred_tools: list at least one tool the user works in")
    if "@" not in profile.email:
        problems.append(f"email {profile.email!r} is not an e-mail address")
    return problems


def _folder_problem(os_name: str, folder: str) -> str | None:
    """Why a folder of the policy cannot hold files (None: it can)."""
    return ospath.unholdable(os_name, ospath.join(os_name, folder, "file")) if folder else "it is empty"


def policy_problems(policy: FilesystemPolicy, os_name: OSName) -> list[str]:
    """What planning needs of a policy beyond its schema: the OS asked for, folders a
    computer of that OS can hold (the default ones among them), time running forward."""
    if policy.os != os_name:
        return [f"os is {policy.os!r}, but this is a {os_name} computer (paths in its style too)"]
    problems = [f"{name} {path!r}: {why}" for name, path in (("home", policy.home), ("work_root", policy.work_root))
                if (why := _folder_problem(os_name, path))]
    for key in POLICY_FOLDERS:
        if key not in policy.default_paths:
            problems.append(f"default_paths has no {key!r} (it needs {', '.join(POLICY_FOLDERS)})")
        elif why := _folder_problem(os_name, policy.default_paths[key]):
            problems.append(f"default_paths.{key} {policy.default_paths[key]!r}: {why}")
    if naive_utc(policy.start_time) >= naive_utc(policy.now):
        problems.append("start_time must be before now")
    return problems


def content_problems(content: BaseModel) -> list[str]:
    """What rendering needs of content beyond its schema: a chart image has its chart."""
    if isinstance(content, ImageContent) and content.style == "chart" and content.chart is None:
        return ["style 'chart' needs the chart itself (chart: title, categories, series); or use style 'scan'"]
    return []


class ModelCreationBrain:
    """Implements :class:`synthcomp.brains.base.CreationBrain` on Claude."""

    name = "claude"

    def __init__(self, client: ModelClient, catalog: Catalog, seed: int):
        self.client, self.catalog, self.seed = client, catalog, seed
        self.fallback = ProceduralCreationBrain(catalog, seed)
        """Writes a step, or fills in a field, when the model's answer stays unusable."""

    def user_profile(self, persona: Persona) -> UserProfile:
        profile = self.client.structured("creation", UserProfile, system=SYSTEM, prompt=(
            "Expand this persona into a detailed user profile: identity, occupation, organization, career stage, "
            "responsibilities, recent work, current projects, collaborators, common work products, and the "
            "computer-use traits that shape a filesystem (technical level, tidiness 0-1, naming preferences, "
            "organization style, document style).\n\n" + block("Persona", persona)),
            check=profile_problems, degrade=lambda got: self._profile_degraded(got, persona))
        return profile.model_copy(update={"active_projects": [
            p.model_copy(update={"start": naive_utc(p.start)}) for p in profile.active_projects]})

    def _profile_degraded(self, got: UserProfile | None, persona: Persona) -> tuple[UserProfile, str]:
        """The model's profile with what it lacks taken from the procedural one (or that one whole)."""
        base = self.fallback.user_profile(persona)
        if got is None:
            return base, "used the procedural profile"
        filled = {key: getattr(base, key) for key, empty in (
            ("collaborators", not got.collaborators), ("preferred_tools", not got.preferred_tools),
            ("email", "@" not in got.email)) if empty}
        return got.model_copy(update=filled), f"took {', '.join(filled)} from the procedural profile"

    def filesystem_policy(self, profile: UserProfile, os_name: OSName) -> FilesystemPolicy:
        style = _PATH_STYLES[os_name]
        policy = self.client.structured("creation", FilesystemPolicy, system=SYSTEM, prompt=(
            f"Write the filesystem policy of this user's {os_name} computer: start time, the simulated now, drive "
            "layout, default paths (documents, desktop, downloads, pictures, screenshots, trash), the work root, "
            f"naming and organization conventions, storage and usage patterns. Paths in {style}; the username "
            f"is {profile.username}.\n\n" + block("User profile", profile)),
            check=lambda got: policy_problems(got, os_name),
            degrade=lambda got: self._policy_degraded(got, profile, os_name))
        return policy.model_copy(update={"start_time": naive_utc(policy.start_time), "now": naive_utc(policy.now)})

    def _policy_degraded(self, got: FilesystemPolicy | None, profile: UserProfile,
                         os_name: OSName) -> tuple[FilesystemPolicy, str]:
        """The model's policy with each folder it got wrong (and a backward time axis) taken
        from the procedural one; that one whole for another OS or no answer."""
        base = self.fallback.filesystem_policy(profile, os_name)
        if got is None or got.os != os_name:
            return base, "used the procedural policy"
        fixed: dict = {key: getattr(base, key) for key in ("home", "work_root")
                       if _folder_problem(os_name, getattr(got, key))}
        paths = {key: path for key, path in got.default_paths.items() if not _folder_problem(os_name, path)}
        missing = [key for key in POLICY_FOLDERS if key not in paths]
        if missing:
            fixed["default_paths"] = {**paths, **{key: base.default_paths[key] for key in missing}}
        if naive_utc(got.start_time) >= naive_utc(got.now):
            fixed.update(start_time=base.start_time, now=base.now)
        taken = [*fixed.keys() - {"default_paths"}, *(f"default_paths.{key}" for key in missing)]
        return got.model_copy(update=fixed), f"took {', '.join(sorted(taken))} from the procedural policy"

    def file_plan(self, profile: UserProfile, policy: FilesystemPolicy) -> FilePlan:
        draft = self.client.structured("creation", FilePlanDraft, system=SYSTEM, prompt=(
            "Plan the files on this computer (about 110: mostly DOCX, then XLSX, PDF, PPTX, plus CSV, MD, TXT, "
            "JSON, PY, EML, PNG/JPG, ZIP): logical paths in the computer's OS style following its conventions, "
            "artifact type, title, description, timestamp before 'now', origin and content mode, and the "
            "dependency edges (references, derived_from, later_version_of, extracted_from; sources are older "
            "than targets; no cycles). A file extracted from a zip has content_mode 'extract' and one "
            "extracted_from edge from that zip; a duplicate ('Report (1).docx') has content_mode 'copy' and one "
            "derived_from edge from the file it copies; OS noise (Thumbs.db, .DS_Store, ~$ lock files) is type "
            "and content_mode 'system'.\n\n" + block("User profile", profile) + "\n\n"
            + block("Filesystem policy", policy)),
            check=lambda got: plan_problems(got, policy), degrade=lambda got: self._plan_degraded(got, profile, policy))
        return as_plan(draft)

    def _plan_degraded(self, got: FilePlanDraft | None, profile: UserProfile,
                       policy: FilesystemPolicy) -> tuple[FilePlanDraft, str]:
        """The model's plan with its broken rules fixed, or the procedural plan when no file is left."""
        if got is not None:
            fixed, findings = review(got, policy)
            if fixed.files:
                return fixed, f"kept the plan, fixed: {summary(findings)}"
        plan = self.fallback.file_plan(profile.model_copy(update={"industry": self._industry(profile).key}), policy)
        fixed, findings = review(as_draft(plan), policy)
        return fixed, "used the procedural file plan" + (f", fixed: {summary(findings)}" if findings else "")

    def artifact_content(self, file: PlannedFile, context: ArtifactContext) -> ArtifactContent:
        if file.content_mode in {"system", "copy", "extract"}:
            return ContentWriter(file, context, self._industry(context.profile), self.seed).write()
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
            + (f"\n\n{sources}" if sources else "")),
            check=content_problems, degrade=lambda _: (self._standalone(file, context),
                                                       f"{file.path}: written procedurally, standalone"))

    def _standalone(self, file: PlannedFile, context: ArtifactContext) -> ArtifactContent:
        """The procedural content of ``file`` written on its own: the model's sources may be
        shaped in ways the procedural writer does not read (ragged rows, no numeric column)."""
        alone = ArtifactContext(profile=context.profile, policy=context.policy)
        return ContentWriter(file.model_copy(update={"content_mode": "synthesize"}), alone,
                             self._industry(context.profile), self.seed).write()

    def _industry(self, profile: UserProfile) -> Industry:
        """The catalog industry a profile names (by key or name), else the catalog's first:
        the procedural writers draw their vocabulary from one."""
        wanted = profile.industry.lower()
        return next((i for i in self.catalog.industries if wanted in {i.key.lower(), i.name.lower()}),
                    self.catalog.industries[0])
