"""Setup agent on Claude (paper 3.1, Opus in the paper): objectives and collaborators.

The agent sees the profile and the computer's inventory (paths, types, descriptions) and
answers with a :class:`SetupDraft` (a plan without its truth), validated like every
structured reply. Deliverables may only draw on files that exist. The runner then
grounds the draft (``setup.ground``): the truth comes from the files and a seeded draw,
and what collaborators know and hold is derived from it, as in the procedural backend.
"""

from __future__ import annotations

from pydantic import model_validator

from synthcomp.agents.setup import SetupPlan, check_names
from synthcomp.brains.model.client import ModelClient
from synthcomp.brains.model.creation import block
from synthcomp.errors import BrainError
from synthcomp.models import Collaborator, Computer, Deliverable, SimEvent, Strict

SYSTEM = ("You set up a month-long productivity simulation for one professional. Reason as someone who "
          "understands their responsibilities (a manager, a client, a domain expert).")
INVENTORY_LIMIT = 400


class SetupDraft(Strict):
    """What the model writes: the plan's people and work, not its truth."""

    deliverables: list[Deliverable]
    collaborators: list[Collaborator]
    events: list[SimEvent] = []

    @model_validator(mode="after")
    def _names_unique(self) -> SetupDraft:
        check_names(self.collaborators, [])
        return self


def claude_setup(computer: Computer, client: ModelClient, days: int = 20) -> SetupPlan:
    """3-6 deliverables and 5-8 collaborators for ``computer``, written by Claude.

    Raises:
        BrainError: the plan names source files that are not on the computer.
    """
    inventory = [{"path": f.path, "type": f.artifact_type, "description": f.description}
                 for f in computer.plan.files if f.content_mode != "system"][:INVENTORY_LIMIT]
    draft = client.structured("setup", SetupDraft, system=SYSTEM, prompt=(
        f"Write about {days} workdays of objectives for this user: 3-6 deliverable work packages (outcome, expected "
        "progress per week, output artifacts with paths in the user's tree, the existing files each must draw on, "
        "dependencies between deliverables) and 5-8 collaborators with distinct names (role, background, "
        "communication style, preferences, reply latency; knowledge only as context without figures: the figures, "
        "deadlines and private files each person holds are assigned from the project data afterwards); add one or "
        f"two mid-month changes of mind (events on days 1-{days - 1}).\n\n"
        + block("User profile", computer.profile) + "\n\n" + block("Filesystem policy", computer.policy)
        + "\n\n" + block("Files on the computer", {"files": inventory})))
    plan = SetupPlan(**draft.model_dump())
    known = {f.path for f in computer.plan.files}
    unknown = sorted({s for d in plan.deliverables for s in d.sources if s not in known})
    if unknown:
        raise BrainError(f"the setup names sources that are not on the computer: {unknown[:3]}")
    return plan
