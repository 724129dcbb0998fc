"""Holds keep a place for a few minutes and stop counting by themselves."""

import datetime as dt

import pytest
from django.test import override_settings
from rest_framework.test import APIClient

from scheduling.models import Delivery, Hold, Window
from tests.scheduling.conftest import ADDRESS, NOW, booking_body

# The shopper's browser is on the shop's checkout page, an origin the merchant registered.
pytestmark = pytest.mark.usefixtures("browser_origin")


def hold(client, window, **extra):
    return client.post("/api/v1/holds/", {"window_id": window.pk, **ADDRESS, **extra}, format="json")


def browser(publishable_key):
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=publishable_key, HTTP_ORIGIN="https://shop.example.com")
    return client


def remaining(api, window):
    offered = api.get("/api/v1/windows/", {**ADDRESS, "days": 3}).json()["windows"]
    return next(w for w in offered if w["id"] == window.pk)


def test_a_hold_is_created_with_its_expiry(publishable_key, tomorrow_window):
    response = hold(browser(publishable_key), tomorrow_window)
    assert response.status_code == 201, response.content
    body = response.json()
    assert dt.datetime.fromisoformat(body["expires_at"]) == NOW + dt.timedelta(minutes=10)
    assert Hold.objects.get(pk=body["id"]).status == Hold.Status.ACTIVE


def test_a_hold_counts_against_the_window_until_it_expires(api, publishable_key, tomorrow_window, frozen_now):
    Window.objects.filter(pk=tomorrow_window.pk).update(capacity=1)
    assert hold(browser(publishable_key), tomorrow_window).status_code == 201
    assert remaining(api, tomorrow_window)["reason"] == "full"
    second = hold(browser(publishable_key), tomorrow_window)
    assert second.status_code == 409
    assert second.json()["error"]["code"] == "window_full"
    frozen_now(NOW + dt.timedelta(minutes=10, seconds=1))
    # No job ran: the expired hold simply stops counting.
    assert remaining(api, tomorrow_window)["available"] is True
    assert hold(browser(publishable_key), tomorrow_window).status_code == 201


@override_settings(HOLD_TTL_SECONDS=60)
def test_the_hold_lifetime_comes_from_settings(publishable_key, tomorrow_window):
    body = hold(browser(publishable_key), tomorrow_window).json()
    assert dt.datetime.fromisoformat(body["expires_at"]) == NOW + dt.timedelta(seconds=60)


def test_booking_with_a_live_hold_turns_it_into_the_delivery(api, publishable_key, tomorrow_window):
    Window.objects.filter(pk=tomorrow_window.pk).update(capacity=1)
    hold_id = hold(browser(publishable_key), tomorrow_window).json()["id"]
    body = booking_body(hold_id=hold_id)
    response = api.post("/api/v1/deliveries/", body, format="json", HTTP_IDEMPOTENCY_KEY="order-1")
    assert response.status_code == 201, response.content
    assert Hold.objects.get(pk=hold_id).status == Hold.Status.BOOKED
    window = Window.objects.get(pk=tomorrow_window.pk)
    assert window.booked == 1
    assert Delivery.objects.get(pk=response.json()["id"]).job.status == "pending"


def test_booking_with_an_expired_hold_still_books_when_there_is_room(api, publishable_key, tomorrow_window, frozen_now):
    hold_id = hold(browser(publishable_key), tomorrow_window).json()["id"]
    frozen_now(NOW + dt.timedelta(minutes=30))
    response = api.post("/api/v1/deliveries/", booking_body(hold_id=hold_id), format="json",
                        HTTP_IDEMPOTENCY_KEY="order-1")
    assert response.status_code == 201
    assert Hold.objects.get(pk=hold_id).status == Hold.Status.RELEASED
    assert Window.objects.get(pk=tomorrow_window.pk).booked == 1


def test_a_hold_for_an_address_outside_the_windows_zone_is_a_400(publishable_key, tomorrow_window):
    response = browser(publishable_key).post(
        "/api/v1/holds/", {"window_id": tomorrow_window.pk, "lat": 45.76, "lng": 4.83}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "outside_area"


def test_a_hold_on_an_unknown_window_is_a_400(publishable_key, windows):
    response = browser(publishable_key).post("/api/v1/holds/", {"window_id": 999999, **ADDRESS}, format="json")
    assert response.status_code == 400
    assert "window_id" in response.json()["error"]["fields"]


def test_the_purge_task_releases_expired_holds(publishable_key, tomorrow_window, frozen_now):
    from scheduling.tasks import holds_purge_expired

    hold_id = hold(browser(publishable_key), tomorrow_window).json()["id"]
    frozen_now(NOW + dt.timedelta(hours=1))
    assert holds_purge_expired() == 1
    purged = Hold.objects.get(pk=hold_id)
    assert purged.status == Hold.Status.RELEASED
    assert purged.job.status == "cancelled"
