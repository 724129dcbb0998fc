"""Readable text on brand colours: WCAG 2 relative luminance and contrast ratios.

Merchants choose their colours freely; whatever they choose, text set on them must reach
WCAG AA (4.5:1 for normal text). The picker applies the same rule in the browser
(static/scheduling/picker.js, `inkOn`), where a shop may override the colours with CSS.
"""

from __future__ import annotations

AA_NORMAL_TEXT = 4.5
WHITE = "#ffffff"
# The portal's own dark ink; black is the last resort on mid-tones where neither white nor this reaches AA.
DARK_INK = "#111111"
BLACK = "#000000"


def _channels(colour: str) -> tuple[float, float, float]:
    value = colour.strip().lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    if len(value) != 6:
        raise ValueError(f"{colour!r} is not a hex colour such as #1a73e8")
    return tuple(int(value[i:i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def relative_luminance(colour: str) -> float:
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in _channels(colour)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast_ratio(first: str, second: str) -> float:
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable_ink(background: str) -> str:
    """The text colour for a background: white when it reaches AA, else the dark ink, else black.

    Black or white always reaches 4.58:1 on any colour, so the answer is always readable.
    """
    for ink in (WHITE, DARK_INK):
        if contrast_ratio(ink, background) >= AA_NORMAL_TEXT:
            return ink
    return BLACK


# The lightest surface customer pages put text on (the page's background; cards are white).
PAGE_BACKGROUND = "#f6f7f9"


def _darker(colour: str, step: float) -> str:
    return "#" + "".join(f"{round(c * 255 * (1 - step)):02x}" for c in _channels(colour))


def link_colour(*candidates: str) -> str:
    """A brand colour for links on the pages' light surfaces: the first candidate reaching AA there as it is,
    else the first one darkened just enough (a yellow accent becomes an ochre, never an unreadable yellow)."""
    for colour in candidates:
        if contrast_ratio(colour, PAGE_BACKGROUND) >= AA_NORMAL_TEXT:
            return colour
    base = candidates[0] if candidates else DARK_INK
    for tenth in range(1, 20):
        darker = _darker(base, tenth / 20)
        if contrast_ratio(darker, PAGE_BACKGROUND) >= AA_NORMAL_TEXT:
            return darker
    return DARK_INK
