"""Typed readers for settings that come from the environment.

Each helper fails loudly (ImproperlyConfigured) on a value it cannot parse, so a
typo in a deployment stops the process instead of silently falling back.
"""

import os
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean (1/0, true/false, yes/no, on/off), got {raw!r}")


def env_int(name: str, default: int, *, minimum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be an integer, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_float(name: str, default: float, *, minimum: float | None = None) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number, got {raw!r}") from None
    if minimum is not None and value < minimum:
        raise ImproperlyConfigured(f"{name} must be at least {minimum}, got {value}")
    return value


def env_list(name: str, default: list[str] | None = None) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return list(default or [])
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_choice(name: str, choices: tuple[str, ...], default: str) -> str:
    value = os.environ.get(name, default).strip().lower()
    if value not in choices:
        raise ImproperlyConfigured(f"{name} must be one of {', '.join(choices)}, got {value!r}")
    return value


def env_url(name: str, *, schemes: tuple[str, ...]) -> str:
    """A URL whose scheme must be one of `schemes`; empty when unset."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return ""
    scheme = raw.split("://", 1)[0] if "://" in raw else ""
    if scheme not in schemes:
        raise ImproperlyConfigured(f"{name} must start with one of {', '.join(s + '://' for s in schemes)}, got {raw!r}")
    return raw


REDIS_DATABASES = 16  # Redis' default `databases`


def redis_url_for_test_worker(url: str, worker: str) -> str:
    """REDIS_URL for one process of a test run spread over several (pytest-xdist names them gw0, gw1, ...):
    worker N takes the URL's database plus N, so `redis://host:6379/12` is `.../13` for gw1.

    Each worker has a test database of its own but shares Redis: one worker's `cache.clear()` emptied the
    other's rate limits mid-test, and, both databases numbering rows from 1, a delivery's channel group on
    one worker received the other worker's ETA frames.
    """
    if not url or not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    database = int(parts.path.strip("/") or 0) + int(worker[2:])
    if database >= REDIS_DATABASES:
        raise ImproperlyConfigured(f"test worker {worker} would need Redis database {database}: give REDIS_URL a "
                                   f"database under {REDIS_DATABASES} minus the number of workers")
    return urlunsplit(parts._replace(path=f"/{database}"))


_RATE_UNITS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
               "d": 86400, "day": 86400}


def parse_rate(name: str, raw: str) -> tuple[int, int]:
    """`"120/min"` or `"10/30s"` as (requests, seconds); a rate that cannot be read stops the process."""
    count, _, per = raw.strip().partition("/")
    digits = per.rstrip("abcdefghijklmnopqrstuvwxyz")
    unit = per[len(digits):]
    try:
        requests, multiple = int(count), int(digits or "1")
    except ValueError:
        requests = multiple = 0
    if requests < 1 or multiple < 1 or unit not in _RATE_UNITS:
        raise ImproperlyConfigured(
            f"{name} must read like 120/min or 10/30s (units: s, min, h, day), got {raw!r}")
    return requests, multiple * _RATE_UNITS[unit]


def env_rate(name: str, default: str) -> tuple[int, int]:
    """A rate limit from the environment as (requests, seconds)."""
    return parse_rate(name, os.environ.get(name, "").strip() or default)
