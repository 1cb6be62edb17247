"""The work agent's tools (DESIGN.md, "Env contract"): files, shell, messages, control.

Paths are accepted in the computer's own style (``C:\\Users\\ana\\Documents\\x.docx``,
``/Users/ana/x``, or relative to the home) and shown back in it. Every file tool goes
through the sandbox's supervisor, never through the agent's shell, so all of them
resolve paths and symlinks by one set of rules and nothing the agent did to its shell
(PATH, functions, aliases) changes what they do. Every tool returns a
:class:`ToolResult` made from its data (``synthcomp.toolresults``: the text the agent reads
is the data's ``render()``, and the env hands the data to the policy in ``info["data"]``);
mistakes raise :class:`ToolError` (or ``PathEscape``/``OSError``), which the registry
turns into an error observation.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any, Callable, Literal

from pydantic import ValidationError

from synthcomp import ospath
from synthcomp.computer.artifacts import render_artifact
from synthcomp.computer.artifacts.extract import extract_text
from synthcomp.computer.materialize import epoch
from synthcomp.env.registry import REGISTRY, ToolResult, tool
from synthcomp.env.state import DAYS_PER_WEEK, SimState
from synthcomp.errors import ToolError, did_you_mean
from synthcomp.models import (
    Computer, DeckContent, DocumentContent, Message, WeekPlan, WorkbookContent,
)
from synthcomp.sandbox.base import ExecResult, Sandbox
from synthcomp.sandbox.paths import to_os_path
from synthcomp.toolresults import (
    ChangeAsked, DayEnded, DirEntry, DirListing, DocumentCreated, FileText, FileWritten, Inbox, InboxItem, MessageSent,
    Moved, SearchMatches, ShellRun, Trashed, WeekPlanSaved, size_text,
)

_OFFICE = {"docx", "xlsx", "pptx", "pdf"}
MAX_CHARS = 200_000
"""Most characters read_file shows at once (the env's observations hold at most this much)."""
_TEXT = {"txt", "md", "csv", "json", "py", "eml", "ini", "html", "xml", "log", "yaml", "yml", "tsv", "sh", "r", "sql"}
_SPECS = {"docx": DocumentContent, "pdf": DocumentContent, "xlsx": WorkbookContent, "pptx": DeckContent}
@dataclass
class ToolContext:
    """What a tool may touch: the sandbox, the simulation state, the computer, the clock."""

    sandbox: Sandbox
    state: SimState
    computer: Computer
    now: Callable[[], datetime]
    on_message: Callable[[Message], None]
    changed: list[str] | None = None
    """What a watched command changed, as the sandbox reported it with the command's own
    answer (None: not known, so the env asks the sandbox after the step)."""

    def os_path(self, abs_path: str) -> str:
        return to_os_path(abs_path, self.sandbox.layout)

    def run(self, cmd: str, timeout_s: float = 30, *, watch: bool = False) -> ExecResult:
        """Run ``cmd``; with ``watch``, the files it changed come back in the same round trip
        (stamped with the simulated clock) and are kept in ``changed``."""
        if not watch:
            return self.sandbox.exec(cmd, timeout_s=timeout_s)
        result = self.sandbox.exec(cmd, timeout_s=timeout_s, changes_stamp_ns=epoch(self.now()) * 10**9)
        self.changed = result.changed
        return result


def _shown(path: str, text: str, limit: int, *, binary: bool = False) -> FileText:
    """``text`` cut after ``limit`` characters (the rest counted)."""
    if len(text) <= limit:
        return FileText(path=path, text=text, binary=binary)
    return FileText(path=path, text=text[:limit], truncated=True, more_chars=len(text) - limit, binary=binary)


@tool("write", mutates=True)
def shell(ctx: ToolContext, command: str, timeout_s: float = 30) -> ToolResult:
    """Run a bash command as the user, starting in the home folder; cd persists.

    Args:
        command: the bash command line.
        timeout_s: seconds before the command is killed (the shell survives).
    """
    if not command.strip():
        raise ToolError("command is empty")
    if not 0 < timeout_s <= 600:
        raise ToolError("timeout_s must be between 0 and 600 seconds")
    result = ctx.run(command, timeout_s=timeout_s, watch=True)
    return ToolResult.of(ShellRun(stdout=result.stdout, stderr=result.stderr, exit_code=result.exit_code,
                                  timed_out=result.timed_out, timeout_s=timeout_s, truncated=result.truncated),
                         error=result.timed_out)


@tool("read", mutates=False)
def list_dir(ctx: ToolContext, path: str = ".") -> ToolResult:
    """List a folder: type, size, modified time and name of each entry.

    Args:
        path: the folder, in the computer's style or relative to the home.
    """
    listing = ctx.sandbox.list_dir(path)
    entries = [DirEntry(name=e.name, path=ctx.os_path(posixpath.join(listing.path, e.name)), kind=e.kind, size=e.size,
                        mtime=datetime.fromtimestamp(e.mtime_ns / 1e9, tz=timezone.utc)) for e in listing.entries]
    return ToolResult.of(DirListing(path=ctx.os_path(listing.path), entries=entries, truncated=listing.truncated))


@tool("read", mutates=False)
def read_file(ctx: ToolContext, path: str, max_chars: int = 20000) -> ToolResult:
    """Read a file as text; DOCX, XLSX, PPTX and PDF are extracted with their structure.

    Args:
        path: the file.
        max_chars: cut the text after this many characters.
    """
    if not 1 <= max_chars <= MAX_CHARS:
        raise ToolError(f"max_chars must be between 1 and {MAX_CHARS}")
    target = ctx.sandbox.resolve(path)
    ext = ospath.extension(target)
    shown = ctx.os_path(target)
    if ext in _OFFICE:
        data = ctx.sandbox.read_bytes(target)
        try:
            text = extract_text(ext, data)
        except Exception as exc:  # a corrupt or hostile file is the agent's observation, not a crash
            raise ToolError(f"{shown} could not be read as {ext.upper()}: {exc}") from None
    else:
        limit = 4 * max_chars + 4
        data = ctx.sandbox.read_bytes(target, limit=limit, head=True)
        if ext in _TEXT or _looks_textual(data):
            text = data.decode("utf-8", errors="replace")
            if len(data) >= limit:  # only the head was read
                return ToolResult.of(FileText(path=shown, text=text[:max_chars], truncated=True))
        else:
            size = size_text(len(data)) + ("+" if len(data) >= limit else "")
            note = f"[binary file, {size}; read_file shows text, office documents and PDFs]"
            return ToolResult.of(_shown(shown, note, max_chars, binary=True))
    return ToolResult.of(_shown(shown, text, max_chars))


def _looks_textual(data: bytes) -> bool:
    sample = data[:4096]
    return b"\0" not in sample and bool(sample)


@tool("write", mutates=True)
def write_file(ctx: ToolContext, path: str, content: str) -> ToolResult:
    """Create or overwrite a text file (folders are created as needed).

    Args:
        path: the file to write.
        content: its full text (UTF-8).
    """
    target = ctx.sandbox.resolve(path)
    if ospath.extension(target) in _OFFICE:
        raise ToolError(f"write_file writes plain text; to make a .{ospath.extension(target)} use create_document")
    ctx.sandbox.write_bytes(target, content.encode("utf-8"))
    return ToolResult.of(FileWritten(path=ctx.os_path(target), chars=len(content)))


@tool("write", mutates=True)
def create_document(ctx: ToolContext, path: str, kind: Literal["docx", "xlsx", "pptx", "pdf"], spec: dict) -> ToolResult:
    """Create a real office document from a structured spec, in the user's own style.

    Args:
        path: where to save it; its extension must match kind.
        kind: docx, xlsx, pptx or pdf.
        spec: docx/pdf {title, sections:[{heading, paragraphs, bullets, table:{columns, rows}}]}; xlsx {title, sheets:[{name, columns:[{name, type}], rows, total_row}]}; pptx {title, slides:[{title, bullets, table, chart:{title, categories, series:[{name, values}]}}]}.
    """
    target = ctx.sandbox.resolve(path)
    if ospath.extension(target) != kind:
        raise ToolError(f"{ctx.os_path(target)} does not end in .{kind}")
    model = _SPECS[kind]
    fields = {"author": ctx.computer.profile.full_name, "title": PurePosixPath(target).stem.replace("_", " ")}
    try:
        content = model.model_validate({**fields, **{k: v for k, v in spec.items() if k != "kind"}})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'spec'}: {e['msg']}" for e in exc.errors()[:4])
        raise ToolError(f"bad {kind} spec: {problems}") from None
    try:
        data = render_artifact(kind, content, ctx.computer.profile.style, ctx.now(), seed=len(ctx.state.changed_today))
    except Exception as exc:  # the office libraries reject what the spec asked for (control chars, empty charts...)
        raise ToolError(f"the {kind} spec could not be written as a file: {type(exc).__name__}: {exc}") from None
    ctx.sandbox.write_bytes(target, data)
    return ToolResult.of(DocumentCreated(path=ctx.os_path(target), format=kind, size=len(data)))


