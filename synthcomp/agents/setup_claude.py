"""Setup agent on Claude (paper 3.1, Opus in the paper): objectives and collaborators.

The agent sees the profile and the computer's inventory (paths, types, descriptions) and
answers with a :class:`SetupPlan`, validated like every structured reply. Deliverables
may only draw on files that exist; collaborators' private files are written from the
facts the plan gives them, as in the procedural backend.
"""

from __future__ import annotations

from synthcomp.agents.setup import SetupPlan
from synthcomp.brains.claude.client import ClaudeClient
from synthcomp.brains.claude.creation import block
from synthcomp.errors import BrainError
from synthcomp.models import Computer

SYSTEM = ("You set up a month-long productivity simulation for one professional. Reason as someone who "
          "understands their responsibilities (a manager, a client, a domain expert).")
INVENTORY_LIMIT = 400


def claude_setup(computer: Computer, client: ClaudeClient, days: int = 20) -> SetupPlan:
    """3-6 deliverables and 5-8 collaborators for ``computer``, written by Claude.

    Raises:
        BrainError: the plan names source files that are not on the computer.
    """
    inventory = [{"path": f.path, "type": f.artifact_type, "description": f.description}
                 for f in computer.plan.files if f.content_mode != "system"][:INVENTORY_LIMIT]
    plan = client.structured("setup", SetupPlan, system=SYSTEM, prompt=(
        f"Write about {days} workdays of objectives for this user: 3-6 deliverable work packages (outcome, expected "
        "progress per week, output artifacts with paths in the user's tree, the existing files each must draw on, "
        "dependencies between deliverables) and 5-8 collaborators (role, background, communication style, the facts "
        "the user needs and lacks, preferences, reply latency). Give some collaborators private reference files "
        "(name, type xlsx or docx, the deliverable they serve, the facts they hold); add one or two mid-month "
        f"changes of mind (events on days 1-{days - 1}).\n\n"
        + block("User profile", computer.profile) + "\n\n" + block("Filesystem policy", computer.policy)
        + "\n\n" + block("Files on the computer", {"files": inventory})))
    known = {f.path for f in computer.plan.files}
    unknown = sorted({s for d in plan.deliverables for s in d.sources if s not in known})
    if unknown:
        raise BrainError(f"the setup names sources that are not on the computer: {unknown[:3]}")
    return plan
