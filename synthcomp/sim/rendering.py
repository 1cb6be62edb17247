"""The judge's renderer: deliverables -> PDF -> PNG pages under the simulation's renders/."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from synthcomp import ospath
from synthcomp.agents.criteria.visual import RenderPages
from synthcomp.errors import RenderError
from synthcomp.render.renderer import RenderConfig, Renderer

JUDGED_PAGES = 60
"""Pages rendered per deliverable for the judge: every page of anything within the visual
criteria's ranges (at most 40 pages or 30 slides), so the Claude judge sees them all."""


@contextmanager
def page_renderer(out_dir: Path) -> Iterator[RenderPages]:
    """A ``render_pages(path, data) -> page count`` backed by one warm LibreOffice."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with Renderer(RenderConfig(max_pages=JUDGED_PAGES)) as renderer, tempfile.TemporaryDirectory(prefix="synthcomp-judge-") as tmp:
        def render_pages(path: str, data: bytes) -> int:
            if path not in counts:
                source = Path(tmp) / ospath.basename(path)
                source.write_bytes(data)
                result = renderer.render(source, out_dir)
                if not result.ok:
                    raise RenderError(result.error or "rendering failed")
                counts[path] = result.page_count
            return counts[path]

        yield render_pages
