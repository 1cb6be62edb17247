"""The work agent's tools (DESIGN.md, "Env contract"): files, shell, messages, control.

Paths are accepted in the computer's own style (``C:\\Users\\ana\\Documents\\x.docx``,
``/Users/ana/x``, or relative to the home) and shown back in it. Every tool returns a
:class:`ToolResult`; mistakes raise :class:`ToolError` (or ``PathEscape``/``OSError``),
which the registry turns into an error observation.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath
from typing import Any, Callable, Literal

from pydantic import ValidationError

from synthcomp import ospath
from synthcomp.computer.artifacts import render_artifact
from synthcomp.computer.artifacts.extract import extract_text
from synthcomp.env.registry import REGISTRY, ToolResult, tool
from synthcomp.env.state import SimState
from synthcomp.errors import ToolError, did_you_mean
from synthcomp.models import (
    Computer, DeckContent, DocumentContent, Message, WeekPlan, WorkbookContent,
)
from synthcomp.sandbox.base import ExecResult, Sandbox
from synthcomp.sandbox.paths import to_os_path

_OFFICE = {"docx", "xlsx", "pptx", "pdf"}
_TEXT = {"txt", "md", "csv", "json", "py", "eml", "ini", "html", "xml", "log", "yaml", "yml", "tsv", "sh", "r", "sql"}
_SPECS = {"docx": DocumentContent, "pdf": DocumentContent, "xlsx": WorkbookContent, "pptx": DeckContent}
_SEARCH = r"""
import os, re, sys, zipfile
q, root = sys.argv[1].lower(), sys.argv[2]
parts = ("word/document", "xl/sharedStrings", "xl/worksheets/", "ppt/slides/slide")
found = 0
for dp, dn, fn in os.walk(root):
    dn.sort()
    for n in sorted(fn):
        p = os.path.join(dp, n)
        hit = q in n.lower()
        try:
            if not hit and n.lower().rsplit(".", 1)[-1] in ("docx", "xlsx", "pptx"):
                with zipfile.ZipFile(p) as z:
                    hit = any(q in re.sub(r"<[^>]+>", "", z.read(i).decode("utf-8", "ignore")).lower()
                              for i in z.namelist() if i.startswith(parts))
            elif not hit and os.path.getsize(p) < 2000000:
                with open(p, "rb") as f:
                    hit = q in f.read().decode("utf-8", "ignore").lower()
        except Exception:
            pass
        if hit:
            print(p)
            found += 1
            if found >= 100:
                sys.exit(0)
