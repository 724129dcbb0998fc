"""Which files are images we may hand to a browser, judged by their bytes, never by their name.

PNG, JPEG and WebP only. SVG and everything else are refused: served from our own origin, an SVG or an
HTML file taken for an image could run script. Reading the file's signature needs no imaging library.
"""

from __future__ import annotations

# The content type of each accepted format, and the extension a stored file of it gets.
IMAGE_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
# Enough bytes to recognise every accepted format.
SIGNATURE_BYTES = 16


def image_content_type(head: bytes) -> str | None:
    """The image type whose signature `head` (a file's first bytes) starts with, or None."""
    # PNG: the 8-byte signature, then the IHDR chunk that must come first.
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR":
        return "image/png"
    # JPEG: start-of-image, then the first marker.
    if head[:3] == b"\xff\xd8\xff":
        return "image/jpeg"
    # WebP: a RIFF container of type WEBP whose first chunk is a VP8 bitstream (lossy, lossless or extended).
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP" and head[12:16] in (b"VP8 ", b"VP8L", b"VP8X"):
        return "image/webp"
    return None


def file_head(file) -> bytes:
    """The first bytes of an uploaded or stored file, leaving it at its start."""
    file.seek(0)
    head = file.read(SIGNATURE_BYTES)
    file.seek(0)
    return head
