"""One tool registry: a typed, documented function registered once (STYLE.md rule 6).

Validation (a pydantic model built from the signature), the Anthropic ``input_schema``,
the briefing's tool list and the error hints all derive from the function, so they
cannot drift apart. Calling goes through :func:`call_tool`, the env's single error
boundary: whatever the policy sends, the result is an observation, never an exception,
except for infrastructure faults (a dead sandbox), which are not the policy's doing.
"""

from __future__ import annotations

import inspect
import json
import logging
import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from synthcomp.errors import InputError, PathEscape, SandboxError, ToolError, did_you_mean
from synthcomp.toolresults import Refusal, ToolData

ToolKind = Literal["read", "write", "message", "control"]
logger = logging.getLogger(__name__)


@dataclass
class ToolResult:
    """What a tool hands back to the env: the observation text, its data, and side signals.

    Tools build it with :meth:`of`, so the text is always the data's ``render()``.
    """

    text: str
    error: bool = False
    ends_day: bool = False
    summary: str = ""
    data: ToolData | None = None

    @classmethod
    def of(cls, data: ToolData, *, error: bool = False, ends_day: bool = False, summary: str = "") -> ToolResult:
        return cls(text=data.render(), error=error, ends_day=ends_day, summary=summary, data=data)

    @classmethod
    def refused(cls, message: str) -> ToolResult:
        """An error observation (``error: ...``)."""
        return cls.of(Refusal(message=message), error=True)


@dataclass(frozen=True)
class ToolSpec:
    name: str
    kind: ToolKind
    mutates: bool
    func: Callable[..., ToolResult]
    args_model: type[BaseModel]
    summary: str
    arg_docs: dict[str, str] = field(default_factory=dict)

    def input_schema(self) -> dict[str, Any]:
        """JSON schema of the arguments (what Anthropic tool definitions take)."""
        schema = self.args_model.model_json_schema()
        schema.pop("title", None)
        for name, prop in schema.get("properties", {}).items():
            prop.pop("title", None)
            if name in self.arg_docs:
                prop["description"] = self.arg_docs[name]
        return schema

    def usage(self) -> str:
        """``name(arg: type = default, ...)`` for error messages and the briefing."""
        params = []
        for name, info in self.args_model.model_fields.items():
            annotation = (info.annotation.__name__ if isinstance(info.annotation, type)
                          else str(info.annotation).replace("typing.", ""))
            default = "" if info.is_required() else f" = {info.default!r}"
            params.append(f"{name}: {annotation}{default}")
        return f"{self.name}({', '.join(params)})"

    def example(self) -> str:
        args = {n: f"<{n}>" for n, i in self.args_model.model_fields.items() if i.is_required()}
        return json.dumps({"tool": self.name, "args": args})


REGISTRY: dict[str, ToolSpec] = {}
MAX_ACTION_CHARS = 200_000
"""Longest action: its JSON text, or the characters of all strings in a dict action."""
MAX_DEPTH = 32
"""Deepest nesting of objects and lists an action may have."""
_ARG_DOC = re.compile(r"^\s{4,}(\w+):\s*(.+)$")


def tool(kind: ToolKind, *, mutates: bool) -> Callable[[Callable[..., ToolResult]], Callable[..., ToolResult]]:
    """Register ``func(ctx, **args) -> ToolResult`` under its name."""

    def register(func: Callable[..., ToolResult]) -> Callable[..., ToolResult]:
        signature = inspect.signature(func)
        fields: dict[str, Any] = {}
        for name, param in list(signature.parameters.items())[1:]:  # the first is the context
            default = ... if param.default is inspect.Parameter.empty else param.default
            fields[name] = (param.annotation, default)
        model = create_model(f"{func.__name__}_args", __config__=ConfigDict(extra="forbid"), **fields)
        doc = inspect.getdoc(func) or ""
        arg_docs = {m.group(1): m.group(2) for line in doc.splitlines() if (m := _ARG_DOC.match(line))}
        REGISTRY[func.__name__] = ToolSpec(
            name=func.__name__, kind=kind, mutates=mutates, func=func, args_model=model,
            summary=doc.split("\n\n")[0].replace("\n", " "), arg_docs=arg_docs,
        )
        return func

    return register


@dataclass
class Call:
    """A parsed action: which tool, with which validated arguments."""

    spec: ToolSpec
    args: dict[str, Any]


def _reject_constant(name: str) -> None:
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


