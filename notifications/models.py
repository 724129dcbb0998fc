"""Messages sent and received, reminders due, and who asked not to be contacted."""

import datetime as dt

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from core import clock
from merchants.models import Merchant, WebhookEndpoint
from scheduling.models import Delivery


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    # Twilio's Messages API to the same phone number, for merchants who turn it on (MerchantMessaging.whatsapp).
    WHATSAPP = "whatsapp", "WhatsApp"
    EMAIL = "email", "Email"
    WEBHOOK = "webhook", "Merchant webhook"


# The channels that reach the customer's phone number (a STOP covers them all).
PHONE_CHANNELS = (Channel.SMS, Channel.WHATSAPP)

def message_time():
    return clock.now()


class Trigger(models.TextChoices):
    """The journey moments a customer hears about (one switch each in MerchantMessaging)."""

    BOOKED = "booked", "Booking confirmed"
    RESCHEDULED = "rescheduled", "Rescheduled"
    CANCELLED = "cancelled", "Cancelled"
    OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
    DELIVERED = "delivered", "Delivered"
    ATTEMPTED = "attempted", "Delivery attempted"
    RUNNING_LATE = "running_late", "Running late"
    ARRIVING_SOON = "arriving_soon", "Arriving soon"
    DAY_BEFORE = "day_before", "Day-before reminder"
    # Sent when the customer asks care for the link again (a lost SMS, a new phone).
    TRACKING_LINK = "tracking_link", "Tracking link (sent again by care)"


class Message(models.Model):
    """One message to one address, claimed before the provider is called: see notifications.sending."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        # Claimed by a worker that is calling the provider. A row left here (the worker died after the
        # provider may have accepted it) is never sent again: at most once, and care sees it.
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        UNDELIVERED = "undelivered", "Undelivered"
        FAILED = "failed", "Failed"
        SUPPRESSED = "suppressed", "Suppressed (opt-out)"

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="messages")
    delivery = models.ForeignKey(Delivery, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    template = models.CharField(max_length=60)
    trigger = models.CharField(max_length=20, choices=Trigger.choices, blank=True)
    # Webhook messages: the endpoint called, and the event (its id is stable: the same event has the same id
    # in every retry and replay, so receivers deduplicate on `webhook-id`). `body` is the JSON sent.
    endpoint = models.ForeignKey(WebhookEndpoint, null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="messages")
    event_id = models.CharField(max_length=40, blank=True)
    event_type = models.CharField(max_length=40, blank=True)
    to = models.CharField(max_length=500)
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    html_body = models.TextField(blank=True)
    calendar = models.TextField(blank=True, help_text="An iCalendar invite attached to the email, if any.")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    # "Send once": a unique key per (delivery, purpose) so retries and races never double-send.
    dedupe_key = models.CharField(max_length=120, unique=True, null=True, blank=True)
    provider_id = models.CharField(max_length=80, blank=True)
    error = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    # Not before this time: quiet hours, or the backoff after a provider error that may pass.
    send_after = models.DateTimeField(null=True, blank=True)
    # The project clock: the demo's simulated day (and tests' frozen clock) stamp messages in their own time.
    created_at = models.DateTimeField(default=message_time, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["provider_id"], condition=~Q(provider_id=""), name="message_provider_id_idx"),
            models.Index(fields=["endpoint", "-created_at"], condition=Q(endpoint__isnull=False),
                         name="message_endpoint_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.template} → {self.to}"


class WebhookAttempt(models.Model):
    """One call to a merchant's endpoint: the delivery log the merchant reads and replays from."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="webhook_attempts")
    number = models.PositiveSmallIntegerField(help_text="1 for the first call of this message, 2 for the next…")
    attempted_at = models.DateTimeField(default=message_time)
    request_headers = models.JSONField(default=dict)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="The first characters of the receiver's answer.")
    duration_ms = models.PositiveIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True, help_text="Why it failed when there was no answer.")

    class Meta:
        ordering = ["message", "number"]

    def __str__(self) -> str:
        return f"{self.message_id} #{self.number} → {self.response_status or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.response_status is not None and 200 <= self.response_status < 300


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


class MerchantMessaging(models.Model):
    """What a merchant's customers are sent, and when not to send it. No row means every default."""

    merchant = models.OneToOneField(Merchant, on_delete=models.CASCADE, related_name="messaging")
    on_booked = models.BooleanField(default=True)
    on_rescheduled = models.BooleanField(default=True)
    on_cancelled = models.BooleanField(default=True)
    on_out_for_delivery = models.BooleanField(default=True)
    on_delivered = models.BooleanField(default=True)
    on_attempted = models.BooleanField(default=True)
    on_running_late = models.BooleanField(default=True)
    on_arriving_soon = models.BooleanField(default=True)
    on_day_before = models.BooleanField(default=True)
    on_tracking_link = models.BooleanField(default=True)
    running_late_minutes = models.PositiveSmallIntegerField(
        null=True, blank=True,
        help_text="Warn when the ETA passes the window's end by more than this; empty means the portal's setting.")
    # In the merchant's time zone. Equal times mean no quiet hours.
    quiet_hours_start = models.TimeField(default=dt.time(21, 0))
    quiet_hours_end = models.TimeField(default=dt.time(8, 0))
    whatsapp = models.BooleanField(
        default=False,
        help_text="Send what would go by SMS by WhatsApp instead (SMS when WhatsApp fails or is not set up).")

    class Meta:
        verbose_name = "merchant messaging"
        verbose_name_plural = "merchant messaging"

    def __str__(self) -> str:
        return f"messaging of {self.merchant_id}"

    def sends(self, trigger: str) -> bool:
        return bool(getattr(self, f"on_{trigger}"))


class MessageTemplate(models.Model):
    """A merchant's own wording for one trigger, language and channel, used instead of the file template.

    The text is filled by plain `{placeholder}` substitution over the names documented in
    notifications.rendering.PLACEHOLDERS, never by the Django template language: a merchant's text must
    not reach tags, other templates or the delivery's fields (the address, the door code).
    """

    CHANNELS = [(Channel.SMS.value, Channel.SMS.label), (Channel.EMAIL.value, Channel.EMAIL.label)]

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="message_templates")
    trigger = models.CharField(max_length=20, choices=Trigger.choices)
    language = models.CharField(max_length=8, choices=settings.LANGUAGES)
    channel = models.CharField(max_length=10, choices=CHANNELS)
    subject = models.CharField(max_length=200, blank=True, help_text="Email only.")
    body = models.TextField()

    class Meta:
        ordering = ["merchant", "trigger", "language", "channel"]
        constraints = [models.UniqueConstraint(fields=["merchant", "trigger", "language", "channel"],
                                               name="one_message_template_per_kind")]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.trigger} {self.language} {self.channel}"

    def clean(self) -> None:
        from notifications.rendering import template_errors  # rendering imports this module

        errors = template_errors(self)
        if errors:
            raise ValidationError(errors)
