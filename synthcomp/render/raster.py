"""PDF -> PNG pages (pdftoppm), images -> PNG, and the contact sheet (Pillow).

pdftoppm rasterizes to PPM, which takes ~10 ms a page at 100 DPI; its own PNG writer
compresses at ~150 ms a page, and Pillow's at ~27 ms even at zlib level 1, because it
tries every PNG row filter on every row. ``write_png`` writes rows unfiltered at level 1
(~18 ms a page, and smaller than Pillow's for text pages, which are mostly flat white);
the same decoded page gives its contact-sheet thumbnail.
"""

from __future__ import annotations

import math
import re
import shutil
import struct
import subprocess
import tempfile
import zlib
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from synthcomp.errors import RenderError

PNG_LEVEL = 1  # zlib level for PNGs: 4x faster than the default for ~1.3x the bytes
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
MAX_SIDE_PX = 5000  # a page larger than this at the asked DPI is rendered at a lower DPI
SHEET_BG = (236, 236, 236)


def _tool(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise RenderError(f"{name} is not installed: `make setup` installs poppler-utils")
    return found


def pdf_info(pdf: Path, timeout_s: float, first_pages: int) -> tuple[int, float]:
    """The page count of ``pdf`` and the longest page side (points) among its first pages.

    Raises:
        RenderError: the PDF is password-protected, unreadable or has no pages.
    """
    try:
        proc = subprocess.run([_tool("pdfinfo"), "-f", "1", "-l", str(max(1, first_pages)), str(pdf)],
                              capture_output=True, text=True, errors="replace", timeout=timeout_s)
    except subprocess.TimeoutExpired:
        raise RenderError(f"pdfinfo took longer than {timeout_s:g} s") from None
    err = proc.stderr.strip()
    if "Incorrect password" in err:
        raise RenderError("password-protected PDF; it cannot be rendered without the password")
    match = re.search(r"^Pages:\s+(\d+)", proc.stdout, re.MULTILINE)
    if proc.returncode != 0 or match is None:
        raise RenderError(f"unreadable PDF: {err.splitlines()[-1] if err else 'pdfinfo found no pages'}")
    pages = int(match.group(1))
    if pages == 0:
        raise RenderError("the PDF has no pages")
    sides = [max(float(w), float(h)) for w, h in
             re.findall(r"^Page\s+\d+\s+size:\s+([\d.]+) x ([\d.]+)", proc.stdout, re.MULTILINE)]
    return pages, max(sides, default=842.0)


def pdf_page_count(pdf: Path, timeout_s: float) -> int:
    """The number of pages of ``pdf``; RenderError when it is encrypted, broken or empty."""
    return pdf_info(pdf, timeout_s, first_pages=1)[0]


def safe_dpi(dpi: int, longest_side_pts: float) -> int:
    """``dpi``, lowered so that no page is more than MAX_SIDE_PX pixels on a side (a poster-sized page)."""
    return max(1, min(dpi, int(MAX_SIDE_PX * 72 / max(longest_side_pts, 1.0))))


def rasterize_pdf(pdf: Path, out_dir: Path, *, pages: int, dpi: int, timeout_s: float,
                  thumb_width: int) -> tuple[list[Path], list[Image.Image]]:
    """Render pages 1..``pages`` of ``pdf`` to ``out_dir/page-NNN.png``.

    Returns:
        The PNG paths and a thumbnail (``thumb_width`` wide) of each page.
    Raises:
        RenderError: pdftoppm failed, timed out or produced fewer pages than asked.
    """
    with tempfile.TemporaryDirectory(prefix="synthcomp-ppm-") as tmp:
        cmd = [_tool("pdftoppm"), "-r", str(dpi), "-f", "1", "-l", str(pages), str(pdf), f"{tmp}/p"]
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, errors="replace", timeout=timeout_s)
        except subprocess.TimeoutExpired:
            raise RenderError(f"pdftoppm took longer than {timeout_s:g} s") from None
        ppms = sorted(Path(tmp).glob("p-*.ppm"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
        if proc.returncode != 0 or len(ppms) != pages:
            err = proc.stderr.strip().splitlines()
            raise RenderError(f"pdftoppm rendered {len(ppms)} of {pages} page(s)"
                              + (f": {err[-1]}" if err else ""))
        pngs, thumbs = [], []
        for number, ppm in enumerate(ppms, start=1):
            png = out_dir / f"page-{number:03d}.png"
            with Image.open(ppm) as im:
                rgb = im if im.mode == "RGB" else im.convert("RGB")
                write_png(rgb, png)
                thumbs.append(_thumbnail(rgb, thumb_width))
            ppm.unlink()
            pngs.append(png)
    return pngs, thumbs


def write_png(im: Image.Image, dst: Path) -> Path:
    """``im`` (RGB) as an 8-bit RGB PNG, rows unfiltered, zlib level ``PNG_LEVEL``; the same bytes every time."""
    if im.mode != "RGB":
        raise ValueError(f"write_png takes RGB images, not {im.mode}")
    width, height = im.size
    raw, stride = im.tobytes(), width * 3
    rows = b"".join(b"\0" + raw[start:start + stride] for start in range(0, len(raw), stride))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, truecolour, no interlace
    dst.write_bytes(_PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows, PNG_LEVEL))
                    + chunk(b"IEND", b""))
    return dst


