"""Logo files: which uploads are images we can serve, judged by their bytes, never by their name.

PNG, JPEG and WebP only. SVG is refused: served from our own origin it could run script. The check reads the
file's signature itself, so it needs no imaging library in production.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

LOGO_MAX_BYTES = 512 * 1024
# The content type of each accepted format, and the extension a stored logo gets.
LOGO_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
# Enough bytes to recognise every accepted format.
SIGNATURE_BYTES = 16


def logo_content_type(head: bytes) -> str | None:
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


def validate_logo(file) -> None:
    """Refuse a logo that is too big or is not a PNG, JPEG or WebP image by its content.

    Only a file being uploaded is read (a stored one passed this check when it came in).
    """
    if file is None or not file or getattr(file, "_committed", False):
        return
    if file.size > LOGO_MAX_BYTES:
        raise ValidationError(f"This logo is {file.size // 1024} KB; a logo may be at most "
                              f"{LOGO_MAX_BYTES // 1024} KB. Export it smaller (a logo needs about 400 pixels wide).")
    if logo_content_type(file_head(file)) is None:
        raise ValidationError("This file is not a PNG, JPEG or WebP image. Other formats, SVG included, are refused: "
                              "export the logo as PNG.")
