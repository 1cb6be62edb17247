"""Profile + policy -> FilePlan with a dependency DAG, procedurally (paper 2.2.2).

Files are planned in *families* the way work really produces them: a data workbook, the
report derived from it, that report's later versions and PDF export, the deck built on
the workbook, the e-mail that carried an attachment, the ZIP a bundle was extracted from.
Which family comes next is drawn toward the file types still under their share, so the
type mix lands near the paper's Figure 5 (DOCX ~35%, the four office types ~68%) and the
size distribution near Table 1 (mean ~112 files, median ~90, a long tail).
"""

from __future__ import annotations

import math
import random
from datetime import datetime, timedelta

from synthcomp import ospath
from synthcomp.brains.procedural.folders import FolderLayout, Placement
from synthcomp.brains.procedural.naming import file_name
from synthcomp.brains.procedural.noise import add_noise
from synthcomp.brains.procedural.nodes import Node, unique_name
from synthcomp.brains.procedural.rng import rng_for
from synthcomp.models import (
    ContentMode, EdgeKind, FileEdge, FilePlan, FilesystemPolicy, Industry, Origin, PlannedFile, Project,
    UserProfile,
)

TYPE_SHARES = {
    "docx": 0.345, "xlsx": 0.14, "pdf": 0.125, "pptx": 0.07, "csv": 0.05, "txt": 0.05, "md": 0.04,
    "eml": 0.04, "png": 0.035, "jpg": 0.02, "json": 0.02, "py": 0.02, "zip": 0.01,
}


def planned_file_count(rng: random.Random) -> int:
    """Table 1: mean ~112, median ~89, min 72, a tail to ~600 (a few hoarders)."""
    if rng.random() < 0.07:
        return rng.randint(250, 520)
    return 62 + min(220, int(math.exp(rng.gauss(math.log(27), 0.6))))


