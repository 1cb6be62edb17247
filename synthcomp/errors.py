"""One error tree for the whole package (STYLE.md, "Errors").

Leaves also subclass the builtin a caller would naturally catch, so
``except TimeoutError`` works on an ``ExecTimeout`` and ``except ValueError`` on a
``PathEscape``. Errors carry their evidence (command, exit code, stderr tail).
"""

from __future__ import annotations

import difflib


class SynthcompError(Exception):
    """Root of every error synthcomp raises on purpose."""


class InputError(SynthcompError, ValueError):
    """Bad user input at a boundary (CLI option, personas file, computer directory)."""


class BrainError(SynthcompError):
    """A generative backend failed or returned something that does not validate."""


class SandboxError(SynthcompError):
    """The sandbox could not be started, reached or used."""


class ExecTimeout(SandboxError, TimeoutError):
    """A command ran past its time limit (its process group was killed)."""


class PathEscape(SandboxError, ValueError):
    """A path resolves outside the computer's root."""


class ToolError(SynthcompError):
    """A tool call could not be parsed or carried out."""


class RenderError(SynthcompError):
    """A document could not be rendered."""


def did_you_mean(name: str, choices: list[str] | tuple[str, ...]) -> str:
    """A ' (did you mean X?)' suffix for an unknown name, or '' when nothing is close."""
    close = difflib.get_close_matches(name, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""
