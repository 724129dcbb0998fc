"""What care owns: the exceptions agents work, with an owner and a clock."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from scheduling.models import Delivery


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

    class Meta:
        ordering = ["due_at"]
        indexes = [models.Index(fields=["state", "due_at"], name="care_exception_state_due")]
        constraints = [
            models.CheckConstraint(condition=~Q(state="resolved") | Q(resolved_at__isnull=False), name="resolved_exception_has_time"),
        ]

    def __str__(self) -> str:
        return f"{self.code} on {self.delivery_id}"


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
