"""Answer 503 with Retry-After, not 500, when the database cannot serve a request right now.

The database is unavailable when it is down, when every slot of the per-process
connection pool stays taken for the pool's timeout, or when it refuses a
transaction it would serve on a retry (deadlock, serialisation failure). Those
are all `OperationalError`s; a client should retry them, and a load balancer may
route around this process meanwhile.
"""

import logging

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse

from core.errors import error_body

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
UNAVAILABLE = (OperationalError, InterfaceError)

# Where the API lives (portal/urls.py mounts it): errors there answer JSON, never a page.
API_PATH_PREFIX = "/api/"


def is_api_request(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PATH_PREFIX)


def unavailable_response(request: HttpRequest, error: BaseException) -> HttpResponse:
    logger.warning("database unavailable for %s %s: %s", request.method, request.path, error)
    message = "The service is busy or briefly unavailable; nothing was saved. Retry in a few seconds."
    if is_api_request(request) or "json" in request.headers.get("Accept", ""):
        response: HttpResponse = JsonResponse(error_body("service_unavailable", message), status=503)
    else:
        response = HttpResponse(message, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


class DatabaseUnavailableMiddleware:
    """Turn a view's database outage into a 503 (the handler500 below covers other middleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if isinstance(exception, UNAVAILABLE):
            return unavailable_response(request, exception)
        return None
