"""The rules a model-written file plan keeps, and how a plan that breaks them is degraded.

``FilePlan``'s own validator (unique ids, edges between known files) guards plans read
from disk. A model answers with a :class:`FilePlanDraft`, whose schema states no rule
across files, so that every rule is checked here: :func:`review` names each problem in
words the model can act on (the repair turn) and fixes it (the degradation) in one
place. The rules are what writing the files (``computer.materialize``, the content
writers, the ZIP writer) would otherwise fail on, or get silently wrong:

- closed sets (types, origins, content modes, edge kinds) hold known values;
- OS noise is ``system`` in type and content mode alike, and a file's name fits its type;
- every path can be held (:func:`synthcomp.ospath.unholdable`), is unique, and is not
  also a folder of another file or of the policy;
- edges name files of the plan and form no cycle;
- a file extracted from an archive has exactly one ``extracted_from`` edge, from a zip
  written from its members, and a name of its own in it; an ``extract`` file has one;
- a copy has exactly one incoming edge: ``derived_from`` a file of its own type.

Degrading drops what cannot be kept (an edge, a file that cannot be held), maps a stray
value to the nearest valid one, and makes a file whose source is gone standalone
(content mode ``synthesize``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

import networkx as nx
from pydantic import ConfigDict, Field

from synthcomp import ospath
from synthcomp.brains.model.repair import Finding, closed, nearest, stray
from synthcomp.models import (
    ArtifactType, ContentMode, EdgeKind, FileEdge, FilePlan, FilesystemPolicy, Origin, PlannedFile, Strict,
)

EXTENSION_TYPES = {"docx": "docx", "xlsx": "xlsx", "pptx": "pptx", "pdf": "pdf", "csv": "csv", "md": "md",
                   "txt": "txt", "json": "json", "py": "py", "eml": "eml", "png": "png", "jpg": "jpg",
                   "jpeg": "jpg", "zip": "zip"}
"""The type an extension names (as the ZIP writer types archive members)."""
TEXT_TYPES = {"csv", "md", "txt", "json", "py", "eml"}
"""Plain-text types: any file name suits them."""
WRITTEN_FROM_MEMBERS = {"synthesize", "download", "revise"}
"""Content modes of a zip whose content is written from its members, so each can be extracted."""

AnyArtifactType = closed(ArtifactType)
AnyOrigin = closed(Origin)
AnyContentMode = closed(ContentMode)
AnyEdgeKind = closed(EdgeKind)


class PlannedFileDraft(PlannedFile):
    """A planned file as the model writes it: its closed sets are enums it may stray from."""

    model_config = ConfigDict(title="PlannedFile")

    artifact_type: AnyArtifactType
    origin: AnyOrigin
    content_mode: AnyContentMode


class FileEdgeDraft(FileEdge):
    """An edge as the model writes it."""

    model_config = ConfigDict(title="FileEdge")

    kind: AnyEdgeKind


class FilePlanDraft(Strict):
    """A file plan as the model writes it (the tool's schema keeps the title FilePlan)."""

    model_config = ConfigDict(title="FilePlan")

    files: list[PlannedFileDraft]
    edges: list[FileEdgeDraft] = Field(description="source -> target: the target depends on the older source.")


def naive_utc(when: datetime) -> datetime:
    """``when`` as the naive UTC time plans hold (a model may add an offset to some times)."""
    return when.astimezone(timezone.utc).replace(tzinfo=None) if when.tzinfo else when


@dataclass
class _Work:
    """A plan being reviewed: copies of its files and edges, and what was found so far."""

    files: list[PlannedFileDraft]
    edges: list[FileEdgeDraft]
    policy: FilesystemPolicy
    findings: list[Finding] = field(default_factory=list)

    def found(self, problem: str, action: str) -> None:
        self.findings.append(Finding(problem, action))

    def drop_file(self, file: PlannedFileDraft, *, with_edges: bool = True) -> None:
        self.files = [f for f in self.files if f is not file]
        if with_edges:
            self.edges = [e for e in self.edges if file.id not in (e.source, e.target)]

    def drop_edges(self, doomed: Callable[[FileEdgeDraft], bool]) -> None:
        self.edges = [e for e in self.edges if not doomed(e)]

    def by_id(self) -> dict[str, PlannedFileDraft]:
        return {f.id: f for f in self.files}


def _closed_sets(work: _Work) -> None:
    """Stray types, origins and modes map to the nearest valid value (a type first by the
    file's extension); an edge of an unknown kind maps too, or is dropped."""
    for i, f in enumerate(work.files):
        where = f"files[{i}] ({f.id})"
        if problem := stray(f"{where}: artifact_type", f.artifact_type, ArtifactType):
            mapped = EXTENSION_TYPES.get(ospath.extension(f.path)) or nearest(f.artifact_type, ArtifactType, "docx")
            work.found(problem, f"{f.id}: type {f.artifact_type!r} read as {mapped!r}")
            f.artifact_type = mapped
        if problem := stray(f"{where}: origin", f.origin, Origin):
            mapped = nearest(f.origin, Origin, "self")
            work.found(problem, f"{f.id}: origin {f.origin!r} read as {mapped!r}")
            f.origin = mapped
        if problem := stray(f"{where}: content_mode", f.content_mode, ContentMode):
            mapped = nearest(f.content_mode, ContentMode, "synthesize")
            work.found(problem, f"{f.id}: content mode {f.content_mode!r} read as {mapped!r}")
            f.content_mode = mapped
    for e in list(work.edges):
        if problem := stray(f"edge {e.source}->{e.target}: kind", e.kind, EdgeKind):
            mapped = nearest(e.kind, EdgeKind, None)
            work.found(problem, f"edge {e.source}->{e.target}: kind {e.kind!r} "
                                + (f"read as {mapped!r}" if mapped else "unknown, edge dropped"))
            if mapped:
                e.kind = mapped
            else:
                work.drop_edges(lambda x, e=e: x is e)


def _system_files(work: _Work) -> None:
    """OS noise is a ``system`` file written in ``system`` mode; nothing else is either."""
    for f in work.files:
        if (f.artifact_type == "system") != (f.content_mode == "system"):
            mode = "system" if f.artifact_type == "system" else "synthesize"
            work.found(f"{f.id}: OS noise has artifact_type 'system' and content_mode 'system', other files "
                       f"neither; this one has {f.artifact_type!r} and {f.content_mode!r}",
                       f"{f.id}: content mode {f.content_mode!r} -> {mode!r}")
            f.content_mode = mode


def _extensions(work: _Work) -> None:
    """A file's name fits its type: an extension that names a type is that type (the ZIP
    writer types members by it); an office, image or archive file ends in its type."""
    for f in work.files:
        if f.artifact_type == "system":
            continue
        extension = ospath.extension(f.path)
        named = EXTENSION_TYPES.get(extension)
        if named is not None and named != f.artifact_type:
            work.found(f"{f.id}: {ospath.basename(f.path)!r} is a {named} file by its name, but its artifact_type "
                       f"is {f.artifact_type!r}", f"{f.id}: type {f.artifact_type!r} -> {named!r} (its name)")
            f.artifact_type = named
        elif named is None and f.artifact_type not in TEXT_TYPES:
            renamed = f"{f.path}.{f.artifact_type}"
            work.found(f"{f.id}: a {f.artifact_type} file's name ends in .{f.artifact_type}; "
                       f"{ospath.basename(f.path)!r} does not", f"{f.id}: renamed to {ospath.basename(renamed)!r}")
            f.path = renamed


def _paths(work: _Work) -> None:
    """Every path can be held; a file that cannot is dropped with its edges."""
    for f in list(work.files):
        if why := ospath.unholdable(work.policy.os, f.path):
            work.found(f"{f.id}: path {f.path!r} cannot be held: {why}", f"dropped {f.id} ({why})")
            work.drop_file(f)


def _unique(work: _Work) -> None:
    """Ids and paths (case-insensitively, as Windows and macOS compare them) are unique,
    and no file's path is a folder: of another file, or one the policy names."""
    ids: set[str] = set()
    paths: dict[str, str] = {}
    for f in list(work.files):
        key = _key(work.policy.os, f.path)
        if f.id in ids:
            work.found(f"id {f.id!r} is used by more than one file; ids are unique",
                       f"dropped the second file with id {f.id} ({f.path})")
            work.drop_file(f, with_edges=False)  # its edges stay with the first
        elif key in paths:
            work.found(f"{f.id} and {paths[key]} have the same path {f.path!r}; paths are unique, case-insensitively",
                       f"dropped {f.id} (same path as {paths[key]})")
            work.drop_file(f)
        else:
            ids.add(f.id)
            paths[key] = f.id
    policy = work.policy
    folders = {_key(policy.os, p) for p in (policy.home, policy.work_root, *policy.default_paths.values())
               if not ospath.unholdable(policy.os, p)}
    folders |= {parent for f in work.files for parent in _parents(_key(policy.os, f.path))}
    for f in list(work.files):
        if _key(policy.os, f.path) in folders:
            work.found(f"{f.id}: {f.path!r} is a folder (of other files or of the filesystem policy), so it "
                       "cannot also be a file", f"dropped {f.id} (its path is a folder)")
            work.drop_file(f)


def _key(os_name: str, path: str) -> str:
    """How two holdable paths compare: their place on disk, case-insensitively."""
    return str(ospath.to_physical(os_name, path)).lower()


def _parents(key: str) -> list[str]:
    parts = key.split("/")
    return ["/".join(parts[:i]) for i in range(1, len(parts))]


def _edge_ends(work: _Work) -> None:
    """Edges connect two different files of the plan."""
    ids = {f.id for f in work.files}
    for e in list(work.edges):
        missing = [x for x in dict.fromkeys((e.source, e.target)) if x not in ids]
        if missing:
            work.found(f"edge {e.source}->{e.target} ({e.kind}) names {', '.join(missing)}, which is not the id of a "
                       f"file in the plan", f"dropped edge {e.source}->{e.target} (unknown {', '.join(missing)})")
        elif e.source == e.target:
            work.found(f"edge {e.source}->{e.target}: a file cannot depend on itself",
                       f"dropped edge {e.source}->{e.target} (a loop)")
        else:
            continue
        work.drop_edges(lambda x, e=e: x is e)


def _cycles(work: _Work) -> None:
    """The edges form a DAG: each cycle loses the edge from its newest source (a file
    depends on older files, so that edge is the likeliest slip)."""
    graph = nx.DiGraph([(e.source, e.target) for e in work.edges])
    when = {f.id: naive_utc(f.timestamp) for f in work.files}
    while True:
        try:
            cycle = nx.find_cycle(graph)
        except nx.NetworkXNoCycle:
            return
        source, target = max(cycle, key=lambda edge: when[edge[0]])[:2]
        loop = " -> ".join([*(edge[0] for edge in cycle), cycle[0][0]])
        work.found(f"the edges {loop} form a cycle; a file depends only on files older than itself",
                   f"dropped edge {source}->{target} to break a cycle")
        work.drop_edges(lambda e: (e.source, e.target) == (source, target))
        graph.remove_edge(source, target)


def _archives(work: _Work) -> None:
    """Each extracted file comes out of one zip written from its members, under a name of its own."""
    files = work.by_id()
    for e in [e for e in work.edges if e.kind == "extracted_from"]:
        source, target = files[e.source], files[e.target]
        if source.artifact_type != "zip" or source.content_mode not in WRITTEN_FROM_MEMBERS:
            what = (f"a {source.artifact_type} file" if source.artifact_type != "zip"
                    else f"a zip with content_mode {source.content_mode!r}")
            problem = (f"edge {e.source}->{e.target} (extracted_from): {e.source} is {what}; files are extracted from "
                       "a zip written from its members (content_mode synthesize, download or revise)")
        elif target.content_mode != "extract":
            problem = (f"edge {e.source}->{e.target} (extracted_from): {e.target} has content_mode "
                       f"{target.content_mode!r}; a file extracted from an archive has content_mode 'extract'")
        else:
            continue
        work.found(problem, f"dropped edge {e.source}->{e.target} (not a valid extraction)")
        work.drop_edges(lambda x, e=e: x is e)
    extracted: dict[str, str] = {}
    names: dict[tuple[str, str], str] = {}
    for e in [e for e in work.edges if e.kind == "extracted_from"]:
        name = ospath.name(work.policy.os, files[e.target].path).lower()
        if e.target in extracted:
            problem = f"{e.target} has more than one extracted_from edge; a file comes out of one archive"
        elif (e.source, name) in names:
            problem = (f"{e.source} would hold two members named {name!r} ({names[e.source, name]} and {e.target}); "
                       "the members of one archive have distinct names")
        else:
            extracted[e.target] = e.source
            names[e.source, name] = e.target
            continue
        work.found(problem, f"dropped edge {e.source}->{e.target} (a second extraction)")
        work.drop_edges(lambda x, e=e: x is e)
    for f in work.files:
        if f.content_mode == "extract" and f.id not in extracted:
            work.found(f"{f.id} has content_mode 'extract' but no extracted_from edge from the zip that holds it",
                       f"{f.id} made standalone (content mode 'synthesize')")
            f.content_mode = "synthesize"


def _copies(work: _Work) -> None:
    """A copy has exactly one incoming edge: ``derived_from`` the file of its type it copies."""
    files = work.by_id()
    for f in work.files:
        if f.content_mode != "copy":
            continue
        incoming = [e for e in work.edges if e.target == f.id]
        original = next((e for e in incoming if e.kind == "derived_from"
                         and files[e.source].artifact_type == f.artifact_type), None)
        if original is None:
            work.found(f"{f.id} has content_mode 'copy' but no derived_from edge from a {f.artifact_type} file to copy",
                       f"{f.id} made standalone (content mode 'synthesize')")
            f.content_mode = "synthesize"
        elif len(incoming) > 1:
            work.found(f"{f.id} is a copy: its one incoming edge is derived_from the file it copies "
                       f"({original.source}); it has {len(incoming)}", f"kept only {original.source}->{f.id} into copy {f.id}")
            work.drop_edges(lambda e, f=f, keep=original: e.target == f.id and e is not keep)


RULES = (_closed_sets, _system_files, _extensions, _paths, _unique, _edge_ends, _cycles, _archives, _copies)
"""In order: a later rule relies on what the earlier ones made true."""


def review(draft: FilePlanDraft, policy: FilesystemPolicy) -> tuple[FilePlanDraft, list[Finding]]:
    """The draft with every rule kept, and what each broken rule was and how it was fixed.

    A draft left with no files has the finding that says so; nothing else is unfixable."""
    work = _Work(files=[f.model_copy() for f in draft.files], edges=[e.model_copy() for e in draft.edges],
                 policy=policy)
    for rule in RULES:
        rule(work)
    if not work.files:
        work.found("the plan has no files the computer can hold", "no file was left")
    return FilePlanDraft(files=work.files, edges=work.edges), work.findings


def plan_problems(draft: FilePlanDraft, policy: FilesystemPolicy) -> list[str]:
    """Every rule the draft breaks, in words the model can act on (the repair turn)."""
    return [finding.problem for finding in review(draft, policy)[1]]


def as_plan(draft: FilePlanDraft) -> FilePlan:
    """The :class:`FilePlan` of a draft that keeps every rule, its times naive UTC."""
    return FilePlan(files=[PlannedFile.model_validate(f.model_dump() | {"timestamp": naive_utc(f.timestamp)})
                           for f in draft.files],
                    edges=[FileEdge.model_validate(e.model_dump()) for e in draft.edges])


def as_draft(plan: FilePlan) -> FilePlanDraft:
    """A plan as a draft (to review a plan not written by the model, e.g. a fallback)."""
    return FilePlanDraft.model_validate(plan.model_dump())
