"""``skills/index.json``: which skill serves which computers (written by ``synthcomp skills``).

A computer is served by its occupation's skill, else its industry's (the occupation
family), else the general one (paper 4.2.3: with few training computers many held-out
occupations have no skill of their own).
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationError

from synthcomp.errors import InputError
from synthcomp.models import Computer, Strict

INDEX = "index.json"


class SkillGroup(Strict):
    name: str = Field(description="The skill's name and directory (skills/<name>/SKILL.md).")
    group: Literal["occupation", "industry", "general"]
    key: str = Field(description="The occupation, the industry, or '*'.")
    practices: list[str]
    simulations: list[str] = Field(description="The simulations (sim ids) its lessons come from.")
    computers: list[str]


class SkillIndex(Strict):
    groups: list[SkillGroup]
    train_computers: list[str] = Field(description="Every computer whose simulations were mined.")


def load_index(skills_dir: Path) -> SkillIndex:
    """Raises InputError when ``skills_dir`` holds no valid index.json."""
    path = skills_dir / INDEX
    try:
        return SkillIndex.model_validate_json(path.read_text())
    except OSError:
        raise InputError(f"{skills_dir} holds no {INDEX}; write it with `synthcomp skills WS --out {skills_dir}`") from None
    except ValidationError as exc:
        raise InputError(f"{path} is not a skill index: {exc.errors()[0]['msg']}") from None


def matching_skill(skills_dir: Path, index: SkillIndex, computer: Computer) -> Path | None:
    """The SKILL.md for ``computer``: occupation, else industry, else general, else None."""
    wanted = (("occupation", computer.profile.occupation), ("industry", computer.persona.industry), ("general", "*"))
    for group, key in wanted:
        for g in index.groups:
            if g.group == group and g.key == key:
                return skills_dir / g.name / "SKILL.md"
    return None
