"""The writes of a merchant's messaging settings page: its switches and its own wording per trigger."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, transaction

from merchants.models import Merchant
from notifications.models import Channel, MerchantMessaging, MessageTemplate, Trigger

MESSAGING_FIELDS = ("on_booked", "on_rescheduled", "on_cancelled", "on_out_for_delivery", "on_delivered",
                    "on_attempted", "on_running_late", "on_arriving_soon", "on_day_before", "on_tracking_link", "running_late_minutes",
                    "quiet_hours_start", "quiet_hours_end", "whatsapp")


def merchant_messaging_for(*, merchant: Merchant) -> MerchantMessaging:
    """The merchant's switches; every default (unsaved) when it never changed them."""
    return MerchantMessaging.objects.filter(merchant=merchant).first() or MerchantMessaging(merchant=merchant)


def merchant_messaging_save(*, merchant: Merchant, values: dict) -> MerchantMessaging:
    """Store the merchant's switches (the fields in MESSAGING_FIELDS). Raises ValidationError."""
    unknown = set(values) - set(MESSAGING_FIELDS)
    if unknown:
        raise ValueError(f"Not messaging fields: {', '.join(sorted(unknown))}")
    messaging = merchant_messaging_for(merchant=merchant)
    for name, value in values.items():
        setattr(messaging, name, value)
    messaging.full_clean(validate_unique=False)
    try:
        with transaction.atomic():
            messaging.save()
    except IntegrityError:
        # Another request created the row a moment ago: write over it, as the later save wins.
        MerchantMessaging.objects.filter(merchant=merchant).update(**values)
        messaging = MerchantMessaging.objects.get(merchant=merchant)
    return messaging


def message_template_save(*, merchant: Merchant, template: MessageTemplate | None, trigger: str, language: str,
                          channel: str, subject: str, body: str) -> MessageTemplate:
    """Create or change the merchant's wording for one trigger, language and channel. Raises ValidationError.

    The text is checked by `MessageTemplate.clean` (placeholders, an SMS that fits, a subject for email only);
    a second wording for the same trigger, language and channel is refused by the database's constraint.
    """
    if template is not None and template.merchant_id != merchant.pk:
        raise ValueError("This template belongs to another merchant.")
    template = MessageTemplate.objects.get(pk=template.pk) if template is not None else MessageTemplate(merchant=merchant)
    template.trigger, template.language, template.channel = trigger, language, channel
    template.subject, template.body = subject, body
    template.full_clean(validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            template.save()
    except IntegrityError:
        message = (f"There is already your own {template.get_language_display()} {Channel(channel).label} for "
                   f"“{Trigger(trigger).label}”: edit that one instead.")
        raise ValidationError({NON_FIELD_ERRORS: [message]})
    return template


def message_template_delete(*, template: MessageTemplate) -> None:
    """Back to the default wording for this trigger, language and channel."""
    MessageTemplate.objects.filter(pk=template.pk).delete()
