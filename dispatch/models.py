"""The fleet and the plan: depots, zones, vehicles, drivers, shifts, jobs, plans, routes and stops."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q


class Depot(models.Model):
    code = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    address = models.CharField(max_length=200, blank=True)
    lat = models.FloatField()
    lng = models.FloatField()
    time_zone = models.CharField(max_length=64, default="Europe/Paris")

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(lat__gte=-90, lat__lte=90, lng__gte=-180, lng__lte=180), name="depot_lat_lng_range"),
        ]

    def __str__(self) -> str:
        return self.name


class Zone(models.Model):
    """A delivery area served from one depot: a polygon of [lat, lng] points, a postcode list, or both."""

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    depot = models.ForeignKey(Depot, on_delete=models.PROTECT, related_name="zones")
    polygon = models.JSONField(default=list, blank=True, help_text="[[lat, lng], ...] in order, not closed.")
    postcodes = models.JSONField(default=list, blank=True)
    # Live conditions the re-planner applies to travel times inside the zone (congestion, weather).
    speed_factor = models.FloatField(default=1.0, help_text="Travel time multiplier; 1.3 means 30 % slower.")
    # Learned from recorded dwell times; used when a job has no explicit service time.
    learned_service_seconds = models.PositiveIntegerField(null=True, blank=True)
    default_service_seconds = models.PositiveIntegerField(default=240)

    class Meta:
        ordering = ["code"]
        constraints = [models.CheckConstraint(condition=Q(speed_factor__gt=0), name="zone_speed_factor_positive")]

    def __str__(self) -> str:
        return self.name

    @property
    def service_seconds(self) -> int:
        return self.learned_service_seconds or self.default_service_seconds


class Vehicle(models.Model):
    class Status(models.TextChoices):
        AVAILABLE = "available", "Available"
        LOST = "lost", "Lost (breakdown)"
        MAINTENANCE = "maintenance", "Maintenance"

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=80)
    depot = models.ForeignKey(Depot, on_delete=models.PROTECT, related_name="vehicles")
    capacity_parcels = models.PositiveIntegerField()
    capacity_weight_kg = models.PositiveIntegerField()
    skills = models.JSONField(default=list, blank=True, help_text='e.g. ["two_person", "refrigerated"]')
    is_electric = models.BooleanField(default=False)
    range_km = models.PositiveIntegerField(null=True, blank=True, help_text="Maximum distance per route (EVs).")
    cost_per_km = models.DecimalField(max_digits=6, decimal_places=3, default=0.45)
    cost_per_hour = models.DecimalField(max_digits=6, decimal_places=2, default=28)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.AVAILABLE)
    # Where the vehicle was last seen; tracking writes these from trusted pings so the re-planner
    # can start each route from where the vehicle really is.
    last_lat = models.FloatField(null=True, blank=True)
    last_lng = models.FloatField(null=True, blank=True)
    last_seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.CheckConstraint(condition=Q(capacity_parcels__gt=0), name="vehicle_capacity_positive"),
            models.CheckConstraint(condition=Q(is_electric=False) | Q(range_km__isnull=False), name="ev_has_range"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Driver(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    first_name = models.CharField(max_length=60)
    last_name = models.CharField(max_length=60, blank=True)
    phone = models.CharField(max_length=20, blank=True)
    device_key_digest = models.CharField(max_length=64, unique=True, null=True, blank=True,
                                         help_text="SHA-256 of the driver device's API key.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["first_name", "last_name"]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Shift(models.Model):
    driver = models.ForeignKey(Driver, on_delete=models.PROTECT, related_name="shifts")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="shifts")
    depot = models.ForeignKey(Depot, on_delete=models.PROTECT, related_name="shifts")
    date = models.DateField()
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    break_earliest = models.DateTimeField(null=True, blank=True)
    break_latest = models.DateTimeField(null=True, blank=True)
    break_minutes = models.PositiveSmallIntegerField(default=0)
    max_duration_minutes = models.PositiveIntegerField(null=True, blank=True, help_text="Hours-of-service limit.")

    class Meta:
        ordering = ["date", "starts_at"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="shift_ends_after_start"),
            models.UniqueConstraint(fields=["vehicle", "date"], name="one_shift_per_vehicle_per_day"),
            models.UniqueConstraint(fields=["driver", "date"], name="one_shift_per_driver_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.vehicle.code} {self.date}"


class Job(models.Model):
    """One stop to make: dispatch's view of a booking (or of a hold, while it lasts)."""

    class Status(models.TextChoices):
        HELD = "held", "Held at checkout"
        PENDING = "pending", "Pending"
        PLANNED = "planned", "Planned"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        FAILED = "failed", "Failed attempt"
        CANCELLED = "cancelled", "Cancelled"

    reference = models.CharField(max_length=64, blank=True)
    # Whose job it is: a depot is shared, and a merchant's staff see only their own jobs' details there.
    merchant = models.ForeignKey("merchants.Merchant", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="jobs")
    depot = models.ForeignKey(Depot, on_delete=models.PROTECT, related_name="jobs")
    zone = models.ForeignKey(Zone, on_delete=models.PROTECT, related_name="jobs")
    date = models.DateField()
    lat = models.FloatField()
    lng = models.FloatField()
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    service_seconds = models.PositiveIntegerField(default=240)
    parcels = models.PositiveIntegerField(default=1)
    weight_kg = models.PositiveIntegerField(default=5)
    skills = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PENDING)
    # A job created by a checkout hold stops counting once this passes, with no background job.
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["depot", "date", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(window_end__gt=F("window_start")), name="job_window_ends_after_start"),
            models.CheckConstraint(condition=~Q(status="held") | Q(hold_expires_at__isnull=False), name="held_job_expires"),
        ]

    def __str__(self) -> str:
        return self.reference or f"job {self.pk}"


