"""Scheduling's reads that other apps share."""

from __future__ import annotations

import datetime as dt

from django.db.models import Q

from scheduling.models import Delivery

# Tokens are 43 characters (32 random bytes, url-safe); anything much longer is not one of ours.
TOKEN_MAX_LENGTH = 64


def delivery_for_token(*, token: str, now: dt.datetime) -> Delivery | None:
    """The delivery a tracking link opens, or None when the token is unknown or expired (callers answer both alike).

    The one lookup behind the tracking page, its socket, the reschedule link and the demo's confirmation.
    """
    if not token or len(token) > TOKEN_MAX_LENGTH:
        return None
    return (
        Delivery.objects.select_related("merchant", "job", "window__template", "window__zone__depot", "window__merchant")
        .filter(tracking_token=token)
        .filter(Q(tracking_expires_at__isnull=True) | Q(tracking_expires_at__gt=now))
        .first()
    )
