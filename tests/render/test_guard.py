"""The checks made before LibreOffice sees a file, and the raster safety limits (no LibreOffice)."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest
from PIL import Image

from synthcomp.errors import RenderError
from synthcomp.render import guard, raster
from tests.render.conftest import make_pdf


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def _check(path: Path) -> None:
    guard.check_office(path, max_unzipped_bytes=500 * guard.MB, max_ratio=200)


def test_kinds_by_extension() -> None:
    assert guard.kind_of(Path("a/Report.DOCX")) == "office"
    assert guard.kind_of(Path("data.csv")) == "text"
    assert guard.kind_of(Path("scan.JPG")) == "image"
    assert guard.kind_of(Path("x.pdf")) == "pdf"
    with pytest.raises(RenderError, match=r"unsupported file type '\.exe'"):
        guard.kind_of(Path("setup.exe"))
    assert guard.kind_of_or_none(Path("Makefile")) is None


def test_size_limits(tmp_path: Path) -> None:
    empty = tmp_path / "empty.docx"
    empty.write_bytes(b"")
    with pytest.raises(RenderError, match="empty"):
        guard.check_size(empty, 10)
    big = tmp_path / "big.txt"
    big.write_bytes(b"x" * 2048)
    with pytest.raises(RenderError, match="over the"):
        guard.check_size(big, 1024)
    assert guard.check_size(big, 4096) == 2048


def test_a_valid_package_passes(tmp_path: Path) -> None:
    _check(_zip(tmp_path / "ok.docx", {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>" * 1000}))


def test_a_zip_that_is_not_an_office_package(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match=r"without \[Content_Types\]\.xml"):
        _check(_zip(tmp_path / "photos.pptx", {"a.jpg": b"\xff\xd8"}))


def test_a_zip_bomb_by_its_directory(tmp_path: Path) -> None:
    bomb = _zip(tmp_path / "bomb.docx", {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\0" * (60 * guard.MB)})
    assert bomb.stat().st_size < guard.MB
    with pytest.raises(RenderError, match="zip bomb suspected: 60 MB uncompressed"):
        _check(bomb)


def test_a_zip_whose_directory_lies_about_sizes(tmp_path: Path) -> None:
    """The central directory claims 1 KB; inflating tells the truth (and the CRC no longer matches)."""
    liar = _zip(tmp_path / "liar.xlsx", {"[Content_Types].xml": b"<Types/>", "xl/big.xml": b"\0" * (60 * guard.MB)})
    data = bytearray(liar.read_bytes())
    for signature, offset in ((b"PK\x01\x02", 24), (b"PK\x03\x04", 22)):  # uncompressed size fields
        start = 0
        while (at := data.find(signature, start)) >= 0:
            name_len = struct.unpack_from("<H", data, at + (28 if signature == b"PK\x01\x02" else 26))[0]
            name_at = at + (46 if signature == b"PK\x01\x02" else 30)
            if bytes(data[name_at:name_at + name_len]) == b"xl/big.xml":
                struct.pack_into("<I", data, at + offset, 1024)
            start = at + 4
    liar.write_bytes(bytes(data))
    with pytest.raises(RenderError, match="zip bomb suspected|corrupt zip archive"):
        _check(liar)


def test_an_encrypted_opendocument(tmp_path: Path) -> None:
    manifest = (b'<manifest:manifest><manifest:file-entry manifest:full-path="content.xml">'
                b'<manifest:encryption-data manifest:checksum-type="SHA1/1K"/></manifest:file-entry></manifest:manifest>')
    odt = _zip(tmp_path / "locked.odt", {"mimetype": b"application/vnd.oasis.opendocument.text",
                                         "META-INF/manifest.xml": manifest, "content.xml": b"\x8f\x11"})
    with pytest.raises(RenderError, match="password-protected"):
        _check(odt)


def test_an_ole_file_under_an_ooxml_name(tmp_path: Path) -> None:
    encrypted = tmp_path / "locked.xlsx"
    encrypted.write_bytes(guard.OLE_MAGIC + b"\0" * 500 + "EncryptionInfo".encode("utf-16-le") + b"\0" * 100)
    with pytest.raises(RenderError, match="password-protected"):
        _check(encrypted)
    renamed_legacy = tmp_path / "old.docx"
    renamed_legacy.write_bytes(guard.OLE_MAGIC + b"\0" * 600)
    _check(renamed_legacy)  # LibreOffice opens a renamed .doc by its content


def test_not_a_pdf(tmp_path: Path) -> None:
    fake = tmp_path / "fake.pdf"
    fake.write_bytes(b"<html>not a pdf</html>")
    with pytest.raises(RenderError, match="not a PDF"):
        guard.check_pdf(fake)


def test_pdf_info_and_an_encrypted_pdf(tmp_path: Path) -> None:
    assert raster.pdf_info(make_pdf(tmp_path / "a.pdf", pages=4), 30, first_pages=2) == (4, pytest.approx(841.89, abs=0.1))
    with pytest.raises(RenderError, match="password-protected PDF"):
        raster.pdf_info(make_pdf(tmp_path / "locked.pdf", pages=1, password="pw"), 30, first_pages=1)


def test_a_poster_sized_page_is_rendered_at_a_lower_dpi(tmp_path: Path) -> None:
    from fpdf import FPDF

    poster = FPDF(unit="in", format=(120, 120))
    poster.add_page()
    poster.set_font("helvetica", size=400)
    poster.cell(text="Poster")
    poster.output(str(tmp_path / "poster.pdf"))
    pages, longest = raster.pdf_info(tmp_path / "poster.pdf", 30, first_pages=1)
    dpi = raster.safe_dpi(150, longest)
    assert dpi < 150
    pngs, _ = raster.rasterize_pdf(tmp_path / "poster.pdf", tmp_path, pages=pages, dpi=dpi, timeout_s=60,
                                   thumb_width=100)
    with Image.open(pngs[0]) as im:
        assert max(im.size) <= raster.MAX_SIDE_PX


def test_images_too_large_or_broken(tmp_path: Path) -> None:
    big = tmp_path / "big.png"
    Image.new("RGB", (3000, 3000), "white").save(big)
    with pytest.raises(RenderError, match="pixel limit"):
        raster.image_to_png(big, tmp_path, max_pixels=1_000_000, thumb_width=100)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(RenderError, match="unreadable image"):
        raster.image_to_png(broken, tmp_path, max_pixels=1_000_000, thumb_width=100)
