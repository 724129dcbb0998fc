"""Celery tasks of scheduling: each calls one service."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

from core import clock
from merchants.models import Merchant
from scheduling import services

MATERIALIZE_DAYS_AHEAD = 14


@shared_task
def holds_purge_expired() -> int:
    return services.holds_purge_expired()


@shared_task
def idempotency_keys_purge() -> int:
    return services.idempotency_keys_purge()


@shared_task
def windows_materialize_merchant(merchant_id: int, start: str, days: int) -> int:
    merchant = Merchant.objects.get(pk=merchant_id)
    return services.windows_materialize(merchant=merchant, start=dt.date.fromisoformat(start), days=days)


@shared_task
def windows_materialize_upcoming() -> int:
    """Beat: keep every merchant's next two weeks of windows materialised (one sub-task per merchant)."""
    count = 0
    for merchant in Merchant.objects.all():
        today = clock.now().astimezone(merchant.zone_info).date()
        windows_materialize_merchant.delay(merchant.pk, today.isoformat(), MATERIALIZE_DAYS_AHEAD)
        count += 1
    return count
