"""CORS for the browser API, decided per merchant.

A browser calls with a publishable key from the merchant's shop. Which origins may
read the answer is known only once the key is read, so the usual site-wide CORS
middleware cannot decide it:

- a preflight (OPTIONS) carries no key: it is answered for an origin some merchant
  registered (or, with `?key=pk_…`, that key's merchant), which only allows the
  browser to send the real request;
- the real request is answered with `Access-Control-Allow-Origin` only when the
  origin is registered by the merchant whose key authenticated it.
"""

from __future__ import annotations

from django.http import HttpResponse

from merchants.models import AllowedOrigin, ApiKey
from merchants.services import api_key_authenticate, merchant_origin_allowed
from scheduling.errors import SchedulingError, SchedulingErrorCode

ALLOWED_HEADERS = "X-Api-Key, Content-Type, Accept-Language"
PREFLIGHT_MAX_AGE = 600


def _vary_origin(response) -> None:
    vary = response.get("Vary", "")
    if "origin" not in vary.lower():
        response["Vary"] = f"{vary}, Origin" if vary else "Origin"


def preflight_origin_allowed(*, origin: str, raw_key: str = "") -> bool:
    if raw_key:
        key = api_key_authenticate(raw_key=raw_key, kind=ApiKey.Kind.PUBLISHABLE)
        return key is not None and merchant_origin_allowed(merchant=key.merchant, origin=origin)
    return AllowedOrigin.objects.filter(origin=origin.rstrip("/").lower()).exists()


def browser_origin_required(request) -> None:
    """A publishable key's write must say where it comes from: 403 `origin_not_allowed` without an Origin.

    Browsers send Origin on every POST, from a shop's page and from our own (the demo checkout, the picker's
    iframe); key authentication has already refused an origin the merchant has not registered. Only a
    script outside a browser leaves it out, and a public key in a script is not a shop's checkout.
    """
    key = getattr(request, "auth", None)
    if isinstance(key, ApiKey) and key.kind == ApiKey.Kind.PUBLISHABLE and not request.headers.get("Origin"):
        raise SchedulingError(
            SchedulingErrorCode.ORIGIN_NOT_ALLOWED, "A publishable key works only from a web page on an origin the "
            "merchant registered (the request has no Origin header). Servers use the secret key.", status_code=403)


class MerchantCorsMixin:
    """For DRF views browsers call with a publishable key: answers preflights and sets CORS headers per merchant."""

    cors_methods = "GET, POST, OPTIONS"

    def dispatch(self, request, *args, **kwargs):
        origin = request.headers.get("Origin", "")
        if request.method == "OPTIONS" and origin and request.headers.get("Access-Control-Request-Method"):
            response = HttpResponse(status=204)
            if preflight_origin_allowed(origin=origin, raw_key=request.GET.get("key", "")):
                response["Access-Control-Allow-Origin"] = origin
                response["Access-Control-Allow-Methods"] = self.cors_methods
                response["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
                response["Access-Control-Max-Age"] = str(PREFLIGHT_MAX_AGE)
            _vary_origin(response)
            return response
        return super().dispatch(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        origin = request.headers.get("Origin", "")
        if origin:
            key = getattr(request, "auth", None)
            if isinstance(key, ApiKey) and merchant_origin_allowed(merchant=key.merchant, origin=origin):
                response["Access-Control-Allow-Origin"] = origin
            _vary_origin(response)
        return response
