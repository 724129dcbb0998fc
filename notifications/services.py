"""Sending messages once: enqueue a claimed row, send it from a task, follow the provider's reports.

The row is the claim. `message_enqueue` inserts it under a unique dedupe key (a duplicate event
inserts nothing); the task `message_send` moves it queued→sending with a conditional UPDATE that
exactly one worker wins, and only the winner calls the provider. A row found `sending` is never
sent again: its worker may have died after the provider accepted it (at most once; care sees it).
"""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse

from core import clock, metrics
from core.log_context import log_bind
from notifications import channels
from notifications.channels import ChannelError, mail
from notifications.invites import invite_build
from notifications.models import PHONE_CHANNELS, Channel, MerchantMessaging, Message, OptOut, Trigger
from notifications.quiet_hours import quiet_hours_release
from notifications.rendering import message_render
from notifications.selectors import email_sender
from scheduling.models import Delivery

log = logging.getLogger(__name__)

# What the customer needs at once, whatever the hour: the parcel is at the door, or it is not; the van is
# late for, or close to, a window that is under way (held until 08:00 these would arrive after the van).
QUIET_HOURS_EXEMPT = {Trigger.DELIVERED, Trigger.ATTEMPTED, Trigger.RUNNING_LATE, Trigger.ARRIVING_SOON}
CALENDAR_TRIGGERS = {Trigger.BOOKED: "REQUEST", Trigger.RESCHEDULED: "REQUEST", Trigger.CANCELLED: "CANCEL"}
# Provider errors that may pass are tried again after this many seconds times the attempts so far.
RETRY_BACKOFF_SECONDS = 60
# A queued row this old that nobody claimed lost its task (a broker outage): the periodic sweep sends it.
UNCLAIMED_AFTER = dt.timedelta(minutes=2)
TWILIO_STATUSES = {
    "sent": Message.Status.SENT, "delivered": Message.Status.DELIVERED,
    "undelivered": Message.Status.UNDELIVERED, "failed": Message.Status.FAILED,
}
# The phone's claim for one event: SMS or WhatsApp, whichever the merchant uses, under the key SMS always had,
# so a repeated event reaches the phone once even if the merchant switched WhatsApp on or off meanwhile.
PHONE_KEY = ":sms"
# The SMS sent once when the WhatsApp message for the event failed.
WHATSAPP_FALLBACK_KEY = ":sms-after-whatsapp"
# Twilio also reports the steps before "sent" (and WhatsApp's "read" after "delivered"); our row is past them.
TWILIO_STATUSES_BEFORE_SENT = {"accepted", "scheduled", "queued", "sending", "receiving", "received", "read"}


def messaging_settings(merchant_id) -> MerchantMessaging:
    """The merchant's switches and quiet hours; without a row, the defaults (everything on, 21:00–08:00)."""
    return MerchantMessaging.objects.filter(merchant_id=merchant_id).first() or MerchantMessaging(merchant_id=merchant_id)


def _phone_channel(prefs: MerchantMessaging) -> Channel:
    """WhatsApp where the merchant turned it on and the account has a WhatsApp sender, else SMS."""
    global _whatsapp_unconfigured_logged
    if not prefs.whatsapp:
        return Channel.SMS
    if settings.TWILIO_WHATSAPP_FROM:
        return Channel.WHATSAPP
    if not _whatsapp_unconfigured_logged:
        _whatsapp_unconfigured_logged = True
        log.warning("Merchant %s has WhatsApp on but TWILIO_WHATSAPP_FROM is empty: its customers get SMS.",
                    prefs.merchant_id)
    return Channel.SMS


_whatsapp_unconfigured_logged = False


def _send_after(*, merchant, trigger: str, now: dt.datetime, urgent_from: dt.datetime | None = None) -> dt.datetime | None:
    """When quiet hours let the message go (None: now). An exempt trigger goes at once, unless `urgent_from` says
    the news only matters from then and quiet hours end before it (a warning about a window hours away)."""
    prefs = messaging_settings(merchant.pk)
    release = quiet_hours_release(now=now, tz=merchant.zone_info, start=prefs.quiet_hours_start,
                                  end=prefs.quiet_hours_end)
    if trigger in QUIET_HOURS_EXEMPT and (urgent_from is None or release is None or release > urgent_from):
        return None
    return release


