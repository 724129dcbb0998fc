"""Pictures for the demo's proofs of delivery: a parcel on a doorstep, and a signature, drawn in code.

The simulator's drivers deliver with a photo and a signature, so the tracking page and the care journey
show what a real delivery shows. They are PNGs written with the standard library (zlib and struct), a
few variants per process: a demo day delivers hundreds of parcels, and drawing each one anew would slow
the simulator, whose benchmarks run it as fast as it can.
"""

from __future__ import annotations

import functools
import math
import random
import struct
import zlib

VARIANTS = 6
PHOTO_SIZE = (320, 240)
SIGNATURE_SIZE = (300, 100)

Colour = tuple[int, int, int]


def png(width: int, height: int, rows: list[bytearray]) -> bytes:
    """An 8-bit RGB PNG of these rows (3 bytes a pixel)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes(row) for row in rows)  # filter type 0 (none) on every row
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def _mix(a: Colour, b: Colour, t: float) -> Colour:
    return (round(a[0] + (b[0] - a[0]) * t), round(a[1] + (b[1] - a[1]) * t), round(a[2] + (b[2] - a[2]) * t))


def _photo_pixel(x: int, y: int, scene: dict) -> Colour:
    """The doorstep scene at one pixel: wall, door, step, and a cardboard box with tape and a label."""
    width, height = PHOTO_SIZE
    floor_y = scene["floor_y"]
    bx, by, bw, bh, top = scene["box"]
    # The box's top face, seen from above: a parallelogram leaning right.
    if by - top <= y < by:
        shift = (by - y) * 0.6
        if bx + shift <= x < bx + bw + shift:
            tape = abs(x - (bx + shift + bw / 2)) < 7
            return scene["tape"] if tape else scene["card_top"]
    if bx <= x < bx + bw and by <= y < by + bh:
        lx, ly, lw, lh = bx + bw * 0.12, by + bh * 0.35, bw * 0.42, bh * 0.35
        if lx <= x < lx + lw and ly <= y < ly + lh:
            line = int((y - ly) / lh * 5) % 2 == 1 and lx + 4 <= x < lx + lw - (8 if int((y - ly) / lh * 5) == 3 else 4)
            return (60, 60, 60) if line else (246, 244, 238)
        if abs(x - (bx + bw / 2)) < 7:
            return scene["tape"]
        return _mix(scene["card"], (120, 84, 46), (y - by) / bh * 0.35)
    # The box's side face, in shadow.
    side = 0.6 * top
    if bx + bw <= x < bx + bw + side and by - (x - bx - bw) / 0.6 <= y < by + bh - (x - bx - bw) / 0.6 * 0.2:
        return _mix(scene["card"], (60, 40, 20), 0.45)
    if y >= floor_y:
        # Stone step: a gradient towards the camera and tile joints, the box's shadow under it.
        colour = _mix(scene["floor"], (200, 196, 188), (y - floor_y) / (height - floor_y))
        if (y - floor_y) % 34 == 0 or (x + (y - floor_y) // 34 * 27) % 80 == 0:
            colour = _mix(colour, (90, 88, 84), 0.5)
        if bx - 6 <= x < bx + bw + side + 10 and y < by + bh + 12:
            colour = _mix(colour, (40, 40, 40), 0.35)
        return colour
    dx, dw = scene["door"]
    if dx <= x < dx + dw and y >= 12:
        if dx + 8 <= x < dx + dw - 8 and y >= 20:
            colour = scene["door_colour"]
            if abs(x - (dx + dw - 22)) < 4 and abs(y - floor_y * 0.58) < 4:
                return (212, 175, 55)  # the handle
            panel = (dx + 20 <= x < dx + dw - 20) and (40 <= y < floor_y * 0.45 or floor_y * 0.65 <= y < floor_y - 16)
            return _mix(colour, (0, 0, 0), 0.18) if panel else colour
        return (236, 232, 224)  # the frame
    return _mix(scene["wall"], (150, 140, 126), y / floor_y * 0.4)


@functools.lru_cache(maxsize=VARIANTS)
def doorstep_photo(variant: int) -> bytes:
    """A 320×240 photo of a parcel left at a door; `variant` picks the door, the box and where it stands."""
    rng = random.Random(f"doorstep-{variant}")
    width, height = PHOTO_SIZE
    bw = rng.randint(90, 130)
    scene = {
        "floor_y": rng.randint(150, 170),
        "door": (rng.randint(10, 40), rng.randint(110, 130)),
        "door_colour": rng.choice([(34, 85, 60), (120, 32, 36), (30, 52, 96), (70, 70, 72)]),
        "wall": rng.choice([(222, 210, 190), (205, 200, 196), (232, 222, 205)]),
        "floor": rng.choice([(150, 146, 140), (168, 160, 150)]),
        "card": (196, 150, 98), "card_top": (214, 172, 120), "tape": (170, 128, 80),
        "box": (rng.randint(150, max(150, width - bw - 45)), rng.randint(145, 160), bw, rng.randint(55, 70), rng.randint(18, 26)),
    }
    rows = []
    for y in range(height):
        row = bytearray()
        for x in range(width):
            r, g, b = _photo_pixel(x, y, scene)
            grain = rng.randint(-6, 6)  # sensor noise: a photo, not a drawing
            row += bytes((min(255, max(0, r + grain)), min(255, max(0, g + grain)), min(255, max(0, b + grain))))
        rows.append(row)
    return png(width, height, rows)


@functools.lru_cache(maxsize=VARIANTS)
def signature(variant: int) -> bytes:
    """A 300×100 signature in blue ink: a looping cursive stroke and an underline, as signed on a phone."""
    rng = random.Random(f"signature-{variant}")
    width, height = SIGNATURE_SIZE
    ink = [[0.0] * width for _ in range(height)]
    pen = 1.3 + rng.random() * 0.5

    def stamp(px: float, py: float) -> None:
        for y in range(max(0, int(py - pen - 1)), min(height, int(py + pen + 2))):
            for x in range(max(0, int(px - pen - 1)), min(width, int(px + pen + 2))):
                cover = min(1.0, max(0.0, pen + 0.5 - math.hypot(x - px, y - py)))
                if cover > ink[y][x]:
                    ink[y][x] = cover

    # Cursive letters are loops moving right (a prolate cycloid), slanted, each its own height: a tall
    # capital, then small letters with the odd ascender, and a pen lift between the two names.
    words = [rng.randint(2, 4), rng.randint(4, 7)]
    heights = [[34.0] + [rng.choice([9.0, 11.0, 13.0, 26.0]) for _ in range(count - 1)] for count in words]
    left, right, baseline = 18.0, width - 36.0, height * 0.62
    span = (right - left) / (sum(words) + 1)
    start = left
    for letters in heights:
        steps = 160 * len(letters)
        for i in range(steps):
            t = i / steps * len(letters)
            letter = min(int(t), len(letters) - 1)
            angle = t * math.tau
            size = letters[letter] * (0.85 + 0.3 * math.sin(t * 1.7 + variant))
            y = baseline - size * (0.5 - 0.5 * math.cos(angle)) + 2.5 * math.sin(t * 0.9 + variant)
            x = start + span * t - (6 + size * 0.12) * math.sin(angle) + (baseline - y) * 0.35
            stamp(x, y)
        start += span * (len(letters) + 1)
    # The underline flourish, back from the end towards the start.
    for i in range(500):
        t = i / 500
        stamp(right - (right - left - 20) * t, baseline + 12 + 5 * math.sin(t * 3 + variant) - 8 * t * t)
    colour, paper = (22, 40, 120), (255, 255, 255)
    rows = [bytearray(b for value in row for b in _mix(paper, colour, value)) for row in ink]
    return png(width, height, rows)
