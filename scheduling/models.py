"""The promise: window templates, window instances with their books, holds, deliveries, idempotency keys."""

import secrets
import uuid

from django.db import models
from django.db.models import F, Q

from core import clock
from dispatch.models import Job, Zone
from merchants.models import ApiKey, Merchant


def booking_time():
    # Through the project clock, so a seeded or replayed booking carries the time it was made "as of".
    return clock.now()


def new_tracking_token() -> str:
    # 32 url-safe bytes: 256 bits, far beyond guessing.
    return secrets.token_urlsafe(32)


class WindowTemplate(models.Model):
    """A recurring offer, e.g. "Evening 18:00–20:00, Mon–Fri, €4.90, book by 22:00 the day before"."""

    class Label(models.TextChoices):
        STANDARD = "standard", "Standard"
        EVENING = "evening", "Evening"
        WEEKEND = "weekend", "Weekend"
        PREMIUM = "premium", "Premium"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="window_templates")
    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="window_templates")
    label = models.CharField(max_length=20, default=Label.STANDARD, help_text="standard, evening, weekend, premium or your own.")
    start_time = models.TimeField(help_text="Local time in the merchant's time zone.")
    end_time = models.TimeField()
    weekdays = models.JSONField(default=list, help_text="ISO weekdays offered, 1 = Monday … 7 = Sunday.")
    price_amount = models.DecimalField(max_digits=8, decimal_places=2, default=0)
    cutoff_days_before = models.PositiveSmallIntegerField(default=0, help_text="0 = same day, 1 = the day before …")
    cutoff_time = models.TimeField(help_text="Local time on the cut-off day after which the window closes.")
    lead_time_minutes = models.PositiveIntegerField(default=0, help_text="Minimum time between booking and window start.")
    max_stops = models.PositiveIntegerField(null=True, blank=True, help_text="Merchant cap per window, on top of fleet capacity.")
    required_skills = models.JSONField(default=list, blank=True, help_text="Skills every job in this window needs.")
    safe_drop_allowed = models.BooleanField(default=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["merchant", "zone", "start_time"]
        constraints = [
            models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="template_ends_after_start"),
            models.CheckConstraint(condition=Q(price_amount__gte=0), name="template_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.merchant.slug} {self.zone.code} {self.label} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class BlackoutDate(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="blackout_dates")
    date = models.DateField()
    reason = models.CharField(max_length=120, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "date"], name="unique_blackout_date")]

    def __str__(self) -> str:
        return f"{self.merchant.slug} {self.date}"


class Window(models.Model):
    """A dated instance of a template, with its books: `booked` counts deliveries, `capacity` the merchant cap."""

    template = models.ForeignKey(WindowTemplate, on_delete=models.PROTECT, related_name="windows")
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="windows")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="windows")
    date = models.DateField(help_text="Local date in the merchant's time zone.")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    cutoff_at = models.DateTimeField()
    label = models.CharField(max_length=20)
    price_amount = models.DecimalField(max_digits=8, decimal_places=2)
    currency = models.CharField(max_length=3)
    capacity = models.PositiveIntegerField(help_text="Most deliveries this window may take (merchant cap).")
    booked = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["starts_at", "label"]
        indexes = [models.Index(fields=["zone", "date"]), models.Index(fields=["merchant", "starts_at"])]
        constraints = [
            models.UniqueConstraint(fields=["template", "starts_at"], name="one_window_per_template_start"),
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="window_ends_after_start"),
            models.CheckConstraint(condition=Q(booked__lte=F("capacity")), name="window_never_overbooked"),
        ]

    def __str__(self) -> str:
        return f"{self.merchant.slug} {self.zone.code} {self.starts_at:%Y-%m-%d %H:%M} {self.label}"