@tool("write", mutates=True)
def move(ctx: ToolContext, src: str, dst: str) -> ToolResult:
    """Move or rename a file or folder (into dst if dst is an existing folder).

    Args:
        src: what to move.
        dst: the new path, or an existing folder to move it into.
    """
    source, dest = ctx.sandbox.move(src, dst)
    return ToolResult.of(Moved(src=ctx.os_path(source), dst=ctx.os_path(dest)))

@tool("write", mutates=True)
def delete(ctx: ToolContext, path: str) -> ToolResult:
    """Delete a file or folder by moving it to the trash (Recycle Bin / .Trash): recoverable.

    Args:
        path: what to delete.
    """
    target, dest = ctx.sandbox.trash(path)
    return ToolResult.of(Trashed(path=ctx.os_path(target), trash_path=ctx.os_path(dest)))

@tool("read", mutates=False)
def search_files(ctx: ToolContext, query: str, path: str = ".") -> ToolResult:
    """Find files whose name or content (including inside DOCX/XLSX/PPTX) contains query.

    Args:
        query: text to look for (case-insensitive).
        path: the folder to search below.
    """
    if not query.strip():
        raise ToolError("query is empty")
    target = ctx.sandbox.resolve(path)
    hits, stopped = ctx.sandbox.search(query, target, max_hits=100, budget_s=30)
    return ToolResult.of(SearchMatches(query=query, path=ctx.os_path(target), matches=[ctx.os_path(h) for h in hits],
                                       stopped=stopped))

