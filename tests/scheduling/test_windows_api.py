"""GET /api/v1/windows/: what a shopper is offered at an address."""

import datetime as dt

import pytest
from rest_framework.test import APIClient

from scheduling.models import Window
from tests.scheduling.conftest import ADDRESS, NOW, TOMORROW, add_shifts


def windows_of(response):
    assert response.status_code == 200, response.content
    return response.json()["windows"]


def test_the_shopper_sees_the_weeks_windows_with_prices_labels_and_room_left(api, windows):
    response = api.get("/api/v1/windows/", {**ADDRESS, "date": NOW.date().isoformat(), "days": 7})
    offered = windows_of(response)
    first_tomorrow = next(w for w in offered if w["start"].startswith(TOMORROW.isoformat()))
    assert first_tomorrow["start"] == f"{TOMORROW.isoformat()}T10:00:00+02:00"
    assert first_tomorrow["label"] == "standard"
    assert first_tomorrow["price"] == {"amount": "3.90", "currency": "EUR"}
    assert first_tomorrow["available"] is True
    assert 1 <= first_tomorrow["remaining"] <= 10
    assert first_tomorrow["reason"] is None
    assert response.json()["brand"]["primary_colour"] == "#1a73e8"


def test_a_window_past_its_cutoff_is_shown_closed(api, windows, frozen_now):
    frozen_now(dt.datetime.combine(NOW.date(), dt.time(22, 30), tzinfo=NOW.tzinfo))
    offered = windows_of(api.get("/api/v1/windows/", {**ADDRESS, "days": 2}))
    tomorrow_morning = next(w for w in offered if w["start"] == f"{TOMORROW.isoformat()}T10:00:00+02:00")
    assert (tomorrow_morning["available"], tomorrow_morning["reason"]) == (False, "cutoff_passed")


def test_todays_evening_closes_at_its_same_day_cutoff(api, windows, frozen_now):
    frozen_now(dt.datetime.combine(NOW.date(), dt.time(12, 30), tzinfo=NOW.tzinfo))
    offered = windows_of(api.get("/api/v1/windows/", {**ADDRESS, "days": 1}))
    evening = next(w for w in offered if w["label"] == "evening")
    assert evening["reason"] == "cutoff_passed"


def test_a_window_at_its_merchant_cap_is_shown_full(api, tomorrow_window):
    Window.objects.filter(pk=tomorrow_window.pk).update(booked=10)
    offered = windows_of(api.get("/api/v1/windows/", {**ADDRESS, "days": 3}))
    full = next(w for w in offered if w["id"] == tomorrow_window.pk)
    assert (full["available"], full["remaining"], full["reason"]) == (False, 0, "full")


def test_a_window_no_vehicle_can_serve_with_the_skill_is_shown_unavailable(api, windows):
    offered = windows_of(api.get("/api/v1/windows/", {**ADDRESS, "days": 3, "skills": "two_person"}))
    assert {w["reason"] for w in offered if w["start"] >= TOMORROW.isoformat()} == {"skill_unavailable"}
    assert any(w["reason"] == "skill_unavailable" for w in offered)


@pytest.mark.parametrize("skills", ["refrigerated,two_person", ["refrigerated", "two_person"]])
def test_every_skill_asked_for_counts_whether_repeated_or_comma_separated(api, windows, depot, skills):
    add_shifts(depot, [TOMORROW], vehicles=1, skills=("two_person",))

    with_the_crew = windows_of(api.get("/api/v1/windows/", {**ADDRESS, "days": 3, "skills": "two_person"}))
    also_cold = windows_of(api.get("/api/v1/windows/", {**ADDRESS, "days": 3, "skills": skills}))

    tomorrow = [w for w in with_the_crew if w["start"].startswith(TOMORROW.isoformat())]
    assert tomorrow and all(w["available"] for w in tomorrow)
    assert {w["reason"] for w in also_cold if w["start"] >= TOMORROW.isoformat()} == {"skill_unavailable"}


def test_an_unknown_skill_is_refused_with_the_known_ones(api, windows):
    response = api.get("/api/v1/windows/", {**ADDRESS, "skills": ["two_person", "jetpack"]})

    assert response.status_code == 400
    assert response.json()["error"]["fields"]["skills"] == ["Unknown skills: jetpack. Use two_person, refrigerated."]


def test_a_postcode_finds_the_zone(api, windows):
    offered = windows_of(api.get("/api/v1/windows/", {"postcode": "75004", "days": 2}))
    assert any(w["available"] for w in offered)


