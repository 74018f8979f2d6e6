"""WCAG 2.x contrast of what the console draws, as a 16-colour, a 256-colour
and a truecolor terminal would show it (Rich's palettes: the colours Textual
downgrades to, and the standard terminal colours of those)."""

from __future__ import annotations

from rich.color import Color, ColorSystem
from rich.color_triplet import ColorTriplet
from rich.style import Style

SYSTEMS = {"16": ColorSystem.STANDARD, "256": ColorSystem.EIGHT_BIT, "truecolor": ColorSystem.TRUECOLOR}


def _channel(c: int) -> float:
    s = c / 255
    return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4


def luminance(rgb: ColorTriplet) -> float:
    r, g, b = rgb
    return 0.2126 * _channel(r) + 0.7152 * _channel(g) + 0.0722 * _channel(b)


def ratio(a: ColorTriplet, b: ColorTriplet) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def shown(color: Color, system: ColorSystem) -> ColorTriplet:
    return color.downgrade(system).get_truecolor()


def blend(a: ColorTriplet, b: ColorTriplet, f: float) -> ColorTriplet:
    return ColorTriplet(*(round(x + (y - x) * f) for x, y in zip(a, b, strict=True)))


def text_contrast(style: Style, system: ColorSystem) -> float:
    fg = style.color or Color.parse("white")
    bg = style.bgcolor or Color.parse("black")
    if style.reverse:
        fg, bg = bg, fg
    f, b = shown(fg, system), shown(bg, system)
    if style.dim:  # terminals draw dim text about half way to the background
        f = blend(f, b, 0.5)
    return ratio(f, b)
