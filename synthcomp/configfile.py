"""Config files given on the command line (``--model-config``, ``--sandbox-config``): TOML
validated by a pydantic schema, every failure one clear ``InputError`` naming the flag."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError

from synthcomp.errors import InputError


def read_config_file(path: Path, flag: str, schema: Any, defaults: dict[str, Any] | None = None) -> Any:
    """``path`` parsed as TOML over ``defaults`` and validated by ``schema`` (a model or a union).

    Raises:
        InputError: the file is missing, not TOML, or holds an unknown or invalid key.
    """
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{flag} {path}: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{flag} {path}: not TOML ({exc})") from None
    try:
        return TypeAdapter(schema).validate_python({**(defaults or {}), **data})
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"{flag} {path}: {'.'.join(map(str, first['loc']))}: {first['msg']}") from None
