"""The day-before reminder: set at booking for 18:00 local the evening before, moved and dropped with the delivery,
sent once by the periodic task, and silent for a customer who said STOP."""

import datetime as dt

import pytest

from notifications import tasks
from notifications.models import Channel, MerchantMessaging, Message, OptOut, Reminder, Trigger
from scheduling.models import Delivery
from scheduling.services import delivery_book, delivery_cancel, delivery_reschedule
from scheduling.signals import delivery_booked
from tests.factories import PARIS, local
from tests.notifications.conftest import make_delivery
from tests.scheduling.conftest import ADDRESS, NOW, TOMORROW

pytestmark = pytest.mark.django_db

UTC = dt.UTC
JADE = "+33698765432"


def book(merchant, window, capture, *, order_ref="ORD-1", email="jade@example.com"):
    with capture(execute=True):
        return delivery_book(merchant=merchant, window=window, order_ref=order_ref, recipient_name="Jade Moreau",
                             address_line1="3 Rue du Test", address_city="Paris", address_postcode="75011",
                             recipient_phone=JADE, recipient_email=email, **ADDRESS)


def send_due_reminders(clock_at, capture, when: dt.datetime) -> int:
    clock_at(when)
    with capture(execute=True):
        return tasks.reminders_send_due()


def window_on(windows, day: dt.date, hour: int = 10):
    return next(w for w in windows if w.starts_at == local(day, hour))


# --- When it is due ---------------------------------------------------------------------------------


def test_a_booking_sets_a_reminder_for_six_the_evening_before(merchant, tomorrow_window,
                                                              django_capture_on_commit_callbacks):
    delivery = book(merchant, tomorrow_window, django_capture_on_commit_callbacks)

    [reminder] = Reminder.objects.filter(delivery=delivery)
    assert reminder.kind == Reminder.Kind.DAY_BEFORE and reminder.claimed_at is None
    assert reminder.send_at == local(NOW.date(), 18) == dt.datetime(2026, 6, 1, 16, 0, tzinfo=UTC)


@pytest.mark.parametrize(("window_day", "evening_in_utc"), [
    # Europe/Paris goes to summer time at 02:00 on Sunday 29 March 2026.
    (dt.date(2026, 3, 29), dt.datetime(2026, 3, 28, 17, 0, tzinfo=UTC)),  # Saturday 18:00, still winter time
    (dt.date(2026, 3, 30), dt.datetime(2026, 3, 29, 16, 0, tzinfo=UTC)),  # Sunday 18:00, already summer time
])
def test_the_reminder_is_at_six_paris_time_on_either_side_of_the_clock_change(shop, clock_at, window_day,
                                                                               evening_in_utc,
                                                                               django_capture_on_commit_callbacks):
    clock_at(dt.datetime(2026, 3, 20, 10, tzinfo=PARIS))
    delivery = make_delivery(shop, day=window_day, recipient_phone=JADE)

    with django_capture_on_commit_callbacks(execute=True):
        delivery_booked.send(sender=Delivery, delivery=delivery)

    reminder = Reminder.objects.get(delivery=delivery)
    assert reminder.send_at == evening_in_utc
    assert reminder.send_at.astimezone(PARIS).time() == dt.time(18)


def test_a_booking_made_after_six_the_evening_before_gets_no_reminder(shop, clock_at,
                                                                      django_capture_on_commit_callbacks):
    clock_at(local(dt.date(2026, 6, 2), 18, 30))
    delivery = make_delivery(shop, day=dt.date(2026, 6, 3), recipient_phone=JADE)

    with django_capture_on_commit_callbacks(execute=True):
        delivery_booked.send(sender=Delivery, delivery=delivery)

    assert not Reminder.objects.filter(delivery=delivery).exists()


def test_a_rescheduled_delivery_moves_its_reminder_and_a_cancelled_one_drops_it(merchant, windows, tomorrow_window,
                                                                                django_capture_on_commit_callbacks):
    delivery = book(merchant, tomorrow_window, django_capture_on_commit_callbacks)
    later = window_on(windows, TOMORROW + dt.timedelta(days=2))

    with django_capture_on_commit_callbacks(execute=True):
        delivery_reschedule(delivery=delivery, window=later)
    moved = Reminder.objects.get(delivery=delivery)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_cancel(delivery=Delivery.objects.get(pk=delivery.pk))

    assert moved.send_at == local(TOMORROW + dt.timedelta(days=1), 18)
    assert not Reminder.objects.filter(delivery=delivery).exists()


# --- Sending ------------------------------------------------------------------------------------------


