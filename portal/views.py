import sys

from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.http import JsonResponse
from django.shortcuts import render
from django.urls import Resolver404, resolve
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from core.errors import error_body
from portal.health import health_checks
from portal.home import home_links
from portal.middleware import UNAVAILABLE, is_api_request, unavailable_response


@never_cache
def healthz_live(request):
    """Liveness: this process answers requests. Nothing else is checked, so an outage of the database or
    Redis never makes an orchestrator restart processes that would come back to the same outage."""
    return JsonResponse({"status": "ok"})


@never_cache
def healthz_ready(request):
    """Readiness: the database, the channel layer and the broker answer, each within the checks' deadline,
    so the whole answer stays under a second; 503 names what fails, and a load balancer routes elsewhere."""
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


# Errors under /api/ that DRF's exception handler never sees, in the API's JSON error shape: an unknown
# route, and (Django's handlers, see portal/urls.py) a request refused before any view or an error in a
# middleware. Elsewhere the site keeps its pages.


def bad_request(request, exception):
    if is_api_request(request):
        if isinstance(exception, DisallowedHost):
            message = "This server does not answer for the host this request named."
        elif isinstance(exception, RequestDataTooBig):
            message = "The request body is too large."
        else:
            message = "The request could not be read: check its body and headers."
        return JsonResponse(error_body("bad_request", message), status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    if is_api_request(request):
        return JsonResponse(error_body("permission_denied", str(exception) or "You may not do this."), status=403)
    return defaults.permission_denied(request, exception)


@csrf_exempt
def api_route_not_found(request):
    """Every path under /api/ that no route takes (the last of portal/urls.py), whatever DEBUG says.

    A route rather than handler404, which Django skips for its debug page when DEBUG is on. It also
    answers a path missing its final slash, which would otherwise be redirected, losing a POST's body.
    """
    message = f"There is no API route at {request.path}; the routes are listed at /api/docs/."
    if not request.path_info.endswith("/") and _is_api_route(f"{request.path_info}/"):
        message = f"There is no API route at {request.path}: every API path ends with a slash, as {request.path}/ does."
    return JsonResponse(error_body("route_not_found", message), status=404)


def _is_api_route(path: str) -> bool:
    try:
        return resolve(path).func is not api_route_not_found
    except Resolver404:
        return False


def server_error(request):
    """handler500: a database outage met outside a view (in a middleware) is still a 503, not a 500."""
    error = sys.exc_info()[1]
    if isinstance(error, UNAVAILABLE):
        return unavailable_response(request, error)
    if is_api_request(request):
        return JsonResponse(error_body("server_error", "Something failed on our side and nothing is known to have "
                                       "been saved; retrying may help."), status=500)
    return defaults.server_error(request)
