"""A parcel already on the van but expected after its window may be moved to another time by its customer."""

import datetime as dt

import pytest
from django.urls import reverse

from dispatch.models import Job
from scheduling.models import Delivery, Window
from scheduling.services import (
    delivery_create_for_seed,
    delivery_running_late_set,
    delivery_status_set,
    reschedule_open,
)
from tests.scheduling.conftest import ADDRESS, TOMORROW

pytestmark = pytest.mark.django_db


@pytest.fixture
def delivery(tomorrow_window, merchant):
    return delivery_create_for_seed(
        merchant=merchant, window=tomorrow_window, order_ref="ORD-LATE", recipient_name="Camille",
        address_line1="12 Rue de Rivoli", address_city="Paris", address_postcode="75004", language="en", **ADDRESS,
    )


def on_the_van(delivery, *, late_eta=None):
    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.OUT_FOR_DELIVERY)
    Job.objects.filter(pk=delivery.job_id).update(status=Job.Status.PLANNED)
    if late_eta is not None:
        delivery_running_late_set(lateness={delivery.pk: late_eta})
    delivery.refresh_from_db()
    return delivery


def move(client, delivery, window):
    return client.post(reverse("scheduling:reschedule", args=[delivery.tracking_token]), {"window_id": window.pk})


def test_a_parcel_on_the_van_and_on_time_cannot_be_moved(client, delivery, windows):
    on_the_van(delivery)
    target = windows.get(date=TOMORROW + dt.timedelta(days=2), label="evening")

    response = move(client, delivery, target)

    delivery.refresh_from_db()
    assert delivery.window_id != target.pk and delivery.status == Delivery.Status.OUT_FOR_DELIVERY
    assert b"can no longer be changed online" in response.content
    assert not reschedule_open(delivery=delivery, now=delivery.window.ends_at)


def test_a_late_parcel_on_the_van_moves_to_the_time_the_customer_picks_and_leaves_the_van(
        client, delivery, windows, django_capture_on_commit_callbacks):
    late = on_the_van(delivery, late_eta=delivery.window.ends_at + dt.timedelta(minutes=50))
    van_job = late.job_id
    target = windows.get(date=TOMORROW + dt.timedelta(days=2), label="evening")

    page = client.get(reverse("scheduling:reschedule", args=[late.tracking_token]))
    assert b"after your window. If another time suits you better" in page.content
    assert b"Keep my current window" not in page.content  # only the time can change: the stop is on the van
    assert page.context["offers"]
    with django_capture_on_commit_callbacks(execute=True):
        response = move(client, late, target)

    assert response.status_code == 302
    late.refresh_from_db()
    assert (late.window_id, late.status, late.running_late_eta) == (target.pk, Delivery.Status.SCHEDULED, None)
    assert Job.objects.get(pk=van_job).status == Job.Status.CANCELLED  # the van's re-plan drops the stop
    assert Window.objects.get(pk=target.pk).booked == 1


def test_a_late_parcel_cannot_be_moved_once_the_driver_is_at_the_door(client, delivery, windows):
    late = on_the_van(delivery, late_eta=delivery.window.ends_at + dt.timedelta(minutes=50))
    Job.objects.filter(pk=late.job_id).update(status=Job.Status.IN_PROGRESS)
    target = windows.get(date=TOMORROW + dt.timedelta(days=2), label="evening")

    response = move(client, late, target)

    late.refresh_from_db()
    assert late.status == Delivery.Status.OUT_FOR_DELIVERY and late.window_id != target.pk
    assert b"can no longer be changed" in response.content


def test_the_late_page_asks_for_a_time_when_none_is_picked(client, delivery, windows):
    late = on_the_van(delivery, late_eta=delivery.window.ends_at + dt.timedelta(minutes=50))

    response = client.post(reverse("scheduling:reschedule", args=[late.tracking_token]), {"window_id": ""})

    assert b"Pick the new time you would like." in response.content
    late.refresh_from_db()
    assert late.status == Delivery.Status.OUT_FOR_DELIVERY


def test_lateness_is_kept_only_while_out_for_delivery_and_a_new_round_starts_without_it(delivery, windows):
    delivery_running_late_set(lateness={delivery.pk: delivery.window.ends_at + dt.timedelta(minutes=30)})
    delivery.refresh_from_db()
    assert delivery.running_late_eta is None  # scheduled, not on a van: nothing to say

    late = on_the_van(delivery, late_eta=delivery.window.ends_at + dt.timedelta(minutes=30))
    assert late.running_late_eta is not None
    delivery_running_late_set(lateness={late.pk: None})
    late.refresh_from_db()
    assert late.running_late_eta is None

    on_the_van(late, late_eta=late.window.ends_at + dt.timedelta(minutes=30))
    Delivery.objects.filter(pk=late.pk).update(status=Delivery.Status.ATTEMPTED)
    delivery_status_set(delivery_id=late.pk, status=Delivery.Status.OUT_FOR_DELIVERY)
    late.refresh_from_db()
    assert late.running_late_eta is None
