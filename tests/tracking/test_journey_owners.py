"""A milestone moves the delivery, the job and the stop through the apps that own them, and their tables decide."""

import pytest

from dispatch import transitions
from dispatch.models import Job, Stop
from scheduling import services as scheduling_services
from scheduling.models import Delivery
from tests.factories import local
from tests.tracking.factories import build_route
from tracking.services import scan_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return build_route()


@pytest.fixture
def owners_heard(monkeypatch):
    """Every call the journey makes to the owners' services, in order, each still doing its work."""
    heard = []

    def spy(module_name, name, owner):
        real = getattr(owner, name)

        def call(**kwargs):
            heard.append(name)
            return real(**kwargs)
        monkeypatch.setattr(f"{module_name}.{name}", call)

    for name in ("stop_mark_arrived", "job_mark_done", "job_mark_failed"):
        spy("tracking.services.journey", name, transitions)
    spy("tracking.services.journey", "delivery_status_set", scheduling_services)
    return heard


def deliver(world, index=0, client_id="d0", minute=20):
    delivery = world.deliveries[index]
    scan_record(driver=world.driver, kind="delivered", client_id=client_id, job_id=delivery.job_id,
                recorded_at=local(world.day, 8, minute), recipient_name="Camille", now=local(world.day, 8, 30))
    return delivery


def test_a_delivered_scan_moves_delivery_job_and_stop_through_their_owners(world, owners_heard):
    delivery = deliver(world)

    assert owners_heard == ["delivery_status_set", "job_mark_done"]
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.DELIVERED
    assert Job.objects.get(pk=delivery.job_id).status == Job.Status.DONE
    stop = Stop.objects.get(pk=world.stops[0].pk)
    assert (stop.status, stop.actual_arrival) == (Stop.Status.DONE, local(world.day, 8, 20))


def test_a_second_delivered_scan_changes_nothing(world, owners_heard):
    delivery = deliver(world)
    owners_heard.clear()

    deliver(world, client_id="d0-again", minute=25)

    assert owners_heard == []  # the journey already has its delivered: nothing is passed on again
    stop = Stop.objects.get(pk=world.stops[0].pk)
    assert (stop.status, stop.actual_arrival) == (Stop.Status.DONE, local(world.day, 8, 20))
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.DELIVERED


def test_a_cancelled_delivery_stays_cancelled_whatever_the_driver_scans(world):
    delivery = world.deliveries[0]
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.CANCELLED)

    deliver(world)

    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.CANCELLED


def test_a_job_dispatch_cancelled_is_not_made_done_by_a_late_scan(world):
    delivery = world.deliveries[0]
    Job.objects.filter(pk=delivery.job_id).update(status=Job.Status.CANCELLED)

    deliver(world)

    assert Job.objects.get(pk=delivery.job_id).status == Job.Status.CANCELLED
    assert Delivery.objects.get(pk=delivery.pk).status == Delivery.Status.DELIVERED
