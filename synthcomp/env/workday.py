"""WorkdayEnv: a synthetic computer as a Gymnasium env; one episode is one workday.

Contract (DESIGN.md, "Env contract"): ``reset`` starts the next workday of the ongoing
simulation and returns the morning briefing; ``step`` takes one JSON tool call (a str,
or the same as a dict) and returns the tool's result. The env owns the end of a day: an
accepted ``end_day`` or a spent step budget ends the episode with ``truncated=True`` (the
month goes on, so a value estimate bootstraps from there), and the month's last day ends
it with ``terminated=True`` instead. The reward is 0 on ordinary steps and, at ``end_day``, the change in the
deliverables' score since the previous day, so a month's rewards sum to the final score.
``info["data"]`` is what the observation was made from, as JSON: the tool's result (a
``synthcomp.toolresults`` model, whose ``render()`` is the observation), or the briefing.
The policy never sees the rubric or the score: ``info`` carries it only when the env is
made with ``expose_score=True`` (for trainers' logs and debugging, never for a policy
under evaluation).
``reset(seed=S)`` starts a new simulation from day 0 on the original computer (a seed
names a simulation, so the same seed gives the same first briefing, as ``check_env``
expects); ``reset()`` continues with the next workday, or re-briefs the current one if
no step was taken yet. A reset after the month is over also starts a new simulation.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
import warnings
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.error import ResetNeeded
from pydantic import TypeAdapter

from synthcomp.agents.collaborators import (
    Responder, asks_for_input, availability, question_back, reply_delay, reply_message, reply_to, review_changes,
)
from synthcomp.agents.criteria.reading import read_deliverable
from synthcomp.agents.criteria.revisions import digest
from synthcomp.agents.judge import RubricScorer, Scorer, project_corpus
from synthcomp import ospath
from synthcomp.agents.setup import SetupPlan, procedural_setup, write_private_files
from synthcomp.brains.procedural.rng import rng_for
from synthcomp.computer.artifacts.extract import clear_extraction_cache
from synthcomp.computer.show import load_computer
from synthcomp.env import ENV_ID, tools  # noqa: F401 - tools registers the tools
from synthcomp.env.briefing import briefing_data
from synthcomp.env.changes import TreeWatcher
from synthcomp.env.registry import MAX_ACTION_CHARS, ToolResult, call_tool
from synthcomp.env.screen import text_screen
from synthcomp.env.spaces import AnyText
from synthcomp.env.milestones import record_milestones
from synthcomp.env.state import PendingFile, SimState, workday_date
from synthcomp.env.tools import ToolContext
from synthcomp.env.trajectory import TrajectoryWriter, loggable
from synthcomp.errors import InputError, SandboxError
from synthcomp.models import ActivityLogEntry, Collaborator, Message, PendingFact, Review
from synthcomp.sandbox.base import Sandbox, SnapshotRef
from synthcomp.sandbox.config import SandboxConfig
from synthcomp.toolresults import ToolData, pending_note
from synthcomp.workspace import sim_dir, workspace_of

log = logging.getLogger(__name__)

BUDGET_SPENT = "(the day ended without a summary: the step budget was spent)"
"""The activity-log entry of a day that ran out of steps before end_day."""

MAX_TEXT = MAX_ACTION_CHARS
"""Longest observation or action the spaces hold (read_file caps at this)."""


def clip_observation(text: str) -> str:
    """An observation the spaces and any JSON writer accept: at most ``MAX_TEXT`` valid Unicode."""
    return text[:MAX_TEXT].encode("utf-8", "replace").decode("utf-8")


class WorkdayEnv(gym.Env[str, str]):
    """See the module docstring.

    Args:
        computer: a computer directory (``WS/computers/<shard>/<id>``).
        sandbox: "docker", "local", "fake", a ``SandboxConfig``, or its dict (``{"type": ...}``).
        days: workdays in the simulated month.
        step_budget: tool calls per workday before the episode is truncated.
        run_dir: where trajectories go (one open env per directory); default a new
            ``WS/sims/<shard>/env-<id>-<hex>`` for each env.
        setup: the month's deliverables and collaborators; default: the procedural setup agent.
        private_dir: where the collaborators' private files are (outside the sandbox); they
            are copied into the user's Downloads when a reply shares them.
        scorer: scores deliverables at the end of each day; default: the procedural judge on
            a rubric merged from five drafts (without rendering, which the final judgement adds).
        expose_score: put the running score in ``info["score"]``; off by default, since a
            policy that sees it can probe the judge.
        responder: writes the collaborators' replies; default: the procedural ``reply_to``
            (``ClaudeCollaborators`` plays them on a model).
        render_mode: "ansi" or "rgb_array".
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 1}

    def __init__(
        self,
        computer: str | Path,
        sandbox: str | dict[str, Any] | SandboxConfig = "docker",
        days: int = 20,
        step_budget: int = 150,
        run_dir: str | Path | None = None,
        setup: SetupPlan | None = None,
        private_dir: str | Path | None = None,
        scorer: Scorer | None = None,
        responder: Responder | None = None,
        render_mode: str | None = None,
        seed: int = 0,
        expose_score: bool = False,
    ) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise InputError(f"render_mode must be one of {self.metadata['render_modes']}, got {render_mode!r}")
        if days < 1 or step_budget < 1:
            raise InputError(f"days and step_budget must be at least 1 (got {days}, {step_budget})")
        self.computer_dir = Path(computer)
        self.computer = load_computer(self.computer_dir)
        config = {"type": sandbox} if isinstance(sandbox, str) else sandbox
        self.sandbox_config = TypeAdapter(SandboxConfig).validate_python(config)
        self.days, self.step_budget, self.render_mode, self.seed_value = days, step_budget, render_mode, seed
        self.run_dir = Path(run_dir) if run_dir else sim_dir(workspace_of(self.computer_dir),
                                                             f"env-{self.computer.id}-{secrets.token_hex(3)}")
        self.setup = setup or procedural_setup(self.computer, self._read_original, seed, days=days)
        self.private_dir = Path(private_dir) if private_dir else self.run_dir / "private"
        if private_dir is None:
            write_private_files(self.setup, self.computer, self.private_dir)
        self.responder: Responder = responder or reply_to
        self.expose_score = expose_score
        self.scorer = scorer or RubricScorer(self.setup, seed, project_corpus(
            self.computer, self._read_original, self.setup))
        if self.spec is None:  # constructed directly: same spec as gymnasium.make gives
            self.spec = gym.spec(ENV_ID)
        self.observation_space = AnyText(MAX_TEXT)
        self.action_space = AnyText(MAX_TEXT)
        self.sandbox: Sandbox | None = None
        self.state: SimState | None = None
        self.watcher: TreeWatcher | None = None
        self.morning: SnapshotRef | None = None
        self.transcript: list[str] = []
        self.last_observation = ""
        self.trajectory = TrajectoryWriter(self.run_dir)

    def _read_original(self, path: str) -> bytes:
        """A file of the computer as created (source workbooks the rubric quotes)."""
        return (self.computer_dir / "files" / ospath.to_physical(self.computer.policy.os, path)).read_bytes()

    # ------------------------------------------------------------------ lifecycle
    def _fresh_state(self) -> SimState:
        return SimState(
            computer_id=self.computer.id, start=self.computer.policy.now, days_total=self.days,
            deliverables=[d.as_assigned() for d in self.setup.deliverables], collaborators=self.setup.collaborators,
            events=self.setup.events,
        )

    def _start_sandbox(self) -> Sandbox:
        """The computer as created, in a fresh jail: the running sandbox restarted (its client, checks
        and spares kept), or a new sandbox if there is none or it cannot restart."""
        if self.sandbox is not None and not self.sandbox.closed:
            try:
                self.sandbox.restart()
                return self.sandbox
            except SandboxError as exc:
                log.warning("cannot restart the sandbox of %s (%s); starting a new one", self.computer.id, exc)
        if self.sandbox is not None:
            self.sandbox.close()
        p = self.computer.profile
        self.sandbox = self.sandbox_config.build(
            self.computer_dir / "files", os=self.computer.policy.os, username=p.username, computer_id=self.computer.id
        )
        return self.sandbox

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        super().reset(seed=seed)
        options = options or {}
        unknown = set(options) - {"snapshot", "restart"}
        if unknown:
            raise InputError(f"unknown reset options {sorted(unknown)}; use 'snapshot' or 'restart'")
        if "snapshot" in options:
            ref = options["snapshot"]
            ref = ref if isinstance(ref, SnapshotRef) else SnapshotRef.model_validate(ref)
            sandbox = self.sandbox or self._start_sandbox()
            self.state = SimState.model_validate(sandbox.restore(ref))
        elif (self.sandbox is None or self.state is None or seed is not None or options.get("restart")
              or self.state.month_over):
            self._start_sandbox()
            self.state = self._fresh_state()
        elif self.state.in_day and self.state.steps_today > 0:
            self._close_day(BUDGET_SPENT)
            if self.state.month_over:
                self._start_sandbox()
                self.state = self._fresh_state()
        assert self.sandbox is not None and self.state is not None
        state = self.state
        state.in_day, state.steps_today, state.changed_today = True, 0, []
        self.watcher = TreeWatcher(self.sandbox)
        if self._deliver_morning_post():  # arrival on the simulated clock, like every other change
            self.watcher.changes(stamp=self._now() - timedelta(minutes=30))
        morning = briefing_data(self.computer, state, self.step_budget)
        observation = morning.render()
        self._keep_morning()
        self.transcript = [observation]
        self.last_observation = observation
        info = self._info(tool=None, duration_ms=0.0, files_changed=[], tool_error=False, data=morning)
        info["objectives"] = [d.model_dump(mode="json") for d in state.open_deliverables()]
        info["collaborators"] = [c.name for c in state.collaborators]
        self.trajectory.record(state.day, {"event": "reset", "observation": observation, "info": info})
        return observation, info

    def step(self, action: str | dict[str, Any]) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """Run one tool call. Whatever ``action`` is, the answer is an observation, never an exception."""
        if self.state is None or self.sandbox is None or not self.state.in_day or self.watcher is None:
            raise ResetNeeded("call reset() to start a workday before step()")
        started = time.perf_counter()
        changed: list[str] = []
        try:
            ctx = ToolContext(sandbox=self.sandbox, state=self.state, computer=self.computer, now=self._now,
                              on_message=self._on_message)
            result, spec = call_tool(ctx, action)
            if spec is not None and spec.mutates:
                changed = self.watcher.changes(stamp=self._now(), reported=ctx.changed)
        except SandboxError as exc:
            result, spec = self._recover(exc), None
        state = self.state
        state.steps_today += 1
        state.changed_today = sorted({*state.changed_today, *changed})
        reward, terminated, truncated = 0.0, False, False
        if result.ends_day or state.steps_today >= self.step_budget:
            # a day cut by the budget is judged all the same, so a month's rewards still sum to its score
            reward = self._close_day(result.summary if result.ends_day else BUDGET_SPENT)
            terminated = state.month_over
            truncated = not terminated
        duration_ms = (time.perf_counter() - started) * 1000
        info = self._info(tool=spec.name if spec else None, duration_ms=duration_ms, files_changed=changed,
                          tool_error=result.error, data=result.data)
        observation = clip_observation(result.text)
        self.last_observation = observation
        logged = loggable(action)
        self.transcript += [f"> {logged if isinstance(logged, str) else json.dumps(logged, ensure_ascii=False)}",
                            observation]
        self.trajectory.record(info["day"], {
            "event": "step", "action": logged, "observation": observation, "reward": reward,
            "terminated": terminated, "truncated": truncated, "info": info,
        })
        return observation, reward, terminated, truncated, info

    def _keep_morning(self) -> None:
        """Snapshot the computer as the day starts: a step whose jail dies restarts from it."""
        assert self.sandbox is not None and self.state is not None
        previous, self.morning = self.morning, None
        try:
            self.morning = self.sandbox.snapshot("morning", state=self.state.model_dump(mode="json"))
        except SandboxError as exc:
            warnings.warn(f"no morning snapshot on day {self.state.day} ({exc}): if the jail dies today, "
                          "the step that notices it raises", RuntimeWarning, stacklevel=3)
        if previous is not None:
            self.sandbox.delete_snapshot(previous)

    def _recover(self, exc: SandboxError) -> ToolResult:
        """The jail died under a step (killed, out of memory): restart it as it was this morning.

        Raises:
            SandboxError: there is no morning snapshot, or the restart failed too.
        """
        assert self.sandbox is not None
        if self.morning is None:
            raise exc
        log.warning("the sandbox of %s died under a step (%s); restarting it from this morning", self.computer.id, exc)
        self.state = SimState.model_validate(self.sandbox.restore(self.morning))
        self.watcher = TreeWatcher(self.sandbox)
        return ToolResult.refused(f"the computer stopped responding ({exc}). It was restarted as it was "
                                  "this morning: today's changes to files and messages are gone.")

    def _close_day(self, summary: str) -> float:
        """Judge the deliverables, log the day, advance the clock; returns the reward."""
        state, sandbox = self.state, self.sandbox
        assert state is not None and sandbox is not None
        score = self.scorer.score(sandbox, state)
        reward = round(score - state.score, 6)
        record_milestones(self.setup, state, sandbox.read_bytes)
        state.log.append(ActivityLogEntry(
            day=state.day, date=f"{state.today:%Y-%m-%d}", summary=summary, steps=state.steps_today,
            files_changed=state.changed_today, messages_sent=sum(m.sent_day == state.day for m in state.outbox),
        ))
        state.score, state.day, state.in_day = score, state.day + 1, False
        return reward

    def _now(self) -> datetime:
        """The simulated clock: 09:00 on the workday, five minutes a step."""
        assert self.state is not None
        day = datetime.combine(self.state.today, datetime.min.time()).replace(hour=9)
        return day + timedelta(minutes=5 * self.state.steps_today)

    def _on_message(self, message: Message) -> None:
        """Schedule the collaborator's reply; an attached draft of a deliverable is reviewed
        (the version seen and the changes asked are kept for the judge)."""
        state, sandbox = self.state, self.sandbox
        assert state is not None and sandbox is not None
        collaborator = next(c for c in state.collaborators if c.name == message.to)
        # a reply says what its author knows when it arrives: a figure revised meanwhile is given as revised
        answer_day = state.day + reply_delay(collaborator, rng_for(self.seed_value, "reply", message.id))
        changes = None
        for path in message.attachments:
            review = self._review(path, collaborator, answer_day)
            if review is not None:
                changes = [*(changes or []), *review.changes]
                state.reviews.append(review)
        pending: list[PendingFact] = []
        question = ""
        if collaborator.name in state.questions:  # this message answers what they asked back
            del state.questions[collaborator.name]
            message = message.model_copy(update={"body": message.body + "\nCould you send the figures?"})
        elif changes is None and asks_for_input(message) and collaborator.name not in state.answered:
            names = [p.name for p in self.setup.truth.projects
                     if set(p.deliverables) & {d.id for d in state.open_deliverables()}
                     and any(f.holder == collaborator.name for f in p.figures)]
            question = question_back(collaborator, names)
        if question:  # nothing yet: a question back, answered by the user's next message to them
            state.questions[collaborator.name] = question
            state.answered.append(collaborator.name)
            reply = reply_message(message, collaborator, state.day, state.new_message_id(),
                                  rng_for(self.seed_value, "reply", message.id), f"Hi,\n\n{question}\n\n"
                                  f"{collaborator.name.split()[0]}")
            reply.question = question
            state.inbox.append(reply)
            return
        if asks_for_input(message):  # they say what exists today; the rest is pending
            titles = {d.id: d.title for d in state.open_deliverables()}
            now = availability(collaborator, self.setup.truth.as_of(answer_day), titles, answer_day,
                               lambda day: f"{workday_date(state.start, day):%Y-%m-%d}",
                               first_answer=collaborator.name not in state.answered)
            collaborator = collaborator.model_copy(update={"knowledge": now.facts, "private_files": [
                f for f in collaborator.private_files if f in now.files]})
            pending = now.pending
            if collaborator.name not in state.answered:
                state.answered.append(collaborator.name)
        reply = self.responder(message, collaborator, state.day, state.new_message_id(),
                               rng_for(self.seed_value, "reply", message.id), changes=changes)
        if pending:
            reply.message.body += "\n\n" + "\n".join(pending_note(pending))
            reply.message.pending = pending
        downloads = self.computer.policy.default_paths["downloads"]
        dests = [ospath.join(self.computer.policy.os, downloads, name) for name in reply.shared]
        reply.message.attachments = dests
        state.pending_files += [PendingFile(deliver_day=reply.message.deliver_day, name=n, dest=d)
                                for n, d in zip(reply.shared, dests)]
        state.inbox.append(reply.message)

    def _review(self, path: str, reviewer: Collaborator, answer_day: int) -> Review | None:
        """The reviewer's reading of an attached deliverable output, as of the day their answer
        arrives; None for other files."""
        assert self.state is not None and self.sandbox is not None
        deliverable = next((d for d in self.state.deliverables for o in d.outputs
                            if o.path.lower() == path.lower()), None)
        project = self.setup.truth.as_of(answer_day).project_of(deliverable.id) if deliverable else None
        if deliverable is None or project is None:
            return None
        try:
            draft = read_deliverable(path, self.sandbox.read_bytes(path))
        except Exception as exc:  # noqa: BLE001 - an unreadable draft gets no review
            log.info("no review of %s: it cannot be read (%s)", path, exc)
            return None
        if draft.text is None:
            return None
        held = [f for f in project.figures if f.holder == reviewer.name and f.available_day <= answer_day
                and f.deliverable in ("", deliverable.id)]
        first = not any(r.path.lower() == path.lower() and r.reviewer == reviewer.name for r in self.state.reviews)
        return Review(path=path, reviewer=reviewer.name, day=self.state.day, digest=digest(draft.text),
                      changes=review_changes(draft, reviewer, held, project, answer_day, first=first))

    def _deliver_morning_post(self) -> int:
        """Files shared in replies land in Downloads; collaborators' mid-month changes arrive.

        Returns how many files were written.
        """
        state, sandbox = self.state, self.sandbox
        assert state is not None and sandbox is not None
        delivered = 0
        for item in state.pending_files:
            source = self.private_dir / item.name
            if item.deliver_day <= state.day and source.is_file():
                sandbox.write_bytes(item.dest, source.read_bytes())
                delivered += 1
        state.pending_files = [f for f in state.pending_files if f.deliver_day > state.day]
        for d in state.deliverables:  # a work package assigned this morning
            if d.opens_day == state.day > 0:
                deadline = self.setup.truth.deadline(d.id)
                sender = deadline.holder if deadline else state.collaborators[0].name
                due = f" It is due on {workday_date(state.start, d.due_day):%A %d %B}." if d.due_day is not None else ""
                state.inbox.append(Message(id=state.new_message_id(), sender=sender, to="me",
                                           subject=f"[{d.id}] New work package: {d.title}",
                                           body=f"Please take on {d.title}: {d.outcome}{due} Details are in your "
                                                "objectives from today.", sent_day=state.day, deliver_day=state.day))
        for index, event in enumerate(state.events):
            if event.day <= state.day and index not in state.events_delivered:
                state.events_delivered.append(index)
                state.inbox.append(Message(id=state.new_message_id(), sender=event.collaborator, to="me",
                                           subject=f"Change: {event.deliverable}", body=event.text,
                                           sent_day=state.day, deliver_day=state.day))
        return delivered

    def _info(self, *, tool: str | None, duration_ms: float, files_changed: list[str], tool_error: bool,
              data: ToolData | None) -> dict[str, Any]:
        """The step's (or morning's) info; ``data`` is what the observation text was made from
        (``synthcomp.toolresults``), as JSON."""
        state = self.state
        assert state is not None
        day = state.day if state.in_day else state.day - 1
        return {
            "day": day, "date": f"{workday_date(state.start, max(day, 0)):%Y-%m-%d}",
            "steps_left": max(0, self.step_budget - state.steps_today),
            "inbox_unread": sum(1 for m in state.inbox if m.deliver_day <= day and not m.read),
            "files_changed": files_changed, "tool": tool, "tool_error": tool_error,
            "duration_ms": round(duration_ms, 3), "data": data.model_dump(mode="json") if data is not None else None,
            **({"score": state.score} if self.expose_score else {}),
        }

    # ------------------------------------------------------------------ extras
    def snapshot(self, tag: str, *, keep: bool = False) -> SnapshotRef:
        """Save files, inbox, log and clock; ``reset(options={"snapshot": ref})`` restores them.

        ``keep=True`` exempts it from ``synthcomp gc`` after this process is gone (checkpoints).
        """
        if self.sandbox is None or self.state is None:
            raise ResetNeeded("call reset() before snapshot()")
        return self.sandbox.snapshot(tag, state=self.state.model_dump(mode="json"), keep=keep)

    def render(self) -> str | np.ndarray | None:
        if self.render_mode == "ansi":
            return "\n".join(self.transcript)
        if self.render_mode == "rgb_array":
            return text_screen(self.last_observation)
        return None

    def close(self) -> None:
        if self.sandbox is not None:
            if self.morning is not None:
                self.sandbox.delete_snapshot(self.morning)
                self.morning = None
            self.sandbox.close()
            self.sandbox = None
        self.trajectory.close()
        clear_extraction_cache()
