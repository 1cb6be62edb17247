"""Live sessions of a served workspace: one computer in its own sandbox per session.

Every remote client (an MCP session, an OpenEnv connection, a session of the JSON API)
owns one :class:`Session`: a ``WorkdayEnv`` on one computer of the workspace, in its own
sandbox, stepped one call at a time (its lock) on a worker thread, since a step blocks on
the sandbox. :class:`SessionManager` is the one place sessions are opened and closed, so
its bounds hold whichever protocol asks: at most ``max_sessions`` live at once (opening
one more is :class:`SessionLimit`, HTTP 503), a session unused for ``idle_timeout_s`` is
closed by :meth:`SessionManager.reap`, and :meth:`SessionManager.close_all` (the server's
shutdown) closes every sandbox. A sandbox also dies with the server process itself
(Docker containers are ``auto_remove``, bubblewrap ``--die-with-parent``), and
``synthcomp gc`` removes what a killed server left.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gymnasium.error import ResetNeeded
from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from synthcomp.env.workday import WorkdayEnv
from synthcomp.errors import InputError, SynthcompError
from synthcomp.sandbox.config import SandboxConfig
from synthcomp.sandbox.base import SnapshotRef
from synthcomp.workspace import computer_dir, computer_dirs


MAX_SNAPSHOTS = 8
"""Snapshots one session may hold: each is a copy of its computer on the host's disk."""


class SessionLimit(SynthcompError):
    """As many sessions are live as the server allows."""


class UnknownSession(InputError):
    """No live session has this id (it was closed, reaped, or never opened)."""


class MonthOver(InputError):
    """The session's month has ended: a step needs a reset (or a restored snapshot) first."""


class OpenRequest(BaseModel):
    """What opening a session takes: which computer, and how its month runs."""

    model_config = ConfigDict(extra="forbid")

    computer_id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$",
                             validation_alias=AliasChoices("computer_id", "computer"),
                             description="A computer of the served workspace (its id, never a path; "
                                         "``computer`` is accepted too).")
    seed: int = Field(0, ge=0)
    days: int = Field(20, ge=1, le=260)


class SnapshotTag(BaseModel):
    """A client's name for a snapshot of its session (every protocol takes it as ``tag``)."""

    model_config = ConfigDict(extra="forbid")

    tag: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._-]+$",
                     description="Your name for the snapshot (letters, digits, '.', '_', '-'), e.g. 'before-cleanup'.")


@dataclass
class Session:
    """One client's computer. Use it only through :meth:`SessionManager.run`."""

    id: str
    computer_id: str
    env: WorkdayEnv
    lock: threading.Lock = field(default_factory=threading.Lock)
    last_used: float = field(default_factory=time.monotonic)
    snapshots: dict[str, SnapshotRef] = field(default_factory=dict)
    """Snapshots taken through the API, by tag: a client restores by tag, never by a path."""

    def state(self) -> dict[str, Any]:
        """What a trainer reads between steps: where the month is and what is open."""
        state = self.env.state
        if state is None:
            return {"session_id": self.id, "computer_id": self.computer_id, "started": False}
        return {"session_id": self.id, "computer_id": self.computer_id, "started": True, "day": state.day,
                "days": state.days_total, "in_day": state.in_day, "steps_today": state.steps_today,
                "month_over": state.month_over, "snapshots": sorted(self.snapshots)}


