"""The one authoritative journey: canonical events, raw carrier events, pings, ETAs, proof."""

from django.core.files.storage import storages
from django.db import models
from django.db.models import Q

from dispatch.models import Stop, Vehicle
from scheduling.models import Delivery


class Milestone(models.TextChoices):
    CREATED = "created", "Created"
    SCHEDULED = "scheduled", "Scheduled"
    SCANNED_OUT = "scanned_out", "Left the depot"
    OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
    ARRIVING = "arriving", "Arriving"
    ARRIVED = "arrived", "Driver arrived"
    ATTEMPTED = "attempted", "Delivery attempted"
    DELIVERED = "delivered", "Delivered"
    RETURNED = "returned", "Returned to depot"
    EXCEPTION = "exception", "Exception"


class Event(models.Model):
    """A canonical milestone on a delivery's journey, whatever source reported it."""

    class Source(models.TextChoices):
        SYSTEM = "system", "System"
        DRIVER = "driver", "Driver app"
        CARRIER = "carrier", "Carrier"
        CUSTOMER = "customer", "Customer"
        AGENT = "agent", "Care agent"
        GEOFENCE = "geofence", "Geofence"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="events")
    milestone = models.CharField(max_length=20, choices=Milestone.choices)
    reason = models.CharField(max_length=40, blank=True, help_text="For attempted / exception: a reason code.")
    source = models.CharField(max_length=10, choices=Source.choices)
    client_id = models.CharField(max_length=80, blank=True, help_text="The sender's id for this event, for idempotency.")
    recorded_at = models.DateTimeField(help_text="When it happened, by the sender's clock.")
    received_at = models.DateTimeField(auto_now_add=True)
    raw = models.ForeignKey("RawCarrierEvent", null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "client_id"], condition=~Q(client_id=""), name="unique_event_client_id_per_source"
            ),
        ]
        indexes = [models.Index(fields=["delivery", "recorded_at"])]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.milestone} {self.recorded_at:%H:%M}"


class Carrier(models.Model):
    """A third-party carrier that posts events in its own format."""

    class Format(models.TextChoices):
        SWIFTPOST = "swiftpost", "SwiftPost (flat JSON)"
        PARCELNET = "parcelnet", "ParcelNet (nested batch)"

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=80)
    format = models.CharField(max_length=20, choices=Format.choices)
    secret_digest = models.CharField(max_length=64, help_text="SHA-256 of the carrier's shared secret.")
    active = models.BooleanField(default=True)

    def __str__(self) -> str:
        return self.name


class CarrierCodeMapping(models.Model):
    carrier = models.ForeignKey(Carrier, on_delete=models.CASCADE, related_name="mappings")
    external_code = models.CharField(max_length=40)
    milestone = models.CharField(max_length=20, choices=Milestone.choices)
    reason = models.CharField(max_length=40, blank=True)
    description = models.CharField(max_length=120, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["carrier", "external_code"], name="unique_carrier_code")]

    def __str__(self) -> str:
        return f"{self.carrier.code}:{self.external_code} → {self.milestone}"