class Hold(models.Model):
    """A shopper's choice kept for a few minutes; it counts against capacity until booked or expired."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        BOOKED = "booked", "Booked"
        RELEASED = "released", "Released"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="holds")
    window = models.ForeignKey(Window, on_delete=models.CASCADE, related_name="holds")
    job = models.OneToOneField(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="hold")
    lat = models.FloatField()
    lng = models.FloatField()
    parcels = models.PositiveIntegerField(default=1)
    skills = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACTIVE)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Who asked, for the caps on holds a publishable key and one client behind it may keep at once.
    api_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="holds")
    client = models.CharField(max_length=64, blank=True, default="",
                              help_text="A keyed digest of the client's address, never the address itself.")

    class Meta:
        indexes = [models.Index(fields=["window", "status", "expires_at"])]

    def __str__(self) -> str:
        return f"hold {self.id} on {self.window}"


class ParcelSize(models.TextChoices):
    """The size a shopper books; `scheduling.windows.SIZE_PROFILES` says what each weighs for the fleet."""

    SMALL = "small", "Small"
    MEDIUM = "medium", "Medium"
    LARGE = "large", "Large"
    BULKY = "bulky", "Bulky"


class DropChoice(models.TextChoices):
    """What the driver does with the parcel: hand it over at the door, leave it in a safe place the customer
    described, or hand it to a neighbour the customer named. `scheduling.drop` holds the rules."""

    DOOR = "door", "At the door"
    SAFE_PLACE = "safe_place", "Safe place"
    NEIGHBOUR = "neighbour", "Neighbour"


class Delivery(models.Model):
    """A booked delivery: what the customer was promised and where it stands."""

    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        SCHEDULED = "scheduled", "Scheduled"
        OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
        DELIVERED = "delivered", "Delivered"
        ATTEMPTED = "attempted", "Attempted"
        RETURNED = "returned", "Returned"
        CANCELLED = "cancelled", "Cancelled"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="deliveries")
    order_ref = models.CharField(max_length=64)
    window = models.ForeignKey(Window, on_delete=models.PROTECT, related_name="deliveries")
    job = models.OneToOneField(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="delivery")
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.BOOKED)
    recipient_name = models.CharField(max_length=120)
    recipient_phone = models.CharField(max_length=20, blank=True, help_text="E.164")
    recipient_email = models.EmailField(blank=True)
    language = models.CharField(max_length=8, default="en")
    address_line1 = models.CharField(max_length=200)
    address_city = models.CharField(max_length=100)
    address_postcode = models.CharField(max_length=16)
    lat = models.FloatField()
    lng = models.FloatField()
    access_notes = models.TextField(blank=True, max_length=500)
    drop_choice = models.CharField(max_length=12, choices=DropChoice.choices, default=DropChoice.DOOR)
    # Only the fields of the chosen drop hold anything (a check constraint says so).
    safe_place = models.CharField(max_length=120, blank=True, help_text='Where: "behind the side gate".')
    neighbour_name = models.CharField(max_length=80, blank=True)
    neighbour_door = models.CharField(max_length=20, blank=True, help_text="The neighbour's house number or flat.")
    preferences = models.JSONField(default=dict, blank=True)
    # As booked: a reschedule asks the fleet for this size again. Parcels and kilograms follow from it.
    size = models.CharField(max_length=8, choices=ParcelSize.choices, default=ParcelSize.SMALL)
    parcels = models.PositiveIntegerField(default=1)
    weight_kg = models.PositiveIntegerField(default=5)
    skills = models.JSONField(default=list, blank=True)
    tracking_token = models.CharField(max_length=64, unique=True, default=new_tracking_token, editable=False)
    tracking_expires_at = models.DateTimeField(null=True, blank=True)
    # The live estimate while the van is out and expected after the window (set by tracking's ETA refresh),
    # else null: a customer may then move a parcel already on the van to another time.
    running_late_eta = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=booking_time, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["merchant", "order_ref"], name="unique_order_ref_per_merchant"),
            models.CheckConstraint(condition=Q(drop_choice="safe_place") | Q(safe_place=""),
                                   name="delivery_safe_place_only_when_chosen"),
            models.CheckConstraint(condition=Q(drop_choice="neighbour") | Q(neighbour_name="", neighbour_door=""),
                                   name="delivery_neighbour_only_when_chosen"),
        ]
        indexes = [
            models.Index(fields=["merchant", "status"]),
            # The merchant's list, newest first and paged by (created_at, id): read in index order, never sorted.
            models.Index(fields=["merchant", "-created_at", "-id"], name="delivery_merchant_newest"),
            # A merchant's sync ("what changed since my last poll?") reads only the changed rows.
            models.Index(fields=["merchant", "updated_at"], name="delivery_merchant_updated"),
        ]

    def __str__(self) -> str:
        return f"{self.merchant.slug} {self.order_ref}"


class IdempotencyKey(models.Model):
    """The first answer to a keyed request, replayed for retries with the same body."""

    class State(models.TextChoices):
        PROCESSING = "processing", "Processing"
        DONE = "done", "Done"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="idempotency_keys")
    api_key = models.ForeignKey(ApiKey, null=True, on_delete=models.SET_NULL, related_name="+")
    key = models.CharField(max_length=255)
    endpoint = models.CharField(max_length=120)
    request_digest = models.CharField(max_length=64)
    state = models.CharField(max_length=12, choices=State.choices, default=State.PROCESSING)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "key"], name="unique_idempotency_key_per_merchant")]
        indexes = [models.Index(fields=["created_at"])]

    def __str__(self) -> str:
        return f"{self.merchant.slug} {self.key}"