def image_to_png(src: Path, out_dir: Path, *, max_pixels: int, thumb_width: int) -> tuple[Path, Image.Image]:
    """Copy or convert an image to ``out_dir/page-001.png`` (transparency flattened on white)."""
    try:
        with Image.open(src) as im:
            if im.width * im.height > max_pixels:
                raise RenderError(f"image is {im.width}x{im.height} pixels, over the {max_pixels:,} pixel limit")
            im.seek(0)  # first frame of an animation or a multi-page TIFF
            rgb = _flatten(im)
    except RenderError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        raise RenderError(f"unreadable image: {exc}") from None
    png = out_dir / "page-001.png"
    write_png(rgb, png)
    return png, _thumbnail(rgb, thumb_width)


def _flatten(im: Image.Image) -> Image.Image:
    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return im.convert("RGB")


def _thumbnail(im: Image.Image, width: int) -> Image.Image:
    """A contact-sheet cell: box-reduced by an integer factor, then bilinear to size
    (``reducing_gap=1``): ~3 ms for a 100 DPI page, where copying it to RGB and a finer
    reduction (``reducing_gap=2``) took ~15 ms, for a cell that differs by ~1% per pixel."""
    height = max(1, round(im.height * width / max(1, im.width)))
    rgb = im if im.mode == "RGB" else im.convert("RGB")
    return rgb.resize((width, height), Image.Resampling.BILINEAR, reducing_gap=1.0)


def contact_sheet(thumbs: list[Image.Image], dst: Path, *, title: str, total_pages: int, columns: int) -> Path:
    """A grid of page thumbnails with page numbers and a title line, saved as PNG."""
    font = ImageFont.load_default()
    cols = max(1, min(columns, len(thumbs)))
    rows = math.ceil(len(thumbs) / cols)
    cell_w = max(t.width for t in thumbs)
    cell_h = max(t.height for t in thumbs)
    pad, label_h, title_h = 12, 16, 24
    width = cols * cell_w + (cols + 1) * pad
    height = title_h + rows * (cell_h + label_h) + (rows + 1) * pad
    sheet = Image.new("RGB", (width, height), SHEET_BG)
    draw = ImageDraw.Draw(sheet)
    shown = len(thumbs)
    caption = f"{title} - {total_pages} page(s)" + (f", first {shown} shown" if shown < total_pages else "")
    draw.text((pad, pad), caption, fill=(20, 20, 20), font=font)
    for i, thumb in enumerate(thumbs):
        row, col = divmod(i, cols)
        x = pad + col * (cell_w + pad)
        y = title_h + pad + row * (cell_h + label_h + pad)
        draw.rectangle((x - 1, y - 1, x + thumb.width, y + thumb.height), outline=(150, 150, 150))
        sheet.paste(thumb, (x, y))
        draw.text((x, y + thumb.height + 3), str(i + 1), fill=(60, 60, 60), font=font)
    return write_png(sheet, dst)
