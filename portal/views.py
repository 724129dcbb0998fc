import sys

from django.http import JsonResponse
from django.shortcuts import render
from django.views import defaults
from django.views.decorators.cache import never_cache

from portal.health import health_checks
from portal.home import home_links
from portal.middleware import UNAVAILABLE, unavailable_response


@never_cache
def healthz(request):
    checks = health_checks()
    ok = all(check.ok for check in checks)
    body = {
        "status": "ok" if ok else "unavailable",
        "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks},
    }
    if not ok:
        body["failing"] = [check.name for check in checks if not check.ok]
    return JsonResponse(body, status=200 if ok else 503)


def home(request):
    return render(request, "portal/home.html", {"links": home_links()})


def server_error(request):
    """handler500: a database outage met outside a view (in a middleware) is still a 503, not a 500."""
    error = sys.exc_info()[1]
    if isinstance(error, UNAVAILABLE):
        return unavailable_response(request, error)
    return defaults.server_error(request)