def test_coordinates_outside_every_zone_are_a_400_with_field_errors(api, windows):
    response = api.get("/api/v1/windows/", {"lat": 45.76, "lng": 4.83})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "outside_area"
    assert "lat" in response.json()["error"]["fields"]


@pytest.mark.parametrize("params, field", [
    ({"date": "2020-01-01"}, "date"),
    ({"date": "tomorrow"}, "date"),
    ({"days": 99}, "days"),
    ({"lat": "north"}, "lat"),
    ({"skills": "jetpack"}, "skills"),
])
def test_bad_query_parameters_are_a_400_naming_the_field(api, windows, params, field):
    response = api.get("/api/v1/windows/", {**ADDRESS, **params})
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_an_unknown_key_is_a_401(windows):
    client = APIClient()
    client.credentials(HTTP_X_API_KEY="pk_nope")
    assert client.get("/api/v1/windows/", ADDRESS).status_code == 401
    client.credentials(HTTP_AUTHORIZATION="Bearer sk_nope")
    assert client.get("/api/v1/windows/", ADDRESS).status_code == 401


def test_a_revoked_key_is_a_401(windows, revoked_secret_key):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {revoked_secret_key}")
    assert client.get("/api/v1/windows/", ADDRESS).status_code == 401


def test_a_browser_on_a_registered_origin_may_read_the_answer(windows, publishable_key, browser_origin):
    client = APIClient()
    response = client.get("/api/v1/windows/", ADDRESS, HTTP_X_API_KEY=publishable_key,
                          HTTP_ORIGIN="https://shop.example.com")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "Origin" in response["Vary"]


def test_a_browser_on_another_origin_is_refused_and_gets_no_cors_header(windows, publishable_key, browser_origin):
    response = APIClient().get("/api/v1/windows/", ADDRESS, HTTP_X_API_KEY=publishable_key,
                               HTTP_ORIGIN="https://evil.example")
    assert response.status_code == 403
    assert "Access-Control-Allow-Origin" not in response


def test_a_preflight_from_a_registered_origin_is_answered(windows, browser_origin):
    response = APIClient().options("/api/v1/holds/", HTTP_ORIGIN="https://shop.example.com",
                                   HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST",
                                   HTTP_ACCESS_CONTROL_REQUEST_HEADERS="x-api-key, content-type")
    assert response.status_code == 204
    assert response["Access-Control-Allow-Origin"] == "https://shop.example.com"
    assert "X-Api-Key" in response["Access-Control-Allow-Headers"]


def test_a_preflight_from_an_unknown_origin_gets_no_permission(windows, browser_origin):
    response = APIClient().options("/api/v1/holds/", HTTP_ORIGIN="https://evil.example",
                                   HTTP_ACCESS_CONTROL_REQUEST_METHOD="POST")
    assert "Access-Control-Allow-Origin" not in response


def test_a_publishable_key_cannot_book_deliveries(windows, publishable_key, tomorrow_window):
    from tests.scheduling.conftest import booking_body

    response = APIClient().post("/api/v1/deliveries/", booking_body(tomorrow_window.pk), format="json",
                                HTTP_X_API_KEY=publishable_key, HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code in (401, 403)


def test_each_window_says_until_when_it_may_be_booked(api, windows):
    offered = windows_of(api.get("/api/v1/windows/", {**ADDRESS, "days": 3}))
    morning = next(w for w in offered if w["start"] == f"{TOMORROW.isoformat()}T10:00:00+02:00")
    evening = next(w for w in offered if w["start"] == f"{TOMORROW.isoformat()}T18:00:00+02:00")
    assert morning["cutoff"] == f"{NOW.date().isoformat()}T22:00:00+02:00"
    assert evening["cutoff"] == f"{TOMORROW.isoformat()}T12:00:00+02:00"


def test_a_lead_time_longer_than_the_cutoff_closes_booking_earlier_and_says_so(api, windows, template, frozen_now):
    template.lead_time_minutes = 24 * 60
    template.save()
    offered = windows_of(api.get("/api/v1/windows/", {**ADDRESS, "days": 3}))
    morning = next(w for w in offered if w["start"] == f"{TOMORROW.isoformat()}T10:00:00+02:00")
    assert morning["cutoff"] == f"{NOW.date().isoformat()}T10:00:00+02:00"
    assert morning["available"] is True

    frozen_now(dt.datetime.combine(NOW.date(), dt.time(10, 0), tzinfo=NOW.tzinfo))
    offered = windows_of(api.get("/api/v1/windows/", {**ADDRESS, "days": 3}))
    morning = next(w for w in offered if w["start"] == f"{TOMORROW.isoformat()}T10:00:00+02:00")
    assert (morning["available"], morning["reason"]) == (False, "cutoff_passed")
