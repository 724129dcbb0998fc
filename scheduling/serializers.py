"""Input and output shapes of the scheduling API."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import re
import uuid
from collections.abc import Callable, Sequence

import phonenumbers
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from scheduling.models import Delivery, ParcelSize, Window
from scheduling.selectors import DELIVERY_PAGE_MAX, DeliveryPosition
from scheduling.windows import KNOWN_SKILLS, MAX_DAYS, OFFER_REASONS, WindowOffer, window_booking_closes_at

SIZES = tuple(ParcelSize.values)


def _iso(value, tz) -> str:
    return value.astimezone(tz).isoformat()


def window_payload(window: Window) -> dict:
    tz = window.merchant.zone_info
    return {
        "id": window.pk,
        "start": _iso(window.starts_at, tz),
        "end": _iso(window.ends_at, tz),
        "label": window.label,
        "price": {"amount": f"{window.price_amount:.2f}", "currency": window.currency},
        "cutoff": _iso(window_booking_closes_at(window), tz),
    }


def offer_payload(offer: WindowOffer) -> dict:
    return window_payload(offer.window) | {
        "available": offer.available, "remaining": offer.remaining,
        "reason": offer.reason.value if offer.reason is not None else None,
    }


def brand_payload(merchant) -> dict:
    return {
        "name": merchant.brand_name, "primary_colour": merchant.primary_colour,
        "accent_colour": merchant.accent_colour, "logo_url": merchant.logo_src,
        "languages": merchant.languages or ["en"],
    }


class LatLngMixin(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90)
    lng = serializers.FloatField(min_value=-180, max_value=180)


class SkillsField(serializers.ListField):
    child = serializers.ChoiceField(choices=KNOWN_SKILLS)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [s for s in data.split(",") if s.strip()]
        return tuple(sorted(set(super().to_internal_value(data))))


class ChoiceListField(serializers.ListField):
    """Some of a few known values in a query: repeated (`?x=a&x=b`) or comma-separated (`?x=a,b`).

    An unknown value is refused with the known ones listed, so a client can correct itself.
    """

    def __init__(self, *, choices, noun: str, **kwargs):
        self.known, self.noun = tuple(choices), noun
        super().__init__(child=serializers.ChoiceField(choices=self.known), **kwargs)

    def to_internal_value(self, data) -> tuple[str, ...]:
        if isinstance(data, str):
            data = [data]
        if not isinstance(data, list | tuple):
            self.fail("not_a_list", input_type=type(data).__name__)
        wanted = {part.strip() for item in data for part in str(item).split(",") if part.strip()}
        unknown = sorted(wanted - set(self.known))
        if unknown:
            raise serializers.ValidationError(f"Unknown {self.noun}: {', '.join(unknown)}. Use {', '.join(self.known)}.")
        return tuple(sorted(wanted))


class WindowQuerySerializer(serializers.Serializer):
    lat = serializers.FloatField(min_value=-90, max_value=90, required=False)
    lng = serializers.FloatField(min_value=-180, max_value=180, required=False)
    postcode = serializers.CharField(max_length=16, required=False)
    date = serializers.DateField(required=False, help_text="First day, YYYY-MM-DD (merchant's local date); default today.")
    days = serializers.IntegerField(min_value=1, max_value=MAX_DAYS, default=7)
    skills = ChoiceListField(choices=KNOWN_SKILLS, noun="skills", required=False, default=tuple,
                             help_text="Skills the delivery needs: repeat the parameter or separate with commas.")
    size = serializers.ChoiceField(choices=SIZES, default="small")

    def validate(self, attrs):
        has_point = attrs.get("lat") is not None and attrs.get("lng") is not None
        if not has_point and not attrs.get("postcode"):
            raise serializers.ValidationError({"lat": ["Give lat and lng, or a postcode."],
                                               "lng": ["Give lat and lng, or a postcode."]})
        if (attrs.get("lat") is None) != (attrs.get("lng") is None):
            missing = "lng" if attrs.get("lng") is None else "lat"
            raise serializers.ValidationError({missing: ["lat and lng go together."]})
        return attrs


class PriceSerializer(serializers.Serializer):
    amount = serializers.CharField()
    currency = serializers.CharField()


class WindowSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    label = serializers.CharField()
    price = PriceSerializer()
    cutoff = serializers.DateTimeField(help_text="The last moment the window may be booked (its cut-off or lead time).")


class WindowOfferSerializer(WindowSerializer):
    available = serializers.BooleanField()
    remaining = serializers.IntegerField()
    reason = serializers.ChoiceField(choices=[r.value for r in OFFER_REASONS], allow_null=True)


class BrandSerializer(serializers.Serializer):
    name = serializers.CharField()
    primary_colour = serializers.CharField()
    accent_colour = serializers.CharField()
    logo_url = serializers.CharField()
    languages = serializers.ListField(child=serializers.CharField())


class WindowListSerializer(serializers.Serializer):
    windows = WindowOfferSerializer(many=True)
    brand = BrandSerializer()


class HoldInputSerializer(LatLngMixin):
    window_id = serializers.IntegerField()
    size = serializers.ChoiceField(choices=SIZES, default="small")
    skills = SkillsField(required=False, default=tuple)


class HoldOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    expires_at = serializers.DateTimeField()
    window = WindowSerializer()


def phone_example(region: str | None) -> str:
    """A mobile number of the region as its people write it, e.g. "06 12 34 56 78" in France."""
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE) if region else None
    if example is None:
        return "+33 6 12 34 56 78"
    return phonenumbers.format_number(example, phonenumbers.PhoneNumberFormat.NATIONAL)


class RecipientSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True, default="")
    email = serializers.EmailField(required=False, allow_blank=True, default="")
    language = serializers.ChoiceField(choices=["en", "fr"], required=False, default="")

    def validate_phone(self, value: str) -> str:
        """E.164 for a number as people write it: "06 12 34 56 78" reads in the merchant's country."""
        if not value:
            return ""
        merchant = self.context.get("merchant")
        region = merchant.country if merchant is not None else None
        try:
            number = phonenumbers.parse(value, region)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise serializers.ValidationError(
                _("This is not a phone number we can text: check the digits (e.g. %(example)s).")
                % {"example": phone_example(region)})
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

    def validate(self, attrs):
        if not attrs.get("phone") and not attrs.get("email"):
            raise serializers.ValidationError({"phone": [_("Give a phone number or an email address.")]})
        return attrs


