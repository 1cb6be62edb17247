"""SystemContent -> the OS noise a lived-in computer accumulates, in its real formats.

``file``, olefile-style readers and curious agents look at these, so each starts with
the structure the OS writes rather than random bytes: a compound file for Thumbs.db,
UTF-16 desktop.ini, a buddy-allocator .DS_Store, an Office owner (``~$``) file.
"""

from __future__ import annotations

import codecs
import random
import struct
from datetime import datetime, timezone

from synthcomp.computer.artifacts.zipnorm import as_utc
from synthcomp.models import SystemContent

_SECTOR = 512
_END_OF_CHAIN, _FREE, _FAT_SECTOR, _NO_STREAM = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)


def render_system(content: SystemContent, when: datetime, seed: int) -> bytes:
    rng = random.Random(seed)
    match content.flavor:
        case "thumbs_db":
            return thumbs_db(rng, when)
        case "desktop_ini":
            return desktop_ini(rng)
        case "ds_store":
            return ds_store()
        case "office_lock":
            return office_lock(content.owner or "User")


# --------------------------------------------------------------------------- Thumbs.db


def thumbs_db(rng: random.Random, when: datetime) -> bytes:
    """A valid version-3 compound file (FAT, directory, one 'Catalog' stream of seeded
    bytes), the container Windows XP-era Explorer writes thumbnail caches into."""
    stream_sectors = rng.randint(8, 16)  # >= 4096 bytes: a regular stream, no mini FAT
    stream_size = (stream_sectors - 1) * _SECTOR + rng.randint(1, _SECTOR)

    header = bytearray(_SECTOR)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 24, 0x003E, 0x0003, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, _END_OF_CHAIN, 0, _END_OF_CHAIN, 0)
    struct.pack_into("<109I", header, 76, 0, *([_FREE] * 108))  # DIFAT: FAT is sector 0

    fat = [_FAT_SECTOR, _END_OF_CHAIN]  # sector 0 = FAT, sector 1 = directory
    fat += [2 + i + 1 for i in range(stream_sectors - 1)] + [_END_OF_CHAIN]
    fat += [_FREE] * (_SECTOR // 4 - len(fat))

    stamp = _filetime(when)
    directory = (
        _dir_entry("Root Entry", 5, child=1, start=_END_OF_CHAIN, size=0, stamp=stamp)
        + _dir_entry("Catalog", 2, child=_NO_STREAM, start=2, size=stream_size, stamp=0)
        + _dir_entry("", 0, child=_NO_STREAM, start=0, size=0, stamp=0) * 2
    )
    stream = rng.randbytes(stream_size).ljust(stream_sectors * _SECTOR, b"\0")
    return bytes(header) + struct.pack(f"<{_SECTOR // 4}I", *fat) + directory + stream


def _dir_entry(name: str, kind: int, *, child: int, start: int, size: int, stamp: int) -> bytes:
    encoded = (name.encode("utf-16-le") + b"\0\0") if name else b""
    return struct.pack(
        "<64sHBBIII16sIQQIQ",
        encoded, len(encoded), kind, 1 if kind else 0, _NO_STREAM, _NO_STREAM, child,
        b"\0" * 16, 0, stamp, stamp, start, size,
    )


def _filetime(when: datetime) -> int:
    """100-ns ticks since 1601-01-01 UTC, the Windows FILETIME a directory entry holds."""
    delta = as_utc(when) - _FILETIME_EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


# --------------------------------------------------------------------------- desktop.ini

_FOLDER_TYPES = ("Documents", "Pictures", "Generic")
_ICONS = (
    r"%SystemRoot%\system32\imageres.dll,-3",
    r"%SystemRoot%\system32\imageres.dll,-112",
    r"%SystemRoot%\System32\SHELL32.dll,4",
    r"%SystemRoot%\System32\SHELL32.dll,126",
)


def desktop_ini(rng: random.Random) -> bytes:
    """The desktop.ini Explorer writes when a folder's icon or view is customised,
    UTF-16-LE with BOM and CRLF line ends.

    Known-folder variants (``LocalizedResourceName=@...shell32.dll,-21770``) are not
    produced: placed in an arbitrary folder they would rename it to "Documents".
    """
    lines = ["", "[.ShellClassInfo]", f"IconResource={rng.choice(_ICONS)}"]
    if rng.random() < 0.7:
        lines += ["[ViewState]", "Mode=", "Vid=", f"FolderType={rng.choice(_FOLDER_TYPES)}"]
    return codecs.BOM_UTF16_LE + "\r\n".join(lines + [""]).encode("utf-16-le")


# --------------------------------------------------------------------------- .DS_Store

_DS_STORE_BLOCKS = ((0x1000, 11), (0x0040, 5), (0x0800, 11))
"""(offset, log2 size) of the root block, the DSDB header and the single B-tree leaf."""


def ds_store() -> bytes:
    """A 6148-byte .DS_Store, the size Finder writes for a folder with a single record:
    the ``vSrn`` (view settings version) entry for the folder itself."""
    body = bytearray(0x1800)
    body[0:16] = b"Bud1" + struct.pack(">III", 0x1000, 0x800, 0x1000)  # root block, twice

    root = bytearray()
    root += struct.pack(">II", len(_DS_STORE_BLOCKS), 0)
    addresses = [offset | size_log for offset, size_log in _DS_STORE_BLOCKS]
    root += struct.pack(">256I", *(addresses + [0] * (256 - len(addresses))))
    root += struct.pack(">I", 1) + bytes([4]) + b"DSDB" + struct.pack(">I", 1)
    for free in _free_lists():
        root += struct.pack(f">I{len(free)}I", len(free), *free)
    body[0x1000:0x1000 + len(root)] = root

    body[0x40:0x54] = struct.pack(">IIIII", 2, 0, 1, 1, 0x1000)  # root node, levels, records
    name = ".".encode("utf-16-be")
    record = struct.pack(">I", 1) + name + b"vSrn" + b"long" + struct.pack(">I", 1)
    leaf = struct.pack(">II", 0, 1) + record  # P=0 (leaf), one record
    body[0x800:0x800 + len(leaf)] = leaf
    return struct.pack(">I", 1) + bytes(body)


def _free_lists() -> list[list[int]]:
    """Per size class 2^0..2^31, the free buddy blocks around the allocated ones."""
    lists: list[list[int]] = [[] for _ in range(32)]
    used = {(offset, size_log) for offset, size_log in _DS_STORE_BLOCKS} | {(0, 5)}  # + header

    def visit(offset: int, size_log: int) -> None:
        if (offset, size_log) in used:
            return
        end = offset + (1 << size_log)
        if not any(offset <= o < end for o, _ in used):
            lists[size_log].append(offset)
            return
        half = size_log - 1
        visit(offset, half)
        visit(offset + (1 << half), half)

    visit(0, 31)
    return lists


# --------------------------------------------------------------------------- ~$ lock file


def office_lock(owner: str) -> bytes:
    """The 162-byte owner file Word/Excel/PowerPoint keep beside an open document
    (``~$port.docx``): name length, the name in ANSI padded with spaces to 54 bytes,
    then the length and the name again in UTF-16-LE, padded to 162 bytes."""
    name = owner[:52]
    ansi = name.encode("cp1252", errors="replace")
    head = bytes([len(ansi)]) + ansi.ljust(53, b" ")
    wide = struct.pack("<H", len(name)) + name.encode("utf-16-le") + b"\0\0"
    return head + wide + (b"\x20\x00" * 81)[: 162 - len(head) - len(wide)]
