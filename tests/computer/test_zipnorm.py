"""The hand-written ZIP container is the one ``zipfile`` would write: the bytes of every
file created before it was hand-written stay the same."""

from __future__ import annotations

import io
import random
import zipfile
from datetime import datetime

import pytest

from synthcomp.computer.artifacts.zipnorm import deflate, write_zip

WHEN = datetime(2025, 3, 14, 9, 27, 33)
ENTRIES = [
    ("[Content_Types].xml", b""),
    ("word/document.xml", b"<w:p>quarterly figures</w:p>" * 4000),
    ("Fotos/Baustelle \u00fcbersicht.jpg", random.Random(7).randbytes(5000)),
    ("cut\0here.txt", b"zipfile cuts a name at its first NUL"),
]


def zipfile_bytes(entries: list[tuple[str, bytes]], when: datetime) -> bytes:
    """What ``write_zip`` wrote when it was ``zipfile.ZipFile.writestr`` per entry."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries:
            info = zipfile.ZipInfo(name, date_time=(when.year, when.month, when.day, when.hour, when.minute, when.second))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0x20
            archive.writestr(info, data, compresslevel=6)
    return buffer.getvalue()


@pytest.mark.parametrize("predeflated", [False, True], ids=["bytes", "deflated"])
def test_write_zip_is_byte_for_byte_zipfile(predeflated: bool) -> None:
    entries = [(name, deflate(data) if predeflated else data) for name, data in ENTRIES]
    assert write_zip(entries, WHEN) == zipfile_bytes(ENTRIES, WHEN)


def test_write_zip_reads_back_with_zipfile() -> None:
    with zipfile.ZipFile(io.BytesIO(write_zip(ENTRIES, WHEN))) as archive:
        assert archive.testzip() is None
        assert [archive.read(name) for name in archive.namelist()] == [data for _, data in ENTRIES]
        assert archive.infolist()[2].filename == "Fotos/Baustelle \u00fcbersicht.jpg"
