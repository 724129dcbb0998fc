"""Who sent a request, as one rule for everything that needs it: rate limits, login lock-out, the audit log."""

from __future__ import annotations

import ipaddress
import logging

from django.conf import settings
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The address of whoever sent the request.

    Behind `TRUSTED_PROXY_COUNT` reverse proxies (a load balancer, a TLS terminator), each appended the
    address it was reached from to X-Forwarded-For, so the client is that many entries from the right;
    anything further left was written by the client and proves nothing. Without proxies, or when the
    header is shorter than the proxies in front (a request that went round them), it is REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                logger.warning("X-Forwarded-For entry %r is not an address; using REMOTE_ADDR", candidate)
    return remote