class AddressSerializer(LatLngMixin):
    line1 = serializers.CharField(max_length=200)
    city = serializers.CharField(max_length=100)
    postcode = serializers.CharField(max_length=16)


class PreferencesSerializer(serializers.Serializer):
    safe_drop = serializers.BooleanField(required=False, default=False)
    leave_with_neighbour = serializers.BooleanField(required=False, default=False)

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        # Keep extra preferences (e.g. "evening_only") as given, for the merchant's own use.
        if isinstance(data, dict):
            values["extra"] = {k: v for k, v in data.items() if k not in ("safe_drop", "leave_with_neighbour")}
        return values


class DeliveryInputSerializer(serializers.Serializer):
    order_ref = serializers.CharField(max_length=64)
    window_id = serializers.IntegerField(required=False)
    hold_id = serializers.UUIDField(required=False)
    recipient = RecipientSerializer()
    address = AddressSerializer()
    access_notes = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    preferences = PreferencesSerializer(required=False)
    size = serializers.ChoiceField(choices=SIZES, default="small")
    skills = SkillsField(required=False, default=tuple)

    def validate(self, attrs):
        if not attrs.get("window_id") and not attrs.get("hold_id"):
            raise serializers.ValidationError({"window_id": ["Give a window_id or a hold_id."]})
        return attrs


class DeliveryWindowSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()


class DeliveryCarrierSerializer(serializers.Serializer):
    code = serializers.SlugField()
    name = serializers.CharField()
    tracking_number = serializers.CharField(allow_blank=True, help_text="The carrier's own number for the parcel.")


class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    order_ref = serializers.CharField()
    status = serializers.ChoiceField(choices=Delivery.Status.values)
    window = DeliveryWindowSerializer()
    tracking_url = serializers.URLField()
    carrier = DeliveryCarrierSerializer(
        allow_null=True, help_text="The carrier the delivery was handed to; null while our own fleet carries it.")


class DeliveryPageSerializer(serializers.Serializer):
    results = DeliveryOutputSerializer(many=True, help_text="Newest booking first.")
    next = serializers.URLField(allow_null=True, help_text="The next page, filters kept; null on the last page.")


# A time whose offset's "+" was sent unencoded in a URL, where it reads as a space: "…T11:00:00 02:00".
PLUS_READ_AS_SPACE = re.compile(r"T\d{2}:\d{2}(:\d{2}(\.\d+)?)? \d{2}(:?\d{2})?$")


