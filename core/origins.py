"""The origins of configured URLs, as a Content-Security-Policy source names them.

Settings derive the policy's image source for map tiles from MAP_TILE_URL, so pointing the portal at one's own
tile server allows it without a second setting to keep in step; a page showing a brand's logo URL allows
that URL's origin (portal.templatetags.page_policy).
"""

import re
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

# Leaflet's URL template puts a placeholder such as {s} (the tile servers' a/b/c subdomains) in the host.
_PLACEHOLDER = re.compile(r"\{[^}]*\}")


def url_origin(url: str) -> str:
    """`https://tiles.example.org:8443` for any URL on that host; "" for a relative URL (our own origin)."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}".lower()


def map_tile_origin(url_template: str) -> str:
    """The CSP source that matches every tile of a Leaflet URL template, "" when tiles come from our origin.

    `https://{s}.tile.example.org/{z}/{x}/{y}.png` gives `https://*.tile.example.org`: a placeholder may stand
    for the host's leftmost label only, the one place a CSP source accepts a wildcard.
    """
    parts = urlsplit(_PLACEHOLDER.sub("placeholder", url_template))
    if not parts.scheme:
        return ""
    if not parts.netloc or parts.scheme not in ("http", "https"):
        raise ImproperlyConfigured(f"MAP_TILE_URL must be an http(s) URL or a path on this site, got {url_template!r}")
    host = urlsplit(url_template).netloc
    labels = host.split(".")
    if _PLACEHOLDER.search(".".join(labels[1:])):
        raise ImproperlyConfigured(
            f"MAP_TILE_URL may have a placeholder in its host's first label only (such as {{s}}.tile…), got {url_template!r}")
    if _PLACEHOLDER.search(labels[0]):
        host = ".".join(["*", *labels[1:]])
    return f"{parts.scheme}://{host}".lower()
