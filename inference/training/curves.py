"""Training curves drawn with Pillow: no plotting library needed to see how a run went."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from PIL import Image, ImageDraw, ImageFont

_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b")
_WIDTH, _HEIGHT, _MARGIN = 600, 320, 52


def _ticks(low: float, high: float, count: int = 5) -> list[float]:
    """Round tick values covering [low, high]."""
    if high <= low:
        high = low + 1.0
    raw = (high - low) / count
    step = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if raw <= step * factor:
            step *= factor
            break
    start = math.floor(low / step) * step
    return [start + i * step for i in range(int(math.ceil((high - start) / step)) + 1)]


def _panel(title: str, series: Mapping[str, Sequence[tuple[float, float]]], font, x_label: str) -> Image.Image:
    image = Image.new("RGB", (_WIDTH, _HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    points = [p for values in series.values() for p in values if math.isfinite(p[1])]
    draw.text((_MARGIN, 8), title, fill="black", font=font)
    if not points:
        draw.text((_MARGIN, _HEIGHT // 2), "no data yet", fill="grey", font=font)
        return image
    xs = [p[0] for p in points]
    ys = [p[1] for p in points]
    x_ticks = _ticks(min(xs), max(xs))
    y_ticks = _ticks(min(0.0, min(ys)), max(ys))
    x0, x1, y0, y1 = x_ticks[0], x_ticks[-1], y_ticks[0], y_ticks[-1]
    left, right, top, bottom = _MARGIN, _WIDTH - 16, 28, _HEIGHT - 36

    def to_px(x: float, y: float) -> tuple[float, float]:
        return (left + (x - x0) / (x1 - x0) * (right - left), bottom - (y - y0) / (y1 - y0) * (bottom - top))

    for y in y_ticks:
        _, py = to_px(x0, y)
        draw.line([(left, py), (right, py)], fill="#e6e6e6")
        draw.text((4, py - 6), f"{y:.3g}", fill="#555555", font=font)
    for x in x_ticks:
        px, _ = to_px(x, y0)
        draw.line([(px, top), (px, bottom)], fill="#f0f0f0")
        draw.text((px - 8, bottom + 4), f"{x:g}", fill="#555555", font=font)
    draw.rectangle([left, top, right, bottom], outline="#999999")
    for i, (name, values) in enumerate(series.items()):
        colour = _COLOURS[i % len(_COLOURS)]
        line = [to_px(x, y) for x, y in values if math.isfinite(y)]
        if len(line) > 1:
            draw.line(line, fill=colour, width=2)
        for px, py in line if len(line) <= 40 else line[-1:]:
            draw.ellipse([px - 2, py - 2, px + 2, py + 2], fill=colour)
        # Legend in the header row, right-aligned entries from the title onwards.
        legend_x = right - 130 * (len(series) - i)
        draw.line([(legend_x, 14), (legend_x + 14, 14)], fill=colour, width=3)
        draw.text((legend_x + 18, 8), name, fill=colour, font=font)
    draw.text(((left + right) // 2 - 16, _HEIGHT - 16), x_label, fill="#555555", font=font)
    return image


def curve_sheet(panels: Mapping[str, Mapping[str, Sequence[tuple[float, float]]]], x_label: str = "epoch") -> Image.Image:
    """Panels of named (x, y) series side by side, as one image.

    Args:
        panels: {"panel title": {"series name": [(x, value), ...]}}.
        x_label: what x counts ("epoch", "step").
    """
    font = ImageFont.load_default()
    images = [_panel(title, series, font, x_label) for title, series in panels.items()]
    sheet = Image.new("RGB", (_WIDTH * max(1, len(images)), _HEIGHT), "white")
    for i, image in enumerate(images):
        sheet.paste(image, (i * _WIDTH, 0))
    return sheet
