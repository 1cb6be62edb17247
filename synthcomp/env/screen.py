"""``render("rgb_array")``: the current screen, i.e. the last observation as a terminal image."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT, LINE = 1024, 640, 16


def text_screen(text: str) -> np.ndarray:
    """An RGB array (HEIGHT x WIDTH x 3) showing the first lines of ``text``."""
    image = Image.new("RGB", (WIDTH, HEIGHT), (24, 26, 32))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=13)
    y = 8
    for raw in text.splitlines() or [""]:
        for start in range(0, max(len(raw), 1), 140):
            if y > HEIGHT - LINE:
                return np.asarray(image)
            draw.text((10, y), raw[start:start + 140], font=font, fill=(220, 220, 220))
            y += LINE
    return np.asarray(image)
