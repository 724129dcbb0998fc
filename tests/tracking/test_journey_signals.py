import datetime as dt

import pytest
from django.db import transaction

from demo.simulator import FleetSimulator, SimConfig
from dispatch.models import Plan, Stop
from dispatch.signals import plan_changed
from scheduling import signals as scheduling_signals
from tests.factories import DeliveryFactory, local
from tests.tracking.factories import build_route
from tracking.models import EtaSnapshot, Event
from tracking.signals import milestone_recorded

pytestmark = pytest.mark.django_db


def test_a_booking_starts_the_journey_once(django_capture_on_commit_callbacks):
    delivery = DeliveryFactory(status="booked")

    scheduling_signals.delivery_booked.send(sender=type(delivery), delivery=delivery)
    scheduling_signals.delivery_booked.send(sender=type(delivery), delivery=delivery)

    assert list(Event.objects.filter(delivery=delivery).values_list("milestone", flat=True)) == ["created", "scheduled"]
    delivery.refresh_from_db()
    assert delivery.status == "scheduled"


def test_a_new_milestone_is_announced_after_commit(django_capture_on_commit_callbacks):
    delivery = DeliveryFactory(status="scheduled")
    heard = []
    milestone_recorded.connect(lambda sender, event, **kw: heard.append(event.milestone), weak=False,
                               dispatch_uid="test-listener")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            scheduling_signals.delivery_rescheduled.send(sender=type(delivery), delivery=delivery)
    finally:
        milestone_recorded.disconnect(dispatch_uid="test-listener")

    assert heard == ["scheduled"]


def test_a_saved_plan_gets_fresh_etas_for_its_deliveries(django_capture_on_commit_callbacks):
    world = build_route()

    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            plan_changed.send(sender=Plan, plan=world.plan)

    assert EtaSnapshot.objects.filter(delivery__in=world.deliveries).count() == len(world.deliveries)


def test_the_simulator_drives_a_route_through_the_driver_services_and_keeps_ground_truth():
    world = build_route()
    simulator = FleetSimulator(config=SimConfig(seed=3, fail_rate=0.0), day=world.day, depots=[world.depot])

    simulator.run(start=local(world.day, 7, 55), end=local(world.day, 14))

    assert simulator.finished()
    assert set(simulator.truths) == {s.pk for s in world.stops}
    for stop in Stop.objects.filter(route=world.route):
        truth = simulator.truths[stop.pk]
        assert stop.status == "done"
        # The geofence saw the van arrive within a ping or two of the truth.
        assert abs((stop.actual_arrival - truth.arrival).total_seconds()) < 45
    for delivery in world.deliveries:
        delivery.refresh_from_db()
        assert delivery.status == "delivered"
        assert {"scanned_out", "out_for_delivery", "arriving", "arrived", "delivered"} <= set(
            delivery.events.values_list("milestone", flat=True))
    assert world.vehicle.pings.filter(flagged="").count() > 50
    assert EtaSnapshot.objects.filter(delivery=world.deliveries[-1]).count() > 3
    assert simulator.now <= local(world.day, 14)
    assert all(t.departure - t.arrival >= dt.timedelta(seconds=45) for t in simulator.truths.values())