class CarrierAssignment(models.Model):
    """A delivery handed to a carrier: only that carrier's events may move its journey.

    A row of its own rather than a field on the delivery: the delivery is scheduling's, which
    cannot point up at tracking's carriers. One-to-one, so a delivery has one carrier at a time;
    taking it back deletes the row.
    """

    delivery = models.OneToOneField(Delivery, on_delete=models.CASCADE, related_name="carrier_assignment")
    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="assignments")
    external_ref = models.CharField(max_length=80, blank=True, help_text="The carrier's own tracking number, if any.")
    handed_over_at = models.DateTimeField()
    handed_over_by = models.CharField(max_length=120, help_text="Who handed it over, e.g. 'api:<merchant>' or 'admin:<user>'.")

    class Meta:
        constraints = [
            # A carrier may name a parcel by its own tracking number: that number must lead to one delivery.
            models.UniqueConstraint(fields=["carrier", "external_ref"], condition=~Q(external_ref=""),
                                    name="unique_carrier_external_ref"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} → {self.carrier.code}"


class RawCarrierEvent(models.Model):
    """Exactly what a carrier sent, kept whether or not we understood it, believed it or let it through."""

    class Status(models.TextChoices):
        APPLIED = "applied", "Applied"
        UNMAPPED = "unmapped", "Unmapped code"
        QUARANTINED = "quarantined", "Quarantined: not this carrier's delivery"
        FLAGGED = "flagged", "Flagged: implausible"

    carrier = models.ForeignKey(Carrier, on_delete=models.PROTECT, related_name="raw_events")
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="raw_events")
    external_id = models.CharField(max_length=80)
    external_code = models.CharField(max_length=40)
    reference = models.CharField(max_length=80, blank=True, help_text="The parcel as the carrier named it.")
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=12, choices=Status.choices)
    reason = models.CharField(max_length=40, blank=True, help_text="Why it was quarantined or flagged: a code.")
    problem = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["carrier", "external_id"], name="unique_raw_event_per_carrier")]
        indexes = [models.Index(fields=["status", "-received_at"], name="raw_event_status_newest")]

    def __str__(self) -> str:
        return f"{self.carrier.code} {self.external_code}"


class Ping(models.Model):
    vehicle = models.ForeignKey(Vehicle, on_delete=models.CASCADE, related_name="pings")
    client_id = models.CharField(max_length=80, blank=True)
    recorded_at = models.DateTimeField()
    received_at = models.DateTimeField(auto_now_add=True)
    lat = models.FloatField()
    lng = models.FloatField()
    speed_mps = models.FloatField(null=True, blank=True)
    heading = models.FloatField(null=True, blank=True)
    accuracy_m = models.FloatField(null=True, blank=True)
    flagged = models.CharField(max_length=40, blank=True, help_text="Why this point is not trusted, if it is not.")

    class Meta:
        ordering = ["recorded_at"]
        indexes = [models.Index(fields=["vehicle", "recorded_at"])]
        constraints = [
            models.UniqueConstraint(fields=["vehicle", "client_id"], condition=~Q(client_id=""), name="unique_ping_client_id"),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle_id} {self.recorded_at:%H:%M:%S}"


class EtaSnapshot(models.Model):
    """A prediction as published, kept to measure accuracy against the actual arrival."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="eta_snapshots")
    stop = models.ForeignKey(Stop, null=True, blank=True, on_delete=models.SET_NULL, related_name="eta_snapshots")
    computed_at = models.DateTimeField()
    eta = models.DateTimeField()
    band_start = models.DateTimeField()
    band_end = models.DateTimeField()
    stops_away = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["computed_at"]
        indexes = [models.Index(fields=["delivery", "computed_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(band_start__lte=models.F("eta"), band_end__gte=models.F("eta")), name="eta_inside_band"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} eta {self.eta:%H:%M}"


def proof_storage():
    """Where proof files are kept: settings.STORAGES["proofs"], private storage that has no URLs.

    They reach a browser only through a view that checks who asks (tracking.proof_files)."""
    return storages["proofs"]


class ProofOfDelivery(models.Model):
    delivery = models.OneToOneField(Delivery, on_delete=models.CASCADE, related_name="proof")
    recipient_name = models.CharField(max_length=120, blank=True)
    photo = models.FileField(upload_to="pod/photos/", blank=True, storage=proof_storage)
    signature = models.FileField(upload_to="pod/signatures/", blank=True, storage=proof_storage)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)
    captured_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"proof for {self.delivery_id}"


class Rating(models.Model):
    delivery = models.OneToOneField(Delivery, on_delete=models.CASCADE, related_name="rating")
    stars = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True, max_length=1000)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(stars__gte=1, stars__lte=5), name="rating_one_to_five")]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.stars}/5"
