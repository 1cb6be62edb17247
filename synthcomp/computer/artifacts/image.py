"""ImageContent -> PNG/JPG with Pillow: an exported chart, a scanned page, a screenshot.

Text uses Pillow's bundled font (``ImageFont.load_default(size=...)``, FreeType Aileron
since Pillow 10.1), so nothing depends on fonts installed on the host. Randomness (scan
tilt, paper noise) comes from ``random.Random(seed)`` and Pillow writes no timestamps,
so the bytes are a function of the arguments.
"""

from __future__ import annotations

import io
import math
import random
from functools import cache

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from synthcomp.computer.artifacts.formatting import palette, rgb, square_chart
from synthcomp.errors import InputError
from synthcomp.models import Chart, DocumentStyle, ImageContent

_INK = (33, 33, 33)
_AXIS = (110, 110, 110)
_GRID = (225, 225, 225)
_JPEG_QUALITY = 85

Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


@cache
def _font(size: int) -> Font:
    return ImageFont.load_default(size=size)


def render_image(
    content: ImageContent, style: DocumentStyle, seed: int, image_format: str
) -> bytes:
    """``content`` drawn and encoded as ``image_format`` ('png' or 'jpg')."""
    if content.style == "chart":
        if content.chart is None:
            raise InputError(f"image {content.title!r} has style 'chart' but no chart data")
        image = _chart(content.chart, content.title, style)
    elif content.style == "scan":
        image = _scan(content, random.Random(seed))
    else:
        image = _screenshot(content, style)
    buffer = io.BytesIO()
    if image_format == "jpg":
        image.save(buffer, "JPEG", quality=_JPEG_QUALITY)
    else:
        image.save(buffer, "PNG")
    return buffer.getvalue()


def _chart(chart: Chart, title: str, style: DocumentStyle) -> Image.Image:
    """A clustered bar chart: title, gridlines with round ticks, labelled bars, legend."""
    width, height = 1200, 750
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    categories, series = square_chart(chart)
    colours = palette(style.accent_rgb, len(series))

    draw.text((width / 2, 36), chart.title or title, font=_font(30), fill=_INK, anchor="mm")
    left, right, top, bottom = 110, width - 50, 90, height - (150 if len(series) > 1 else 110)
    values = [v for _, vs in series for v in vs if v is not None]
    low, high, step = _axis_range(min([0.0, *values]), max([0.0, *values]))

    def y_of(value: float) -> float:
        return bottom - (value - low) / (high - low) * (bottom - top)

    tick = low
    while tick <= high + step / 2:
        y = y_of(tick)
        draw.line([(left, y), (right, y)], fill=_GRID, width=1)
        draw.text((left - 10, y), _tick_label(tick, step), font=_font(16), fill=_AXIS, anchor="rm")
        tick += step
    draw.line([(left, top), (left, bottom)], fill=_AXIS, width=2)
    draw.line([(left, y_of(0)), (right, y_of(0))], fill=_AXIS, width=2)

    slot = (right - left) / max(len(categories), 1)
    bar = slot * 0.75 / len(series)
    for index, category in enumerate(categories):
        x0 = left + index * slot + slot * 0.125
        for (_, series_values), colour in zip(series, colours):
            value = series_values[index]
            if value is not None:
                y0, y1 = sorted((y_of(0), y_of(value)))
                draw.rectangle([x0, y0, x0 + bar - 2, y1], fill=colour)
                if len(series) * len(categories) <= 24:
                    label_y = y0 - 12 if value >= 0 else y1 + 12
                    draw.text((x0 + bar / 2, label_y), _tick_label(value, step / 10),
                              font=_font(14), fill=_INK, anchor="mm")
            x0 += bar
        label = _fit(draw, category, slot - 6, _font(16))
        centre = left + (index + 0.5) * slot
        draw.text((centre, bottom + 18), label, font=_font(16), fill=_INK, anchor="mm")

    if len(series) > 1:
        x, y = left, height - 70
        for (name, _), colour in zip(series, colours):
            draw.rectangle([x, y - 8, x + 16, y + 8], fill=colour)
            draw.text((x + 24, y), name, font=_font(16), fill=_INK, anchor="lm")
            x += 24 + draw.textlength(name, font=_font(16)) + 30
    return image


def _axis_range(low: float, high: float) -> tuple[float, float, float]:
    """Round axis bounds and a 1/2/5 x 10^n step giving about five gridlines."""
    if math.isclose(low, high):
        high = low + 1
    raw = (high - low) / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    return math.floor(low / step) * step, math.ceil(high / step) * step, step


def _tick_label(value: float, step: float) -> str:
    if step >= 1 or float(value).is_integer():
        return f"{value:,.0f}"
    decimals = min(4, max(1, -math.floor(math.log10(step))))
    return f"{value:,.{decimals}f}"


