"""Small image files built byte by byte, so the logo tests need no imaging library."""

import struct
import zlib


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width: int = 4, height: int = 4, rgb: tuple[int, int, int] = (46, 125, 50), padding: int = 0) -> bytes:
    """A valid PNG of one colour; `padding` adds an ancillary text chunk of that many bytes (to make it big)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8-bit RGB
    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    chunks = _chunk(b"IHDR", header)
    if padding:
        chunks += _chunk(b"tEXt", b"Comment\x00" + b"x" * padding)
    return b"\x89PNG\r\n\x1a\n" + chunks + _chunk(b"IDAT", zlib.compress(rows)) + _chunk(b"IEND", b"")


SVG = (b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
       b'<script>alert(document.cookie)</script><rect width="10" height="10"/></svg>')

# An HTML page saved with a .png name: what a content check must catch and an extension check would not.
FAKE_PNG = b"<html><body><script>alert(document.cookie)</script></body></html>"
