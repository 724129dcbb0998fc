import datetime as dt
import hashlib
import secrets

from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import IntegrityError, transaction

from core import clock
from core.audit import audit_event
from merchants.errors import MerchantError, MerchantErrorCode
from merchants.logos import LOGO_EXTENSIONS, file_head, logo_content_type
from merchants.models import (
    AllowedOrigin,
    ApiKey,
    Merchant,
    WebhookEndpoint,
    origin_validator,
    webhook_secret_new,
)

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
    key = ApiKey.objects.create(merchant=merchant, kind=kind, name=name, prefix=raw[:12], digest=api_key_digest(raw),
                                public_value=raw if kind == ApiKey.Kind.PUBLISHABLE else "")
    return key, raw


def api_key_roll(*, key: ApiKey) -> tuple[ApiKey, str]:
    """Replace a key: a new one of the same kind and name is created and the old one revoked, in one step.

    The audit log holds the two entries (this revocation, the new key's creation) under one correlation id.
    """
    with transaction.atomic():
        _api_key_revoke(key=key, event="api_key.rolled", summary=f"Key {key.prefix}… rolled: replaced by a new key")
        return api_key_create(merchant=key.merchant, kind=key.kind, name=key.name)


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
    _api_key_revoke(key=key, event="api_key.revoked", summary=f"Key {key.prefix}… revoked")


def _api_key_revoke(*, key: ApiKey, event: str, summary: str) -> None:
    now = clock.now()
    with transaction.atomic():
        if ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=now):
            audit_event(instance=key, event=event, summary=summary, changes={"revoked_at": (None, now.isoformat())})


# --- Brand -----------------------------------------------------------------------------------------------

BRAND_FIELDS = ("brand_name", "logo_url", "primary_colour", "accent_colour", "sms_sender", "email_from", "languages",
                "support_phone", "support_email", "support_days", "support_opens", "support_closes", "support_note")


def merchant_brand_update(*, merchant: Merchant, values: dict, logo: File | None = None,
                          remove_logo: bool = False) -> Merchant:
    """Change the brand: the fields in BRAND_FIELDS, and a new logo file (or none). Raises ValidationError.

    A new logo is stored under a fresh name with the extension of its real format, so a cached copy of the
    old one is never served for it. The old file stays: emails already sent still show it.
    """
    unknown = set(values) - set(BRAND_FIELDS)
    if unknown:
        raise ValueError(f"Not brand fields: {', '.join(sorted(unknown))}")
    merchant = Merchant.objects.get(pk=merchant.pk)
    for name, value in values.items():
        setattr(merchant, name, value)
    if remove_logo:
        merchant.logo = None
    if logo is not None:
        # Named after what its bytes are (full_clean refuses anything else), never after the uploaded name.
        extension = LOGO_EXTENSIONS.get(logo_content_type(file_head(logo)) or "", "bin")
        logo.name = f"{merchant.slug}-{secrets.token_hex(6)}.{extension}"
        merchant.logo = logo
    merchant.full_clean()
    if logo is not None:
        merchant.logo.save(logo.name, logo, save=False)
    merchant.save(update_fields=[*values, "logo"])
    return merchant


# --- Embed origins ----------------------------------------------------------------------------------------

_DEFAULT_PORTS = {"https": ":443", "http": ":80"}


def origin_normalise(raw: str) -> str:
    """An origin as browsers send it: lower case, no trailing slash, no default port."""
    origin = raw.strip().rstrip("/").lower()
    scheme = origin.partition("://")[0]
    if scheme in _DEFAULT_PORTS and origin.endswith(_DEFAULT_PORTS[scheme]):
        origin = origin.removesuffix(_DEFAULT_PORTS[scheme])
    return origin


