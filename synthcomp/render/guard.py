"""Checks made before a file reaches LibreOffice, pdftoppm or Pillow.

Each check either passes or raises :class:`~synthcomp.errors.RenderError` with a
one-line reason a person can act on: a truncated or corrupt archive, a zip bomb (judged
by the zip directory, then by actually inflating under a cap, since the directory can
lie), a password-protected Office, OpenDocument or PDF file, a file that is too large.
``check_inputs`` checks a command line's files the same way, before anything is written.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from synthcomp.errors import InputError, RenderError

OOXML = {".docx", ".docm", ".dotx", ".xlsx", ".xlsm", ".xltx", ".pptx", ".pptm", ".potx", ".ppsx"}
ODF = {".odt", ".ods", ".odp", ".odg"}
LEGACY = {".doc", ".xls", ".ppt", ".rtf"}
OFFICE = OOXML | ODF | LEGACY
TEXT = {".csv", ".tsv", ".md", ".markdown", ".txt"}
IMAGE = {".png", ".jpg", ".jpeg", ".gif", ".bmp", ".tif", ".tiff", ".webp"}
PDF = {".pdf"}
SUPPORTED = OFFICE | TEXT | IMAGE | PDF

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MB = 1024 * 1024


def kind_of(path: Path) -> str:
    """'office', 'text', 'image' or 'pdf' by extension; RenderError for anything else."""
    suffix = path.suffix.lower()
    for kind, suffixes in (("office", OFFICE), ("text", TEXT), ("image", IMAGE), ("pdf", PDF)):
        if suffix in suffixes:
            return kind
    raise RenderError(f"unsupported file type {suffix or '(no extension)'!r}; supported: "
                      + " ".join(sorted(SUPPORTED)))


def kind_of_or_none(path: Path) -> str | None:
    """Like :func:`kind_of`, but None for an unsupported type."""
    try:
        return kind_of(path)
    except RenderError:
        return None


def check_size(path: Path, max_bytes: int) -> int:
    """The file's size; RenderError when it is empty or larger than ``max_bytes``."""
    size = path.stat().st_size
    if size == 0:
        raise RenderError("the file is empty")
    if size > max_bytes:
        raise RenderError(f"the file is {size / MB:.1f} MB, over the {max_bytes / MB:.0f} MB limit")
    return size


def check_office(path: Path, max_unzipped_bytes: int, max_ratio: float) -> None:
    """Reject encrypted, truncated, corrupt and zip-bomb office files before LibreOffice sees them."""
    suffix = path.suffix.lower()
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head == OLE_MAGIC:
        if suffix in OOXML and _ole_has_stream(path, "EncryptionInfo"):
            raise RenderError("password-protected (an encrypted Office file); it cannot be rendered without the password")
        if suffix in OOXML | ODF:
            # an OLE container under an OOXML name that is not encrypted: a renamed legacy
            # .doc/.xls/.ppt, which LibreOffice opens by content
            return
    if suffix in LEGACY:
        return
    if not zipfile.is_zipfile(path):
        raise RenderError(f"not a valid {suffix[1:].upper()} file: not a zip archive (truncated or corrupt)")
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
            names = {i.filename for i in infos}
            _check_bomb(zf, infos, path.stat().st_size, max_unzipped_bytes, max_ratio)
            if suffix in ODF and "META-INF/manifest.xml" in names:
                if b"encryption-data" in zf.read("META-INF/manifest.xml"):
                    raise RenderError("password-protected (an encrypted OpenDocument file); "
                                      "it cannot be rendered without the password")
    except RenderError:
        raise
    except Exception as exc:  # zipfile on hostile bytes: BadZipFile, zlib.error, RuntimeError (encrypted member)...
        raise RenderError(f"not a valid {suffix[1:].upper()} file: corrupt zip archive ({exc})") from None
    if suffix in OOXML and "[Content_Types].xml" not in names:
        raise RenderError(f"not a valid {suffix[1:].upper()} file: a zip without [Content_Types].xml")


def _check_bomb(zf: zipfile.ZipFile, infos: list[zipfile.ZipInfo], packed: int,
                max_unzipped_bytes: int, max_ratio: float) -> None:
    if len(infos) > 20000:
        raise RenderError(f"zip bomb suspected: {len(infos)} entries in the archive")
    declared = sum(i.file_size for i in infos)
    limit = min(max_unzipped_bytes, max(packed * max_ratio, 50 * MB))
    if declared > limit:
        raise RenderError(f"zip bomb suspected: {declared / MB:,.0f} MB uncompressed from "
                          f"{packed / MB:,.2f} MB (limit {limit / MB:,.0f} MB)")
    # The directory can lie about sizes: inflate for real, stopping at the limit.
    total = 0
    for info in infos:
        if info.is_dir():
            continue
        with zf.open(info) as member:
            while chunk := member.read(1 << 20):
                total += len(chunk)
                if total > limit:
                    raise RenderError(f"zip bomb suspected: more than {limit / MB:,.0f} MB once inflated "
                                      f"(the zip directory claims {declared / MB:,.1f} MB)")


def _ole_has_stream(path: Path, name: str) -> bool:
    """Whether an OLE2 compound file names a stream ``name`` (UTF-16LE in its directory)."""
    needle = name.encode("utf-16-le")
    with open(path, "rb") as fh:
        return needle in fh.read(4 * MB)


def check_pdf(path: Path) -> None:
    """Reject a file that does not start like a PDF (a renamed or empty file)."""
    with open(path, "rb") as fh:
        head = fh.read(1024)
    if b"%PDF-" not in head:
        raise RenderError("not a PDF (no %PDF- header)")


def check_inputs(files: list[Path], out: Path) -> list[Path]:
    """Validate the command line's files and output folder before anything is written.

    Raises:
        InputError: no files, a missing file, a folder, an unsupported type, or an
            ``out`` that is an existing file.
    """
    if not files:
        raise InputError("give at least one file to render")
    if out.exists() and not out.is_dir():
        raise InputError(f"--out {out} exists and is not a directory")
    for path in files:
        if not path.exists():
            raise InputError(f"{path}: no such file")
        if not path.is_file():
            raise InputError(f"{path}: not a regular file")
        if kind_of_or_none(path) is None:
            raise InputError(f"{path}: unsupported file type {path.suffix or '(no extension)'!r}; supported: "
                             + " ".join(sorted(SUPPORTED)))
    return list(files)
