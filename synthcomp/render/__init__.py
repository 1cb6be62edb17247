"""Deliverable rendering: office/PDF/text/image files -> PDF -> PNG pages + contact sheet.

``Renderer`` keeps one headless LibreOffice warm (``office.py``), checks files before
handing them over (``guard.py``) and rasterizes with pdftoppm and Pillow (``raster.py``).
"""

from synthcomp.render.renderer import RenderConfig, Renderer, RenderResult, check_inputs

__all__ = ["RenderConfig", "RenderResult", "Renderer", "check_inputs"]
