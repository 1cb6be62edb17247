"""ScriptedPolicy: the offline baseline. Deterministic, no model, no key.

It works the month the way the briefing asks. On the first day it submits a week plan,
lists the home, reads every source file its deliverables depend on and asks
collaborators for missing inputs (each deliverable's collaborators first, then the other
colleagues). From the next day it checks the inbox, files what arrived (facts, requested
sections, shared files, which it reads), writes each deliverable's outputs with
``create_document`` (a report quoting the totals it computed from the source tables, an
analysis workbook with typed columns and total rows, a deck with a chart) or
``write_file`` (CSV, Markdown), and sends each draft to a collaborator for review. When
new facts, requests or comments arrive for a written deliverable it revises it: the first
revision answers any feedback, later ones only new facts or requests (a late reply, a
mid-month change), at most ``MAX_VERSIONS - 1`` in all. Every day ends with ``end_day``
and a summary of what was done and what comes next; once everything is written, days are
short (inbox, end_day). One step is always kept for ``end_day``; on the month's last day
writing comes before reading.

Month memory survives ``reset()``; a briefing for an earlier day, or for the same day
after the policy already acted on it (a restart or a restored snapshot), starts afresh.

Practices (``synthcomp.skillmd.PRACTICES``) switch learnable behaviour. Out of the box it
follows :data:`BASELINE`: it reads its sources, delivers every output and reads what is
shared, but it has two failure modes the paper's work agents show: it drafts as soon as
it can, before the data owners it asked have answered, and it never revises a draft once
written, so late figures and reviewers' requested changes are lost. A SKILL.md whose
``metadata.practices`` names "wait-for-data-owners" or "revise-after-feedback" (mined from
simulations by ``synthcomp skills``) switches them on; :data:`ALL_PRACTICES` is the
thorough worker.
"""

from __future__ import annotations

import logging
from typing import Any, Callable

from pydantic import ValidationError

from pathlib import Path

from synthcomp import ospath
from synthcomp.models import Deliverable
from synthcomp.policies.documents import deck_spec, report_spec, text_output, workbook_spec
from synthcomp.policies.drafting import Brief, Reply, SourceNote, file_name
from synthcomp.policies.notebook import (
    DATA_KINDS, DAYS_PER_WEEK, DOC_KINDS, Month, Progress, Today, call, project, week_plan,
)
from synthcomp.policies.observations import (
    briefing_of, csv_table, currency_in, document_title, first_sentences, pipe_tables, sheet_tables,
)

from synthcomp.skillmd import PRACTICES, practices_of
from synthcomp.toolresults import DirListing, FileText, Inbox, Refusal, SearchMatches, data_of

log = logging.getLogger(__name__)

BASELINE = frozenset({"ask-data-owners", "read-sources-first", "deliver-every-output", "check-paths",
                      "check-downloads-each-morning"})
"""What the policy practices without skills."""
ALL_PRACTICES = frozenset(PRACTICES)
WAIT_DAYS = 3
"""How long "wait-for-data-owners" holds a first draft for a reply."""

MAX_ATTEMPTS = 2
MAX_REVIEW_ROUNDS = 3
MAX_VERSIONS = 5
_DATA_CHARS = 150_000
_DOC_CHARS = 30_000
_SPECS: dict[str, Callable[[Brief], dict[str, Any]]] = {
    "docx": report_spec, "pdf": report_spec, "xlsx": workbook_spec, "pptx": deck_spec,
}