def _collaborator(ctx: ToolContext, to: str):
    wanted = to.strip().lower()
    for c in ctx.state.collaborators:
        if wanted in {c.name.lower(), c.email.lower(), c.name.split()[0].lower()}:
            return c
    names = [c.name for c in ctx.state.collaborators]
    raise ToolError(f"unknown recipient {to!r}{did_you_mean(to, names)}; collaborators: {', '.join(names)}")


@tool("message", mutates=False)
def send_message(ctx: ToolContext, to: str, subject: str, body: str, attachments: list[str] = []) -> ToolResult:  # noqa: B006 - pydantic copies defaults
    """Send a message to a collaborator (name or e-mail); replies arrive on a later day.

    Args:
        to: a collaborator's name, first name or e-mail.
        subject: the subject line.
        body: the message text.
        attachments: files from the computer to attach.
    """
    collaborator = _collaborator(ctx, to)
    if not subject.strip() or not body.strip():
        raise ToolError("subject and body must not be empty")
    attached = []
    for path in attachments:
        resolved = ctx.sandbox.resolve(path)
        ctx.sandbox.read_bytes(resolved)  # must exist and be readable
        attached.append(ctx.os_path(resolved))
    state = ctx.state
    message = Message(id=state.new_message_id(), sender="me", to=collaborator.name, subject=subject, body=body,
                      attachments=attached, sent_day=state.day, deliver_day=state.day)
    state.outbox.append(message)
    ctx.on_message(message)
    return ToolResult.of(MessageSent(id=message.id, to=collaborator.name, email=collaborator.email, subject=subject,
                                     attachments=attached, reply_within_days=collaborator.reply_latency_days))


@tool("message", mutates=False)
def check_inbox(ctx: ToolContext) -> ToolResult:
    """Show messages that have arrived (unread first) and mark them read."""
    state = ctx.state
    arrived = sorted((m for m in state.inbox if m.deliver_day <= state.day), key=lambda m: (m.read, -m.deliver_day, m.id))
    items = [InboxItem(id=m.id, sender=m.sender, day=m.deliver_day, subject=m.subject, body=m.body,
                       attachments=m.attachments, new=not m.read,
                       requested_changes=[ChangeAsked.of(c) for c in m.requested_changes], pending=m.pending,
                       question=m.question)
             for m in arrived]
    for m in arrived:
        m.read = True
    return ToolResult.of(Inbox(messages=items))


@tool("control", mutates=False)
def submit_week_plan(ctx: ToolContext, plan: dict) -> ToolResult:
    """Submit the plan for this week: goals and daily activities (deep_work, review, admin, outreach).

    Args:
        plan: {"goals": [...], "activities": [{"day": N, "kind": "deep_work", "description": "...", "files": [...], "sources": [...], "collaborators": [...]}]}
    """
    state = ctx.state
    try:
        week_plan = WeekPlan.model_validate({"week": state.week, **plan})
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:4])
        raise ToolError(f"bad week plan: {problems}") from None
    state.week_plans = [p for p in state.week_plans if p.week != week_plan.week] + [week_plan]
    first, last = state.week * DAYS_PER_WEEK, state.week * DAYS_PER_WEEK + DAYS_PER_WEEK - 1
    planned = {f.lower() for a in week_plan.activities for f in a.files}
    unplanned = [f"{d.id} {name} (workday {day + 1})" for d in state.open_deliverables()
                 for name, day in d.milestones().items() if first <= day <= last
                 and not any(o.path.lower() in planned for o in d.outputs)]
    return ToolResult.of(WeekPlanSaved(week=week_plan.week, activities=len(week_plan.activities), unplanned=unplanned))


@tool("control", mutates=False)
def end_day(ctx: ToolContext, summary: str) -> ToolResult:
    """Finish today's work; the summary goes into the activity log you read tomorrow.

    Args:
        summary: what you did today and what comes next.
    """
    if not summary.strip():
        raise ToolError("summary must not be empty: it is tomorrow's context")
    return ToolResult.of(DayEnded(summary=summary.strip()), ends_day=True, summary=summary.strip())


def tool_definitions() -> list[dict[str, Any]]:
    """Every tool as an Anthropic tool definition, generated from the registry (never by hand)."""
    return [{"name": s.name, "description": s.summary, "input_schema": s.input_schema()} for s in REGISTRY.values()]