class Planner:
    """Plans one computer's files; all randomness comes from the seed."""

    def __init__(self, profile: UserProfile, policy: FilesystemPolicy, industry: Industry, seed: int):
        self.profile, self.policy, self.industry, self.seed = profile, policy, industry, seed
        self.rng = rng_for(seed, "plan")
        self.layout = FolderLayout(profile, policy, rng_for(seed, "folders"))
        self.nodes: list[Node] = []
        self.taken: set[str] = set()
        self.by_type: dict[str, list[Node]] = {}
        self.target = planned_file_count(rng_for(seed, "size"))
        jitter = {t: s * self.rng.uniform(0.85, 1.15) for t, s in TYPE_SHARES.items()}
        total = sum(jitter.values())
        self.quota = {t: self.target * s / total for t, s in jitter.items()}

    # ------------------------------------------------------------------ scaffolding
    def _project(self) -> Project | None:
        weights = [{"active": 4, "closing": 3, "archived": 1.5}[p.status] for p in self.profile.active_projects]
        choice = self.rng.choices([*self.profile.active_projects, None], weights=[*weights, 2.5])[0]
        return choice

    def _window(self, project: Project | None) -> tuple[datetime, datetime]:
        end = self.policy.now - timedelta(hours=2)
        if project is None:
            return self.policy.start_time, end
        start = max(project.start, self.policy.start_time)
        if project.status == "archived":
            end = min(end, start + timedelta(days=150))
        return start, max(end, start + timedelta(days=1))

    def _time(self, project: Project | None, after: datetime | None = None) -> datetime:
        """A working-hours moment in the project's window, after ``after`` if given.

        Invariant: every planned time is before the computer's "now", and a file is
        never older than a file it depends on.
        """
        start, end = self._window(project)
        if after is not None:
            start = max(start, after + timedelta(hours=1))
        if start >= end:
            when = (after or start) + timedelta(minutes=self.rng.randint(5, 55))
        elif after is not None:
            when = min(start + timedelta(hours=self.rng.uniform(2, 24 * 9)), end)
        else:
            when = start + timedelta(seconds=(end - start).total_seconds() * (self.rng.random() ** 0.7))
        when = when.replace(hour=self.rng.randint(8, 18), minute=self.rng.randint(0, 59), second=self.rng.randint(0, 59), microsecond=0)
        when = min(when, self.policy.now - timedelta(minutes=1))
        if after is not None and when <= after:
            when = after + timedelta(seconds=1)
        return when

    def _add(self, type_: str, title: str, description: str, *, project: Project | None, role: str,
             origin: Origin = "self", mode: ContentMode = "synthesize",
             sources: list[tuple[Node, EdgeKind]] | None = None, when: datetime | None = None, **extra) -> Node:
        sources = sources or []
        if when is None:
            latest = max((s.when for s, _ in sources), default=None)
            when = self._time(project, after=latest)
        node = Node(
            id=f"f{len(self.nodes) + 1:04d}", type=type_, title=title, description=description, when=when,
            origin=origin, mode=mode, project=project, role=role,
            sources=[(s.id, kind) for s, kind in sources], **extra,
        )
        self.nodes.append(node)
        self.by_type.setdefault(type_, []).append(node)
        return node

    def _need(self, type_: str) -> bool:
        return len(self.by_type.get(type_, [])) < self.quota[type_]

    def _pick(self, type_: str, project: Project | None) -> Node | None:
        pool = [n for n in self.by_type.get(type_, []) if n.project is project and n.mode != "extract"]
        return self.rng.choice(pool) if pool else None

    def _kind(self, type_: str) -> str:
        return self.rng.choice(self.industry.document_kinds[type_])

    def _subject(self, project: Project | None) -> str:
        return project.name if project else self.rng.choice(self.industry.project_themes)

    # ------------------------------------------------------------------ families
    def plan(self) -> list[Node]:
        families = {
            "docx": self._document_family, "xlsx": self._workbook_family, "pdf": self._pdf_family,
            "pptx": self._deck_family, "csv": self._csv_family, "txt": self._note_family,
            "md": self._note_family, "eml": self._email_family, "png": self._image_family,
            "jpg": self._image_family, "json": self._json_family, "py": self._script_family,
            "zip": self._archive_family,
        }
        budget = self.target - self._noise_allowance()
        while len(self.nodes) < budget:
            deficits = {t: max(0.0, q - len(self.by_type.get(t, []))) for t, q in self.quota.items()}
            if sum(deficits.values()) <= 0:
                deficits = dict(TYPE_SHARES)
            type_ = self.rng.choices(list(deficits), weights=list(deficits.values()))[0]
            families[type_](type_, self._project())
        return self.nodes

    def _noise_allowance(self) -> int:
        return 3 if self.profile.tidiness > 0.6 else 6

    def _workbook(self, project: Project | None) -> Node:
        kind = self._kind("xlsx")
        return self._add("xlsx", f"{kind} {self._subject(project)}", f"{kind}: working data for {self._subject(project)}.",
                         project=project, role="data" if project else "admin", dated=self.rng.random() < 0.4)

    def _workbook_family(self, _t: str, project: Project | None) -> None:
        if self.rng.random() < 0.3 and self._need("csv"):
            raw = self._add("csv", f"{self._subject(project)} raw export", "Raw system export the workbook is built from.",
                            project=project, role="data", origin="received", dated=True)
            kind = self._kind("xlsx")
            book = self._add("xlsx", f"{kind} {self._subject(project)}", f"{kind} built from the raw export.",
                             project=project, role="analysis", sources=[(raw, "derived_from")])
        else:
            book = self._workbook(project)
        if self.rng.random() < 0.3:
            self._add("xlsx", book.title, f"Updated {book.title}.", project=project, role=book.role,
                      sources=[(book, "later_version_of")], version=2, dated=book.dated)
            book.version = 1
            book.role = "archive" if self.profile.tidiness > 0.6 else book.role

    def _document_family(self, _t: str, project: Project | None) -> None:
        draw = self.rng.random()
        kind = self._kind("docx")
        subject = self._subject(project)
        sources: list[tuple[Node, EdgeKind]] = []
        if draw < 0.4:
            book = self._pick("xlsx", project) or (self._workbook(project) if self._need("xlsx") else None)
            if book is not None:
                sources.append((book, "derived_from"))
        elif draw < 0.6:
            ref = self._pick("pdf", project) or self._pick("docx", project)
            if ref is not None:
                sources.append((ref, "references"))
        versions = 1 if self.rng.random() < 0.55 else self.rng.randint(2, 4)
        title = f"{kind} {subject}"
        previous: Node | None = None
        for v in range(1, versions + 1):
            final = v == versions and versions > 1
            chain = sources if previous is None else [(previous, "later_version_of")]
            role = "reports" if (v == versions or project is None) else ("archive" if self.profile.tidiness > 0.7 else "drafts")
            desc = f"{kind} on {subject}" + (f", version {v}" if versions > 1 else "") + "."
            previous = self._add("docx", title, desc, project=project, role=role if project else "admin",
                                 sources=chain, version=v if versions > 1 else None, final=final,
                                 dated=self.rng.random() < 0.35)
        assert previous is not None
        if self.rng.random() < 0.3 and self._need("pdf"):
            self._add("pdf", previous.title, f"PDF export of {previous.title} as circulated.", project=project,
                      role="reports" if project else "admin", sources=[(previous, "derived_from")], final=True,
                      version=previous.version, dated=previous.dated)

    def _pdf_family(self, _t: str, project: Project | None) -> None:
        draw = self.rng.random()
        kind = self._kind("pdf")
        if draw < 0.35:
            doc = self._pick("docx", project)
            if doc is not None:
                self._add("pdf", doc.title, f"PDF export of {doc.title}.", project=project, role=doc.role,
                          sources=[(doc, "derived_from")], version=doc.version, final=doc.final, dated=doc.dated)
                return
        origin: Origin = "downloaded" if draw < 0.65 else "received"
        pdf = self._add("pdf", f"{kind} {self._subject(project)}", f"{kind} ({'public document' if origin == 'downloaded' else 'received from a contact'}).",
                        project=project, role="references", origin=origin,
                        mode="download" if origin == "downloaded" else "synthesize", dated=self.rng.random() < 0.3)
        if origin == "received" and self._need("eml") and self.rng.random() < 0.5:
            self._add("eml", f"RE {pdf.title}", f"E-mail that carried {pdf.title}.", project=project,
                      role="correspondence", origin="received", sources=[(pdf, "references")])

    def _deck_family(self, _t: str, project: Project | None) -> None:
        source = self._pick("xlsx", project) or (self._workbook(project) if self._need("xlsx") else None)
        kind = self._kind("pptx")
        sources = [(source, "derived_from")] if source else []
        report = self._pick("docx", project)
        if report is not None and self.rng.random() < 0.4:
            sources.append((report, "references"))
        deck = self._add("pptx", f"{kind} {self._subject(project)}", f"{kind} for {self._subject(project)}.",
                         project=project, role="presentations" if project else "admin", sources=sources,
                         dated=self.rng.random() < 0.5)
        if self.rng.random() < 0.2:
            self._add("pptx", deck.title, f"Revised {deck.title} after review.", project=project, role=deck.role,
                      sources=[(deck, "later_version_of")], version=2, final=True, dated=deck.dated)
            deck.version = 1

    def _csv_family(self, _t: str, project: Project | None) -> None:
        book = self._pick("xlsx", project)
        if book is not None and self.rng.random() < 0.6:
            self._add("csv", f"{book.title} export", f"CSV export of the main sheet of {book.title}.",
                      project=project, role="exports", sources=[(book, "derived_from")], dated=True)
        else:
            self._add("csv", f"{self.rng.choice(self.industry.entities)} data", "Data extract received from a system.",
                      project=project, role="data", origin="received", dated=True)

    def _note_family(self, type_: str, project: Project | None) -> None:
        refs = [n for n in (self._pick("docx", project), self._pick("xlsx", project)) if n is not None]
        label = self.rng.choice(["Meeting notes", "Notes", "To do", "Call notes", "Ideas", "Checklist"])
        self._add(type_, f"{label} {self._subject(project) if project else ''}".strip(),
                  f"{label} kept by the user.", project=project, role="meetings",
                  sources=[(r, "references") for r in refs[: self.rng.randint(0, 2)]], dated=self.rng.random() < 0.5)

    def _email_family(self, _t: str, project: Project | None) -> None:
        attachment = self._pick("docx", project) or self._pick("pdf", project) or self._pick("xlsx", project)
        sources = [(attachment, "references")] if attachment else []
        subject = attachment.title if attachment else self._subject(project)
        self._add("eml", f"{self.rng.choice(['RE', 'FW', 'Update'])} {subject}", f"E-mail about {subject}.",
                  project=project, role="correspondence", origin="received", sources=sources)

    def _image_family(self, type_: str, project: Project | None) -> None:
        book = self._pick("xlsx", project)
        if type_ == "png" and book is not None and self.rng.random() < 0.7:
            self._add("png", f"{book.title} chart", f"Chart of the totals in {book.title}.", project=project,
                      role="images", sources=[(book, "derived_from")])
        elif type_ == "jpg":
            label = self.rng.choice(["Scan", "Signed form", "Site photo", "Whiteboard"])
            self._add("jpg", f"{label} {self._subject(project)}", f"{label} received or captured.", project=project,
                      role="references" if project else "correspondence", origin="received", dated=True)
        else:
            self._add("png", "Screenshot", "Screenshot of a system or a dashboard.", project=None, role="images",
                      origin="generated")

    def _json_family(self, _t: str, project: Project | None) -> None:
        book = self._pick("xlsx", project)
        self._add("json", f"{self._subject(project)} {'summary' if book else 'settings'}",
                  "Machine-readable summary." if book else "Configuration for a tool or an export.",
                  project=project, role="exports" if book else "data",
                  sources=[(book, "derived_from")] if book else [])

    def _script_family(self, _t: str, project: Project | None) -> None:
        data = self._pick("csv", project)
        self._add("py", f"analyse {self._subject(project)}", "Small analysis script.", project=project,
                  role="scripts" if project else "admin", sources=[(data, "references")] if data else [])

    def _archive_family(self, _t: str, project: Project | None) -> None:
        archive = self._add("zip", f"{self._subject(project)} documents", "Bundle of documents received as an archive.",
                            project=project, role="references", origin="received", dated=True)
        for member_type in self.rng.sample(["pdf", "docx", "xlsx", "csv", "pdf"], k=self.rng.randint(2, 3)):
            kind = self._kind(member_type) if member_type in self.industry.document_kinds else "Data extract"
            self._add(member_type, f"{kind} {self._subject(project)}", f"{kind}, extracted from the archive.",
                      project=project, role="references", origin="received", mode="extract",
                      sources=[(archive, "extracted_from")], when=archive.when)


