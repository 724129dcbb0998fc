"""Operators' view of each request: a request id on every log line and the response, one access line, metrics.

`RequestObservationMiddleware` is the outermost middleware, so it sees every response, those that other
middleware answer (a redirect to HTTPS, a 503 for the database) and Django's 500 page included.
"""

from __future__ import annotations

import logging
import time

from django.http import HttpRequest, HttpResponse

from core import metrics
from core.log_context import log_bound, request_id_accept

logger = logging.getLogger("portal.requests")

REQUEST_ID_HEADER = "X-Request-ID"
UNMATCHED_ROUTE = "(unmatched)"


def route_of(request: HttpRequest) -> str:
    """The URL pattern that answered ("t/<str:token>/"), never the path: paths carry tokens and ids."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED_ROUTE
    return match.route or "/"  # the home page's pattern is the empty one


class RequestObservationMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = request_id_accept(request.headers.get(REQUEST_ID_HEADER))
        request.request_id = request_id
        started = time.perf_counter()
        with log_bound(request_id=request_id):
            response = self.get_response(request)
            seconds = time.perf_counter() - started
            route = route_of(request)
            metrics.http_request_seconds.labels(route=route, method=request.method).observe(seconds)
            metrics.http_responses.labels(route=route, method=request.method, status=str(response.status_code)).inc()
            level = logging.ERROR if response.status_code >= 500 else logging.INFO
            logger.log(level, "%s %s %s in %.0f ms", request.method, route, response.status_code, seconds * 1000,
                       extra={"route": route, "method": request.method, "status": response.status_code,
                              "duration_ms": round(seconds * 1000, 1)})
        response[REQUEST_ID_HEADER] = request_id
        return response
