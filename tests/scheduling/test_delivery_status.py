"""A delivery's status changes only through scheduling's table, and what the API answers is what the row says."""

import datetime as dt

import pytest

from scheduling.errors import SchedulingError
from scheduling.models import Delivery
from scheduling.services import DELIVERY_TRANSITIONS, delivery_status_set, delivery_status_transition_allowed
from tests.factories import DeliveryFactory
from tests.scheduling.conftest import TOMORROW, booking_body

pytestmark = pytest.mark.django_db


def status_of(delivery) -> str:
    return Delivery.objects.values_list("status", flat=True).get(pk=delivery.pk)


def test_every_status_has_a_row_in_the_table():
    assert set(DELIVERY_TRANSITIONS) == set(Delivery.Status.values)
    assert all(set(targets) <= set(Delivery.Status.values) for targets in DELIVERY_TRANSITIONS.values())


@pytest.mark.parametrize(("current", "to", "allowed"), [
    ("booked", "scheduled", True), ("scheduled", "out_for_delivery", True), ("out_for_delivery", "delivered", True),
    ("attempted", "scheduled", True), ("scheduled", "cancelled", True), ("delivered", "returned", True),
    ("attempted", "booked", False), ("scheduled", "booked", False),
    ("cancelled", "scheduled", False), ("cancelled", "delivered", False), ("delivered", "scheduled", False),
    ("out_for_delivery", "cancelled", False), ("out_for_delivery", "scheduled", False),
])
def test_the_table_says_which_moves_are_allowed(current, to, allowed):
    assert delivery_status_transition_allowed(current=current, to=to) is allowed


def test_an_allowed_move_changes_the_row():
    delivery = DeliveryFactory(status="scheduled")

    assert delivery_status_set(delivery_id=delivery.pk, status="out_for_delivery") is True

    assert status_of(delivery) == "out_for_delivery"


def test_asking_for_the_status_it_has_changes_nothing():
    delivery = DeliveryFactory(status="delivered")

    assert delivery_status_set(delivery_id=delivery.pk, status="delivered") is False
    assert status_of(delivery) == "delivered"


def test_a_refused_move_is_a_409_and_leaves_the_row_unchanged():
    delivery = DeliveryFactory(status="cancelled")

    with pytest.raises(SchedulingError) as refused:
        delivery_status_set(delivery_id=delivery.pk, status="scheduled")

    assert (refused.value.code, refused.value.status_code) == ("status_change_refused", 409)
    assert status_of(delivery) == "cancelled"


def test_a_late_report_the_table_refuses_is_ignored_without_strict():
    delivery = DeliveryFactory(status="delivered")

    assert delivery_status_set(delivery_id=delivery.pk, status="scheduled", strict=False) is False
    assert status_of(delivery) == "delivered"


def test_the_booking_answer_says_what_the_row_says_once_the_journey_has_started(
    api, tomorrow_window, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post("/api/v1/deliveries/", booking_body(tomorrow_window.pk), format="json",
                            HTTP_IDEMPOTENCY_KEY="order-1")

    assert response.status_code == 201, response.content
    delivery = Delivery.objects.get(pk=response.json()["id"])
    assert delivery.events.exists()  # the journey's created and scheduled milestones were recorded after commit
    assert response.json()["status"] == delivery.status == "scheduled"


def test_the_reschedule_answer_says_what_the_row_says(api, windows, tomorrow_window, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        delivery_id = api.post("/api/v1/deliveries/", booking_body(tomorrow_window.pk), format="json",
                               HTTP_IDEMPOTENCY_KEY="order-1").json()["id"]
    target = windows.get(date=TOMORROW + dt.timedelta(days=1), label="standard")

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v1/deliveries/{delivery_id}/reschedule/", {"window_id": target.pk}, format="json")

    assert response.status_code == 200, response.content
    assert response.json()["status"] == Delivery.objects.get(pk=delivery_id).status == "scheduled"