class SessionManager:
    """See the module docstring. Thread-safe: protocols call it from worker threads."""

    def __init__(self, workspace: Path, sandbox: SandboxConfig, *, max_sessions: int = 16,
                 idle_timeout_s: float = 900.0, step_budget: int = 150,
                 clock: Callable[[], float] = time.monotonic):
        self.workspace, self.sandbox = workspace, sandbox
        self.max_sessions, self.idle_timeout_s, self.step_budget = max_sessions, idle_timeout_s, step_budget
        self._clock = clock
        self._sessions: dict[str, Session] = {}
        self._opening = 0
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ lifecycle
    def computers(self) -> list[str]:
        """The ids of the computers a session may open."""
        return [d.name for d in computer_dirs(self.workspace)]

    def open(self, request: OpenRequest) -> tuple[Session, str, dict[str, Any]]:
        """A new session on ``request.computer_id``, its first morning started: the session,
        the briefing and its info.

        Raises:
            SessionLimit: ``max_sessions`` are live.
            InputError: no such computer in the workspace.
        """
        directory = computer_dir(self.workspace, request.computer_id)
        if not (directory / "computer.json").is_file():
            raise InputError(f"no computer {request.computer_id!r} in {self.workspace}; "
                             f"serve has {len(self.computers())} (GET /computers lists them)")
        with self._lock:
            if len(self._sessions) + self._opening >= self.max_sessions:
                raise SessionLimit(f"the server holds its maximum of {self.max_sessions} live sessions; "
                                   "close one (or wait for an idle one to be reaped) and retry")
            self._opening += 1
        env: WorkdayEnv | None = None
        try:
            env = WorkdayEnv(directory, sandbox=self.sandbox, days=request.days, step_budget=self.step_budget,
                             seed=request.seed)
            observation, info = env.reset(seed=request.seed)
            session = Session(id=secrets.token_hex(16), computer_id=request.computer_id, env=env,
                              last_used=self._clock())
        except BaseException:
            if env is not None:
                env.close()
            raise
        finally:
            with self._lock:
                self._opening -= 1
        with self._lock:
            self._sessions[session.id] = session
        return session, observation, info

    def close(self, session_id: str) -> bool:
        """Close a session and its sandbox; False if it was not live."""
        with self._lock:
            session = self._sessions.pop(session_id, None)
        if session is None:
            return False
        with session.lock:  # wait for a step in flight: its sandbox is in use
            sandbox = session.env.sandbox
            for ref in session.snapshots.values():
                if sandbox is not None:
                    sandbox.delete_snapshot(ref)
            session.env.close()
        return True

    def close_all(self) -> None:
        """Close every session (the server is stopping)."""
        for session_id in list(self._sessions):
            self.close(session_id)

    def reap(self) -> list[str]:
        """Close the sessions unused for ``idle_timeout_s``; their ids."""
        now = self._clock()
        with self._lock:
            idle = [s.id for s in self._sessions.values()
                    if now - s.last_used > self.idle_timeout_s and not s.lock.locked()]
        return [session_id for session_id in idle if self.close(session_id)]

    def live(self) -> int:
        return len(self._sessions)

    # ------------------------------------------------------------------ use
    def run(self, session_id: str, work: Callable[[Session], Any]) -> Any:
        """``work(session)`` with the session to itself (one call at a time), its clock reset.

        Raises:
            UnknownSession: no such live session.
        """
        session = self.get(session_id)
        with session.lock:
            if session_id not in self._sessions:  # closed while this call waited
                raise UnknownSession(f"session {session_id} was closed")
            try:
                return work(session)
            finally:
                session.last_used = self._clock()

    def get(self, session_id: str) -> Session:
        session = self._sessions.get(session_id)
        if session is None:
            raise UnknownSession(f"no live session {session_id!r}: it was closed or reaped after "
                                 f"{self.idle_timeout_s:.0f} s idle; open a new one")
        return session

    def step(self, session_id: str, action: dict[str, Any]) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """One tool call; a day that was closed starts first (its briefing is then the
        observation's head), so a client can keep calling tools across days."""
        def work(session: Session) -> tuple[str, float, bool, bool, dict[str, Any]]:
            env = session.env
            state = env.state
            if state is not None and state.month_over:
                raise MonthOver("the month is over: reset the session (or restore a snapshot) to go on")
            briefing = ""
            if state is None or not state.in_day:
                briefing, _ = env.reset()
            observation, reward, terminated, truncated, info = env.step(action)
            return (f"{briefing}\n\n{observation}" if briefing else observation), reward, terminated, truncated, info
        return self.run(session_id, work)

    def reset(self, session_id: str, seed: int | None = None) -> tuple[str, dict[str, Any]]:
        """The next workday's morning (a seed starts the month over)."""
        return self.run(session_id, lambda s: s.env.reset(seed=seed))

    def snapshot(self, session_id: str, tag: str) -> dict[str, Any]:
        """Save the session's computer and month under ``tag`` (replacing a snapshot of that tag)."""
        def work(session: Session) -> dict[str, Any]:
            if tag not in session.snapshots and len(session.snapshots) >= MAX_SNAPSHOTS:
                raise InputError(f"this session holds its maximum of {MAX_SNAPSHOTS} snapshots "
                                 f"({', '.join(sorted(session.snapshots))}); reuse a tag to replace one")
            try:
                ref = session.env.snapshot(tag)
            except ResetNeeded as exc:
                raise InputError(str(exc)) from None
            old = session.snapshots.pop(tag, None)
            if old is not None and old.id != ref.id and session.env.sandbox is not None:
                session.env.sandbox.delete_snapshot(old)
            session.snapshots[tag] = ref
            return {"tag": tag, "id": ref.id}
        return self.run(session_id, work)

    def restore(self, session_id: str, tag: str) -> tuple[str, dict[str, Any]]:
        """Bring back the snapshot ``tag`` of this session: its files, inbox, log and clock."""
        def work(session: Session) -> tuple[str, dict[str, Any]]:
            ref = session.snapshots.get(tag)
            if ref is None:
                raise InputError(f"no snapshot {tag!r} in this session; it has {sorted(session.snapshots) or 'none'}")
            return session.env.reset(options={"snapshot": ref})
        return self.run(session_id, work)
