"""Quiet hours hold a message until the merchant's local morning, across DST changes too."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from notifications import services
from notifications.models import Channel, MerchantMessaging, Message, Trigger
from notifications.quiet_hours import quiet_hours_release
from notifications.tasks import messages_send_due
from tests.factories import local
from tests.notifications.conftest import make_delivery

PARIS = ZoneInfo("Europe/Paris")
NIGHT, MORNING = dt.time(21), dt.time(8)


def test_a_message_in_the_evening_waits_for_eight_the_next_morning():
    now = local(dt.date(2026, 6, 2), 22, 30)

    assert quiet_hours_release(now=now, tz=PARIS, start=NIGHT, end=MORNING) == local(dt.date(2026, 6, 3), 8)


def test_a_message_in_the_small_hours_waits_for_eight_the_same_morning():
    now = local(dt.date(2026, 6, 3), 5, 0)

    assert quiet_hours_release(now=now, tz=PARIS, start=NIGHT, end=MORNING) == local(dt.date(2026, 6, 3), 8)


def test_a_message_in_the_day_goes_at_once():
    assert quiet_hours_release(now=local(dt.date(2026, 6, 3), 8, 0), tz=PARIS, start=NIGHT, end=MORNING) is None
    assert quiet_hours_release(now=local(dt.date(2026, 6, 3), 20, 59), tz=PARIS, start=NIGHT, end=MORNING) is None


def test_the_night_the_clocks_go_forward_still_ends_at_eight_local():
    # Saturday 28 March 2026, 22:00 in Paris (21:00 UTC); at 02:00 on Sunday the clocks jump to 03:00.
    now = dt.datetime(2026, 3, 28, 21, 0, tzinfo=dt.UTC)

    release = quiet_hours_release(now=now, tz=PARIS, start=NIGHT, end=MORNING)

    assert release.astimezone(PARIS).hour == 8
    assert release.astimezone(dt.UTC) == dt.datetime(2026, 3, 29, 6, 0, tzinfo=dt.UTC)  # 9 hours, not 10


def test_the_night_the_clocks_go_back_still_ends_at_eight_local():
    # Saturday 24 October 2026, 22:00 in Paris (20:00 UTC); at 03:00 on Sunday the clocks go back to 02:00.
    now = dt.datetime(2026, 10, 24, 20, 0, tzinfo=dt.UTC)

    release = quiet_hours_release(now=now, tz=PARIS, start=NIGHT, end=MORNING)

    assert release.astimezone(dt.UTC) == dt.datetime(2026, 10, 25, 7, 0, tzinfo=dt.UTC)  # 11 hours, not 10


def test_equal_start_and_end_mean_no_quiet_hours():
    assert quiet_hours_release(now=local(dt.date(2026, 6, 3), 3), tz=PARIS, start=MORNING, end=MORNING) is None


def test_a_merchant_in_another_time_zone_is_quiet_by_its_own_night():
    # 22:00 in Paris is 16:00 in New York: a New York merchant's customers are awake.
    assert quiet_hours_release(now=local(dt.date(2026, 6, 2), 22), tz=ZoneInfo("America/New_York"),
                               start=NIGHT, end=MORNING) is None


@pytest.mark.django_db
def test_a_booking_at_night_is_held_and_sent_by_the_sweep_in_the_morning_after_the_dst_change(
        shop, sms_outbox, clock_at, django_capture_on_commit_callbacks):
    delivery = make_delivery(shop, day=dt.date(2026, 3, 30), recipient_email="")
    clock_at(dt.datetime(2026, 3, 28, 22, 30, tzinfo=PARIS))
    with django_capture_on_commit_callbacks(execute=True):
        [sms] = services.delivery_notify(delivery=delivery, trigger=Trigger.BOOKED, event_key="booked:night")

    assert sms.send_after == dt.datetime(2026, 3, 29, 8, 0, tzinfo=PARIS)
    assert sms_outbox == []

    clock_at(dt.datetime(2026, 3, 29, 7, 59, tzinfo=PARIS))
    assert messages_send_due() == 0 and sms_outbox == []

    clock_at(dt.datetime(2026, 3, 29, 8, 0, tzinfo=PARIS))
    assert messages_send_due() == 1
    assert len(sms_outbox) == 1
    sms.refresh_from_db()
    assert sms.status == Message.Status.SENT


@pytest.mark.django_db
@pytest.mark.parametrize("trigger", [Trigger.DELIVERED, Trigger.ATTEMPTED])
def test_delivered_and_attempted_are_sent_even_at_night(shop, sms_outbox, clock_at, trigger,
                                                       django_capture_on_commit_callbacks):
    delivery = make_delivery(shop, recipient_email="")
    clock_at(local(dt.date(2026, 6, 2), 22, 30))
    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_notify(delivery=delivery, trigger=trigger, event_key=f"{trigger}:night")

    assert len(sms_outbox) == 1


@pytest.mark.django_db
def test_a_merchant_can_move_its_quiet_hours(shop, sms_outbox, clock_at, django_capture_on_commit_callbacks):
    MerchantMessaging.objects.create(merchant=shop, quiet_hours_start=dt.time(23), quiet_hours_end=dt.time(7))
    delivery = make_delivery(shop, recipient_email="")
    clock_at(local(dt.date(2026, 6, 2), 22, 30))
    with django_capture_on_commit_callbacks(execute=True):
        services.delivery_notify(delivery=delivery, trigger=Trigger.BOOKED, event_key="booked:late")

    assert len(sms_outbox) == 1
    assert Message.objects.get(channel=Channel.SMS).send_after is None
