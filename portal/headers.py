"""The browser-facing headers the security middleware and django-csp do not write themselves.

- Permissions-Policy from settings.PERMISSIONS_POLICY: the browser features our pages may use.
- What one page needs beyond the site's policy (the image origin of a brand's logo URL, an email's inline
  styles in a preview) is named by the template that shows it (portal.templatetags.page_policy), so the
  policy widens for that page only, never for scripts.
- Every page's script-src names a nonce, so "our scripts are 'self' or nonced" holds on every page alike and a
  page whose inline script lacks the attribute fails at once rather than on the day a nonce first appears.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse

# Where a template records what its page adds to the policy: {directive: {source, …}} (see page_policy).
PAGE_ADDITIONS_ATTRIBUTE = "page_policy_additions"


def permissions_policy(features: dict[str, list[str]]) -> str:
    """`camera=(), geolocation=(self)`: each feature with the origins allowed to use it, none for most."""
    return ", ".join(f"{feature}=({' '.join(origins)})" for feature, origins in features.items())


class PagePolicyMiddleware:
    """Sits inside django-csp's middleware, so what it adds is in place when that one writes the policy."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.permissions = permissions_policy(getattr(settings, "PERMISSIONS_POLICY", {}))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self.permissions:
            response.headers.setdefault("Permissions-Policy", self.permissions)
        if "html" in response.get("Content-Type", "") and hasattr(request, "csp_nonce"):
            str(request.csp_nonce)  # creates the nonce: django-csp names it only once something has read it
        additions = getattr(request, PAGE_ADDITIONS_ATTRIBUTE, None)
        if additions:
            # django-csp's per-response addition, what its csp_update decorator sets.
            update = dict(getattr(response, "_csp_update", None) or {})
            for directive, sources in additions.items():
                update[directive] = [*update.get(directive, []), *sorted(sources)]
            response._csp_update = update
        return response
