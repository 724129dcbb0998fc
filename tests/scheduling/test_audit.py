"""What the merchant's API and the customer's link change on a delivery is recorded, naming who did it."""

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from core.audit import MASK, ActorKind, audit_who
from merchants.models import ApiKey
from scheduling.models import Delivery
from tests.scheduling.conftest import ADDRESS, TOMORROW, booking_body
from tracking.models import Event

pytestmark = pytest.mark.django_db

SHOP_SERVER_IP = "198.51.100.20"


def book(api, window, order_ref="ORD-1"):
    response = api.post("/api/v1/deliveries/", booking_body(window.pk, order_ref=order_ref), format="json",
                        HTTP_IDEMPOTENCY_KEY=order_ref, REMOTE_ADDR=SHOP_SERVER_IP)
    assert response.status_code == 201, response.content
    return Delivery.objects.get(pk=response.json()["id"])


def trail(delivery):
    return list(LogEntry.objects.get_for_object(delivery).order_by("timestamp", "pk"))


def key_label(merchant):
    key = ApiKey.objects.get(merchant=merchant, kind=ApiKey.Kind.SECRET)
    return f"api key {key.prefix}… of Fresh Basket"


def test_a_booking_by_api_is_the_merchants_key(api, merchant, tomorrow_window):
    delivery = book(api, tomorrow_window)

    [created] = trail(delivery)
    assert created.action == LogEntry.Action.CREATE
    assert audit_who(created) == key_label(merchant) and created.actor is None
    assert created.additional_data["actor_kind"] == ActorKind.API_KEY
    assert created.remote_addr == SHOP_SERVER_IP
    assert created.changes_dict["recipient_phone"][1] == MASK


def test_a_reschedule_and_a_cancel_by_api_are_the_merchants_key(api, merchant, windows, tomorrow_window):
    delivery = book(api, tomorrow_window)
    target = windows.get(date=TOMORROW + dt.timedelta(days=1), label="standard")

    api.post(f"/api/v1/deliveries/{delivery.pk}/reschedule/", {"window_id": target.pk}, format="json")
    api.post(f"/api/v1/deliveries/{delivery.pk}/cancel/")

    _created, moved, cancelled = trail(delivery)
    assert moved.additional_data["summary"] == "Rescheduled from Tue 02 Jun, 10:00–12:00 to Wed 03 Jun, 10:00–12:00"
    assert cancelled.changes_dict["status"] == ["scheduled", "cancelled"]
    assert {audit_who(moved), audit_who(cancelled)} == {key_label(merchant)}


def test_an_api_call_refused_by_the_rules_records_nothing(api, tomorrow_window):
    delivery = book(api, tomorrow_window)
    api.post(f"/api/v1/deliveries/{delivery.pk}/reschedule/", {"window_id": tomorrow_window.pk}, format="json")

    assert len(trail(delivery)) == 1


def test_the_customer_moving_their_delivery_by_the_link_is_the_customer(
        client, api, windows, tomorrow_window, django_capture_on_commit_callbacks):
    delivery = book(api, tomorrow_window)
    target = windows.get(date=TOMORROW + dt.timedelta(days=2), label="evening")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("scheduling:reschedule", args=[delivery.tracking_token]),
                    {"window_id": target.pk, "access_notes": "Code 4521"}, REMOTE_ADDR="192.0.2.44")

    _created, moved, instructions = trail(delivery)
    assert audit_who(moved) == audit_who(instructions) == "customer (tracking link)"
    assert moved.remote_addr == "192.0.2.44" and moved.cid == instructions.cid  # one action, one id
    assert "on the customer's behalf" not in moved.additional_data["summary"]
    assert instructions.changes_dict["access_notes"] == [MASK, MASK]  # booked with notes, now others
    assert "4521" not in str(LogEntry.objects.filter(pk=instructions.pk).values_list("changes", flat=True).get())
    assert Event.objects.get(delivery=delivery, note="rescheduled").source == Event.Source.CUSTOMER


def test_a_forged_forwarded_for_header_is_not_taken_for_the_clients_address(client, api, tomorrow_window):
    delivery = book(api, tomorrow_window)

    client.post(reverse("tracking:instructions", args=[delivery.tracking_token]), {"access_notes": "Code 1"},
                REMOTE_ADDR="192.0.2.44", HTTP_X_FORWARDED_FOR="10.9.9.9")

    assert trail(delivery)[-1].remote_addr == "192.0.2.44"


def test_behind_known_proxies_the_forwarded_address_is_the_clients(client, api, tomorrow_window, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    delivery = book(api, tomorrow_window)

    client.post(reverse("tracking:instructions", args=[delivery.tracking_token]), {"access_notes": "Code 1"},
                REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="forged, 192.0.2.44")

    assert trail(delivery)[-1].remote_addr == "192.0.2.44"


def test_a_booking_made_without_anyone_in_scope_reads_as_the_system(merchant, tomorrow_window):
    from scheduling.services import delivery_create_for_seed

    delivery = delivery_create_for_seed(merchant=merchant, window=tomorrow_window, order_ref="SEED-1",
                                        recipient_name="Camille", address_line1="1 Rue", address_city="Paris",
                                        address_postcode="75004", **ADDRESS)

    assert audit_who(trail(delivery)[0]) == "system"
