"""Idempotent requests: the first answer to a keyed request is kept and replayed to retries.

Rules (per merchant, kept at least `settings.IDEMPOTENCY_KEY_TTL_HOURS`):
- same key, same body, first request finished: replay its status and body;
- same key, another body: 422 `idempotency_key_reused`;
- same key while the first request is still running: 409 `idempotency_request_in_progress`.

The key row is claimed by a unique constraint in its own short transaction before the
work starts, so two racing requests cannot both run it. The work and the answer it
records commit in one transaction: whatever fails after that commit (a broker or
channel-layer outage in after-commit work) cannot lose the answer, and a retry replays
it. An unexpected error before the commit saved nothing: the key is freed so the
client can retry, and a claim whose request died with the process (or with the
database) is taken over once it is older than `PROCESSING_ABANDONED_AFTER`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from core.errors import DomainError
from merchants.models import ApiKey, Merchant
from scheduling.errors import SchedulingError, SchedulingErrorCode
from scheduling.models import IdempotencyKey

# A request still "processing" after this long died without cleaning up (a killed process, the
# database gone mid-request): the next retry takes its key over instead of waiting for the purge.
PROCESSING_ABANDONED_AFTER = dt.timedelta(seconds=60)


@dataclass(frozen=True)
class IdempotentResponse:
    status: int
    body: dict[str, Any]
    replayed: bool


def request_digest(*, endpoint: str, body: Any) -> str:
    canonical = json.dumps({"endpoint": endpoint, "body": body}, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def idempotent_run(
    *, merchant: Merchant, api_key: ApiKey | None, key: str, endpoint: str, body: Any,
    operation: Callable[[], tuple[int, dict[str, Any]]],
) -> IdempotentResponse:
    """Run `operation` once per (merchant, key); it returns (status, body) or raises a DomainError."""
    if not key or len(key) > 255:
        raise SchedulingError(SchedulingErrorCode.IDEMPOTENCY_KEY_MISSING,
                              "Send an Idempotency-Key header (up to 255 characters).",
                              fields={"Idempotency-Key": ["This header is required."]})
    digest = request_digest(endpoint=endpoint, body=body)
    row = _claim(merchant=merchant, api_key=api_key, key=key, endpoint=endpoint, digest=digest)
    if isinstance(row, IdempotentResponse):
        return row
    try:
        with transaction.atomic():
            try:
                status, response_body = operation()
            except DomainError as error:
                status, response_body = error.status_code, error.as_body()
            if status < 500:
                IdempotencyKey.objects.filter(pk=row.pk).update(
                    state=IdempotencyKey.State.DONE, response_status=status, response_body=response_body
                )
    except BaseException:
        # Only a claim that never recorded its answer is freed: after the commit it stays DONE.
        IdempotencyKey.objects.filter(pk=row.pk, state=IdempotencyKey.State.PROCESSING).delete()
        raise
    if status >= 500:
        IdempotencyKey.objects.filter(pk=row.pk).delete()
    return IdempotentResponse(status, response_body, False)


def _claim(*, merchant: Merchant, api_key: ApiKey | None, key: str, endpoint: str,
           digest: str) -> IdempotencyKey | IdempotentResponse:
    """Insert the key row, or answer from the row already there (taking over an abandoned one once)."""
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(merchant=merchant, api_key=api_key, key=key,
                                                     endpoint=endpoint, request_digest=digest)
        except IntegrityError:
            pass
        # created_at is set by the database row's own auto_now_add clock, so compare on that clock.
        abandoned = IdempotencyKey.objects.filter(
            merchant=merchant, key=key, request_digest=digest, state=IdempotencyKey.State.PROCESSING,
            created_at__lt=timezone.now() - PROCESSING_ABANDONED_AFTER,
        ).delete()[0]
        if not abandoned:
            return _replay(merchant=merchant, key=key, digest=digest)
    return _replay(merchant=merchant, key=key, digest=digest)


def _replay(*, merchant: Merchant, key: str, digest: str) -> IdempotentResponse:
    row = IdempotencyKey.objects.filter(merchant=merchant, key=key).first()
    if row is None:  # purged between our insert and this read: ask the client to retry
        raise SchedulingError(SchedulingErrorCode.IDEMPOTENCY_IN_PROGRESS,
                              "A request with this Idempotency-Key is being processed; retry shortly.", status_code=409)
    if row.request_digest != digest:
        raise SchedulingError(SchedulingErrorCode.IDEMPOTENCY_KEY_REUSED,
                              "This Idempotency-Key was used with a different request body.", status_code=422)
    if row.state != IdempotencyKey.State.DONE:
        raise SchedulingError(SchedulingErrorCode.IDEMPOTENCY_IN_PROGRESS,
                              "A request with this Idempotency-Key is still being processed; retry shortly.",
                              status_code=409)
    return IdempotentResponse(row.response_status, row.response_body, True)
