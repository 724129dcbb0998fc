"""The delivery's status follows its journey, whatever clock stamped the booking."""

import datetime as dt

import pytest

from scheduling import signals as scheduling_signals
from tests.factories import WindowFactory, local
from tests.tracking.factories import build_route
from tracking.models import Event
from tracking.selectors import public_status
from tracking.services.journey import event_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_route()


def _booked_at(delivery, at: dt.datetime) -> None:
    """The shop books the order; its booking is stamped `at` (the demo's bookings can postdate its scans)."""
    delivery.created_at = at
    scheduling_signals.delivery_booked.send(sender=type(delivery), delivery=delivery)


def _scan(delivery, milestone: str, at: dt.datetime, source: str = Event.Source.DRIVER, **extra) -> None:
    event_record(delivery=delivery, milestone=milestone, source=source, recorded_at=at,
                 client_id=f"test-{milestone}-{at.timestamp():.0f}", **extra)


def _fails_at(world, delivery, at: dt.datetime) -> None:
    _scan(delivery, "scanned_out", at - dt.timedelta(minutes=40))
    _scan(delivery, "attempted", at, reason="nobody_home")


def test_a_booking_stamped_after_the_days_scans_does_not_undo_the_delivery(world):
    delivery = world.deliveries[0]
    _booked_at(delivery, local(world.day, 21, 40))
    _scan(delivery, "scanned_out", local(world.day, 9, 0))
    _scan(delivery, "arrived", local(world.day, 9, 30), source=Event.Source.GEOFENCE)
    _scan(delivery, "delivered", local(world.day, 9, 35))

    delivery.refresh_from_db()
    assert delivery.status == "delivered"
    assert list(delivery.events.values_list("milestone", flat=True)) == [
        "scanned_out", "arrived", "delivered", "created", "scheduled"]  # recorded order, nothing re-timed
    timeline = public_status(delivery=delivery, now=local(world.day, 21, 45))["timeline"]
    assert [step["step"] for step in timeline if step["done"]] == [
        "scheduled", "out_for_delivery", "arriving", "delivered"]
    assert [step["at_label"] for step in timeline][1:] == ["09:00", "09:30", "09:35"]
    assert [step["step"] for step in timeline if step["current"]] == ["delivered"]


def test_a_booking_stamped_after_a_failed_attempt_leaves_it_attempted(world):
    delivery = world.deliveries[0]
    _fails_at(world, delivery, local(world.day, 9, 40))
    _booked_at(delivery, local(world.day, 21, 40))

    delivery.refresh_from_db()
    assert delivery.status == "attempted"


def test_a_reschedule_after_a_failed_attempt_starts_a_new_attempt(world, clock_at):
    delivery = world.deliveries[0]
    _booked_at(delivery, local(world.day - dt.timedelta(days=1), 18, 0))
    _fails_at(world, delivery, local(world.day, 9, 40))
    tomorrow = WindowFactory(template=world.window.template, date=world.day + dt.timedelta(days=1))
    clock_at(local(world.day, 10, 0))  # the customer moves it after the failure, whatever the wall clock says

    scheduling_signals.delivery_rescheduled.send(sender=type(delivery), delivery=delivery, old_window=world.window,
                                                 new_window=tomorrow)

    delivery.refresh_from_db()
    assert delivery.status == "scheduled"


def test_the_next_attempts_scans_count_and_the_failed_one_stays_behind(world):
    delivery = world.deliveries[0]
    _booked_at(delivery, local(world.day - dt.timedelta(days=1), 18, 0))
    _fails_at(world, delivery, local(world.day, 9, 40))
    _scan(delivery, "scheduled", local(world.day, 10, 0), source=Event.Source.AGENT)
    next_day = world.day + dt.timedelta(days=1)

    _scan(delivery, "scanned_out", local(next_day, 8, 30))

    delivery.refresh_from_db()
    assert delivery.status == "out_for_delivery"


def test_a_scheduled_event_for_the_same_window_after_a_failure_is_not_a_reschedule(world):
    delivery = world.deliveries[0]
    _booked_at(delivery, local(world.day - dt.timedelta(days=1), 18, 0))
    _fails_at(world, delivery, local(world.day, 9, 40))

    # A carrier echoes the booked window after the failure: the parcel has not been moved anywhere.
    event_record(delivery=delivery, milestone="scheduled", source=Event.Source.CARRIER,
                 recorded_at=local(world.day, 9, 50), client_id=f"scheduled:{delivery.pk.hex}:{world.window.pk}")

    delivery.refresh_from_db()
    assert delivery.status == "attempted"



def test_moving_back_to_a_window_the_delivery_once_had_is_recorded_again(world):
    from dispatch.models import Job

    delivery = world.deliveries[0]
    first = world.window
    other = WindowFactory(template=first.template, date=world.day + dt.timedelta(days=1))
    scheduling_signals.delivery_booked.send(sender=type(delivery), delivery=delivery)
    for window in (other, first):
        # Every move books a fresh job for the delivery, as delivery_reschedule does.
        delivery.job = Job.objects.create(depot=delivery.job.depot, zone=delivery.job.zone, date=window.date,
                                          lat=delivery.lat, lng=delivery.lng, window_start=window.starts_at,
                                          window_end=window.ends_at)
        delivery.window = window
        scheduling_signals.delivery_rescheduled.send(sender=type(delivery), delivery=delivery, new_window=window)

    assert delivery.events.filter(milestone="scheduled", note="rescheduled").count() == 2


def test_a_customer_moving_a_late_parcel_off_the_van_starts_a_new_attempt(world, clock_at):
    from core.audit import ActorKind

    delivery = world.deliveries[0]
    _booked_at(delivery, local(world.day - dt.timedelta(days=1), 18, 0))
    _scan(delivery, "scanned_out", local(world.day, 8, 0))
    tomorrow = WindowFactory(template=world.window.template, date=world.day + dt.timedelta(days=1))
    clock_at(local(world.day, 11, 40))  # the van is running late; the customer picks tomorrow instead
    type(delivery).objects.filter(pk=delivery.pk).update(status="scheduled", window=tomorrow)  # as the move does

    scheduling_signals.delivery_rescheduled.send(sender=type(delivery), delivery=delivery, old_window=world.window,
                                                 new_window=tomorrow, by=ActorKind.CUSTOMER)

    delivery.refresh_from_db()
    assert delivery.status == "scheduled"  # not put back on the van by the morning's scan-out
    # The page starts again too: the van it left is not its progress now.
    timeline = public_status(delivery=delivery, now=local(world.day, 11, 41))["timeline"]
    assert [step["step"] for step in timeline if step["done"]] == ["scheduled"]


def test_a_carriers_window_echo_while_the_parcel_is_on_the_road_keeps_it_on_the_road(world):
    delivery = world.deliveries[0]
    _booked_at(delivery, local(world.day - dt.timedelta(days=1), 18, 0))
    _scan(delivery, "scanned_out", local(world.day, 8, 0))
    other = WindowFactory(template=world.window.template, date=world.day + dt.timedelta(days=1))

    event_record(delivery=delivery, milestone="scheduled", source=Event.Source.CARRIER,
                 recorded_at=local(world.day, 9, 0), client_id=f"scheduled:{delivery.pk.hex}:{other.pk}")

    delivery.refresh_from_db()
    assert delivery.status == "out_for_delivery"
