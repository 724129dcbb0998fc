"""A public key cannot hold a day's places away from everyone: its holds are capped, and must come from a page."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from scheduling.models import Hold, Window
from scheduling.services import hold_limit_per_key
from tests.scheduling.conftest import ADDRESS, NOW, TOMORROW, booking_body

SHOP = "https://shop.example.com"

pytestmark = pytest.mark.usefixtures("browser_origin")


def shopper(publishable_key, address="203.0.113.7", origin=SHOP):
    client = APIClient(REMOTE_ADDR=address)
    headers = {"HTTP_X_API_KEY": publishable_key}
    if origin:
        headers["HTTP_ORIGIN"] = origin
    client.credentials(**headers)
    return client


def hold(client, window):
    return client.post("/api/v1/holds/", {"window_id": window.pk, **ADDRESS}, format="json")


@pytest.fixture
def caps(settings):
    """One client may hold 2 places of a zone's day at once, the key 3."""
    settings.HOLD_LIMIT_PER_CLIENT = 2
    settings.HOLD_LIMIT_PER_KEY_MIN = 3
    settings.HOLD_LIMIT_PER_KEY_PERCENT = 1


@pytest.fixture
def day_windows(windows):
    """Tomorrow's windows in the zone: standard 10-12 and evening 18-20, 10 places each."""
    return list(windows.filter(date=TOMORROW))


def test_a_shopper_comparing_windows_keeps_only_their_newest_holds_and_is_never_refused(
        caps, api, publishable_key, day_windows):
    browser = shopper(publishable_key)
    taken = [hold(browser, day_windows[n % 2]) for n in range(4)]

    assert [answer.status_code for answer in taken] == [201] * 4
    live = Hold.objects.filter(status=Hold.Status.ACTIVE)
    assert sorted(str(pk) for pk in live.values_list("pk", flat=True)) == sorted(answer.json()["id"] for answer in taken[2:])
    # The places given up are offered again at once.
    offered = api.get("/api/v1/windows/", {**ADDRESS, "days": 2}).json()["windows"]
    assert sum(10 - w["remaining"] for w in offered if w["id"] in {d.pk for d in day_windows}) == 2


def test_the_key_past_its_cap_is_told_when_to_retry(caps, publishable_key, day_windows):
    for n in range(1, 4):
        hold(shopper(publishable_key, f"203.0.113.{n}"), day_windows[0])

    refused = hold(shopper(publishable_key, "203.0.113.9"), day_windows[1])

    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "hold_limit"
    # The oldest of its holds frees a place when it expires, ten minutes after it was taken.
    assert refused["Retry-After"] == "600"
    assert refused.json()["error"]["retry_after"] == 600


def test_another_shopper_of_the_same_shop_still_holds(caps, publishable_key, day_windows):
    for _ in range(2):
        hold(shopper(publishable_key, "203.0.113.7"), day_windows[0])

    assert hold(shopper(publishable_key, "203.0.113.8"), day_windows[0]).status_code == 201


def test_the_key_as_a_whole_holds_no_more_than_its_cap_whoever_asks(caps, api, publishable_key, day_windows):
    Window.objects.filter(pk=day_windows[0].pk).update(capacity=4)
    answers = [hold(shopper(publishable_key, f"203.0.113.{n}"), day_windows[0]).status_code for n in range(1, 5)]

    assert answers == [201, 201, 201, 429]
    # The place nobody could hold is still offered: checkout does not say "full".
    offered = api.get("/api/v1/windows/", {**ADDRESS, "days": 2}).json()["windows"]
    window = next(w for w in offered if w["id"] == day_windows[0].pk)
    assert window["available"] is True and window["remaining"] == 1


def test_the_key_may_hold_a_share_of_the_zones_day_but_never_fewer_than_the_floor(settings, day_windows):
    settings.HOLD_LIMIT_PER_KEY_MIN = 3
    settings.HOLD_LIMIT_PER_KEY_PERCENT = 25

    assert hold_limit_per_key(window=day_windows[0]) == 5  # a quarter of the day's 20 places
    settings.HOLD_LIMIT_PER_KEY_PERCENT = 5
    assert hold_limit_per_key(window=day_windows[0]) == 3


def test_holds_on_another_day_do_not_count(caps, publishable_key, windows):
    browser = shopper(publishable_key)
    tomorrow = windows.get(date=TOMORROW, label="standard")
    day_after = windows.get(date=TOMORROW + dt.timedelta(days=1), label="standard")
    for _ in range(2):
        hold(browser, tomorrow)

    assert hold(browser, day_after).status_code == 201


def test_an_expired_hold_stops_counting(caps, publishable_key, day_windows, frozen_now):
    browser = shopper(publishable_key)
    for _ in range(2):
        hold(browser, day_windows[0])
    frozen_now(NOW + dt.timedelta(minutes=10, seconds=1))

    assert hold(browser, day_windows[0]).status_code == 201


def test_a_booked_hold_stops_counting(caps, api, publishable_key, day_windows):
    browser = shopper(publishable_key)
    first = hold(browser, day_windows[0]).json()["id"]
    hold(browser, day_windows[0])
    booked = api.post("/api/v1/deliveries/", booking_body(hold_id=first), format="json", HTTP_IDEMPOTENCY_KEY="o-1")
    assert booked.status_code == 201, booked.content

    assert hold(browser, day_windows[0]).status_code == 201


def test_a_merchants_server_with_its_secret_key_is_not_capped(caps, api, day_windows):
    answers = [hold(api, day_windows[0]).status_code for _ in range(4)]

    assert answers == [201] * 4


def test_a_publishable_key_without_an_origin_cannot_hold(publishable_key, day_windows):
    refused = hold(shopper(publishable_key, origin=""), day_windows[0])

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "origin_not_allowed"
    assert not Hold.objects.exists()


def test_a_publishable_key_from_an_unregistered_origin_cannot_hold(publishable_key, day_windows):
    refused = hold(shopper(publishable_key, origin="https://evil.example"), day_windows[0])

    assert refused.status_code == 403
    assert not Hold.objects.exists()


def test_the_portals_own_pages_hold_with_the_publishable_key(publishable_key, day_windows):
    # The demo checkout and the picker's iframe are served by the portal: their Origin is its own.
    assert hold(shopper(publishable_key, origin="http://testserver"), day_windows[0]).status_code == 201


def test_a_hold_remembers_who_asked_without_keeping_the_address(publishable_key, day_windows):
    hold_id = hold(shopper(publishable_key, "203.0.113.7"), day_windows[0]).json()["id"]

    held = Hold.objects.get(pk=hold_id)
    assert held.api_key.kind == "publishable"
    assert held.client and "203.0.113.7" not in held.client


@pytest.mark.django_db(transaction=True)
def test_twenty_holds_at_once_from_one_client_leave_it_holding_exactly_its_cap(settings, publishable_key,
                                                                                 day_windows):
    from tests.scheduling.test_concurrency import run_in_threads

    settings.HOLD_LIMIT_PER_CLIENT = 3

    statuses = run_in_threads(20, lambda i: hold(shopper(publishable_key), day_windows[i % 2]).status_code)

    assert statuses == [201] * 20
    assert Hold.objects.filter(status=Hold.Status.ACTIVE).count() == 3