def build_plan(profile: UserProfile, policy: FilesystemPolicy, industry: Industry, seed: int) -> FilePlan:
    planner = Planner(profile, policy, industry, seed)
    nodes = planner.plan()
    _place(planner, nodes)
    nodes += add_noise(planner, nodes)  # needs the placed names it copies and locks
    files = [
        PlannedFile(
            id=n.id, path=ospath.join(policy.os, n.directory or "", n.name or ""), artifact_type=n.type,
            title=n.title, description=n.description, timestamp=n.when, origin=n.origin, content_mode=n.mode,
            project=n.project.code if n.project else None,
        )
        for n in nodes
    ]
    edges = [FileEdge(source=src, target=n.id, kind=kind) for n in nodes for src, kind in n.sources]
    return FilePlan(files=files, edges=edges)


def _place(planner: Planner, nodes: list[Node]) -> None:
    """Give every node a directory and a unique file name."""
    by_id = {n.id: n for n in nodes}
    for node in nodes:
        placement = Placement(node.project, node.role, node.type, node.when)
        if node.mode == "extract":
            archive = by_id[node.sources[0][0]]
            stem = archive.name.rsplit(".", 1)[0] if archive.name else "archive"
            node.directory = ospath.join(planner.policy.os, archive.directory or "", stem)
        elif node.origin in {"received", "downloaded"} and node.role in {"references", "correspondence"}:
            node.directory = planner.layout.received_directory(placement)
        else:
            node.directory = planner.layout.directory(placement)
        initials = planner.profile.initials if node.origin == "self" and node.version else ""
        name = file_name(node.title, node.type, planner.profile.naming, when=node.when if node.dated else None,
                         version=node.version, final=node.final, initials=initials)
        if node.title == "Screenshot":
            name = screenshot_name(planner.policy.os, node.when)
        node.name = unique_name(planner.policy.os, node.directory, name, planner.taken)


def screenshot_name(os_name: str, when: datetime) -> str:
    if os_name == "macos":
        return f"Screenshot {when:%Y-%m-%d} at {when:%H.%M.%S}.png"
    return f"Screenshot {when:%Y-%m-%d} {when:%H%M%S}.png"
