"""File names in the user's own naming habits: separators, dates, version marks, initials."""

from __future__ import annotations

import re
from datetime import datetime

from synthcomp.models import NamingPreferences

_INVALID = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def clean_words(title: str, limit: int = 7) -> list[str]:
    """Title words that are safe in a file name on both Windows and macOS."""
    words = _INVALID.sub(" ", title).replace("&", "and").replace(",", " ").replace("'", "").split()
    return words[:limit]


def date_stamp(style: str, when: datetime) -> str:
    return {
        "iso": when.strftime("%Y-%m-%d"),
        "us": when.strftime("%m-%d-%Y"),
        "compact": when.strftime("%Y%m%d"),
        "none": "",
    }[style]


def version_mark(naming: NamingPreferences, version: int, final: bool) -> str:
    """'_v2', ' v2', '-v02', '_FINAL', '_rev2' ... joined with the user's separator."""
    sep = naming.separator
    if naming.version_style == "FINAL":
        return f"{sep}FINAL" if final else (f"{sep}draft" if version == 1 else f"{sep}draft{version}")
    if final and version > 1:
        return f"{sep}final"
    if naming.version_style == "-v02":
        return f"-v{version:02d}"
    if naming.version_style == "rev":
        return f"{sep}rev{version}"
    return f"{sep}v{version}"


def file_name(
    title: str,
    ext: str,
    naming: NamingPreferences,
    *,
    when: datetime | None = None,
    version: int | None = None,
    final: bool = False,
    initials: str = "",
) -> str:
    """Compose a file name as this user would type it."""
    sep = naming.separator
    stem = sep.join(clean_words(title))
    if when is not None and naming.date_style != "none":
        stamp = date_stamp(naming.date_style, when)
        stem = f"{stamp}{sep}{stem}" if naming.date_style == "compact" else f"{stem}{sep}{stamp}"
    if version is not None:
        stem += version_mark(naming, version, final)
    if initials and naming.uses_initials:
        stem += f"{sep}{initials}"
    return f"{stem}.{ext}"
