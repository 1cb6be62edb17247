"""OS noise a real computer accumulates, more of it the less tidy the user (DESIGN.md step 5).

``Report (1).docx`` and ``Copy of ...`` duplicates, ``~$`` Office lock files left by a
crash, ``desktop.ini``/``Thumbs.db`` on Windows and ``.DS_Store`` on macOS. Screenshots
and stale downloads are ordinary planned files (see ``plan.py``).
"""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from synthcomp import ospath

from synthcomp.brains.procedural.nodes import Node, unique_name

if TYPE_CHECKING:
    from synthcomp.brains.procedural.plan import Planner


def add_noise(planner: Planner, nodes: list[Node]) -> list[Node]:
    """New nodes for the noise of this computer (the caller appends them)."""
    rng, os_name, messiness = planner.rng, planner.policy.os, 1 - planner.profile.tidiness
    extra: list[Node] = []

    def add(type_: str, directory: str, name: str, title: str, mode: str, source: Node | None, kind: str) -> None:
        when = (source.when if source else planner.policy.start_time) + timedelta(minutes=rng.randint(1, 240))
        when = min(when, planner.policy.now - timedelta(minutes=1))
        if source is not None:
            when = max(when, source.when)  # a copy or lock file is never older than its file
        node = Node(
            id=f"f{len(nodes) + len(extra) + 1:04d}", type=type_, title=title, description=title, when=when,
            origin="generated", mode=mode, project=source.project if source else None, role="noise",
            directory=directory, name=unique_name(os_name, directory, name, planner.taken),
            sources=[(source.id, kind)] if source else [],
        )
        extra.append(node)

    office = [n for n in nodes if n.type in {"docx", "xlsx", "pptx"} and n.mode != "extract"]
    for original in rng.sample(office, k=min(len(office), int(messiness * 4.5))):
        stem, ext = (original.name or "x.docx").rsplit(".", 1)
        name = f"Copy of {original.name}" if rng.random() < 0.3 else f"{stem} (1).{ext}"
        add(original.type, original.directory or "", name, f"Duplicate of {original.name}", "copy", original, "derived_from")
    if planner.profile.tidiness < 0.45:
        for doc in rng.sample(office, k=min(len(office), rng.randint(1, 2))):
            name = doc.name or "x.docx"
            add("system", doc.directory or "", "~$" + (name[2:] if len(name) > 10 else name),
                f"Office lock file for {name}", "system", doc, "references")
    folders = sorted({n.directory for n in nodes if n.directory})
    if os_name == "windows":
        home_dirs = [planner.policy.default_paths[k] for k in ("documents", "downloads", "desktop", "pictures")]
        for directory in rng.sample(home_dirs, k=rng.randint(1, 3)):
            add("system", directory, "desktop.ini", "Folder view settings (hidden)", "system", None, "references")
        image_dirs = sorted({n.directory for n in nodes if n.type in {"png", "jpg"} and n.directory})
        for directory in rng.sample(image_dirs, k=min(len(image_dirs), int(messiness * 3))):
            add("system", directory, "Thumbs.db", "Thumbnail cache (hidden)", "system", None, "references")
    else:
        browsed = [d for d in folders if ospath.parts(os_name, d)[1][:1] == ["Users"]]
        for directory in rng.sample(browsed, k=min(len(browsed), rng.randint(2, 5))):
            add("system", directory, ".DS_Store", "Finder view settings (hidden)", "system", None, "references")
    return extra
