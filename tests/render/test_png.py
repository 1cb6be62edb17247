"""Pages are written as PNGs any viewer reads, pixel for pixel, the same bytes every time."""

from __future__ import annotations

import random

import pytest
from PIL import Image

from synthcomp.render.raster import write_png


def test_a_written_png_reads_back_pixel_for_pixel_and_byte_for_byte(tmp_path):
    rng = random.Random(7)
    im = Image.new("RGB", (131, 47), (255, 255, 255))
    im.putdata([(rng.randrange(256), rng.randrange(256), rng.randrange(256)) if rng.random() < 0.3 else (255, 255, 255)
                for _ in range(131 * 47)])
    first, second = write_png(im, tmp_path / "a.png"), write_png(im, tmp_path / "b.png")
    with Image.open(first) as back:
        back.verify()  # chunk CRCs and structure
    with Image.open(first) as back:
        assert back.format == "PNG" and back.mode == "RGB" and back.size == im.size
        assert back.tobytes() == im.tobytes()
    assert first.read_bytes() == second.read_bytes()


def test_only_rgb_is_written(tmp_path):
    with pytest.raises(ValueError, match="RGB"):
        write_png(Image.new("RGBA", (2, 2)), tmp_path / "x.png")