def _enqueue(**fields) -> Message | None:
    """Insert the row; None when its dedupe key exists (this event was handled). Sends after commit when due."""
    try:
        with transaction.atomic():
            message = Message.objects.create(**fields)
    except IntegrityError:
        return None
    if message.send_after is None:
        from notifications import tasks

        transaction.on_commit(lambda: tasks.message_send.delay(message.pk), robust=True)
    return message


def _calendar_sequence(delivery: Delivery) -> int:
    """SEQUENCE of the next invite: how many invites this delivery's calendar entry has had before."""
    return Message.objects.filter(delivery=delivery, channel=Channel.EMAIL).exclude(calendar="").count()


def _email_fields(*, delivery: Delivery, trigger: str, rendered, now: dt.datetime) -> dict:
    merchant = delivery.merchant
    calendar = ""
    if trigger in CALENDAR_TRIGGERS:
        calendar = invite_build(
            delivery_id=delivery.pk, sequence=_calendar_sequence(delivery), starts_at=delivery.window.starts_at,
            ends_at=delivery.window.ends_at, summary=rendered.subject, description=rendered.text,
            organizer_name=merchant.brand_name or merchant.name,
            organizer_email=merchant.email_from or settings.DEFAULT_FROM_EMAIL,
            attendee_email=delivery.recipient_email, cancel=trigger == Trigger.CANCELLED, now=now)
    return {"subject": rendered.subject[:200], "body": rendered.text, "html_body": rendered.html, "calendar": calendar}


# Messages about a window still to come; once it has ended only outcomes (delivered, attempted, a
# cancellation or a move to another window) are sent.
BEFORE_THE_WINDOW_ENDS = (Trigger.BOOKED, Trigger.DAY_BEFORE, Trigger.OUT_FOR_DELIVERY, Trigger.ARRIVING_SOON,
                          Trigger.RUNNING_LATE)


def delivery_notify(*, delivery: Delivery, trigger: Trigger, event_key: str, now: dt.datetime | None = None,
                    eta: dt.datetime | None = None, stops_away: int | None = None,
                    urgent_from: dt.datetime | None = None) -> list[Message]:
    """Queue the trigger's SMS or WhatsApp message (when the recipient has a phone) and email (when they have one).

    The phone gets one message per event: by WhatsApp where the merchant turned it on, else by SMS.

    `event_key` names the event once (e.g. `booked:<delivery>`, `rescheduled:<delivery>:<window>:<job>`):
    the same event delivered twice queues nothing the second time. `eta` and `stops_away` are the live
    estimate the ETA warnings quote. `urgent_from` lets a message that is urgent only from then (a warning
    about a window hours away) wait out quiet hours like any other.
    """
    now = now or clock.now()
    delivery = Delivery.objects.select_related("merchant", "window").get(pk=delivery.pk)
    prefs = messaging_settings(delivery.merchant_id)
    if not prefs.sends(trigger):
        return []
    if trigger in BEFORE_THE_WINDOW_ENDS and delivery.window.ends_at <= now:
        return []  # a promise about a window already over helps nobody; only its outcome is news
    rendered = message_render(delivery=delivery, trigger=trigger, eta=eta, stops_away=stops_away)
    send_after = _send_after(merchant=delivery.merchant, trigger=trigger, now=now, urgent_from=urgent_from)
    common = {"merchant": delivery.merchant, "delivery": delivery, "trigger": trigger, "template": trigger,
              "send_after": send_after, "status_changed_at": now}
    queued = []
    if delivery.recipient_phone:
        queued.append(_enqueue(channel=_phone_channel(prefs), to=delivery.recipient_phone, body=rendered.sms,
                               dedupe_key=f"{event_key}{PHONE_KEY}", **common))
    if delivery.recipient_email:
        with transaction.atomic():  # the SEQUENCE count and the insert see the same invites
            queued.append(_enqueue(channel=Channel.EMAIL, to=delivery.recipient_email,
                                   dedupe_key=f"{event_key}:email",
                                   **_email_fields(delivery=delivery, trigger=trigger, rendered=rendered, now=now),
                                   **common))
    return [message for message in queued if message is not None]


