"""Sample documents with known page counts, hostile files, and one warm renderer per module.

LibreOffice, python3-uno and poppler-utils are installed by ``make test`` (Makefile
DEB_PACKAGES), so these tests require them rather than skip. Every renderer a test
starts is closed, and a session check fails if a LibreOffice of ours is still running.
"""

from __future__ import annotations

import re
import subprocess
import zipfile
from pathlib import Path
from typing import Iterator

import pytest
from PIL import Image, ImageOps

from synthcomp.render import RenderConfig, Renderer


# -- checks --------------------------------------------------------------------------

def pdfinfo_pages(pdf: Path) -> int:
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", out, re.MULTILINE).group(1))  # type: ignore[union-attr]


def assert_not_blank(png: Path) -> None:
    """The page has a real amount of ink: dark pixels, not a white (or black) sheet."""
    with Image.open(png) as im:
        assert im.format == "PNG"
        gray = ImageOps.grayscale(im)
        histogram = gray.histogram()
        dark = sum(histogram[:160])
        total = gray.width * gray.height
    assert dark > 200, f"{png} looks blank ({dark} dark pixels)"
    assert dark < 0.9 * total, f"{png} is almost all dark"


def soffice_processes() -> list[str]:
    """Command lines of running LibreOffice processes (and UNO workers) of synthcomp renderers."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if ("soffice" in text and "synthcomp-render-" in text) or "uno_worker.py" in text:
            found.append(text)
    return found


# -- samples ---------------------------------------------------------------------------

def make_docx(path: Path, pages: int, heading: str = "Quarterly report") -> Path:
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    for page in range(pages):
        document.add_heading(f"{heading}, page {page + 1}", level=1)
        for i in range(4):
            document.add_paragraph(f"Paragraph {i + 1}: revenue rose in every region; see the table. " * 3)
        if page < pages - 1:
            document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)
    document.save(path)
    return path


def make_xlsx(path: Path) -> Path:
    """Two small sheets: two pages once each sheet is fitted to one page wide."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Budget"
    sheet.append(["Item", "Q1", "Q2", "Q3", "Q4", "Owner", "Status", "Notes"])
    for i in range(25):
        sheet.append([f"Line {i}", i * 10, i * 11, i * 12, i * 13, "Ana", "open", "checked against the source"])
    second = book.create_sheet("Notes")
    second.append(["Note"])
    second.append(["Figures are provisional until the audit."])
    book.save(path)
    return path


def make_pptx(path: Path, slides: int = 4) -> Path:
    from pptx import Presentation

    deck = Presentation()
    for i in range(slides):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = f"Slide {i + 1}: market update"
        slide.placeholders[1].text = "Growth in all regions\nMargins stable\nNext steps agreed"
    deck.save(path)
    return path


def make_pdf(path: Path, pages: int = 3, password: str | None = None) -> Path:
    from fpdf import FPDF
    from fpdf.enums import EncryptionMethod

    pdf = FPDF()
    pdf.set_font("helvetica", size=16)
    for page in range(pages):
        pdf.add_page()
        pdf.multi_cell(0, 10, f"Page {page + 1}\n" + "The board approved the plan. " * 20)
    if password:
        pdf.set_encryption(owner_password="owner-" + password, user_password=password,
                           encryption_method=EncryptionMethod.RC4)
    pdf.output(str(path))
    return path


def make_png(path: Path) -> Path:
    from PIL import ImageDraw

    im = Image.new("RGBA", (640, 400), (255, 255, 255, 0))
    draw = ImageDraw.Draw(im)
    draw.rectangle((40, 40, 600, 360), outline=(20, 60, 160, 255), width=6)
    for i in range(8):
        draw.rectangle((80 + i * 60, 320 - i * 30, 120 + i * 60, 320), fill=(30, 100, 200, 255))
    im.save(path)
    return path


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Good files of every supported kind, with known page counts where it matters."""
    root = tmp_path_factory.mktemp("samples")
    csv = root / "sales.csv"
    csv.write_text("region,q1,q2\n" + "".join(f"Region {i},{i * 100},{i * 120}\n" for i in range(30)))
    md = root / "notes.md"
    md.write_text("# Call notes\n\n- Agreed the budget\n- Next review on Friday\n\nÜmlauts and — dashes survive.\n")
    txt = root / "todo.txt"
    txt.write_text("To do\n\n1. Send the report\n2. Book the room\n")
    return {
        "docx": make_docx(root / "report.docx", pages=3),
        "xlsx": make_xlsx(root / "budget.xlsx"),
        "pptx": make_pptx(root / "deck.pptx", slides=4),
        "pdf": make_pdf(root / "minutes.pdf", pages=3),
        "csv": csv,
        "md": md,
        "txt": txt,
        "png": make_png(root / "chart.png"),
    }


@pytest.fixture(scope="session")
def hostile(tmp_path_factory: pytest.TempPathFactory, samples: dict[str, Path]) -> dict[str, Path]:
    """Broken and hostile files (the encrypted DOCX is made by LibreOffice in its own test)."""
    root = tmp_path_factory.mktemp("hostile")
    whole = samples["docx"].read_bytes()
    truncated = root / "truncated.docx"
    truncated.write_bytes(whole[: len(whole) // 2])
    bomb = root / "bomb.xlsx"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as member:
            chunk = b"\0" * (1 << 20)
            for _ in range(120):  # 120 MB of zeros in ~120 KB
                member.write(chunk)
    not_zip = root / "~$lockfile.docx"
    not_zip.write_bytes(b"\x05Ana Smith" + b"\0" * 150)
    return {
        "truncated": truncated,
        "bomb": bomb,
        "not_zip": not_zip,
        "encrypted_pdf": make_pdf(root / "locked.pdf", pages=1, password="secret"),
        "long": make_docx(root / "long.docx", pages=500, heading="Appendix"),
    }


@pytest.fixture(scope="module")
def renderer() -> Iterator[Renderer]:
    """One warm LibreOffice shared by a test module."""
    with Renderer(RenderConfig(max_pages=5, timeout_s=60)) as r:
        yield r


@pytest.fixture(scope="session", autouse=True)
def _no_libreoffice_left_behind() -> Iterator[None]:
    yield
    left = soffice_processes()
    assert not left, f"LibreOffice processes left running: {left}"


def encrypt_docx(renderer: Renderer, plain: Path, dst: Path, password: str) -> Path:
    """A password-protected DOCX written by LibreOffice itself (ECMA-376 standard encryption)."""
    renderer.office.convert(plain, dst, timeout_s=60, export_filter="MS Word 2007 XML",
                            encryption={"OOXPassword": password, "CryptoType": "Standard"})
    return dst

