"""Day-before reminders: one row per delivery, due at 18:00 local the evening before its window, sent once.

Booking or rescheduling sets the row's `send_at` (or drops it when that evening has passed); a cancel
drops it. The periodic task claims each due row with a conditional UPDATE that one worker wins and
hands it to `delivery_notify`, so opt-outs, switches and quiet hours apply as to any message. A worker
that dies between the claim and the hand-over loses that reminder: at most once, like the messages.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction

from core import clock
from notifications.models import Channel, Reminder, Trigger
from notifications.services import delivery_notify
from scheduling.models import Delivery

REMINDER_LOCAL_TIME = dt.time(18, 0)
# A reminder is for a delivery still waiting for its day; one out, done or cancelled is past reminding.
REMINDABLE = (Delivery.Status.BOOKED, Delivery.Status.SCHEDULED)


def day_before_send_at(*, delivery: Delivery) -> dt.datetime:
    """18:00 on the local day before the window starts, in the merchant's time zone (a wall-clock time across DST)."""
    tz = delivery.merchant.zone_info
    day = delivery.window.starts_at.astimezone(tz).date() - dt.timedelta(days=1)
    return dt.datetime.combine(day, REMINDER_LOCAL_TIME, tzinfo=tz)


def reminder_drop(*, delivery: Delivery) -> int:
    """Forget the delivery's reminders not yet claimed; returns how many."""
    deleted, _by_model = Reminder.objects.filter(delivery_id=delivery.pk, claimed_at__isnull=True).delete()
    return deleted


def reminder_schedule(*, delivery: Delivery, now: dt.datetime | None = None) -> Reminder | None:
    """Set the day-before reminder for the delivery's current window; None (and none pending) when too late.

    A reminder already claimed for the same evening stays as it is (a repeated booking event sends it
    no second time); one for another evening is set again for the new one.
    """
    now = now or clock.now()
    delivery = Delivery.objects.select_related("merchant", "window").get(pk=delivery.pk)
    send_at = day_before_send_at(delivery=delivery)
    if delivery.status not in REMINDABLE or send_at <= now:
        reminder_drop(delivery=delivery)
        return None
    kind = Reminder.Kind.DAY_BEFORE
    fields = {"send_at": send_at, "claimed_at": None, "sent_at": None, "message": None}
    mine = Reminder.objects.filter(delivery_id=delivery.pk, kind=kind)
    if not mine.exists():
        try:
            with transaction.atomic():
                return Reminder.objects.create(delivery=delivery, kind=kind, **fields)
        except IntegrityError:  # the same booking event, handled at the same moment by another worker
            pass
    mine.exclude(send_at=send_at, claimed_at__isnull=False).update(**fields)
    return mine.get()


def reminders_due(*, now: dt.datetime, limit: int = 500) -> list[int]:
    return list(Reminder.objects.filter(claimed_at__isnull=True, send_at__lte=now)
                .order_by("send_at", "pk").values_list("pk", flat=True)[:limit])


def reminder_send(*, reminder_id: int, now: dt.datetime | None = None) -> bool:
    """Claim one due reminder and queue its messages; False when another worker has it or it is past use.

    1. Claim: UPDATE … SET claimed_at WHERE claimed_at IS NULL AND due; a row count of 0 means not ours.
    2. A delivery that left its day's waiting (out, done, cancelled) or whose window has begun is not
       reminded: the claim stays, so nobody tries again.
    3. `delivery_notify` under a key naming the window: a reminder moved to a new window is a new event.
    """
    now = now or clock.now()
    claimed = Reminder.objects.filter(pk=reminder_id, claimed_at__isnull=True, send_at__lte=now).update(claimed_at=now)
    if claimed != 1:
        return False
    reminder = Reminder.objects.select_related("delivery__window").get(pk=reminder_id)
    delivery = reminder.delivery
    if delivery.status not in REMINDABLE or delivery.window.starts_at <= now:
        return False
    messages = delivery_notify(delivery=delivery, trigger=Trigger.DAY_BEFORE, now=now,
                               event_key=f"day_before:{delivery.pk.hex}:{delivery.window_id}")
    if not messages:
        return False
    first = min(messages, key=lambda message: message.channel != Channel.SMS)
    Reminder.objects.filter(pk=reminder_id).update(sent_at=now, message=first)
    return True


def reminders_send_due(*, now: dt.datetime | None = None) -> int:
    """Send every reminder due by `now`, each once whoever else is sending; returns how many this call sent."""
    now = now or clock.now()
    return sum(reminder_send(reminder_id=reminder_id, now=now) for reminder_id in reminders_due(now=now))
