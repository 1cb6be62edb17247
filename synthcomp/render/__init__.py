"""Deliverable rendering: office/PDF/text/image files -> PDF -> PNG pages + contact sheet.

``Renderer`` keeps one headless LibreOffice warm (``office.py``), checks files before
handing them over (``guard.py``) and rasterizes with pdftoppm and Pillow (``raster.py``).
The render service (``service.py``, reached through ``client.py``) keeps one ``Renderer``
warm across commands, one per user.

``Renderer`` and ``check_inputs`` load on first use: a client of the service needs
neither Pillow nor the guards, and the ``render`` command counts its start-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from synthcomp.render.models import RenderConfig, RenderResult

if TYPE_CHECKING:
    from synthcomp.render.guard import check_inputs
    from synthcomp.render.renderer import Renderer

__all__ = ["RenderConfig", "RenderResult", "Renderer", "check_inputs"]


def __getattr__(name: str) -> Any:
    if name == "Renderer":
        from synthcomp.render.renderer import Renderer

        return Renderer
    if name == "check_inputs":
        from synthcomp.render.guard import check_inputs

        return check_inputs
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
