"""The morning briefing: what the work agent sees at the start of each workday (paper 3.2).

It restores context the way a person does: who I am, what the month is for, what I
planned for today, what arrived overnight, and what I wrote in the log yesterday.
"""

from __future__ import annotations

from synthcomp.env.registry import REGISTRY
from synthcomp.env.state import SimState
from synthcomp.models import Computer

LOG_TAIL = 5


def briefing(computer: Computer, state: SimState, step_budget: int) -> str:
    p, pol = computer.profile, computer.policy
    lines = [
        f"Workday {state.day + 1} of {state.days_total} - {state.today:%A %d %B %Y}",
        f"You are {p.full_name}, {p.career_stage} {p.occupation} at {p.organization} ({p.department}), {p.city}.",
        f"Computer: {pol.os}, home {pol.home}, documents {pol.default_paths['documents']}, "
        f"downloads {pol.default_paths['downloads']}, project work under {pol.work_root}.",
        "", "Objectives for this month:",
    ]
    for d in state.deliverables:
        lines.append(f"- [{d.id}] {d.title}: {d.outcome}")
        lines += [f"    output: {o.path} ({o.description})" for o in d.outputs]
        if d.sources:
            lines.append("    draw on: " + "; ".join(d.sources))
        if d.depends_on:
            lines.append("    after: " + ", ".join(d.depends_on))
    lines += ["", "Collaborators:"]
    lines += [f"- {c.name} <{c.email}>, {c.role}: {c.communication_style}" for c in state.collaborators]
    plan = state.plan_for_week()
    today = [a for a in plan.activities if a.day == state.day] if plan else []
    lines += ["", "Planned for today:" if today else (
        "No week plan yet: submit one with submit_week_plan." if plan is None else "Nothing planned for today.")]
    lines += [f"- {a.kind}: {a.description}" + (f" (files: {', '.join(a.files)})" if a.files else "") for a in today]
    unread = state.unread()
    lines += ["", f"Inbox: {len(unread)} unread message(s)" + (" - use check_inbox." if unread else ".")]
    lines += [f"- from {m.sender}: {m.subject}" for m in unread]
    if state.log:
        lines += ["", "Activity log (most recent last):"]
        lines += [f"- day {e.day + 1} ({e.date}): {e.summary}" for e in state.log[-LOG_TAIL:]]
    lines += ["", f"You have {step_budget} tool calls today. Tools:"]
    lines += [f"- {spec.usage()}: {spec.summary}" for spec in REGISTRY.values()]
    lines.append('Send one JSON tool call per step, e.g. {"tool": "list_dir", "args": {"path": "Documents"}}. '
                 "End the day with end_day.")
    return "\n".join(lines)
