"""Where a planned file goes: the folder tree grown by the user's organization style.

A file is placed by its project, its *role* (data, reports, drafts, correspondence ...)
and its time. The five organization styles of the profile (by project, by client, by
date, by type, flat and messy) turn those three facts into different, realistic trees.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from synthcomp import ospath
from synthcomp.brains.procedural.naming import clean_words
from synthcomp.models import FilesystemPolicy, Project, UserProfile

ROLES = (
    "data", "analysis", "reports", "drafts", "presentations", "correspondence", "references",
    "meetings", "admin", "exports", "scripts", "images", "archive",
)
_ROLE_NAMES = {
    "data": "Data", "analysis": "Analysis", "reports": "Reports", "drafts": "Drafts",
    "presentations": "Presentations", "correspondence": "Correspondence", "references": "Reference",
    "meetings": "Meetings", "admin": "Admin", "exports": "Exports", "scripts": "Scripts",
    "images": "Figures", "archive": "Archive",
}
_ROLE_ORDER = ["admin", "data", "analysis", "reports", "presentations", "correspondence", "meetings", "references"]
_TYPE_DIRS = {
    "docx": "Documents", "xlsx": "Spreadsheets", "pptx": "Presentations", "pdf": "PDFs", "csv": "Data",
    "json": "Data", "py": "Scripts", "md": "Notes", "txt": "Notes", "eml": "Email", "png": "Images",
    "jpg": "Images", "zip": "Archives",
}
_MESSY_DIRS = ["New folder", "stuff", "old", "to sort", "misc", "temp"]


@dataclass(frozen=True)
class Placement:
    """What decides a file's folder."""

    project: Project | None
    role: str
    artifact_type: str
    when: datetime


class FolderLayout:
    """Maps placements to logical directories for one computer, consistently."""

    def __init__(self, profile: UserProfile, policy: FilesystemPolicy, rng: random.Random):
        self.profile, self.policy, self.os = profile, policy, policy.os
        self.rng = rng
        self.numbered = rng.random() < 0.35
        self.lowercase = not self.numbered and rng.random() < 0.2
        self.project_names = {p.code: self._project_dir_name(p) for p in profile.active_projects}
        # A project grows only a few sub-folders; other roles' files sit in its root.
        self.project_roles = {
            p.code: set(rng.sample(_ROLE_ORDER, k=rng.randint(1, 3))) | ({"archive"} if rng.random() < 0.3 else set())
            for p in profile.active_projects
        }
        self.messy_dirs = rng.sample(_MESSY_DIRS, k=2)

    def _j(self, base: str, *parts: str) -> str:
        return ospath.join(self.os, base, *parts)

    def _project_dir_name(self, project: Project) -> str:
        words = clean_words(project.name, limit=5)
        style = self.rng.random()
        if style < 0.35:
            return f"{project.code} {' '.join(words)}"
        if style < 0.7:
            return " ".join(words)
        return "_".join(words)

    def role_dir(self, role: str) -> str:
        name = _ROLE_NAMES[role]
        if self.numbered and role in _ROLE_ORDER:
            return f"{_ROLE_ORDER.index(role) + 1:02d}_{name}"
        return name.lower() if self.lowercase else name

    def _role_path(self, base: str, role: str, when: datetime, enabled: set[str]) -> str:
        """``base/role`` plus the deeper sub-folders real project trees grow."""
        parent_role = {"drafts": "reports", "exports": "data", "images": "analysis"}.get(role, role)
        if parent_role not in enabled:
            return base
        if role == "drafts":
            return self._j(base, self.role_dir("reports"), "Drafts")
        if role == "archive":
            return self._j(base, self.role_dir("archive"), str(when.year))
        if role == "correspondence":
            return self._j(base, self.role_dir("correspondence"))
        if role == "exports":
            return self._j(base, self.role_dir("data"), self.role_dir("exports"))
        if role == "images":
            return self._j(base, self.role_dir("analysis"), self.role_dir("images"))
        return self._j(base, self.role_dir(role))

    def directory(self, placement: Placement) -> str:
        """The logical directory a file with this placement belongs in."""
        paths = self.policy.default_paths
        project, role = placement.project, placement.role
        if project is None:
            return self._loose_directory(placement)
        root = self.policy.work_root
        project_dir = self.project_names[project.code]
        style = self.policy.organization_style
        enabled = self.project_roles[project.code]
        if project.status == "archived" and style != "by_type":
            root = self._j(root, "_Archive" if self.numbered else "Archive")
        if style == "by_project":
            return self._role_path(self._j(root, project_dir), role, placement.when, enabled)
        if style == "by_client":
            client = " ".join(clean_words(project.client, limit=4))
            return self._role_path(self._j(root, client, project_dir), role, placement.when, enabled)
        if style == "by_date":
            year = str(placement.when.year)
            quarter = f"Q{(placement.when.month - 1) // 3 + 1}"
            if role in {"drafts", "archive", "data", "exports"}:
                return self._j(root, year, project_dir, self.role_dir("data" if role in {"data", "exports"} else "drafts"))
            return self._j(root, year, quarter, project_dir) if "reports" in enabled else self._j(root, year, project_dir)
        if style == "by_type":
            type_dir = _TYPE_DIRS.get(placement.artifact_type, "Other")
            base = self._j(paths["documents"], type_dir, project_dir)
            if role in {"drafts", "archive"}:
                return self._j(base, "Old versions" if role == "archive" else "Drafts")
            return base
        # flat and messy: half the project work sits in one folder, the rest is strewn about
        draw = self.rng.random()
        if draw < 0.55:
            return self._j(root, project_dir)
        if draw < 0.7:
            return self._j(root, project_dir, self.rng.choice(self.messy_dirs))
        return self._j(paths[self.rng.choice(["desktop", "documents", "downloads"])])

    def _loose_directory(self, placement: Placement) -> str:
        """Files outside any project: admin paperwork, downloads, screenshots, notes."""
        paths = self.policy.default_paths
        role = placement.role
        if role == "images":
            return paths["screenshots"]
        if role == "references":
            return paths["downloads"]
        if role == "correspondence":
            return {"downloads": paths["downloads"], "desktop": paths["desktop"]}.get(
                self.profile.attachment_saving, self._j(paths["documents"], "Email attachments")
            )
        if role == "meetings":
            return self._j(paths["documents"], "Notes") if self.profile.tidiness > 0.4 else paths["desktop"]
        year = str(placement.when.year)
        if role == "admin":
            kind = self.rng.choice(["Timesheets", "Expenses", "Training", "HR"])
            return self._j(paths["documents"], "Admin", kind, year) if self.rng.random() < 0.5 else self._j(paths["documents"], "Admin", kind)
        return paths["documents"] if self.rng.random() < 0.6 else paths["desktop"]

    def received_directory(self, placement: Placement) -> str:
        """Attachments and downloads go where this user saves them."""
        paths = self.policy.default_paths
        if self.profile.attachment_saving == "downloads" or placement.project is None:
            return paths["downloads"]
        if self.profile.attachment_saving == "desktop":
            return paths["desktop"]
        return self.directory(placement)
