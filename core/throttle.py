"""Rate limits on the surfaces anyone can reach, counted in the shared cache.

Each surface spends a named budget (`settings.THROTTLE_RATES`: scope -> (requests, seconds)) per client
address, or per credential on the API. Past its budget a request is answered 429 with `Retry-After` in
whole seconds: the API's JSON error (`rate_limited`) on JSON routes, a short page elsewhere.

Counting is a fixed window per (scope, identity): `cache.add` starts the window's counter with the
window's lifetime and `cache.incr` counts (INCR on Redis, under a lock in the local-memory cache), so
every process behind the load balancer spends from the same count. Across a window's boundary a client
may get up to twice its budget through; the budgets leave room for that, and a fixed window says exactly
when to come back.

The cache is not a dependency: if it cannot be reached, the request goes through and a warning is logged.
An outage of the cache costs a limit, never a booking or a page.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils import translation
from django.utils.translation import gettext, ngettext
from redis.exceptions import RedisError
from rest_framework.throttling import BaseThrottle

from core.client_address import client_ip

logger = logging.getLogger(__name__)

# What a cache that cannot be reached raises (the Redis cache in production; the local-memory one never does).
CACHE_OUTAGE_ERRORS = (RedisError, OSError)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after: int = 0  # whole seconds until the budget refills; 0 when allowed


ALLOWED = Verdict(allowed=True)


def client_digest(request: HttpRequest) -> str:
    """The client's address as a keyed digest: stable enough to count a client's holds, useless to read back."""
    return hmac.new(settings.SECRET_KEY.encode(), client_ip(request).encode(), hashlib.sha256).hexdigest()[:32]


def wall_seconds() -> float:
    """The throttle's clock: real seconds, not core.clock, whose demo time may run faster than requests come."""
    return time.time()


def _counter_key(scope: str, identity: str, window: int) -> str:
    # Identities hold API key ids and client addresses: the cache's key names carry a digest, not the value.
    digest = hashlib.sha256(identity.encode()).hexdigest()[:24]
    return f"throttle:{scope}:{digest}:{window}"


def throttle_hit(*, scope: str, identity: str, now: float | None = None) -> Verdict:
    """Spend one request of `identity`'s budget in `scope`; refused requests count too, so hammering stays refused."""
    if not settings.THROTTLE_ENABLED:
        return ALLOWED
    limit, period = settings.THROTTLE_RATES[scope]
    now = wall_seconds() if now is None else now
    window = int(now // period)
    key = _counter_key(scope, identity, window)
    try:
        cache.add(key, 0, timeout=period + 1)
        count = cache.incr(key)
    except ValueError:
        # The counter was evicted between add and incr: count this request as the window's first.
        count = 1
    except CACHE_OUTAGE_ERRORS as error:
        logger.warning("rate limit %s not applied, the cache is unreachable: %s", scope, error)
        return ALLOWED
    if count <= limit:
        return ALLOWED
    return Verdict(allowed=False, retry_after=max(1, math.ceil((window + 1) * period - now)))


# --- Answers ----------------------------------------------------------------------------------------


def _retry_sentence(seconds: int) -> str:
    if seconds < 120:
        return ngettext("Please try again in %(count)d second.", "Please try again in %(count)d seconds.",
                        seconds) % {"count": seconds}
    minutes = math.ceil(seconds / 60)
    return ngettext("Please try again in %(count)d minute.", "Please try again in %(count)d minutes.",
                    minutes) % {"count": minutes}


def _page_language(request: HttpRequest) -> str:
    """The customer pages' `?lang=` choice when it is one we speak, else what LocaleMiddleware chose."""
    wanted = request.GET.get("lang", "")
    return wanted if wanted in {code for code, _name in settings.LANGUAGES} else translation.get_language() or "en"


def too_many_requests(request: HttpRequest, *, retry_after: int, as_json: bool) -> HttpResponse:
    """429 with Retry-After: the API's error body for JSON routes, a short page in the reader's language elsewhere."""
    # Imported here: core.errors imports DRF's views, whose APIView reads the throttle classes, which import this.
    from core.errors import error_body

    with translation.override(_page_language(request)):
        message = gettext("Too many requests in a short time.") + " " + _retry_sentence(retry_after)
        if as_json:
            response: HttpResponse = JsonResponse(
                error_body("rate_limited", message, retry_after=retry_after), status=429)
        else:
            response = render(request, "core/too_many_requests.html", {
                "title": gettext("Too many requests"), "message": message}, status=429)
    response["Retry-After"] = str(retry_after)
    response["Cache-Control"] = "no-store"
    return response


def throttle(scope: str, *, as_json: bool = False):
    """Decorate a page view: each client address spends from `scope`'s budget, and is answered 429 past it."""

    def decorate(view):
        @functools.wraps(view)
        def throttled_view(request, *args, **kwargs):
            verdict = throttle_hit(scope=scope, identity=client_ip(request))
            if not verdict.allowed:
                return too_many_requests(request, retry_after=verdict.retry_after, as_json=as_json)
            return view(request, *args, **kwargs)

        return throttled_view

    return decorate


class CredentialRateThrottle(BaseThrottle):
    """A DRF throttle spending each budget `budgets()` names for the request; the first one spent refuses it.

    Subclasses say which budgets a credential spends (the wiring knows the credentials; this module may not).
    DRF then raises `Throttled`, which the API's exception handler answers 429 `rate_limited` with Retry-After.
    """

    retry_after = 0

    def budgets(self, request) -> list[tuple[str, str]]:
        raise NotImplementedError

    def allow_request(self, request, view) -> bool:
        for scope, identity in self.budgets(request):
            verdict = throttle_hit(scope=scope, identity=identity)
            if not verdict.allowed:
                self.retry_after = verdict.retry_after
                return False
        return True

    def wait(self) -> int:
        return self.retry_after


def login_locked_out(request: HttpRequest, original_response=None, credentials=None) -> HttpResponse:
    """django-axes' answer once a user name has failed too often from one address (AXES_LOCKOUT_CALLABLE).

    429 rather than 403: nothing is forbidden for good, the attempts were too many, and `Retry-After` says when
    signing in works again. Each failed attempt during the lock-out starts the cool-off again, so the wait is
    the whole cool-off. Staff pages are in English.
    """
    seconds = int(settings.AXES_COOLOFF_TIME.total_seconds())
    with translation.override("en"):
        response = render(request, "core/too_many_requests.html", {
            "title": "Too many sign-in attempts",
            "message": "This user name has failed to sign in too many times from your network, so signing in "
                       "is paused. " + _retry_sentence(seconds) + " If you have forgotten your password, "
                       "ask an administrator of your shop to set a new one.",
        }, status=429)
    response["Retry-After"] = str(seconds)
    response["Cache-Control"] = "no-store"
    return response
