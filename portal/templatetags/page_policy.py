"""Template tags that widen one page's Content-Security-Policy for what that page really shows.

    {% load page_policy %}<img src="{% external_image merchant.logo_src %}" alt="">

A brand may give its logo as a URL on its own site: the page that shows it allows that origin's images,
and no other page does. Templates may widen images and styles only (style elements by hash), never scripts.
"""

from django import template

from core.origins import url_origin
from portal.headers import PAGE_ADDITIONS_ATTRIBUTE

register = template.Library()

WIDENABLE = frozenset({"img-src", "style-src-attr", "style-src"})


def _add(context, directive: str, source: str) -> None:
    if directive not in WIDENABLE:
        raise template.TemplateSyntaxError(f"a template may widen only {sorted(WIDENABLE)}, not {directive}")
    if directive == "style-src" and not source.startswith("'sha256-"):
        raise template.TemplateSyntaxError(f"style-src takes a style's hash only, not {source}")
    request = context.get("request")
    if request is None or not source:
        return
    request = getattr(request, "_request", request)  # REST framework's pages hold its wrapper, not Django's request
    if not hasattr(request, PAGE_ADDITIONS_ATTRIBUTE):
        setattr(request, PAGE_ADDITIONS_ATTRIBUTE, {})
    getattr(request, PAGE_ADDITIONS_ATTRIBUTE).setdefault(directive, set()).add(source)


@register.simple_tag(takes_context=True)
def external_image(context, url: str) -> str:
    """The URL, unchanged (and escaped as any value); its origin joins the page's img-src."""
    _add(context, "img-src", url_origin(url or ""))
    return url


@register.simple_tag(takes_context=True)
def page_allows(context, directive: str, source: str) -> str:
    """`{% page_allows "img-src" "https:" %}`: this page also allows that source for that directive."""
    _add(context, directive, source)
    return ""
