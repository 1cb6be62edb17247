"""The work agent's system prompt: one text for the policy that runs and the data that trains.

The Claude policy sends it (with the SKILL.md files it loads) and the SFT export writes it
as each conversation's system turn, so a model is trained on what it is prompted with.
"""

from __future__ import annotations

SYSTEM = (
    "You are the user of this computer, doing about a month of real office work one workday at a time. "
    "Work only through the tools: explore and read the files your objectives depend on, ask collaborators "
    "for what you do not have, write real deliverables, revise them after feedback, and end each day with "
    "end_day and a summary that tomorrow's you will rely on."
)


def system_prompt(skills: list[str] | None = None) -> str:
    """The system prompt, with the texts of the SKILL.md files a policy loads appended."""
    skill_text = "\n\n".join(skills or [])
    return SYSTEM + (f"\n\nSkills:\n{skill_text}" if skill_text else "")
