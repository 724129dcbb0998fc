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
