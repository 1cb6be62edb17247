"""The models crossing the render boundary: how to render (``RenderConfig``) and what came of
one file (``RenderResult``).

They sit apart from the renderer so that a client of the render service (``client.py``)
reads and writes them without importing Pillow, LibreOffice's driver or the guards: the
``synthcomp render`` command counts its own start-up.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RenderConfig(BaseModel):
    """How documents are rendered and how far a hostile one may go."""

    model_config = ConfigDict(extra="forbid")

    dpi: int = Field(100, ge=36, le=600)
    """Resolution of the page PNGs (100 DPI: an A4 page is 827x1169 pixels)."""
    max_pages: int = Field(20, ge=1, le=1000)
    """Pages rendered to PNG per document; the result still reports the total."""
    timeout_s: float = Field(60.0, gt=0)
    """Time limit for each step of one file (LibreOffice conversion, pdftoppm)."""
    start_timeout_s: float = Field(60.0, gt=0)
    """Time LibreOffice may take to start and accept connections."""
    max_file_mb: float = Field(100.0, gt=0)
    """Larger input files are refused."""
    max_text_mb: float = Field(5.0, gt=0)
    """Larger CSV/MD/TXT files are refused (5 MB of text is ~1,500 pages)."""
    max_unzipped_mb: float = Field(500.0, gt=0)
    """An office archive inflating past this (or past ``max_zip_ratio`` x its size) is a zip bomb."""
    max_zip_ratio: float = Field(200.0, gt=1)
    """Inflated/packed size ratio above which (and above 50 MB) an archive is a zip bomb."""
    max_image_pixels: int = Field(100_000_000, gt=0)
    """Larger images are refused."""
    fit_sheet_width: bool = True
    """Print each spreadsheet sheet one page wide instead of in strips of columns."""
    sheet_columns: int = Field(4, ge=1, le=20)
    """Columns of the contact sheet."""
    thumb_width: int = Field(240, ge=32, le=2000)
    """Width of one page on the contact sheet, in pixels."""


class RenderResult(BaseModel):
    """What rendering one file produced, or why it did not."""

    model_config = ConfigDict(extra="forbid")

    source: Path
    """The input file."""
    kind: Literal["office", "text", "pdf", "image"] | None = None
    """How it was rendered; None when its type is unsupported."""
    out_dir: Path | None = None
    """The document's output folder (None on error)."""
    pdf: Path | None = None
    """The PDF the pages come from: LibreOffice's output, or the input itself for a PDF."""
    pages: list[Path] = Field(default_factory=list)
    """Page PNGs, in order; at most ``max_pages`` of them."""
    page_count: int = 0
    """Total pages of the document (of its PDF), even when fewer were rendered."""
    contact_sheet: Path | None = None
    """A grid of the rendered pages."""
    seconds: float = 0.0
    """Time spent working on this file (conversion + rasterizing, not time queued between them)."""
    error: str | None = None
    """Why the file could not be rendered; None on success."""

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def truncated(self) -> bool:
        """Whether fewer pages were rendered than the document has."""
        return len(self.pages) < self.page_count
