"""Messages sent and received, reminders due, and who asked not to be contacted."""

from django.db import models
from django.db.models import Q

from merchants.models import Merchant
from scheduling.models import Delivery


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Merchant webhook"


class Message(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed"
        SUPPRESSED = "suppressed", "Suppressed (opt-out or quiet hours)"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="messages")
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    template = models.CharField(max_length=60)
    to = models.CharField(max_length=300)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    # "Send once": a unique key per (delivery, purpose) so retries and races never double-send.
    dedupe_key = models.CharField(max_length=120, unique=True, null=True, blank=True)
    provider_id = models.CharField(max_length=80, blank=True)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.channel} {self.template} → {self.to}"


class Reminder(models.Model):
    class Kind(models.TextChoices):
        DAY_BEFORE = "day_before", "The day before"
        MORNING_OF = "morning_of", "The morning of"
        ARRIVING_SOON = "arriving_soon", "A few stops away"

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    send_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["send_at"]
        indexes = [models.Index(fields=["send_at"], condition=Q(claimed_at__isnull=True), name="reminder_due_idx")]
        constraints = [models.UniqueConstraint(fields=["delivery", "kind"], name="one_reminder_per_kind")]

    def __str__(self) -> str:
        return f"{self.kind} for {self.delivery_id} at {self.send_at:%Y-%m-%d %H:%M}"


class OptOut(models.Model):
    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="opt_outs")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    address = models.CharField(max_length=300, help_text="E.164 phone or email address.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["merchant", "channel", "address"], name="unique_opt_out")]

    def __str__(self) -> str:
        return f"{self.channel} {self.address}"


class InboundSms(models.Model):
    provider_id = models.CharField(max_length=80, unique=True)
    from_number = models.CharField(max_length=20)
    to_number = models.CharField(max_length=20)
    body = models.TextField()
    received_at = models.DateTimeField(auto_now_add=True)
    handled_as = models.CharField(max_length=20, blank=True, help_text="stop, help, reschedule, unknown")
    # What we answered, so Twilio's retry of the same message gets the same answer and no second effect.
    reply = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.from_number}: {self.body[:30]}"


class SmsConversation(models.Model):
    """The windows offered by SMS to a number ("reply 1, 2 or 3"), so a bare digit can be understood."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="sms_conversations")
    from_number = models.CharField(max_length=20, help_text="The customer's E.164 number the offer answered.")
    offered_window_ids = models.JSONField(default=list, help_text="Window ids in the order they were numbered.")
    offered_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        ordering = ["-offered_at"]
        indexes = [models.Index(fields=["from_number", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.from_number} offered {self.offered_window_ids}"
