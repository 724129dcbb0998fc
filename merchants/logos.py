"""Logo files: which uploads are images we can serve, judged by their bytes, never by their name.

PNG, JPEG and WebP only. SVG is refused: served from our own origin it could run script. The check reads the
file's signature itself (core.images), so it needs no imaging library in production.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError

from core.images import IMAGE_EXTENSIONS, file_head, image_content_type

LOGO_MAX_BYTES = 512 * 1024
# The content type of each accepted format, and the extension a stored logo gets.
LOGO_EXTENSIONS = IMAGE_EXTENSIONS
# A logo is any image the site may serve (core.images judges that for logos and proofs of delivery alike).
logo_content_type = image_content_type


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
