import hashlib
import secrets

from core import clock
from merchants.models import AllowedOrigin, ApiKey, Merchant

_PREFIX = {ApiKey.Kind.PUBLISHABLE: "pk_", ApiKey.Kind.SECRET: "sk_"}


def api_key_digest(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode()).hexdigest()


def api_key_create(*, merchant: Merchant, kind: str, name: str = "default", raw_key: str | None = None) -> tuple[ApiKey, str]:
    """Create a key and return it with its only plain-text copy.

    `raw_key` lets the demo seed install well-known keys; production callers leave it out.
    """
    kind = ApiKey.Kind(kind)
    raw = raw_key or _PREFIX[kind] + secrets.token_urlsafe(32)
    if not raw.startswith(_PREFIX[kind]):
        raise ValueError(f"A {kind} key must start with {_PREFIX[kind]}")
    key = ApiKey.objects.create(merchant=merchant, kind=kind, name=name, prefix=raw[:12], digest=api_key_digest(raw))
    return key, raw


def api_key_authenticate(*, raw_key: str, kind: str) -> ApiKey | None:
    """The active key of this kind matching `raw_key`, or None (unknown, wrong kind or revoked)."""
    if not raw_key.startswith(_PREFIX[ApiKey.Kind(kind)]):
        return None
    key = (
        ApiKey.objects.select_related("merchant")
        .filter(digest=api_key_digest(raw_key), kind=kind, revoked_at__isnull=True)
        .first()
    )
    if key is not None:
        now = clock.now()
        # Touch at most once a minute so a busy widget does not write on every call.
        if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key


def api_key_revoke(*, key: ApiKey) -> None:
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=clock.now())


def merchant_origin_allowed(*, merchant: Merchant, origin: str) -> bool:
    return AllowedOrigin.objects.filter(merchant=merchant, origin=origin.rstrip("/").lower()).exists()


def merchant_allowed_origins(*, merchant: Merchant) -> list[str]:
    return list(AllowedOrigin.objects.filter(merchant=merchant).values_list("origin", flat=True))