def parse_action(action: Any) -> Call:
    """Parse and validate one action; whatever it is, the answer is a ``Call`` or a ``ToolError``.

    Raises:
        ToolError: with a message that says what was wrong and how to call it.
    """
    if isinstance(action, str):
        if len(action) > MAX_ACTION_CHARS:
            raise ToolError(f"the action is {len(action)} characters long; at most {MAX_ACTION_CHARS} are accepted "
                            "(write a large file in parts, or with the shell)")
        try:
            action = json.loads(action, parse_constant=_reject_constant)
        except json.JSONDecodeError as exc:
            raise ToolError(
                f"the action is not valid JSON ({exc.msg} at position {exc.pos}). "
                'Send one tool call like {"tool": "list_dir", "args": {"path": "Documents"}}.'
            ) from None
        except RecursionError:
            raise ToolError(f"the action is nested too deeply (at most {MAX_DEPTH} levels)") from None
    elif not isinstance(action, dict):
        raise ToolError(f"an action is a JSON object (as text or a dict), not {type(action).__name__}; "
                        'e.g. {"tool": "list_dir", "args": {"path": "Documents"}}')
    _check_shape(action)
    if not isinstance(action, dict) or not isinstance(action.get("tool"), str):
        raise ToolError('an action is a JSON object {"tool": NAME, "args": {...}}; tools: ' + ", ".join(REGISTRY))
    unknown_keys = set(action) - {"tool", "args"}
    if unknown_keys:
        raise ToolError(f"unexpected keys {sorted(unknown_keys)}: put arguments inside \"args\"")
    name = action["tool"]
    spec = REGISTRY.get(name)
    if spec is None:
        hint = did_you_mean(name, list(REGISTRY)) if len(name) <= 64 else ""
        raise ToolError(f"unknown tool {name[:64]!r}{hint}; tools: {', '.join(REGISTRY)}")
    args = action.get("args", {})
    if not isinstance(args, dict):
        raise ToolError(f"\"args\" must be an object; usage: {spec.usage()}")
    try:
        validated = spec.args_model.model_validate(args)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'args'}: {e['msg']}" for e in exc.errors()[:5])
        raise ToolError(f"bad arguments for {name}: {problems}. Usage: {spec.usage()}, e.g. {spec.example()}") from None
    return Call(spec=spec, args=validated.model_dump())


def _check_shape(action: Any) -> None:
    """Refuse what JSON cannot carry or what is too big: depth, size, keys, numbers, Unicode."""
    stack, chars = [(action, 1)], 0
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ToolError(f"the action is nested too deeply (at most {MAX_DEPTH} levels)")
        if isinstance(value, dict):
            for key, item in value.items():
                if not isinstance(key, str):
                    raise ToolError(f"object keys must be text, not {type(key).__name__}")
                stack += [(key, depth + 1), (item, depth + 1)]
        elif isinstance(value, list):
            stack += [(item, depth + 1) for item in value]
        elif isinstance(value, str):
            chars += len(value)
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise ToolError("the action holds text that is not valid Unicode (a lone surrogate); "
                                "send UTF-8 text only") from None
        elif isinstance(value, float) and not math.isfinite(value):
            raise ToolError("numbers must be finite (no NaN or Infinity)")
        elif not isinstance(value, (int, float, bool, type(None))):
            raise ToolError(f"the action holds a {type(value).__name__}, which JSON cannot carry")
        chars += 1
        if chars > MAX_ACTION_CHARS:
            raise ToolError(f"the action is larger than {MAX_ACTION_CHARS} characters; write a large file in parts")


def call_tool(ctx: Any, action: Any) -> tuple[ToolResult, ToolSpec | None]:
    """Parse, validate and run one action; policy mistakes come back as error results.

    Raises:
        SandboxError: the sandbox itself failed (infrastructure, never the policy's fault);
            the env recovers from it.
    """
    try:
        call = parse_action(action)
    except ToolError as exc:
        return ToolResult.refused(str(exc)), None
    try:
        return call.spec.func(ctx, **call.args), call.spec
    except PathEscape as exc:
        return ToolResult.refused(f"{exc} (paths must stay inside the user's computer)"), call.spec
    except (ToolError, InputError) as exc:
        return ToolResult.refused(str(exc)), call.spec
    except SandboxError:
        raise
    except OSError as exc:
        name = exc.filename
        shown = ctx.os_path(name) if isinstance(name, str) and name.startswith("/") else str(name)
        if len(shown) > 300:
            shown = f"{shown[:150]}[...]{shown[-100:]}"
        where = f": {shown}" if name else ""
        return ToolResult.refused(f"{exc.strerror or exc}{where}"), call.spec
    except Exception as exc:  # noqa: BLE001 - a bug of ours must not end the agent's episode
        logger.exception("tool %s failed", call.spec.name)
        return ToolResult.refused(f"the {call.spec.name} tool failed ({type(exc).__name__}); "
                                  "this is a fault of the environment, not of the call"), call.spec