def _fit(draw: ImageDraw.ImageDraw, text: str, width: float, font: Font) -> str:
    """``text`` shortened with an ellipsis until it fits ``width`` pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "\u2026", font=font) > width:
        text = text[:-1]
    return text + "\u2026"


def _wrap(draw: ImageDraw.ImageDraw, text: str, width: float, font: Font) -> list[str]:
    """Greedy word wrap to ``width`` pixels (an overlong word is cut with an ellipsis).

    Each line takes the most words that fit, as adding words one by one until one does
    not fit would: a line only widens with each word it takes. So the rest of the text
    is tried whole first (most texts are one line), then the search starts from the
    previous line's count: a line costs two or three measurements instead of one per
    word, and a line measured to fit is not measured again (measuring, ~0.3 ms a call,
    was most of the cost of drawing a scan's text).
    """
    words = text.split()
    lines: list[str] = []
    start, count = 0, 1

    def fits(end: int) -> bool:
        line = " ".join(words[start:end])
        return end - start == 1 or draw.textlength(line, font=font) <= width

    while start < len(words):
        end = min(start + count, len(words))
        if fits(len(words)):  # the rest fits: most lines are short
            end = len(words)
        elif fits(end):
            while end < len(words) and fits(end + 1):
                end += 1
        else:
            end -= 1
            while not fits(end):
                end -= 1
        # a line of several words was measured to fit; a lone word may need cutting
        lines.append(" ".join(words[start:end]) if end - start > 1 else _fit(draw, words[start], width, font))
        start, count = end, end - start
    return lines or [""]


def _scan(content: ImageContent, rng: random.Random) -> Image.Image:
    """An A4-proportioned page as a flatbed scanner returns it: off-white, slightly
    tilted, speckled, soft edges, a grey scanner-lid margin where the tilt exposes it."""
    width, height = 1240, 1754
    paper = (246 + rng.randint(-3, 3), 244 + rng.randint(-3, 3), 236 + rng.randint(-4, 4))
    page = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(page)
    margin, y = 120, 150
    title_font, body_font = _font(34), _font(22)
    for line in _wrap(draw, content.title, width - 2 * margin, title_font):
        draw.text((margin, y), line, font=title_font, fill=_INK)
        y += 48
    y += 30
    for text in content.lines:
        for line in _wrap(draw, text, width - 2 * margin, body_font) if text.strip() else [""]:
            if y > height - 120:
                break
            draw.text((margin, y), line, font=body_font, fill=(40, 40, 40))
            y += 34

    grain = Image.frombytes("L", (width, height), rng.randbytes(width * height))
    noise = grain.point(lambda v: 255 if v > 2 else 170)  # ~1% of pixels: scanner dust
    page = Image.composite(page, Image.new("RGB", page.size, (120, 120, 120)), noise)
    page = page.filter(ImageFilter.SMOOTH)  # a 3x3 soften: a third of a Gaussian blur's cost
    tilt = rng.uniform(-1.2, 1.2)
    return page.rotate(tilt, resample=Image.Resampling.BILINEAR, fillcolor=(90, 90, 90))


def _screenshot(content: ImageContent, style: DocumentStyle) -> Image.Image:
    """A desktop screenshot: wallpaper, an application window with title bar and text."""
    width, height = 1440, 900
    accent = rgb(style.accent_rgb)
    image = Image.new("RGB", (width, height), tuple(int(c * 0.35 + 40) for c in accent))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, height - 44, width, height], fill=(32, 32, 36))  # taskbar / dock
    left, top, right, bottom = 90, 60, width - 90, height - 90
    draw.rectangle([left + 6, top + 8, right + 6, bottom + 8], fill=(20, 20, 20))  # shadow
    draw.rectangle([left, top, right, bottom], fill="white", outline=(160, 160, 160))
    draw.rectangle([left, top, right, top + 40], fill=accent)
    draw.text((left + 16, top + 20), _fit(draw, content.title, right - left - 160, _font(18)),
              font=_font(18), fill="white", anchor="lm")
    cy = top + 20  # minimise, maximise, close: drawn, not glyphs the font may lack
    draw.line([(right - 141, cy), (right - 129, cy)], fill="white", width=2)
    draw.rectangle([right - 96, cy - 6, right - 84, cy + 6], outline="white", width=2)
    draw.line([(right - 51, cy - 6), (right - 39, cy + 6)], fill="white", width=2)
    draw.line([(right - 51, cy + 6), (right - 39, cy - 6)], fill="white", width=2)
    draw.rectangle([left, top + 40, right, top + 72], fill=(243, 243, 243))  # toolbar
    for index, label in enumerate(("File", "Edit", "View", "Tools", "Help")):
        draw.text((left + 16 + index * 70, top + 56), label, font=_font(15), fill=_INK, anchor="lm")

    y = top + 96
    for text in content.lines:
        for line in _wrap(draw, text, right - left - 60, _font(17)) if text.strip() else [""]:
            if y > bottom - 30:
                return image
            draw.text((left + 30, y), line, font=_font(17), fill=_INK)
            y += 26
    return image