class ScriptedPolicy:
    """See the module docstring. ``seed`` is accepted for a uniform interface; the policy is deterministic."""

    name = "scripted"

    def __init__(self, seed: int = 0, practices: frozenset[str] = BASELINE, skills: list[Path] | None = None) -> None:
        """``skills`` add the practices their SKILL.md metadata names to ``practices``."""
        self.seed = seed
        self.practices = frozenset(practices) | practices_of(skills or [])
        self.month: Month | None = None
        self.today: Today | None = None
        self._last: dict[str, Any] | None = None
        self._context: Any = None

    # ------------------------------------------------------------------ protocol
    def reset(self) -> None:
        self._last, self._context = None, None
        if self.today is not None:
            self.today.done = []

    def act(self, observation: str, info: dict[str, Any]) -> dict[str, Any]:
        """The next call; what the last one returned is read from ``info["data"]``, not the text."""
        info = info if isinstance(info, dict) else {}
        try:
            if "objectives" in info or self.today is None or self.month is None:
                self._begin_day(info)
            else:
                self._observe(info)
            action = self._choose(info)
        except Exception:  # a policy never raises: a bug here ends the day, not the run
            log.exception("scripted policy failed; ending the day")
            action = call("end_day", summary="Ended the day early after an internal problem; resume tomorrow.")
        self._last = action
        if self.today is not None:
            self.today.acted += 1
        return action

    # ------------------------------------------------------------------ day start
    def _begin_day(self, info: dict[str, Any]) -> None:
        day = info.get("day") if isinstance(info.get("day"), int) else 0
        raw = info.get("objectives") if isinstance(info.get("objectives"), list) else None
        month, today = self.month, self.today
        fresh = (month is None or day < month.last_day
                 or (today is not None and day == today.day and today.acted > 0 and raw is not None))
        deliverables = []
        for item in raw or []:
            try:
                deliverables.append(Deliverable.model_validate(item))
            except ValidationError:
                continue
        if not fresh and raw is not None and month is not None:
            known = {d.id for d in month.deliverables}
            fresh = not known <= {d.id for d in deliverables}  # one taken away: a different month
            if not fresh:  # work assigned this morning joins the month; its people are asked about it
                for d in deliverables:
                    if d.id not in known:
                        month.add(d)
                        for person in d.collaborators:
                            month.follow_up[person] = min(month.follow_up.get(person, day), day)
        if fresh:
            people = [c for c in info.get("collaborators") or [] if isinstance(c, str)]
            month = self.month = Month.start(deliverables, people, briefing_of(info).roots)
        assert month is not None
        briefing = briefing_of(info)
        month.days_total = briefing.days_total or month.days_total
        month.me = briefing.me or month.me
        month.last_day = day
        if today is None or fresh or today.day != day:
            self.today = Today(day=day, briefing=briefing)
        else:  # the same day, briefed again before any step
            today.briefing = briefing

    # ------------------------------------------------------------------ observations
    def _observe(self, info: dict[str, Any]) -> None:
        last, month, today = self._last, self.month, self.today
        if last is None or month is None or today is None:
            return
        tool, context = last["tool"], self._context
        failed = bool(info.get("tool_error")) or isinstance(data_of(info), Refusal)
        if tool == "read_file" and isinstance(context, str) and context in month.sources:
            self._read_done(month.sources[context], info, failed)
        elif tool == "check_inbox":
            inbox = data_of(info, Inbox)
            filed = [m for m in (inbox.messages if inbox else []) if month.file(m)]
            if filed:
                senders = ", ".join(dict.fromkeys(m.sender for m in filed))
                today.done.append(f"read {len(filed)} message(s) from {senders}")
        elif tool == "send_message" and isinstance(context, tuple):
            kind, who = context
            if kind == "ask":
                month.asked[who] = -1 if failed else today.day
                if not failed:
                    today.done.append(f"asked {who} for inputs")
            else:
                if failed:
                    month.progress[who].review = "failed"
                else:
                    today.done.append(f"sent {who} for review")
        elif tool in {"create_document", "write_file"} and isinstance(context, tuple):
            ident, path, version = context
            progress = month.progress[ident]
            if failed:
                progress.failures[path] = progress.failures.get(path, 0) + 1
            else:
                progress.written[path] = version
                if "verify-own-work" in self.practices and path not in month.to_verify:
                    month.to_verify.append(path)
        elif tool == "submit_week_plan" and not failed:
            month.planned_weeks.add(today.day // DAYS_PER_WEEK)
            today.done.append("planned the week")
        elif tool == "list_dir":
            month.listed_home = True
            listing = data_of(info, DirListing)
            for entry in listing.entries if listing else []:
                month.mtimes[entry.path] = entry.mtime.timestamp()
            if listing is not None:
                month.listed.add(listing.path)
                for finder_id, finder in month.finders.items():
                    if finder.folders and not finder.done and all(f in month.listed for f in finder.folders):
                        month.found(finder_id)
        elif tool == "search_files" and isinstance(context, tuple) and context[0] == "find":
            finder = month.finders.get(context[1])
            matches = data_of(info, SearchMatches)
            if finder is not None and finder.searches:
                kinds = (*DATA_KINDS, *DOC_KINDS)
                finder.hits += [m for m in (matches.matches if matches else []) if ospath.extension(m) in kinds
                                and m not in finder.hits]
                finder.searches.pop(0)
                finder.folders = list(dict.fromkeys(ospath.folder(h) for h in finder.hits))
                if not finder.searches and all(f in month.listed for f in finder.folders):
                    month.found(context[1])

    def _read_done(self, note: SourceNote, info: dict[str, Any], failed: bool) -> None:
        read = None if failed else data_of(info, FileText)
        if read is None:
            refusal = data_of(info, Refusal)
            note.status = "failed"
            note.error = (refusal.message.splitlines() or [""])[0][:160] if refusal else "no output"
            return
        note.status, note.truncated = "read", read.truncated
        stem, body = file_name(note.path).rsplit(".", 1)[0], read.text
        if note.ext == "xlsx":
            note.tables, note.title = sheet_tables(body, note.path), stem
        elif note.ext in {"csv", "tsv"}:
            note.tables, note.title = csv_table(body, note.path, stem), stem
        else:
            note.tables = pipe_tables(body, note.path, stem)
            note.title, note.gist = document_title(body) or stem, first_sentences(body)
            note.figures = [(row[0], row[1]) for t in note.tables if len(t.columns) == 2
                            and t.columns[1].lower() in {"total", "value", "amount"} for row in t.rows if row[0] and row[1]]
        if self.month is not None and not self.month.currency:
            self.month.currency = currency_in(body)

    # ------------------------------------------------------------------ choosing
    def _choose(self, info: dict[str, Any]) -> dict[str, Any]:
        self._context = None
        steps_left = info.get("steps_left")
        if isinstance(steps_left, int) and steps_left <= 1:
            return self._end_day()
        steps = [self._check_inbox, self._plan, self._list_home, self._find_next, self._read_next, self._verify_next,
                 self._ask_next, self._answer_next, self._follow_up_next, self._write_next, self._review_next]
        if self._last_day:  # the last chance to deliver: write before reading what is left
            steps = [self._check_inbox, self._plan, self._write_next, self._find_next, self._read_next]
        for step in steps:
            action = step(info)
            if action is not None:
                return action
        return self._end_day()

    def _once(self, key: str) -> bool:
        """True the first time ``key`` comes up today (so nothing is retried in a loop)."""
        assert self.today is not None
        if key in self.today.tried:
            return False
        self.today.tried.add(key)
        return True

    @property
    def _last_day(self) -> bool:
        month, today = self.month, self.today
        return bool(month and today and month.days_total is not None and today.day >= month.days_total - 1)

    def _plan(self, info: dict[str, Any]) -> dict[str, Any] | None:
        """The week's plan; with "verify-own-work", after reading where each deliverable stands."""
        month, today = self.month, self.today
        week = today.day // DAYS_PER_WEEK
        if not today.briefing.needs_week_plan or week in month.planned_weeks:
            return None
        if "verify-own-work" in self.practices:
            for d in month.deliverables:
                written = [o.path for o in d.outputs if month.progress[d.id].written.get(o.path)]
                if written and self._once(f"stand-{written[0]}"):
                    return call("read_file", path=written[0], max_chars=_DOC_CHARS)
        if not self._once("plan"):
            return None
        return call("submit_week_plan", plan=week_plan(month, today.day))

    def _verify_next(self, info: dict[str, Any]) -> dict[str, Any] | None:
        """Read back what was just written ("verify-own-work")."""
        month = self.month
        while month.to_verify:
            path = month.to_verify.pop(0)
            if self._once(f"verify-{path}-{len(month.seen_messages)}"):
                return call("read_file", path=path, max_chars=_DOC_CHARS)
        return None

    def _check_inbox(self, info: dict[str, Any]) -> dict[str, Any] | None:
        unread = info.get("inbox_unread")
        if isinstance(unread, int) and unread > 0 and self._once(f"inbox-{unread}-{len(self.month.seen_messages)}"):
            return call("check_inbox")
        return None

    def _list_home(self, info: dict[str, Any]) -> dict[str, Any] | None:
        if self.month.listed_home or not self._once("list"):
            return None
        return call("list_dir", path=".")

    def _find_next(self, info: dict[str, Any]) -> dict[str, Any] | None:
        """Find what an objective needs: search by its project's name, then list the folders
        of the hits to see which file is newest."""
        month = self.month
        for ident, finder in month.finders.items():
            if finder.done:
                continue
            if finder.searches and self._once(f"find-{ident}-{len(finder.searches)}"):
                self._context = ("find", ident)
                query, folder = finder.searches[0]
                return call("search_files", query=query, path=folder)
            if finder.searches:
                continue
            for folder in finder.folders:
                if folder not in month.listed and self._once(f"list-{folder}"):
                    self._context = ("list", ident)
                    return call("list_dir", path=folder)
        return None

    def _look_first(self, path: str) -> dict[str, Any] | None:
        """"check-paths": list a file's folder before the first read or write there."""
        folder = ospath.folder(path)
        if "check-paths" not in self.practices or folder in self.month.listed or not self._once(f"look-{folder}"):
            return None
        self.month.listed.add(folder)  # a folder that does not exist yet is not listed twice
        return call("list_dir", path=folder)

    def _read_next(self, info: dict[str, Any]) -> dict[str, Any] | None:
        for path, note in self.month.sources.items():
            if note.status == "pending" and (look := self._look_first(path)) is not None:
                return look
            if note.status == "pending" and self._once(f"read-{path}"):
                self._context = path
                chars = _DATA_CHARS if note.ext in {"xlsx", "csv", "tsv"} else _DOC_CHARS
                return call("read_file", path=path, max_chars=chars)
        return None

    def _answer_next(self, info: dict[str, Any]) -> dict[str, Any] | None:
        """Answer what a colleague asked back: which figures, and what they are for."""
        month = self.month
        for person, question in list(month.questions.items()):
            del month.questions[person]
            mine = [d for d in month.deliverables if person in d.collaborators] or month.deliverables
            lines = [f"Hi {person.split()[0]},", "", "Thanks for checking. They are for these deliverables, which go to "
                     "the client after review:"]
            lines += [f"- [{d.id}] {d.title}: the budget figures you hold (approved budget, contingency, committed "
                      "spend, forecasts) as they stand today" for d in mine]
            lines += ["", "Thanks,", month.me or "me"]
            self._context = ("ask", person)
            return call("send_message", to=person, subject=f"[{', '.join(d.id for d in mine)}] RE: figures needed",
                        body="\n".join(lines))
        return None

    def _follow_up_next(self, info: dict[str, Any]) -> dict[str, Any] | None:
        """Ask again whoever said something would exist (or be confirmed) by today."""
        month, today = self.month, self.today
        for person, day in sorted(month.follow_up.items(), key=lambda item: item[1]):
            if day > today.day or not self._once(f"follow-up-{person}"):
                continue
            del month.follow_up[person]
            mine = [d for d in month.deliverables if person in d.collaborators] or month.deliverables
            body = (f"Hi {person.split()[0]},\n\nFollowing up on my earlier request: you mentioned some figures would "
                    f"be available by now. Could you send me the confirmed figures for "
                    f"{'; '.join(project(d) for d in mine)}?\n\nThanks,\n{month.me or 'me'}")
            self._context = ("ask", person)
            return call("send_message", to=person, subject=f"[{', '.join(d.id for d in mine)}] Follow-up: figures needed",
                        body=body)
        return None

    def _ask_next(self, info: dict[str, Any]) -> dict[str, Any] | None:
        month = self.month
        for person in month.people():
            if person in month.asked or not self._once(f"ask-{person}"):
                continue
            mine = [d for d in month.deliverables if person in d.collaborators] or month.deliverables
            if not mine:
                return None
            lines = [f"Hi {person.split()[0] if person.split() else person},", "",
                     "I am preparing the following this month and would value your input:"]
            for d in mine:
                names = ", ".join(file_name(p) for p in d.sources[:4]) or "the project files"
                lines.append(f"- [{d.id}] {d.title} (working from {names})")
            lines += ["", "Could you send me the figures, budgets, deadlines or decisions I should reflect, and any "
                          "reference files the project folders do not have? Please also tell me what you would "
                          "like to see in the final versions.", "", "Thanks,", month.me or "me"]
            self._context = ("ask", person)
            subject = f"[{', '.join(d.id for d in mine)}] Inputs needed: " + "; ".join(project(d) for d in mine)
            return call("send_message", to=person, subject=subject[:200], body="\n".join(lines))
        return None

    def _write_next(self, info: dict[str, Any]) -> dict[str, Any] | None:
        month, today = self.month, self.today
        if today.day == 0 and not self._last_day:
            return None
        for d in month.deliverables:
            if (finder := month.finders.get(d.id)) is not None and not finder.done and not self._last_day:
                continue  # its sources are not found yet (on the last day it is written with what there is)
            d = month.by_id(d.id) or d  # with the sources found
            progress = month.progress[d.id]
            known = _inputs(month.replies[d.id])
            if progress.version == 0:
                if self._waiting_for_owners(d):
                    continue
                progress.target = 1
            elif "revise-after-feedback" not in self.practices:
                pass  # the draft stands as first written
            elif progress.target == progress.version and progress.version < MAX_VERSIONS:
                new = known - progress.inputs_at_write
                # the first revision answers any feedback; later ones only new facts or requests
                if any(kind != "comment" or progress.version == 1 for kind, _ in new):
                    progress.target = progress.version + 1
            if (action := self._write_output(d, progress, info)) is not None:
                return action
            if progress.target > progress.version:
                progress.version = progress.target
                progress.written_day, progress.inputs_at_write = today.day, known
                today.done.append(f"{'wrote' if progress.version == 1 else 'revised'} {d.id} ({len(d.outputs)} file(s))")
        return None

    def _waiting_for_owners(self, d: Deliverable) -> bool:
        """"wait-for-data-owners": a collaborator of ``d`` was asked, has not answered yet,
        and there is time to wait (at most ``WAIT_DAYS``, never into the last two days)."""
        month, today = self.month, self.today
        if "wait-for-data-owners" not in self.practices:
            return False
        if month.days_total is not None and today.day >= month.days_total - 2:
            return False
        return any(0 <= month.asked.get(c, -1) and c not in month.replied and today.day - month.asked[c] < WAIT_DAYS
                   for c in d.collaborators)

    def _write_output(self, d: Deliverable, progress: Progress, info: dict[str, Any]) -> dict[str, Any] | None:
        for output in d.outputs:
            path, fails = output.path, progress.failures.get(output.path, 0)
            if progress.written.get(path, 0) >= progress.target or fails >= MAX_ATTEMPTS:
                continue
            if progress.written.get(path, 0) == 0 and (look := self._look_first(path)) is not None:
                return look
            if not self._once(f"write-{d.id}-{path}-{progress.target}-{fails}"):
                continue
            brief = self._brief(d, revision=progress.target - 1, date=str(info.get("date", "")))
            self._context = (d.id, path, progress.target)
            kind = output.artifact_type
            if kind in {"csv", "md"}:
                return call("write_file", path=path, content=text_output(brief, kind))
            spec = _minimal_spec(kind, brief) if fails else _SPECS[kind](brief)
            return call("create_document", path=path, kind=kind, spec=spec)
        return None

    def _review_next(self, info: dict[str, Any]) -> dict[str, Any] | None:
        """Send a deliverable's draft to each of its reviewers; once revised after their
        changes (or after new figures), send it again until each signs off the version that stands."""
        month = self.month
        for d in month.deliverables:
            progress = month.progress[d.id]
            written = [o.path for o in d.outputs if progress.written.get(o.path)]
            if progress.version < 1 or not written:
                continue
            again = (progress.review in {"changes", "approved"} and progress.version > progress.reviewed_version
                     and progress.rounds < MAX_REVIEW_ROUNDS and "revise-after-feedback" in self.practices)
            if not progress.to_send and (progress.review == "no" or again):
                people = [c for c in (d.reviewers or d.collaborators[:1]) if month.asked.get(c, 0) >= 0]
                if not people:
                    progress.review = "failed"
                    continue
                progress.to_send, progress.verdicts = people, {}
                progress.reviewed_version, progress.rounds, progress.review = progress.version, progress.rounds + 1, "sent"
            if not progress.to_send:
                continue
            person = progress.to_send.pop(0)
            body = (f"Hi {person.split()[0]},\n\nAttached is my draft of {d.title}. It quotes the totals from "
                    f"the project files, with their sources, and the inputs received so far. Comments welcome "
                    f"before I finalize it.\n\nBest,\n{month.me or 'me'}")
            self._context = ("review", d.id)
            return call("send_message", to=person, subject=f"[{d.id}] Draft for review: {project(d)}",
                        body=body, attachments=written[:1])
        return None

    def _brief(self, d: Deliverable, *, revision: int, date: str) -> Brief:
        month = self.month
        asked = [c for c in d.collaborators if month.asked.get(c, -1) >= 0]
        paths = [*d.sources, *month.shared.get(d.id, [])]
        return Brief(
            deliverable=d, sources=[month.sources[p] for p in paths if p in month.sources], replies=month.replies[d.id],
            awaiting=[c for c in asked if c not in month.replied], currency=month.currency, revision=revision,
            date=date, author=month.me or "me",
            builds_on=[x for i in d.depends_on if (x := month.by_id(i)) is not None],
        )

    def _end_day(self) -> dict[str, Any]:
        month, today = self.month, self.today
        done = "; ".join(today.done) if today and today.done else "checked in; nothing new to do"
        summary = f"Workday {today.day + 1 if today else '?'}: {done}."
        if month is not None:
            reads = sum(n.status == "read" for n in month.sources.values())
            pending = [d.id for d in month.deliverables if month.progress[d.id].version == 0]
            waiting = sorted(c for c, day in month.asked.items() if day >= 0 and c not in month.replied)
            nxt = [f"write drafts of {', '.join(pending)}"] if pending else []
            nxt += [f"incorporate replies from {', '.join(waiting)}"] if waiting else []
            nxt = nxt or ["revise on new input and keep deliverables current"]
            summary += f" {reads} source file(s) read so far. Next: {'; '.join(nxt)}."
        return call("end_day", summary=summary)


def _inputs(replies: list[Reply]) -> set[tuple[str, str]]:
    """Everything collaborators said about a deliverable, as (kind, text) pairs."""
    return {(kind, text) for r in replies
            for kind, texts in (("fact", r.facts), ("request", r.requests), ("comment", r.comments)) for text in texts}


def _minimal_spec(kind: str, brief: Brief) -> dict[str, Any]:
    """A plain fallback spec, used when the full one was refused."""
    d = brief.deliverable
    lines = [d.outcome, brief.headline()]
    if kind == "xlsx":
        rows = [[t.column, t.value] for t, _ in brief.key_figures()] or [["(no figures)", 0]]
        return {"title": d.title, "sheets": [{"name": "Key figures", "columns": [
            {"name": "Measure", "type": "text"}, {"name": "Total", "type": "number"}], "rows": rows}]}
    if kind == "pptx":
        return {"title": d.title, "slides": [{"title": "Summary", "bullets": lines}]}
    return {"title": d.title, "sections": [{"heading": "Summary", "paragraphs": lines}]}