def test_the_periodic_task_sends_a_due_reminder_exactly_once(merchant, tomorrow_window, clock_at, sms_outbox,
                                                             mailoutbox, django_capture_on_commit_callbacks):
    delivery = book(merchant, tomorrow_window, django_capture_on_commit_callbacks)
    sms_outbox.clear()

    early = send_due_reminders(clock_at, django_capture_on_commit_callbacks, local(NOW.date(), 17, 59))
    first = send_due_reminders(clock_at, django_capture_on_commit_callbacks, local(NOW.date(), 18, 0))
    second = send_due_reminders(clock_at, django_capture_on_commit_callbacks, local(NOW.date(), 18, 1))

    assert (early, first, second) == (0, 1, 0)
    [sms] = sms_outbox
    assert sms.to == JADE and "tomorrow" in sms.body
    assert f"/t/{delivery.tracking_token}/reschedule/" in sms.body and f"/t/{delivery.tracking_token}/" in sms.body
    assert "3 Rue du Test" not in sms.body
    reminders_sent = Message.objects.filter(delivery=delivery, trigger=Trigger.DAY_BEFORE)
    assert {(m.channel, m.status) for m in reminders_sent} == {
        (Channel.SMS, Message.Status.SENT), (Channel.EMAIL, Message.Status.SENT)}
    reminder = Reminder.objects.get(delivery=delivery)
    assert reminder.sent_at == local(NOW.date(), 18) and reminder.message.channel == Channel.SMS


def test_a_customer_who_said_stop_gets_no_reminder_until_they_say_start(merchant, windows, tomorrow_window, clock_at,
                                                                       sms_outbox, django_capture_on_commit_callbacks):
    delivery = book(merchant, tomorrow_window, django_capture_on_commit_callbacks, email="")
    stop = OptOut.objects.create(merchant=merchant, channel=Channel.SMS, address=JADE)
    sms_outbox.clear()

    send_due_reminders(clock_at, django_capture_on_commit_callbacks, local(NOW.date(), 18))

    assert sms_outbox == []
    assert Message.objects.get(delivery=delivery, trigger=Trigger.DAY_BEFORE).status == Message.Status.SUPPRESSED

    # START: the opt-out is gone, and the delivery moves two days on; its next reminder is heard.
    stop.delete()
    clock_at(NOW)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_reschedule(delivery=Delivery.objects.get(pk=delivery.pk),
                            window=window_on(windows, TOMORROW + dt.timedelta(days=2)))
    sms_outbox.clear()
    send_due_reminders(clock_at, django_capture_on_commit_callbacks, local(TOMORROW + dt.timedelta(days=1), 18))

    [sms] = sms_outbox
    assert sms.to == JADE and "tomorrow" in sms.body


def test_quiet_hours_hold_a_reminder_like_any_other_message(merchant, tomorrow_window, clock_at, sms_outbox,
                                                            django_capture_on_commit_callbacks):
    MerchantMessaging.objects.create(merchant=merchant, quiet_hours_start=dt.time(17), quiet_hours_end=dt.time(8))
    delivery = book(merchant, tomorrow_window, django_capture_on_commit_callbacks)
    sms_outbox.clear()

    send_due_reminders(clock_at, django_capture_on_commit_callbacks, local(NOW.date(), 18))

    assert sms_outbox == []
    held = Message.objects.get(delivery=delivery, trigger=Trigger.DAY_BEFORE, channel=Channel.SMS)
    assert held.status == Message.Status.QUEUED and held.send_after == local(TOMORROW, 8)


def test_a_delivery_already_out_is_not_reminded(merchant, tomorrow_window, clock_at, sms_outbox,
                                                django_capture_on_commit_callbacks):
    delivery = book(merchant, tomorrow_window, django_capture_on_commit_callbacks)
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.OUT_FOR_DELIVERY)
    sms_outbox.clear()

    sent = send_due_reminders(clock_at, django_capture_on_commit_callbacks, local(NOW.date(), 18))

    assert sent == 0 and sms_outbox == [] and not Message.objects.filter(trigger=Trigger.DAY_BEFORE).exists()


def test_a_french_customer_is_reminded_in_french(shop, clock_at, sms_outbox, django_capture_on_commit_callbacks):
    clock_at(local(dt.date(2026, 6, 2), 10))
    delivery = make_delivery(shop, day=dt.date(2026, 6, 3), recipient_phone=JADE, language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        delivery_booked.send(sender=Delivery, delivery=delivery)
    sms_outbox.clear()

    send_due_reminders(clock_at, django_capture_on_commit_callbacks, local(dt.date(2026, 6, 2), 18))

    [sms] = sms_outbox
    assert "arrive demain" in sms.body and "Mercredi 3 juin" in sms.body
