import base64
import ipaddress
import secrets
import urllib.parse
import zoneinfo

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.db import models
from django.db.models import F, Q

from merchants.brand import (
    support_hours_label,
    validate_languages,
    validate_sms_sender,
    validate_support_days,
    validate_support_hours,
)
from merchants.logos import validate_logo

hex_colour = RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a hex colour such as #1a73e8.")
origin_validator = RegexValidator(
    r"^https?://[a-z0-9.\-]+(:[0-9]{1,5})?$", "Use an origin such as https://shop.example.com (no path)."
)


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not an IANA time zone such as Europe/Paris.")


def validate_country(value: str) -> None:
    # The regions whose phone numbers we can read: ISO 3166-1 alpha-2 codes, which is what `country` is for.
    if value not in phonenumbers.SUPPORTED_REGIONS:
        raise ValidationError(f"{value!r} is not a two-letter country code such as FR.")


class Merchant(models.Model):
    """A tenant: a shop that books deliveries with us, and the brand its customers see."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    # Brand
    brand_name = models.CharField(max_length=120, help_text="Name shown to customers on pages and messages.")
    logo = models.FileField(upload_to="logos/", blank=True, validators=[validate_logo],
                            help_text="PNG, JPEG or WebP, at most 512 KB.")
    # https only: pages and emails that show it are served over https, where an http image is blocked.
    logo_url = models.URLField(blank=True, validators=[URLValidator(schemes=["https"])],
                               help_text="Used when no logo file is uploaded.")
    primary_colour = models.CharField(max_length=7, default="#1a73e8", validators=[hex_colour])
    accent_colour = models.CharField(max_length=7, default="#0b3d91", validators=[hex_colour])
    time_zone = models.CharField(max_length=64, default="Europe/Paris", validators=[validate_time_zone])
    languages = models.JSONField(default=list, validators=[validate_languages], help_text='Language codes the brand speaks, first is default, e.g. ["fr", "en"].')
    sms_sender = models.CharField(max_length=16, blank=True, validators=[validate_sms_sender],
                                  help_text="Alphanumeric sender id or E.164 number.")
    email_from = models.EmailField(blank=True)
    support_phone = models.CharField(max_length=20, blank=True)
    support_email = models.EmailField(blank=True, help_text="Where customers can write to the shop; shown on the tracking page.")
    # When the shop answers, as days and times so that each customer reads them in their own language.
    support_days = models.JSONField(default=list, blank=True, validators=[validate_support_days],
                                    help_text="ISO weekdays the shop answers on: 1 for Monday to 7 for Sunday.")
    support_opens = models.TimeField(null=True, blank=True)
    support_closes = models.TimeField(null=True, blank=True)
    support_note = models.CharField(max_length=80, blank=True,
                                    help_text='Shown after the hours as written, e.g. "closed on public holidays".')
    currency = models.CharField(max_length=3, default="EUR")
    country = models.CharField(
        max_length=2, default="FR", validators=[validate_country],
        help_text="ISO 3166-1 alpha-2 code; customers' phone numbers written without a country code are read as this country's.",
    )
    # Delivery options the merchant allows
    safe_drop_allowed = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(primary_colour__regex=r"^#[0-9a-fA-F]{6}$"), name="merchant_primary_colour_hex"),
            models.CheckConstraint(condition=Q(accent_colour__regex=r"^#[0-9a-fA-F]{6}$"), name="merchant_accent_colour_hex"),
            models.CheckConstraint(condition=Q(country__regex=r"^[A-Z]{2}$"), name="merchant_country_iso_alpha2"),
            models.CheckConstraint(condition=Q(support_opens__isnull=True) | Q(support_closes__isnull=True)
                                   | Q(support_closes__gt=F("support_opens")), name="merchant_support_closes_after_opens"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def zone_info(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    @property
    def default_language(self) -> str:
        return self.languages[0] if self.languages else "en"

    def clean(self) -> None:
        super().clean()
        validate_support_hours(days=self.support_days or [], opens=self.support_opens, closes=self.support_closes)

    @property
    def support_hours(self) -> str:
        """When the shop answers, in the active language, with its note: "Mon–Sat 9:00–18:00"; may be empty."""
        return support_hours_label(days=self.support_days or [], opens=self.support_opens, closes=self.support_closes,
                                   note=self.support_note)

    @property
    def logo_src(self) -> str:
        return self.logo.url if self.logo else self.logo_url


class ApiKey(models.Model):
    """A merchant's credential. Only a SHA-256 digest is stored; the key is shown once."""

    class Kind(models.TextChoices):
        PUBLISHABLE = "publishable", "Publishable (pk_, browser widget)"
        SECRET = "secret", "Secret (sk_, servers)"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="api_keys")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    name = models.CharField(max_length=80, default="default")
    prefix = models.CharField(max_length=16, help_text="The first characters, to recognise the key.")
    digest = models.CharField(max_length=64, unique=True)
    # Publishable keys are public by design (every checkout page carries one), so the whole key is kept to
    # fill the embedding snippets in; a secret key is never stored, only its digest.
    public_value = models.CharField(max_length=80, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["merchant", "kind", "created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.merchant.slug}, {self.kind})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class AllowedOrigin(models.Model):
    """An origin allowed to call the browser API with a publishable key and to frame the picker."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="allowed_origins")
    origin = models.CharField(max_length=200, validators=[origin_validator])

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "origin"], name="unique_merchant_origin")]

    def __str__(self) -> str:
        return self.origin


# The events a webhook endpoint can subscribe to (notifications sends them; its README section shows the payloads).
WEBHOOK_EVENT_TYPES = {
    "delivery.booked": "A delivery was booked.",
    "delivery.rescheduled": "A delivery moved to another window.",
    "delivery.cancelled": "A delivery was cancelled.",
    "delivery.milestone": "A step of the journey (scanned out, out for delivery, arrived, delivered, attempted…).",
    "delivery.eta_late": "The live ETA left the promised window.",
    "delivery.delivered": "Delivered, with the proof's summary.",
    "delivery.failed": "The delivery attempt failed, with the reason.",
}


def webhook_secret_new() -> str:
    """A Standard Webhooks secret: `whsec_` and the base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def validate_webhook_events(value) -> None:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValidationError("Give a list of event types, or an empty list for all.")
    unknown = sorted(set(value) - set(WEBHOOK_EVENT_TYPES))
    if unknown:
        raise ValidationError(f"Unknown event types: {', '.join(unknown)}. Known: {', '.join(WEBHOOK_EVENT_TYPES)}.")


# Names of this machine (addresses are judged by the ipaddress module).
LOCAL_HOSTS = ("localhost", "127.0.0.1", "::1")


def webhook_url_problem(url: str, *, private_addresses_allowed: bool) -> str:
    """Why a merchant may not register `url` as a webhook endpoint, or "" when it may.

    Events carry customers' deliveries, so they travel over https. Receivers on loopback or a private network
    (localhost, or an address such as 127.0.0.1 or 10.0.0.5) are for development only
    (settings.WEBHOOK_PRIVATE_ADDRESSES_ALLOWED), and only they may then be called over plain http. A name
    that resolves to a private address is refused when the event is sent (DNS may change after this check).
    """
    parts = urllib.parse.urlsplit(url)
    host = (parts.hostname or "").lower()
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        address = None
    local = host in LOCAL_HOSTS
    private = local or (address is not None and not address.is_global)
    if private and not private_addresses_allowed:
        return f"{host} is not a public address: give the URL your receiver has on the internet."
    if parts.scheme == "https" or (parts.scheme == "http" and private and private_addresses_allowed):
        return ""
    if parts.scheme == "http":
        return "Use an https:// URL: events carry your customers' deliveries and must travel encrypted."
    return "Use an https:// URL such as https://shop.example.com/hooks/deliveries."


class WebhookEndpoint(models.Model):
    """Where a merchant receives signed event notifications (Standard Webhooks), and the endpoint's health.

    `secret` is a `whsec_` secret (base64 of 32 random bytes). After a rotation the previous secret keeps
    signing too until `previous_secret_expires_at`, so a receiver can switch secrets without losing events.
    """

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="webhooks")
    url = models.URLField(max_length=500)
    description = models.CharField(max_length=120, blank=True)
    secret = models.CharField(max_length=80, default=webhook_secret_new, help_text="whsec_ signing secret.")
    previous_secret = models.CharField(max_length=80, blank=True)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True)
    events = models.JSONField(default=list, blank=True, validators=[validate_webhook_events],
                              help_text="Event types to send; empty means all.")
    active = models.BooleanField(default=True, help_text="Off: nothing is sent (the merchant's switch).")
    # Health: the first failure of the current run of failures, and when a day of them disabled the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["merchant", "created_at", "pk"]

    def __str__(self) -> str:
        return self.url

    def clean(self) -> None:
        problem = self.url and webhook_url_problem(
            self.url, private_addresses_allowed=settings.WEBHOOK_PRIVATE_ADDRESSES_ALLOWED)
        if problem:
            raise ValidationError({"url": problem})

    @property
    def sending(self) -> bool:
        return self.active and self.disabled_at is None

    def subscribes(self, event_type: str) -> bool:
        return not self.events or event_type in self.events


class StaffMembership(models.Model):
    class Role(models.TextChoices):
        OWNER = "owner", "Owner"
        DISPATCHER = "dispatcher", "Dispatcher"
        CARE = "care", "Care agent"
        VIEWER = "viewer", "Viewer"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="staff")
    role = models.CharField(max_length=12, choices=Role.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "merchant"], name="unique_staff_membership")]

    def __str__(self) -> str:
        return f"{self.user} · {self.merchant} · {self.role}"


class PlatformRole(models.Model):
    """Staff of the platform itself, whose role holds for every merchant (merchants/access.py says what it allows)."""

    class Role(models.TextChoices):
        DISPATCHER = "dispatcher", "Platform dispatcher"
        CARE = "care", "Platform care agent"

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="platform_role")
    role = models.CharField(max_length=12, choices=Role.choices)

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"
