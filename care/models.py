"""What care owns: the exceptions agents work, with an owner team and a clock, the playbook rules that open them,
the notes and searches of its agents, and the KPIs of the days that are over."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from merchants.models import Merchant
from scheduling.models import Delivery


class Team(models.TextChoices):
    """Who owns an exception's queue. An exception whose timer runs out moves up to the next team
    (`ESCALATES_TO`)."""

    CARE = "care", "Care agents"
    DISPATCH = "dispatch", "Dispatch"
    CARE_LEADS = "care_leads", "Care leads"
    OPERATIONS = "operations", "Operations manager"


# Where an exception goes when its timer runs out; a team missing here is the top of its ladder.
ESCALATES_TO: dict[str, Team] = {
    Team.CARE: Team.CARE_LEADS,
    Team.CARE_LEADS: Team.OPERATIONS,
    Team.DISPATCH: Team.OPERATIONS,
}


class JourneyException(models.Model):
    """Something a care agent must look at, with an owner and a clock."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        ASSIGNED = "assigned", "Assigned"
        RESOLVED = "resolved", "Resolved"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="exceptions")
    code = models.CharField(max_length=40, help_text="e.g. unknown_carrier_code, window_at_risk, failed_attempt")
    message = models.CharField(max_length=300)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    opened_at = models.DateTimeField()
    due_at = models.DateTimeField()
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=300, blank=True)
    # The playbook rule that opened it (care.playbooks.rules); blank for one an agent opened by hand. A rule's
    # exception closes itself when its condition clears.
    rule = models.CharField(max_length=40, blank=True)
    team = models.CharField(max_length=20, choices=Team.choices, default=Team.CARE)
    # Each level the timer ran out (or an agent escalated); the timer restarts for `sla_minutes` at each.
    sla_minutes = models.PositiveIntegerField(default=120)
    escalation_level = models.PositiveSmallIntegerField(default=0)
    escalated_at = models.DateTimeField(null=True, blank=True)
    # A van's exception (a missed scan-out holds up every parcel on board): its route, and every delivery it holds
    # up, `delivery` (the first on the route) among them. Each of their journeys shows it.
    route = models.ForeignKey("dispatch.Route", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    affected = models.ManyToManyField(Delivery, blank=True, related_name="van_exceptions")

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["state", "due_at"], name="care_exception_state_due")]
        constraints = [
            models.CheckConstraint(condition=~Q(state="resolved") | Q(resolved_at__isnull=False), name="resolved_exception_has_time"),
            # A rule opens one live exception per delivery: seeing its condition again changes nothing.
            models.UniqueConstraint(fields=["delivery", "rule"], condition=~Q(rule="") & ~Q(state="resolved"),
                                    name="one_live_exception_per_rule"),
            # And one per van's route: 28 parcels on a van that never left are one problem, not 28.
            models.UniqueConstraint(fields=["route", "rule"],
                                    condition=Q(route__isnull=False) & ~Q(rule="") & ~Q(state="resolved"),
                                    name="one_live_exception_per_route_rule"),
        ]

    def __str__(self) -> str:
        return f"{self.code} on {self.delivery_id}"

    @property
    def escalates_to(self) -> Team | None:
        """The team above this one's, None at the top."""
        return ESCALATES_TO.get(self.team)


class PlaybookRule(models.Model):
    """One merchant's settings for one playbook rule; a merchant without a row gets the rule's defaults."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="playbook_rules")
    code = models.CharField(max_length=40)
    enabled = models.BooleanField(default=True)
    threshold_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="What the rule measures against, in minutes (rules without one ignore it).")
    team = models.CharField(max_length=20, choices=Team.choices)
    sla_minutes = models.PositiveIntegerField(help_text="Minutes the owner team has before the exception escalates.")
    notify_customer = models.BooleanField(default=False)
    request_replan = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "code"], name="one_playbook_rule_per_merchant")]

    def __str__(self) -> str:
        return f"{self.code} for {self.merchant_id}"


class Note(models.Model):
    """What an agent wrote down about a delivery for the next colleague who picks up the phone.

    Notes are never edited or deleted from the console: they are part of the delivery's history. The author's
    name is kept as written at the time, so a note still reads right after the account is renamed or removed.
    """

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="care_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+")
    author_label = models.CharField(max_length=150)
    text = models.TextField(max_length=2000)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["delivery", "-created_at"], name="care_note_delivery_newest")]

    def __str__(self) -> str:
        return f"note on {self.delivery_id} by {self.author_label}"


class CareSearch(models.Model):
    """One search an agent ran in the care console: a "where is my order?" contact, counted by the KPIs.

    The words typed are not kept (they are a customer's phone, email or name); what the search was (its
    kind), how many deliveries it found, and the delivery when it found exactly one are enough to count it
    per merchant and zone.
    """

    agent = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    searched_at = models.DateTimeField()
    kind = models.CharField(max_length=20, help_text="phone, email, link, reference…")
    hits = models.PositiveIntegerField(default=0)
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        indexes = [models.Index(fields=["searched_at"], name="care_search_time")]

    def __str__(self) -> str:
        return f"{self.kind} search at {self.searched_at:%Y-%m-%d %H:%M}"


class KpiDay(models.Model):
    """A day that is over, summed once for one merchant's deliveries in one zone: the KPI page reads these few rows
    instead of every stop, event and ETA of the period (care.kpi_days stores them, care.kpi_cells computes them).

    Every figure adds up across merchants, zones and days; means and shares are taken after summing. A delivery
    counts on its promised window's date, a stop on its plan's date. `merchant` is empty for a job no merchant
    booked (the fleet's figures count it, a merchant's do not).
    """

    day = models.DateField()
    merchant = models.ForeignKey(Merchant, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    zone = models.ForeignKey("dispatch.Zone", on_delete=models.CASCADE, related_name="+")
    # ETA accuracy: arrivals judged, the sum of their absolute errors, how many fell inside the band.
    eta_samples = models.PositiveIntegerField(default=0)
    eta_error_seconds = models.FloatField(default=0.0)
    eta_inside = models.PositiveIntegerField(default=0)
    # Closed deliveries and, among them, first attempts, on time, and trips beyond the first.
    closed = models.PositiveIntegerField(default=0)
    first_attempt = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    reattempts = models.PositiveIntegerField(default=0)
    # Deliveries promised (not cancelled): what "where is my order?" contacts are counted per.
    promised = models.PositiveIntegerField(default=0)
    # Stops with an arrival and a departure, and their seconds at the door.
    dwell_stops = models.PositiveIntegerField(default=0)
    dwell_seconds = models.FloatField(default=0.0)
    # Planned stops and their share of their routes' metres and cost; whether any route had a distance at all.
    planned_stops = models.PositiveIntegerField(default=0)
    metres = models.FloatField(default=0.0)
    cost = models.FloatField(default=0.0)
    measured = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["day", "merchant", "zone"], name="care_kpi_day_cell")]

    def __str__(self) -> str:
        return f"KPIs of {self.day} for merchant {self.merchant_id} in zone {self.zone_id}"


class KpiStoredDay(models.Model):
    """A day whose KpiDay rows are stored: the KPI page reads that day from them, and computes any other day.

    A change to a stored day's journeys (a late milestone, a reschedule, a re-plan) deletes this row, so the day is
    computed again until the next refresh stores it anew (care.kpi_days).
    """

    day = models.DateField(unique=True)
    stored_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"KPIs of {self.day} stored at {self.stored_at:%Y-%m-%d %H:%M}"
