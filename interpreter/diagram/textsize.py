"""Text widths without a font engine: Helvetica's advance widths (Arial and Liberation Sans
share them), which the SVG asks for first. Good to a few percent for Latin text; other
characters count as wide ones, so boxes err on the roomy side."""

from __future__ import annotations

from typing import Final

# Advance widths of ASCII 32..126 in 1/1000 em (Helvetica's AFM metrics).
_WIDTHS: Final = (
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278,
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556,
    1015, 667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778,
    667, 778, 722, 667, 611, 722, 667, 944, 667, 667, 611, 278, 278, 278, 469, 556,
    333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556,
    556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
)  # fmt: skip
_OTHER: Final = 720
#: Bold text is about this much wider.
_BOLD: Final = 1.08


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """The width in pixels of ``text`` set in ``size`` px Helvetica (bold if asked)."""
    units = sum(
        _WIDTHS[code - 32] if 32 <= (code := ord(character)) <= 126 else _OTHER
        for character in text
    )
    return units * size / 1000 * (_BOLD if bold else 1.0)