class AwareDateTimeField(serializers.DateTimeField):
    """An instant: a time without an offset could mean any of 24 hours, so it is refused rather than guessed."""

    def to_internal_value(self, value):
        if isinstance(value, str) and PLUS_READ_AS_SPACE.search(value):
            raise serializers.ValidationError(
                "The offset's + arrived as a space: in a URL write it as %2B (2026-06-01T11:00:00%2B02:00), or use Z.")
        return super().to_internal_value(value)

    def enforce_timezone(self, value):
        if value.tzinfo is None:
            raise serializers.ValidationError(
                "Give the time with its offset, e.g. 2026-06-01T09:00:00Z or 2026-06-01T11:00:00+02:00.")
        return super().enforce_timezone(value)


def delivery_cursor(position: DeliveryPosition) -> str:
    """A place in the newest-first list of deliveries, (created_at, id), as opaque url-safe text."""
    raw = json.dumps([position.created_at.isoformat(), position.id.hex], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


@extend_schema_field({"type": "string"})
class DeliveryCursorField(serializers.Field):
    """Reads back a `delivery_cursor`; anything else is refused, never guessed at."""

    default_error_messages = {
        "invalid": "This is not a cursor from a previous page: follow the `next` link as given, or start without one.",
    }

    def to_representation(self, value: DeliveryPosition) -> str:
        return delivery_cursor(value)

    def to_internal_value(self, data) -> DeliveryPosition:
        try:
            text = str(data)
            created_at, pk = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
            position = DeliveryPosition(created_at=dt.datetime.fromisoformat(created_at), id=uuid.UUID(pk))
        except (binascii.Error, ValueError, TypeError, AttributeError):
            self.fail("invalid")
        if position.created_at.tzinfo is None:
            self.fail("invalid")
        return position


class DeliveryListQuerySerializer(serializers.Serializer):
    status = ChoiceListField(
        choices=Delivery.Status.values, noun="status", required=False,
        help_text="Only deliveries in these statuses: repeat the parameter or separate with commas.")
    window_from = serializers.DateField(
        required=False, help_text="Only windows starting on or after this day (YYYY-MM-DD, your time zone).")
    window_to = serializers.DateField(
        required=False, help_text="Only windows starting on or before this day (YYYY-MM-DD, your time zone).")
    order_ref = serializers.CharField(max_length=64, required=False, help_text="Only the delivery of this order.")
    updated_since = AwareDateTimeField(
        required=False, help_text="Only deliveries changed at or after this instant (ISO 8601 with its offset).")
    cursor = DeliveryCursorField(required=False, help_text="The next page's place, from the `next` link.")
    limit = serializers.IntegerField(min_value=1, max_value=DELIVERY_PAGE_MAX, default=50,
                                     help_text=f"Deliveries per page, 1 to {DELIVERY_PAGE_MAX}.")

    def validate(self, attrs):
        if attrs.get("window_from") and attrs.get("window_to") and attrs["window_from"] > attrs["window_to"]:
            raise serializers.ValidationError({"window_to": ["Must be on or after window_from."]})
        return attrs


class RescheduleInputSerializer(serializers.Serializer):
    window_id = serializers.IntegerField()


# Fields an app above scheduling adds to every delivery payload (tracking: the carrier it was handed to).
# Each registers, from its AppConfig.ready, a function of a list of deliveries returning {delivery id:
# {field: value}}: scheduling never imports it, and a page of deliveries costs one query per part, not
# one per delivery.
DeliveryPayloadPart = Callable[[Sequence[Delivery]], dict]
_payload_parts: dict[str, DeliveryPayloadPart] = {}


def delivery_payload_part_register(*, name: str, part: DeliveryPayloadPart) -> None:
    _payload_parts[name] = part  # by name, so a second ready() replaces rather than repeats it


def delivery_payloads(deliveries: Sequence[Delivery]) -> list[dict]:
    from django.conf import settings

    extra: dict = {}
    for part in _payload_parts.values():
        for pk, fields in part(deliveries).items():
            extra.setdefault(pk, {}).update(fields)
    payloads = []
    for delivery in deliveries:
        tz = delivery.merchant.zone_info
        payloads.append({
            "id": str(delivery.pk),
            "order_ref": delivery.order_ref,
            "status": delivery.status,
            "window": {"start": _iso(delivery.window.starts_at, tz), "end": _iso(delivery.window.ends_at, tz)},
            "tracking_url": f"{settings.PUBLIC_BASE_URL}/t/{delivery.tracking_token}/",
            **extra.get(delivery.pk, {}),
        })
    return payloads


def delivery_payload(delivery: Delivery) -> dict:
    return delivery_payloads([delivery])[0]