def address_opted_out(*, merchant_id, channel: str, to: str) -> bool:
    """Whether the recipient asked this merchant not to be contacted at `to` on `channel`."""
    if channel == Channel.EMAIL:
        address, opted_channels = Q(address__iexact=to), [Channel.EMAIL]
    else:
        # A STOP is about the number: an SMS opt-out stops WhatsApp to it too, and the other way round.
        address, opted_channels = Q(address=to), PHONE_CHANNELS
    return OptOut.objects.filter(address, merchant_id=merchant_id, channel__in=opted_channels).exists()


def _opted_out(message: Message) -> bool:
    return address_opted_out(merchant_id=message.merchant_id, channel=message.channel, to=message.to)


def tracking_link_send(*, delivery: Delivery, request_key: str, now: dt.datetime | None = None) -> list[Message]:
    """Send the customer their tracking link again (a care agent asked for it), like every other message: to the
    phone and the email the delivery has, held through quiet hours, suppressed at send time for an opt-out, and
    not at all when the merchant switched the message off.

    `request_key` names one request: the same request posted twice (a double click) queues nothing the second
    time, while a later request sends the link again.
    """
    return delivery_notify(delivery=delivery, trigger=Trigger.TRACKING_LINK,
                           event_key=f"tracking_link:{delivery.pk.hex}:{request_key}", now=now)


def status_callback_url() -> str:
    return f"{settings.PUBLIC_BASE_URL}{reverse('notifications:twilio-status')}"


def _provider_send(message: Message) -> str:
    if message.channel == Channel.SMS:
        return channels.sms_backend().send(to=message.to, body=message.body, status_callback=status_callback_url())
    if message.channel == Channel.WHATSAPP:
        return channels.sms_backend().send_whatsapp(to=message.to, body=message.body,
                                                    status_callback=status_callback_url())
    if message.channel == Channel.EMAIL:
        from_email = email_sender(message.merchant)
        method = CALENDAR_TRIGGERS.get(message.trigger, "REQUEST")
        return mail.send(to=message.to, subject=message.subject, text=message.body, html=message.html_body,
                         from_email=from_email, calendar=message.calendar, calendar_method=method)
    raise ChannelError(f"No outbound adapter for channel {message.channel!r}.", permanent=True)


def message_send(*, message_id: int, now: dt.datetime | None = None) -> Message.Status | None:
    """Send one queued message if it is due and nobody else has; returns the status it ends in, None if not ours.

    1. Claim: UPDATE queued→sending WHERE due; a row count of 0 means another worker has it, it was
       sent, or it is not due yet (quiet hours): do nothing.
    2. Opt-out is checked now, not when queued: a STOP received meanwhile suppresses it.
    3. Call the provider; sending→sent with its id, or →failed on a permanent error, or back to
       queued with a later `send_after` when the error may pass (the periodic sweep sends it then).
    """
    now = now or clock.now()
    due = Q(send_after__isnull=True) | Q(send_after__lte=now)
    claimed = Message.objects.filter(due, pk=message_id, status=Message.Status.QUEUED).update(
        status=Message.Status.SENDING, attempts=F("attempts") + 1, status_changed_at=now)
    if claimed != 1:
        return None
    message = Message.objects.select_related("merchant", "endpoint").get(pk=message_id)
    log_bind(merchant=message.merchant.slug, delivery=message.delivery_id)
    status = _message_deliver(message=message, now=now)
    metrics.messages.labels(channel=str(message.channel), outcome=str(status)).inc()
    return status


def _message_deliver(*, message: Message, now: dt.datetime) -> Message.Status:
    """Hand a claimed message to its provider (or endpoint) and record where it ends."""
    message_id = message.pk
    if message.channel == Channel.WEBHOOK:
        from notifications.webhooks import webhook_call  # webhooks queues through this module

        return webhook_call(message=message, now=now)
    mine = Message.objects.filter(pk=message_id, status=Message.Status.SENDING)
    if _opted_out(message):
        mine.update(status=Message.Status.SUPPRESSED, status_changed_at=now, error="Recipient opted out.")
        return Message.Status.SUPPRESSED
    try:
        provider_id = _provider_send(message)
    except ChannelError as error:
        if error.permanent or message.attempts >= settings.MESSAGE_MAX_ATTEMPTS:
            failed = mine.update(status=Message.Status.FAILED, status_changed_at=now, error=str(error)[:300])
            if failed and message.channel == Channel.WHATSAPP and not error.maybe_sent:
                _sms_fallback(message=message, now=now)
            return Message.Status.FAILED
        retry_at = now + dt.timedelta(seconds=RETRY_BACKOFF_SECONDS * message.attempts)
        mine.update(status=Message.Status.QUEUED, send_after=retry_at, status_changed_at=now, error=str(error)[:300])
        log.warning("Message %s deferred to %s: %s", message_id, retry_at.isoformat(), error)
        return Message.Status.QUEUED
    mine.update(status=Message.Status.SENT, provider_id=provider_id[:80], sent_at=now, status_changed_at=now,
                error="")
    return Message.Status.SENT