class Plan(models.Model):
    """One solve of a depot's day. The newest active plan is the one vehicles drive."""

    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        SUPERSEDED = "superseded", "Superseded"

    depot = models.ForeignKey(Depot, on_delete=models.CASCADE, related_name="plans")
    date = models.DateField()
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    trigger = models.CharField(max_length=40, default="initial", help_text="What caused this solve.")
    created_at = models.DateTimeField(auto_now_add=True)
    solve_seconds = models.FloatField(default=0)
    distance_m = models.PositiveIntegerField(default=0)
    duration_s = models.PositiveIntegerField(default=0)
    unassigned = models.JSONField(default=list, blank=True, help_text='[{"job": id, "reason": code, "message": text}]')
    diff = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-date", "depot", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["depot", "date", "version"], name="unique_plan_version"),
            models.UniqueConstraint(fields=["depot", "date"], condition=Q(status="active"), name="one_active_plan_per_depot_day"),
        ]

    def __str__(self) -> str:
        return f"{self.depot.code} {self.date} v{self.version}"


class ReplanRequest(models.Model):
    """A re-plan asked for and not yet done: the outbox between a change and the task that re-plans.

    Written in the same transaction as the change that asks for it, so a re-plan is
    never lost to a broker outage or a killed worker: the periodic sweep enqueues
    whatever is due and still pending. Requests for the same depot and day fold into
    the one pending row (the debounce). A task claims the row with a conditional
    update naming its task id, so duplicates of the task do nothing, while the same
    task delivered again after its worker died may take its own claim back.
    """

    depot = models.ForeignKey(Depot, on_delete=models.CASCADE, related_name="replan_requests")
    date = models.DateField()
    triggers = models.JSONField(default=list, help_text="What asked for it, in order, without repeats.")
    # Wall-clock times (not the services' clock, which the demo runs faster): they schedule processes.
    requested_at = models.DateTimeField()
    due_at = models.DateTimeField(help_text="When the debounce ends and the re-plan should run.")
    enqueued_at = models.DateTimeField(null=True, blank=True, help_text="Last time a task was handed to the broker.")
    claimed_at = models.DateTimeField(null=True, blank=True)
    task_id = models.CharField(max_length=64, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=200, blank=True)
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["due_at", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["depot", "date"], condition=Q(claimed_at__isnull=True),
                                    name="one_pending_replan_per_depot_day"),
        ]
        indexes = [models.Index(fields=["done_at", "due_at"])]

    def __str__(self) -> str:
        return f"re-plan {self.depot_id} {self.date} ({', '.join(self.triggers)})"


