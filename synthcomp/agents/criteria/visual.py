"""*visual*: the deliverable looks like the document it should be.

From its structure and, when a renderer is available, its rendered pages: a table or a
chart where the output's kind calls for one (a report's key figures, a deck's data
slide, a workbook's data), no empty slides, and a page or slide count in range. Without
a renderer the page count of a DOCX is left out rather than guessed.
"""

from __future__ import annotations

from collections.abc import Callable

from synthcomp.agents.criteria.reading import Reading

RenderPages = Callable[[str, bytes], int]


def score(reading: Reading, data: bytes, low: int, high: int,
          render_pages: RenderPages | None) -> tuple[float, str, list[str]]:
    ext = reading.path.rsplit(".", 1)[-1].lower()
    parts: list[tuple[float, str]] = []
    tables = [line for line in reading.lines if " | " in line]
    charts = [line for line in reading.lines if line.startswith("Chart:")]
    if ext == "xlsx":
        parts.append((1.0 if len(tables) >= 4 else 0.0, f"{len(tables)} table rows"))
    else:
        has = len(tables) >= 2 or bool(charts)
        parts.append((1.0 if has else 0.0, f"{len(tables)} table rows, {len(charts)} charts"))
    pages = None
    if ext == "pptx":
        slides = [b for b in reading.blocks if b.heading]
        empty = [b.heading for b in slides[1:] if not b.lines]
        pages = len(slides)
        parts.append((0.0 if empty else 1.0, f"empty slides: {empty[:3]}" if empty else "no empty slides"))
    elif render_pages is not None and ext in {"docx", "pdf", "pptx"}:
        try:
            pages = render_pages(reading.path, data)
        except Exception as exc:  # the renderer's failure on this file is the finding
            parts.append((0.0, f"does not render: {str(exc)[:120]}"))
    if pages is not None and high:
        parts.append((1.0 if low <= pages <= high else 0.0, f"{pages} page(s); expected {low}-{high}"))
    value = sum(p for p, _ in parts) / len(parts)
    return value, "; ".join(why for _, why in parts), (tables[:2] + charts[:1])
