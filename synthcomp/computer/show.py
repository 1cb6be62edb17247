"""``synthcomp show``: the profile and the file tree as the user would see them."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError
from rich.console import Console
from rich.text import Text
from rich.tree import Tree

from synthcomp.computer.create import COMPUTER_FILE, FILES_DIR
from synthcomp.errors import InputError
from synthcomp.models import Computer


def load_computer(computer_dir: Path) -> Computer:
    """Read and validate ``computer.json``.

    Raises:
        InputError: the directory is not a computer, or its computer.json is invalid.
    """
    meta = computer_dir / COMPUTER_FILE
    if not meta.is_file():
        raise InputError(f"{computer_dir} is not a computer (no {COMPUTER_FILE}); expected WS/computers/<shard>/<id>")
    try:
        return Computer.model_validate_json(meta.read_text())
    except ValidationError as exc:
        raise InputError(f"{meta} is invalid: {exc.errors()[0]['msg']} at {exc.errors()[0]['loc']}") from None


def show_computer(computer_dir: Path, console: Console, depth: int = 99) -> None:
    computer = load_computer(computer_dir)
    p, pol = computer.profile, computer.policy
    lines = [
        f"{computer.id}  ({pol.os}, {len(computer.plan.files)} files, now {pol.now:%Y-%m-%d})",
        f"persona: {computer.persona.text}",
        f"{p.full_name} <{p.email}> - {p.career_stage} {p.occupation}, {p.department}, {p.organization}, {p.city}",
        "projects: " + "; ".join(f"{pr.code} {pr.name} ({pr.status})" for pr in p.active_projects),
        f"habits: tidiness {p.tidiness:.2f}, organizes {p.organization_style.replace('_', ' ')}, naming: {pol.naming_style}",
    ]
    for line in lines:  # user data, never rich markup
        console.print(line, markup=False, highlight=False)
    files_dir = computer_dir / FILES_DIR
    roots = sorted((files_dir / "drives").iterdir()) if pol.os == "windows" else [files_dir]
    for root in roots:
        label = f"{root.name}:\\" if pol.os == "windows" else "/"
        tree = Tree(Text(label, style="bold"))
        _grow(tree, root, depth)
        console.print(tree)


def _grow(tree: Tree, directory: Path, depth: int) -> None:
    if depth <= 0:
        return
    for child in sorted(directory.iterdir(), key=lambda c: (c.is_file(), c.name.lower())):
        if child.is_dir():
            _grow(tree.add(Text(child.name, style="blue"), guide_style="dim"), child, depth - 1)
        else:
            tree.add(Text.assemble(child.name, (f"  {child.stat().st_size // 1024 or 1} KB", "dim")))
