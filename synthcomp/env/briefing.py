"""The morning briefing: what the work agent sees at the start of each workday (paper 3.2).

It restores context the way a person does: who I am, what the month is for, what I
planned for today, what arrived overnight, and what I wrote in the log yesterday.
:func:`briefing_data` gathers it (``synthcomp.toolresults.Briefing``, handed to the policy
in the reset ``info["data"]``); the text is its ``render()``.
"""

from __future__ import annotations

from synthcomp.env.registry import REGISTRY
from synthcomp.env.state import SimState
from synthcomp.models import Computer
from synthcomp.toolresults import Briefing, Colleague, Machine, ToolLine, Unread, User

LOG_TAIL = 5


def briefing_data(computer: Computer, state: SimState, step_budget: int) -> Briefing:
    p, pol = computer.profile, computer.policy
    plan = state.plan_for_week()
    return Briefing(
        day=state.day, days_total=state.days_total, date=state.today,
        user=User(full_name=p.full_name, career_stage=p.career_stage, occupation=p.occupation,
                  organization=p.organization, department=p.department, city=p.city),
        computer=Machine(os=pol.os, home=pol.home, documents=pol.default_paths["documents"],
                         downloads=pol.default_paths["downloads"], work_root=pol.work_root),
        objectives=state.open_deliverables(), met=state.milestones,
        collaborators=[Colleague(name=c.name, email=c.email, role=c.role, communication_style=c.communication_style)
                       for c in state.collaborators],
        planned=[a for a in plan.activities if a.day == state.day] if plan else None,
        unread=[Unread(id=m.id, sender=m.sender, subject=m.subject) for m in state.unread()],
        log=state.log[-LOG_TAIL:], step_budget=step_budget,
        tools=[ToolLine(usage=spec.usage(), summary=spec.summary) for spec in REGISTRY.values()],
    )


def briefing(computer: Computer, state: SimState, step_budget: int) -> str:
    return briefing_data(computer, state, step_budget).render()