"""


@dataclass
class ToolContext:
    """What a tool may touch: the sandbox, the simulation state, the computer, the clock."""

    sandbox: Sandbox
    state: SimState
    computer: Computer
    now: Callable[[], datetime]
    on_message: Callable[[Message], None]

    def os_path(self, abs_path: str) -> str:
        return to_os_path(abs_path, self.sandbox.layout)

    def run(self, cmd: str, timeout_s: float = 30) -> ExecResult:
        return self.sandbox.exec(cmd, timeout_s=timeout_s)


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[:limit] + f"\n[... truncated: {len(text) - limit} more characters; use max_chars to see more]"


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
    result = ctx.run(command, timeout_s=timeout_s)
    parts = [result.stdout.rstrip("\n")] if result.stdout else []
    if result.stderr:
        parts.append("[stderr]\n" + result.stderr.rstrip("\n"))
    status = f"[exit {result.exit_code}]"
    if result.timed_out:
        status += f" [timed out after {timeout_s:g} s]"
    if result.truncated:
        status += " [output truncated: head and tail kept]"
    parts.append(status)
    return ToolResult(text="\n".join(parts), error=result.timed_out)


@tool("read", mutates=False)
def list_dir(ctx: ToolContext, path: str = ".") -> ToolResult:
    """List a folder: type, size, modified time and name of each entry.

    Args:
        path: the folder, in the computer's style or relative to the home.
    """
    target = ctx.sandbox.resolve(path)
    q = shlex.quote(target)
    result = ctx.run(f"if [ -d {q} ]; then find {q} -mindepth 1 -maxdepth 1 -printf '%y\\t%s\\t%TY-%Tm-%Td %TH:%TM\\t%f\\n'"
                     f" | LC_ALL=C sort -t \"$(printf '\\t')\" -k1,1 -k4f; else echo __NOT_A_DIR__; fi")
    if "__NOT_A_DIR__" in result.stdout:
        raise ToolError(f"not a folder: {ctx.os_path(target)}")
    if result.exit_code != 0:
        raise ToolError(f"could not list {ctx.os_path(target)}: {result.stderr.strip() or f'exit {result.exit_code}'}")
    rows = []
    for line in result.stdout.splitlines():
        kind, size, mtime, name = (line.split("\t") + ["", "", "", ""])[:4]
        label = "DIR " if kind == "d" else "FILE"
        rows.append(f"{label}  {mtime}  {'' if kind == 'd' else _size(int(size or 0)):>8}  {name}")
    header = f"{ctx.os_path(target)} ({len(rows)} entries)"
    return ToolResult(text="\n".join([header, *rows]) if rows else f"{header}: empty")


def _size(n: int) -> str:
    return f"{n} B" if n < 1024 else (f"{n / 1024:.0f} KB" if n < 1024**2 else f"{n / 1024**2:.1f} MB")


@tool("read", mutates=False)
def read_file(ctx: ToolContext, path: str, max_chars: int = 20000) -> ToolResult:
    """Read a file as text; DOCX, XLSX, PPTX and PDF are extracted with their structure.

    Args:
        path: the file.
        max_chars: cut the text after this many characters.
    """
    if max_chars < 1:
        raise ToolError("max_chars must be at least 1")
    target = ctx.sandbox.resolve(path)
    data = ctx.sandbox.read_bytes(target)
    ext = ospath.extension(target)
    shown = ctx.os_path(target)
    if ext in _OFFICE:
        try:
            text = extract_text(ext, data)
        except Exception as exc:  # a corrupt file is the agent's observation, not a crash
            raise ToolError(f"{shown} could not be read as {ext.upper()}: {exc}") from None
    elif ext in _TEXT or _looks_textual(data):
        text = data.decode("utf-8", errors="replace")
    else:
        text = f"[binary file, {_size(len(data))}; read_file shows text, office documents and PDFs]"
    return ToolResult(text=f"{shown}\n{_truncate(text, max_chars)}")


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
    return ToolResult(text=f"wrote {len(content)} characters to {ctx.os_path(target)}")


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
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()[:4])
        raise ToolError(f"bad {kind} spec: {problems}") from None
    try:
        data = render_artifact(kind, content, ctx.computer.profile.style, ctx.now(), seed=len(ctx.state.changed_today))
    except Exception as exc:  # the office libraries reject what the spec asked for (control chars, empty charts...)
        raise ToolError(f"the {kind} spec could not be written as a file: {type(exc).__name__}: {exc}") from None
    ctx.sandbox.write_bytes(target, data)
    return ToolResult(text=f"created {ctx.os_path(target)} ({_size(len(data))})")


@tool("write", mutates=True)
def move(ctx: ToolContext, src: str, dst: str) -> ToolResult:
    """Move or rename a file or folder (into dst if dst is an existing folder).

    Args:
        src: what to move.
        dst: the new path, or an existing folder to move it into.
    """
    source, dest = ctx.sandbox.resolve(src), ctx.sandbox.resolve(dst)
    if source in {ctx.sandbox.layout.root, ctx.sandbox.layout.home}:
        raise ToolError(f"refusing to move {ctx.os_path(source)}")
    q_src, q_dst = shlex.quote(source), shlex.quote(dest)
    result = ctx.run(f"[ -e {q_src} ] || {{ echo 'no such file or folder' >&2; exit 2; }}; "
                     f"mkdir -p \"$(dirname {q_dst})\" && mv -n -- {q_src} {q_dst}")
    if result.exit_code != 0:
        raise ToolError(f"could not move {ctx.os_path(source)}: {result.stderr.strip()}")
    return ToolResult(text=f"moved {ctx.os_path(source)} -> {ctx.os_path(dest)}")


@tool("write", mutates=True)
def delete(ctx: ToolContext, path: str) -> ToolResult:
    """Delete a file or folder by moving it to the trash (Recycle Bin / .Trash): recoverable.

    Args:
        path: what to delete.
    """
    target = ctx.sandbox.resolve(path)
    layout = ctx.sandbox.layout
    trash = "/drives/C/$Recycle.Bin" if layout.os == "windows" else f"{layout.home}/.Trash"
    if target in {layout.root, layout.home, trash} or trash.startswith(target + "/"):
        raise ToolError(f"refusing to delete {ctx.os_path(target)}")
    q_target, q_trash = shlex.quote(target), shlex.quote(trash)
    name = shlex.quote(PurePosixPath(target).name)
    result = ctx.run(
        f"[ -e {q_target} ] || {{ echo 'no such file or folder' >&2; exit 2; }}; mkdir -p {q_trash} && "
        f"n={name}; i=2; while [ -e {q_trash}/\"$n\" ]; do n=\"{PurePosixPath(target).stem} ($i){PurePosixPath(target).suffix}\"; "
        f"i=$((i+1)); done; mv -- {q_target} {q_trash}/\"$n\" && echo \"$n\""
    )
    if result.exit_code != 0:
        raise ToolError(f"could not delete {ctx.os_path(target)}: {result.stderr.strip()}")
    return ToolResult(text=f"moved {ctx.os_path(target)} to the trash as {ctx.os_path(trash + '/' + result.stdout.strip())}")


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
    result = ctx.run(f"python3 -c {shlex.quote(_SEARCH)} {shlex.quote(query)} {shlex.quote(target)}", timeout_s=60)
    hits = [ctx.os_path(line) for line in result.stdout.splitlines() if line.strip()]
    if result.exit_code != 0 and not hits:
        raise ToolError(f"search failed under {ctx.os_path(target)}: {result.stderr.strip()[-300:] or f'exit {result.exit_code}'}")
    if not hits:
        return ToolResult(text=f"no files under {ctx.os_path(target)} match {query!r}")
    return ToolResult(text=f"{len(hits)} match(es) for {query!r}:\n" + "\n".join(hits))


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
    return ToolResult(text=f"sent to {collaborator.name} <{collaborator.email}>: {subject!r}"
                           + (f" with {len(attached)} attachment(s)" if attached else "")
                           + f". {collaborator.name.split()[0]} usually replies within {collaborator.reply_latency_days} day(s).")


@tool("message", mutates=False)
def check_inbox(ctx: ToolContext) -> ToolResult:
    """Show messages that have arrived (unread first) and mark them read."""
    state = ctx.state
    arrived = [m for m in state.inbox if m.deliver_day <= state.day]
    if not arrived:
        return ToolResult(text="inbox: no messages yet")
    arrived.sort(key=lambda m: (m.read, -m.deliver_day, m.id))
    lines = [f"inbox: {sum(not m.read for m in arrived)} unread, {len(arrived)} total"]
    for m in arrived:
        flag = "NEW " if not m.read else ""
        lines += ["", f"{flag}[{m.id}] from {m.sender}, day {m.deliver_day}: {m.subject}", m.body]
        if m.attachments:
            lines.append("attachments (saved): " + ", ".join(m.attachments))
        m.read = True
    return ToolResult(text="\n".join(lines))


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
    return ToolResult(text=f"week {week_plan.week + 1} plan saved: {len(week_plan.activities)} activities")


@tool("control", mutates=False)
def end_day(ctx: ToolContext, summary: str) -> ToolResult:
    """Finish today's work; the summary goes into the activity log you read tomorrow.

    Args:
        summary: what you did today and what comes next.
    """
    if not summary.strip():
        raise ToolError("summary must not be empty: it is tomorrow's context")
    return ToolResult(text="day ended", ends_day=True, summary=summary.strip())


def tool_definitions() -> list[dict[str, Any]]:
    """Every tool as an Anthropic tool definition, generated from the registry (never by hand)."""
    return [{"name": s.name, "description": s.summary, "input_schema": s.input_schema()} for s in REGISTRY.values()]
