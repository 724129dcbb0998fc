"""The one place services read the time from, so tests can move the clock."""

from datetime import datetime

from django.utils import timezone


def now() -> datetime:
    return timezone.now()