class Route(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="routes")
    vehicle = models.ForeignKey(Vehicle, on_delete=models.PROTECT, related_name="routes")
    shift = models.ForeignKey(Shift, null=True, blank=True, on_delete=models.SET_NULL, related_name="routes")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    break_starts_at = models.DateTimeField(null=True, blank=True)
    # When the van drove out of its depot, as its fixes show: the first leg of the day is then a driven leg too.
    departed_at = models.DateTimeField(null=True, blank=True)
    distance_m = models.PositiveIntegerField(default=0)
    duration_s = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["plan", "vehicle__code"]
        constraints = [models.UniqueConstraint(fields=["plan", "vehicle"], name="one_route_per_vehicle_per_plan")]

    def __str__(self) -> str:
        return f"{self.plan} · {self.vehicle.code}"


class Stop(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        ARRIVED = "arrived", "Arrived"
        DONE = "done", "Done"
        FAILED = "failed", "Failed attempt"

    route = models.ForeignKey(Route, on_delete=models.CASCADE, related_name="stops")
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="stops")
    sequence = models.PositiveIntegerField()
    planned_arrival = models.DateTimeField()
    planned_departure = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    actual_arrival = models.DateTimeField(null=True, blank=True)
    actual_departure = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["route", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["route", "sequence"], name="unique_stop_sequence"),
            models.UniqueConstraint(fields=["route", "job"], name="unique_stop_job_per_route"),
            models.CheckConstraint(condition=Q(planned_departure__gte=F("planned_arrival")), name="stop_departs_after_arrival"),
        ]

    def __str__(self) -> str:
        return f"{self.route} #{self.sequence}"


class DisruptionFeed(models.Model):
    """An outside service (weather, traffic) allowed to set disruptions through the API with its own key.

    The key is shown once when the feed is created; only its SHA-256 is kept. A feed tied to a depot
    may slow that depot's zones only; one without a depot may slow any zone.
    """

    code = models.SlugField(unique=True)
    name = models.CharField(max_length=120)
    key_digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the feed's API key.")
    depot = models.ForeignKey(Depot, null=True, blank=True, on_delete=models.CASCADE, related_name="disruption_feeds",
                              help_text="The depot whose zones the feed may slow; empty for every depot.")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class Disruption(models.Model):
    """A zone driving slower than usual for a period (weather, congestion, an event, roadworks).

    The travel model multiplies the zone's own speed factor by the factor of every disruption
    in force at the moment a van drives into the zone, so the planner, the capacity oracle and
    the ETAs all slow down together. Ending one early moves `ends_at` to the moment it ended.
    """

    class Source(models.TextChoices):
        DISPATCHER = "dispatcher", "Dispatcher"
        FEED = "feed", "Feed"

    zone = models.ForeignKey(Zone, on_delete=models.CASCADE, related_name="disruptions")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    speed_factor = models.FloatField(help_text="Travel time multiplier while in force; 1.3 means 30 % slower.")
    reason = models.CharField(max_length=200)
    source = models.CharField(max_length=12, choices=Source.choices)
    feed = models.ForeignKey(DisruptionFeed, null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="disruptions")
    # The feed's own id for the event, so a feed sending the same event again updates it instead of adding one.
    external_id = models.CharField(max_length=100, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    ended_early_at = models.DateTimeField(null=True, blank=True, help_text="When someone ended it before its planned end.")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [models.Index(fields=["zone", "ends_at", "starts_at"])]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=F("starts_at")), name="disruption_ends_after_start"),
            models.CheckConstraint(condition=Q(speed_factor__gt=0), name="disruption_speed_factor_positive"),
            models.UniqueConstraint(fields=["feed", "external_id"], condition=~Q(external_id=""),
                                    name="one_disruption_per_feed_event"),
        ]

    def __str__(self) -> str:
        return f"{self.zone} ×{self.speed_factor:g} ({self.reason})"

    @property
    def slowdown_percent(self) -> int:
        return round((self.speed_factor - 1) * 100)
