"""SKILL.md: Anthropic's skill format, plus the practices a scripted agent can act on.

A skill is a directory holding ``SKILL.md``: YAML front matter (``name``, ``description``,
and here ``metadata``), then Markdown instructions a model reads. The front matter is
written in YAML's JSON-compatible flow style, one key per line, so it needs no YAML
library to read back. ``metadata.practices`` names, from :data:`PRACTICES`, the work
practices the lessons teach: the machine-readable part the offline scripted policy
follows, so the learning loop (simulate -> retrospect -> skills -> evaluate) runs and is
tested without a model. Written by ``agents/skills.py``, read by the policies.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from synthcomp.errors import InputError

PRACTICES: dict[str, str] = {
    "ask-data-owners": "Ask the collaborators who own a deliverable's data for their figures and preferences early.",
    "wait-for-data-owners": "Ask the data owner before drafting: hold a deliverable's first draft until the "
                            "collaborators who hold its figures have replied (on the last two days, draft anyway).",
    "revise-after-feedback": "When a reviewer asks for changes, or new figures arrive after a draft, revise the "
                             "deliverable and make every change listed.",
    "read-sources-first": "Read every source file a deliverable depends on before drafting it, and quote its totals.",
    "deliver-every-output": "Write every output the objectives list, at the exact path and in the format they name.",
    "check-paths": "List a folder before reading, moving or deleting in it; a path that does not exist costs a turn.",
    "check-downloads-each-morning": "Check the inbox each morning and read the files collaborators shared into "
                                    "Downloads before using their figures.",
    "verify-own-work": "Read each output back after writing it, and before planning a week read where every "
                       "deliverable stands (its current files).",
}
"""Practice id -> the instruction it stands for."""


def front_matter(name: str, description: str, metadata: dict[str, Any]) -> str:
    """The front matter block of a SKILL.md (YAML flow style, valid JSON values)."""
    return (f"---\nname: {name}\ndescription: {json.dumps(description)}\n"
            f"metadata: {json.dumps(metadata, sort_keys=True)}\n---\n")


def read_skill(path: Path) -> dict[str, Any]:
    """``name``, ``description``, ``metadata`` and ``body`` of a SKILL.md (or its directory).

    Raises:
        InputError: the file is missing or its front matter is not the format above.
    """
    path = path / "SKILL.md" if path.is_dir() else path
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"skill {path}: {exc.strerror or exc}") from None
    head, sep, body = text.removeprefix("---\n").partition("\n---\n")
    if not text.startswith("---\n") or not sep:
        raise InputError(f"skill {path}: no front matter (a SKILL.md starts with '---')")
    fields: dict[str, Any] = {"metadata": {}}
    for line in head.splitlines():
        key, _, value = line.partition(":")
        value = value.strip()
        try:
            fields[key.strip()] = json.loads(value) if value[:1] in '{["' else value
        except json.JSONDecodeError:
            raise InputError(f"skill {path}: front matter key {key.strip()!r} is not valid") from None
    if not fields.get("name"):
        raise InputError(f"skill {path}: the front matter has no name")
    return {**fields, "body": body}


def practices_of(paths: list[Path]) -> set[str]:
    """The known practices the skills at ``paths`` teach (unknown ids are ignored)."""
    found: set[str] = set()
    for path in paths:
        found |= {p for p in read_skill(path)["metadata"].get("practices", []) if p in PRACTICES}
    return found