def messages_due(*, now: dt.datetime | None = None, limit: int = 500) -> list[int]:
    """Queued messages to send now: held by quiet hours or a retry until now, or never picked up."""
    now = now or clock.now()
    return list(
        Message.objects.filter(status=Message.Status.QUEUED)
        .filter(Q(send_after__lte=now) | Q(send_after__isnull=True, created_at__lte=now - UNCLAIMED_AFTER))
        .order_by("created_at", "pk").values_list("pk", flat=True)[:limit]
    )


def sms_status_record(*, provider_id: str, provider_status: str, error_code: str = "",
                      now: dt.datetime | None = None) -> Message | None:
    """Follow Twilio's report on an SMS or WhatsApp message (by its MessageSid); None when none of ours has this id.

    Statuses only move forward (a late "sent" never undoes "delivered"). A WhatsApp message that failed
    or was undelivered (not a WhatsApp user, outside the 24-hour window) falls back to SMS once. An SMS
    that failed or was undelivered falls back to email once, under the email's own dedupe key for the
    same event: a recipient who was emailed already for it is not emailed again.
    """
    now = now or clock.now()
    message = (Message.objects.filter(channel__in=PHONE_CHANNELS, provider_id=provider_id)
               .select_related("delivery", "merchant").first())
    if message is None:
        return None
    if provider_status in TWILIO_STATUSES_BEFORE_SENT:
        return message
    new_status = TWILIO_STATUSES[provider_status]
    earlier = {Message.Status.SENDING, Message.Status.SENT} - {new_status}
    error = f"Twilio error {error_code}" if error_code else ""
    moved = Message.objects.filter(pk=message.pk, status__in=earlier).update(
        status=new_status, status_changed_at=now, **({"error": error} if error else {}))
    message.refresh_from_db()
    if moved and new_status in (Message.Status.FAILED, Message.Status.UNDELIVERED):
        if message.channel == Channel.WHATSAPP:
            _sms_fallback(message=message, now=now)
        else:
            _email_fallback(message=message, now=now)
    return message


def _event_key(dedupe_key: str) -> str:
    """The event a phone message was for: its dedupe key without the channel's suffix."""
    return dedupe_key.removesuffix(WHATSAPP_FALLBACK_KEY).removesuffix(PHONE_KEY)


def _sms_fallback(*, message: Message, now: dt.datetime) -> None:
    """The failed WhatsApp message's words by SMS, once per event (its own key), at an hour SMS may go."""
    if not message.dedupe_key:
        return
    _enqueue(merchant_id=message.merchant_id, delivery_id=message.delivery_id, trigger=message.trigger,
             template=message.template, channel=Channel.SMS, to=message.to, body=message.body,
             dedupe_key=f"{_event_key(message.dedupe_key)}{WHATSAPP_FALLBACK_KEY}", status_changed_at=now,
             send_after=_send_after(merchant=message.merchant, trigger=message.trigger, now=now))


def _email_fallback(*, message: Message, now: dt.datetime) -> None:
    delivery = message.delivery
    if delivery is None or not delivery.recipient_email or not message.trigger or not message.dedupe_key:
        return
    event_key = _event_key(message.dedupe_key)
    rendered = message_render(delivery=delivery, trigger=message.trigger)
    with transaction.atomic():
        _enqueue(merchant_id=message.merchant_id, delivery=delivery, trigger=message.trigger, template=message.template,
                 channel=Channel.EMAIL, to=delivery.recipient_email, dedupe_key=f"{event_key}:email",
                 status_changed_at=now,
                 **_email_fields(delivery=delivery, trigger=message.trigger, rendered=rendered, now=now))
