"""POST /api/v1/deliveries/ and the delivery's life: idempotency, full windows, bad input, tenancy."""

import datetime as dt
import json

import pytest
from rest_framework.test import APIClient

from dispatch.models import Job
from merchants.models import ApiKey
from merchants.services import api_key_create
from scheduling import signals
from scheduling.models import Delivery, IdempotencyKey, Window
from tests.scheduling.conftest import NOW, TOMORROW, booking_body


def book(api, body, key="order-1"):
    return api.post("/api/v1/deliveries/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_booking_returns_the_delivery_with_its_tracking_link(api, tomorrow_window, settings):
    settings.PUBLIC_BASE_URL = "https://track.example"
    response = book(api, booking_body(tomorrow_window.pk))
    assert response.status_code == 201, response.content
    body = response.json()
    delivery = Delivery.objects.get(pk=body["id"])
    assert body["status"] == "scheduled" == delivery.status
    assert body["window"] == {"start": f"{TOMORROW}T10:00:00+02:00", "end": f"{TOMORROW}T12:00:00+02:00"}
    assert body["tracking_url"] == f"https://track.example/t/{delivery.tracking_token}/"
    assert Window.objects.get(pk=tomorrow_window.pk).booked == 1
    assert delivery.job.status == Job.Status.PENDING
    assert delivery.access_notes == "Code 1234" and delivery.drop_choice == "safe_place"


def test_the_same_key_and_body_replays_the_first_answer(api, tomorrow_window):
    first = book(api, booking_body(tomorrow_window.pk))
    again = book(api, booking_body(tomorrow_window.pk))
    assert again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert Delivery.objects.count() == 1
    assert Window.objects.get(pk=tomorrow_window.pk).booked == 1


def test_the_same_key_with_another_body_is_a_422(api, tomorrow_window):
    book(api, booking_body(tomorrow_window.pk))
    response = book(api, booking_body(tomorrow_window.pk, order_ref="ORD-2"))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_key_reused"


def test_a_key_whose_first_request_is_still_running_is_a_409(api, merchant, tomorrow_window):
    from scheduling.idempotency import request_digest

    body = booking_body(tomorrow_window.pk)
    IdempotencyKey.objects.create(merchant=merchant, key="order-1", endpoint="deliveries.create",
                                  request_digest=request_digest(endpoint="deliveries.create", body=body))
    response = book(api, body)
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_request_in_progress"
    assert Delivery.objects.count() == 0


def test_keys_are_scoped_per_merchant(api, outsider_merchant, tomorrow_window, windows):
    book(api, booking_body(tomorrow_window.pk))
    _, raw = api_key_create(merchant=outsider_merchant, kind=ApiKey.Kind.SECRET)
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    # Same key, another merchant: not a replay; the window is not theirs, so a 400.
    response = book(other, booking_body(tomorrow_window.pk))
    assert response.status_code == 400
    assert "Idempotent-Replayed" not in response


def test_a_missing_idempotency_key_is_a_400(api, tomorrow_window):
    response = api.post("/api/v1/deliveries/", booking_body(tomorrow_window.pk), format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "idempotency_key_missing"


def test_a_full_window_is_a_409_with_the_next_feasible_windows(api, tomorrow_window):
    Window.objects.filter(pk=tomorrow_window.pk).update(capacity=1, booked=1)
    response = book(api, booking_body(tomorrow_window.pk))
    assert response.status_code == 409
    error = response.json()["error"]
    assert error["code"] == "window_full"
    assert error["alternatives"]
    assert tomorrow_window.pk not in [w["id"] for w in error["alternatives"]]
    assert {"id", "start", "end", "label", "price"} <= set(error["alternatives"][0])


def test_a_replayed_409_stays_a_409(api, tomorrow_window):
    Window.objects.filter(pk=tomorrow_window.pk).update(capacity=1, booked=1)
    book(api, booking_body(tomorrow_window.pk))
    again = book(api, booking_body(tomorrow_window.pk))
    assert again.status_code == 409 and again["Idempotent-Replayed"] == "true"


def test_the_last_place_goes_to_one_booking_only(api, tomorrow_window):
    Window.objects.filter(pk=tomorrow_window.pk).update(capacity=1)
    assert book(api, booking_body(tomorrow_window.pk, order_ref="A"), key="a").status_code == 201
    assert book(api, booking_body(tomorrow_window.pk, order_ref="B"), key="b").status_code == 409


def test_a_duplicate_order_ref_is_a_409_and_takes_no_place(api, tomorrow_window):
    book(api, booking_body(tomorrow_window.pk), key="a")
    response = book(api, booking_body(tomorrow_window.pk), key="b")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "duplicate_order_ref"
    assert Window.objects.get(pk=tomorrow_window.pk).booked == 1


def test_malformed_json_is_a_400(api, tomorrow_window):
    response = api.post("/api/v1/deliveries/", data="{not json", content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="k")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "malformed_request"


@pytest.mark.parametrize("change, field", [
    ({"recipient": {"name": "C", "phone": "0612", "email": ""}}, "recipient.phone"),
    ({"recipient": {"name": "C", "phone": "+33100", "email": ""}}, "recipient.phone"),
    ({"recipient": {"name": "C", "phone": "", "email": "not-an-email"}}, "recipient.email"),
    ({"window_id": 987654}, "window_id"),
    ({"window_id": "soon"}, "window_id"),
    ({"address": {"line1": "x", "city": "Lyon", "postcode": "69001", "lat": 45.76, "lng": 4.83}}, "lat"),
    ({"address": {"line1": "x", "city": "Paris", "postcode": "75004", "lat": 123, "lng": 2.3}}, "address.lat"),
])
def test_bad_input_is_a_400_naming_the_field(api, tomorrow_window, change, field):
    body = booking_body(tomorrow_window.pk) | change
    response = book(api, body, key=f"k-{field}-{json.dumps(change)[:40]}")
    assert response.status_code == 400, response.content
    assert field in response.json()["error"]["fields"]


def test_a_window_whose_cutoff_passed_is_refused(api, tomorrow_window, frozen_now):
    frozen_now(dt.datetime.combine(NOW.date(), dt.time(23), tzinfo=NOW.tzinfo))
    response = book(api, booking_body(tomorrow_window.pk))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "cutoff_passed"


def test_phone_numbers_are_stored_in_e164(api, tomorrow_window):
    body = booking_body(tomorrow_window.pk, recipient={"name": "C", "phone": "+33 6 12 34 56 78", "email": ""})
    response = book(api, body)
    assert Delivery.objects.get(pk=response.json()["id"]).recipient_phone == "+33612345678"


def test_another_merchants_delivery_is_a_404(api, outsider_merchant, tomorrow_window):
    delivery_id = book(api, booking_body(tomorrow_window.pk)).json()["id"]
    _, raw = api_key_create(merchant=outsider_merchant, kind=ApiKey.Kind.SECRET)
    other = APIClient()
    other.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert other.get(f"/api/v1/deliveries/{delivery_id}/").status_code == 404
    assert other.post(f"/api/v1/deliveries/{delivery_id}/cancel/").status_code == 404
    assert api.get(f"/api/v1/deliveries/{delivery_id}/").status_code == 200
    assert api.get("/api/v1/deliveries/not-a-uuid/").status_code == 404


def test_rescheduling_moves_the_place_between_windows(api, windows, tomorrow_window):
    delivery_id = book(api, booking_body(tomorrow_window.pk)).json()["id"]
    target = windows.get(date=TOMORROW + dt.timedelta(days=1), label="standard")
    response = api.post(f"/api/v1/deliveries/{delivery_id}/reschedule/", {"window_id": target.pk}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["window"]["start"].startswith((TOMORROW + dt.timedelta(days=1)).isoformat())
    assert Window.objects.get(pk=tomorrow_window.pk).booked == 0
    assert Window.objects.get(pk=target.pk).booked == 1
    delivery = Delivery.objects.get(pk=delivery_id)
    assert delivery.job.window_start == target.starts_at
    assert Job.objects.filter(status=Job.Status.CANCELLED).count() == 1


def test_rescheduling_into_a_full_window_is_a_409_and_moves_nothing(api, windows, tomorrow_window):
    delivery_id = book(api, booking_body(tomorrow_window.pk)).json()["id"]
    target = windows.get(date=TOMORROW + dt.timedelta(days=1), label="standard")
    Window.objects.filter(pk=target.pk).update(capacity=0)
    response = api.post(f"/api/v1/deliveries/{delivery_id}/reschedule/", {"window_id": target.pk}, format="json")
    assert response.status_code == 409
    assert Window.objects.get(pk=tomorrow_window.pk).booked == 1


def test_cancelling_gives_the_place_back(api, tomorrow_window):
    Window.objects.filter(pk=tomorrow_window.pk).update(capacity=1)
    delivery_id = book(api, booking_body(tomorrow_window.pk)).json()["id"]
    response = api.post(f"/api/v1/deliveries/{delivery_id}/cancel/")
    assert response.status_code == 200 and response.json()["status"] == "cancelled"
    assert Window.objects.get(pk=tomorrow_window.pk).booked == 0
    assert api.post(f"/api/v1/deliveries/{delivery_id}/cancel/").status_code == 409
    assert book(api, booking_body(tomorrow_window.pk, order_ref="ORD-2"), key="again").status_code == 201


def test_the_higher_apps_hear_about_each_change_after_commit(api, windows, tomorrow_window, django_capture_on_commit_callbacks):
    heard = []

    def listener(name):
        def receive(sender, delivery, **kwargs):
            heard.append((name, delivery.order_ref, sorted(kwargs)))
        return receive

    receivers = {
        signal: listener(name)
        for name, signal in [("booked", signals.delivery_booked), ("rescheduled", signals.delivery_rescheduled),
                             ("cancelled", signals.delivery_cancelled)]
    }
    for signal, receiver in receivers.items():
        signal.connect(receiver)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            delivery_id = book(api, booking_body(tomorrow_window.pk)).json()["id"]
        target = windows.get(date=TOMORROW + dt.timedelta(days=1), label="standard")
        with django_capture_on_commit_callbacks(execute=True):
            api.post(f"/api/v1/deliveries/{delivery_id}/reschedule/", {"window_id": target.pk}, format="json")
        with django_capture_on_commit_callbacks(execute=True):
            api.post(f"/api/v1/deliveries/{delivery_id}/cancel/")
    finally:
        for signal, receiver in receivers.items():
            signal.disconnect(receiver)
    assert [h[0] for h in heard] == ["booked", "rescheduled", "cancelled"]
    assert heard[1][2] == ["by", "new_window", "old_window", "signal"]


def test_old_idempotency_keys_are_purged(api, tomorrow_window, frozen_now, settings):
    from scheduling.services import idempotency_keys_purge

    book(api, booking_body(tomorrow_window.pk))
    IdempotencyKey.objects.update(created_at=NOW - dt.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS + 1))
    assert idempotency_keys_purge() == 1
    assert IdempotencyKey.objects.count() == 0


def test_recent_idempotency_keys_are_kept_for_at_least_a_day(api, tomorrow_window, frozen_now):
    from scheduling.services import idempotency_keys_purge

    book(api, booking_body(tomorrow_window.pk))
    IdempotencyKey.objects.update(created_at=NOW - dt.timedelta(hours=23))
    assert idempotency_keys_purge() == 0
