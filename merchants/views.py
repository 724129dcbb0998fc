"""Merchants' public pages: the brand's uploaded logos, served in production as in development."""

from __future__ import annotations

from django.core.exceptions import SuspiciousFileOperation
from django.http import FileResponse, Http404
from django.views.decorators.http import require_safe

from merchants.logos import file_head, logo_content_type
from merchants.models import Merchant

# Logos are stored under a fresh name each upload, so a day of caching never shows a stale one.
LOGO_CACHE_SECONDS = 24 * 3600


@require_safe
def logo_file(request, name: str):
    """One file of the logos/ folder, as the image its bytes are; anything else is not found.

    The content type comes from the file's signature, not its name, and browsers are told not to sniff,
    so a file that is not a PNG, JPEG or WebP image is never rendered from our origin.
    """
    storage = Merchant._meta.get_field("logo").storage
    if name.startswith(".") or "/" in name or "\\" in name:
        raise Http404("No such logo.")
    try:
        handle = storage.open(f"logos/{name}", "rb")
    except (FileNotFoundError, IsADirectoryError, SuspiciousFileOperation):
        raise Http404("No such logo.")
    content_type = logo_content_type(file_head(handle))
    if content_type is None:
        handle.close()
        raise Http404("No such logo.")
    response = FileResponse(handle, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = f"public, max-age={LOGO_CACHE_SECONDS}"
    return response
