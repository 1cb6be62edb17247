"""Rendering speed: a warm LibreOffice against one cold ``soffice --convert-to`` per file.

Both run side by side on the same 20 office files (DOCX/XLSX/PPTX made by
``synthcomp create``). The cold baseline gets a profile that already exists, so it pays
only the process start, and the same rasterization (pdftoppm + PNG + contact sheet)
as the warm path for the full-render comparison. Target (rendering issue): warm render
at least 4x faster per document than cold, under 0.3 s per typical document.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

N_FILES = 20
MIX = {".docx": 8, ".xlsx": 6, ".pptx": 6}


def _office_files(root: Path) -> list[Path]:
    """20 office files from generated computers, interleaved by type."""
    from synthcomp.fleet.batch import CreateRequest, create_computers

    create_computers(CreateRequest.from_cli(out=root, n=3, seed=3, os_name="mixed", personas=None, workers=1))
    by_type = {s: sorted(p for p in root.rglob(f"*{s}") if not p.name.startswith("~$"))[:n] for s, n in MIX.items()}
    files: list[Path] = []
    while any(by_type.values()):
        for found in by_type.values():
            if found:
                files.append(found.pop(0))
    return files[:N_FILES]


def _cold_convert(soffice: str, profile: Path, src: Path, out_dir: Path) -> float:
    started = time.perf_counter()
    subprocess.run([soffice, "--headless", "--norestore", f"-env:UserInstallation={profile.as_uri()}",
                    "--convert-to", "pdf", "--outdir", str(out_dir), str(src)],
                   check=True, capture_output=True, timeout=120)
    return time.perf_counter() - started


def _raster(pdf: Path, out_dir: Path, config) -> float:
    from synthcomp.render import raster

    started = time.perf_counter()
    pages = raster.pdf_page_count(pdf, 60)
    _, thumbs = raster.rasterize_pdf(pdf, out_dir, pages=min(pages, config.max_pages), dpi=config.dpi,
                                     timeout_s=60, thumb_width=config.thumb_width)
    raster.contact_sheet(thumbs, out_dir / "contact-sheet.png", title=pdf.name, total_pages=pages,
                         columns=config.sheet_columns)
    return time.perf_counter() - started


def run() -> str:
    from synthcomp.render import RenderConfig, Renderer, raster
    from synthcomp.render.office import find_soffice

    work = Path(tempfile.mkdtemp(prefix="synthcomp-bench-render-"))
    try:
        files = _office_files(work / "ws")
        # spreadsheets printed as LibreOffice's default (column strips), as the cold run does,
        # so both sides rasterize the same pages
        config = RenderConfig(fit_sheet_width=False)
        soffice = find_soffice()

        # cold: one soffice process per file (profile made beforehand, not timed)
        profile = work / "cold-profile"
        _cold_convert(soffice, profile, files[0], work / "warmup")
        cold_pdf, cold_full, cold_pages = [], [], 0
        for i, src in enumerate(files):
            out = work / "cold" / str(i)
            seconds = _cold_convert(soffice, profile, src, out)
            cold_pdf.append(seconds)
            pdf = out / (src.stem + ".pdf")
            cold_full.append(seconds + _raster(pdf, out, config))
            cold_pages += raster.pdf_page_count(pdf, 60)

        # warm: one LibreOffice for everything
        with Renderer(config) as renderer:
            started = time.perf_counter()
            renderer.office.convert(files[0], work / "boot.pdf", timeout_s=120)
            boot = time.perf_counter() - started
            warm_pdf = []
            for i, src in enumerate(files):
                started = time.perf_counter()
                renderer.office.convert(src, work / f"warm-{i}.pdf", timeout_s=120)
                warm_pdf.append(time.perf_counter() - started)
            warm_full = []
            for src in files:
                started = time.perf_counter()
                result = renderer.render(src, work / "warm")
                warm_full.append(time.perf_counter() - started)
                assert result.ok, f"{src.name}: {result.error}"
            started = time.perf_counter()
            batch = renderer.render_many(files, work / "pipelined")
            pipelined = (time.perf_counter() - started) / len(files)
        page_counts = [r.page_count for r in batch]
    finally:
        shutil.rmtree(work, ignore_errors=True)

    mean = statistics.fmean
    cold_doc, warm_doc = mean(cold_full), mean(warm_full)
    typical = statistics.median(warm_full)
    met = cold_doc / warm_doc >= 4 and typical < 0.3
    kinds = ", ".join(f"{n} {s[1:].upper()}" for s, n in MIX.items())
    return "\n".join([
        "## Rendering (warm LibreOffice vs cold `soffice --convert-to`)",
        "",
        f"The same {len(files)} office files ({kinds}) from `synthcomp create`, {sum(page_counts)} pages warm and "
        f"{cold_pages} cold (median {statistics.median(page_counts):.0f} per file); PNGs at {config.dpi} DPI, "
        f"at most {config.max_pages} per file. Cold: one "
        "`soffice --headless --convert-to pdf` process per file with an existing profile. Warm: one "
        "LibreOffice kept running, driven over UNO by a system-Python worker.",
        "",
        "| measure | per document | ratio |",
        "|---|---|---|",
        f"| cold: office -> PDF, one soffice per file | {mean(cold_pdf):.3f} s | 1x (baseline) |",
        f"| warm: office -> PDF | {mean(warm_pdf):.3f} s | {mean(cold_pdf) / mean(warm_pdf):.1f}x faster |",
        f"| cold: full render (PDF + PNG pages + contact sheet) | {cold_doc:.3f} s | 1x (baseline) |",
        f"| warm: full render, `Renderer.render` one by one | {warm_doc:.3f} s (median {typical:.3f} s) "
        f"| {cold_doc / warm_doc:.1f}x faster |",
        f"| warm: full render, `render_many` (convert and rasterize overlapped) | {pipelined:.3f} s "
        f"| {cold_doc / pipelined:.1f}x faster |",
        f"| warm: LibreOffice start + first file (once per renderer) | {boot:.2f} s | |",
        f"| target: warm >= 4x faster than cold and < 0.3 s per typical document | {'met' if met else 'NOT met'} | |",
    ])