def allowed_origin_add(*, merchant: Merchant, origin: str) -> AllowedOrigin:
    """Allow one more origin to embed the picker; raises MerchantError when it is malformed or already there."""
    normalised = origin_normalise(origin)
    try:
        origin_validator(normalised)
    except ValidationError as error:
        raise MerchantError(MerchantErrorCode.ORIGIN_INVALID, error.messages[0], fields={"origin": error.messages})
    try:
        with transaction.atomic():
            return AllowedOrigin.objects.create(merchant=merchant, origin=normalised)
    except IntegrityError:
        message = f"{normalised} is already allowed."
        raise MerchantError(MerchantErrorCode.ORIGIN_DUPLICATE, message, fields={"origin": [message]})


def allowed_origin_remove(*, origin: AllowedOrigin) -> None:
    AllowedOrigin.objects.filter(pk=origin.pk).delete()


def merchant_origin_allowed(*, merchant: Merchant, origin: str) -> bool:
    return AllowedOrigin.objects.filter(merchant=merchant, origin=origin.rstrip("/").lower()).exists()


def merchant_allowed_origins(*, merchant: Merchant) -> list[str]:
    return list(AllowedOrigin.objects.filter(merchant=merchant).values_list("origin", flat=True))


# --- Webhook endpoints ------------------------------------------------------------------------------------

# After a rotation the previous secret keeps signing for this long, so receivers can switch without a gap.
WEBHOOK_SECRET_OVERLAP = dt.timedelta(hours=24)


def webhook_endpoint_create(*, merchant: Merchant, url: str, events: list[str] | None = None,
                            description: str = "") -> WebhookEndpoint:
    endpoint = WebhookEndpoint(merchant=merchant, url=url, events=list(events or []), description=description,
                               secret=webhook_secret_new())
    endpoint.full_clean()
    endpoint.save()
    return endpoint


def webhook_endpoint_update(*, endpoint: WebhookEndpoint, **changes) -> WebhookEndpoint:
    """Change the URL, description or events (validated as on creation); `active` is changed by its own services."""
    allowed = {"url", "events", "description"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"Cannot change {', '.join(sorted(unknown))} here.")
    for name, value in changes.items():
        setattr(endpoint, name, list(value) if name == "events" else value)
    endpoint.full_clean()
    endpoint.save(update_fields=list(changes))
    return endpoint


def webhook_endpoint_turn_off(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """The merchant's switch: nothing is sent until it is turned on again."""
    with transaction.atomic():
        if WebhookEndpoint.objects.filter(pk=endpoint.pk, active=True).update(active=False):
            audit_event(instance=endpoint, event="webhook.turned_off", summary=f"Endpoint {endpoint.url} turned off",
                        changes={"active": (True, False)})
    endpoint.refresh_from_db()
    return endpoint


def webhook_endpoint_delete(*, endpoint: WebhookEndpoint) -> None:
    """Remove an endpoint, and with it the log of what was sent to it."""
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()


def webhook_secret_rotate(*, endpoint: WebhookEndpoint, now: dt.datetime | None = None) -> WebhookEndpoint:
    """A new secret signs from now on; the current one keeps signing beside it for WEBHOOK_SECRET_OVERLAP."""
    now = now or clock.now()
    with transaction.atomic():
        endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_expires_at = now + WEBHOOK_SECRET_OVERLAP
        endpoint.secret = webhook_secret_new()
        endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return endpoint


def webhook_signing_secrets(*, endpoint: WebhookEndpoint, now: dt.datetime | None = None) -> list[str]:
    """The secrets a message is signed with now: the current one, and the previous one while it overlaps."""
    now = now or clock.now()
    secrets_now = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        secrets_now.append(endpoint.previous_secret)
    return secrets_now


def webhook_endpoint_enable(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Turn an endpoint back on (after the merchant fixed the receiver): its health starts afresh."""
    with transaction.atomic():
        before = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(active=True, disabled_at=None, failing_since=None)
        if not before.active or before.disabled_at is not None:
            audit_event(instance=before, event="webhook.turned_on", summary=f"Endpoint {before.url} turned on",
                        changes={"active": (before.active, True), "disabled_at": (before.disabled_at, None)})
    endpoint.refresh_from_db()
    return endpoint
