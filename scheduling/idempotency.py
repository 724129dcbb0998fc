"""Idempotent requests: the first answer to a keyed request is kept and replayed to retries.

Rules (per merchant, kept at least `settings.IDEMPOTENCY_KEY_TTL_HOURS`):
- same key, same body, first request finished: replay its status and body;
- same key, another body: 422 `idempotency_key_reused`;
- same key while the first request is still running: 409 `idempotency_request_in_progress`.

The key row is claimed by a unique constraint in its own short transaction before the
work starts, so two racing requests cannot both run it. An answer of 5xx (an unexpected
error) is not kept: the key is freed so the client can retry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction

from merchants.models import ApiKey, Merchant
from portal.errors import DomainError
from scheduling.errors import SchedulingError, SchedulingErrorCode
from scheduling.models import IdempotencyKey


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
    try:
        with transaction.atomic():
            row = IdempotencyKey.objects.create(merchant=merchant, api_key=api_key, key=key, endpoint=endpoint,
                                                request_digest=digest)
    except IntegrityError:
        return _replay(merchant=merchant, key=key, digest=digest)
    try:
        status, response_body = operation()
    except DomainError as error:
        status, response_body = error.status_code, error.as_body()
    except BaseException:
        IdempotencyKey.objects.filter(pk=row.pk, state=IdempotencyKey.State.PROCESSING).delete()
        raise
    if status >= 500:
        IdempotencyKey.objects.filter(pk=row.pk).delete()
    else:
        IdempotencyKey.objects.filter(pk=row.pk).update(
            state=IdempotencyKey.State.DONE, response_status=status, response_body=response_body
        )
    return IdempotentResponse(status, response_body, False)


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
