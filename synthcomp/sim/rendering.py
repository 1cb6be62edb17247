"""The judge's renderer: deliverables -> PDF -> PNG pages under the simulation's renders/.

Through the per-user render service by default (``synthcomp.render.client``), so a
judge pays for starting LibreOffice only when no command has recently.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from synthcomp import ospath
from synthcomp.agents.criteria.visual import RenderPages
from synthcomp.errors import RenderError
from synthcomp.render.client import open_renderer
from synthcomp.render.models import RenderConfig

JUDGED_PAGES = 60
"""Pages rendered per deliverable for the judge: every page of anything within the visual
criteria's ranges (at most 40 pages or 30 slides), so the Claude judge sees them all."""


@contextmanager
def page_renderer(out_dir: Path, service: bool | None = None) -> Iterator[RenderPages]:
    """A ``render_pages(path, data) -> page count`` backed by one warm LibreOffice.

    Args:
        service: render through the per-user render service (None: unless
            ``SYNTHCOMP_RENDER_SERVICE=0``) or with a LibreOffice of this process.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    config = RenderConfig(max_pages=JUDGED_PAGES)
    with open_renderer(config, service) as renderer, tempfile.TemporaryDirectory(prefix="synthcomp-judge-") as tmp:
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
