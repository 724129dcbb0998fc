"""A delivery keeps the parcel size it was booked with: the fleet is asked for that size again on a move."""

import datetime as dt

from scheduling import windows as scheduling_windows
from scheduling.models import Delivery
from tests.factories import WindowFactory
from tests.scheduling.conftest import TOMORROW, booking_body

BEFORE_SIZE = [("scheduling", "0002_delivery_created_at_from_clock")]
WITH_SIZE = [("scheduling", "0003_delivery_size")]


def book(api, body, key="order-1"):
    response = api.post("/api/v1/deliveries/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert response.status_code == 201, response.content
    return Delivery.objects.select_related("job").get(pk=response.json()["id"])


def test_a_delivery_booked_as_large_is_stored_as_large(api, tomorrow_window):
    delivery = book(api, booking_body(tomorrow_window.pk, size="large"))

    assert (delivery.size, delivery.parcels, delivery.weight_kg) == ("large", 4, 40)
    assert (delivery.job.parcels, delivery.job.weight_kg) == (4, 40)


def test_a_held_window_booked_as_bulky_is_stored_as_bulky(api, tomorrow_window):
    held = api.post("/api/v1/holds/", {"window_id": tomorrow_window.pk, "size": "bulky", "lat": 48.8556,
                                       "lng": 2.3600}, format="json")
    assert held.status_code == 201, held.content
    body = booking_body(size="bulky", hold_id=held.json()["id"])

    assert book(api, body).size == "bulky"


def test_a_move_asks_the_fleet_for_the_size_booked_even_after_the_sizes_weigh_more(
        api, windows, tomorrow_window, monkeypatch):
    delivery = book(api, booking_body(tomorrow_window.pk, size="medium"))
    # Medium parcels weigh more from today; this delivery's 2 parcels of 15 kg match no size any more.
    monkeypatch.setitem(scheduling_windows.SIZE_PROFILES, "medium", (2, 20))
    target = windows.get(date=TOMORROW + dt.timedelta(days=1), label="standard")

    response = api.post(f"/api/v1/deliveries/{delivery.pk}/reschedule/", {"window_id": target.pk}, format="json")

    assert response.status_code == 200, response.content
    moved = Delivery.objects.select_related("job").get(pk=delivery.pk)
    assert moved.size == "medium"
    assert (moved.job.parcels, moved.job.weight_kg) == (2, 20)


def test_the_migration_gives_every_existing_delivery_the_size_its_parcels_and_weight_say(migrator):
    migrator.migrate(BEFORE_SIZE)
    old = migrator.loader.project_state(BEFORE_SIZE).apps.get_model("scheduling", "Delivery")
    window = WindowFactory()
    for ref, parcels, kg in [("S", 1, 5), ("M", 2, 15), ("L", 4, 40), ("B", 1, 90), ("ODD", 3, 12)]:
        old.objects.create(merchant_id=window.merchant_id, window_id=window.pk, order_ref=ref, recipient_name="Camille",
                           address_line1="12 Rue de Rivoli", address_city="Paris", address_postcode="75004",
                           lat=48.8556, lng=2.3600, parcels=parcels, weight_kg=kg)

    migrator.loader.build_graph()
    migrator.migrate(WITH_SIZE)

    sizes = dict(Delivery.objects.values_list("order_ref", "size"))
    assert sizes == {"S": "small", "M": "medium", "L": "large", "B": "bulky", "ODD": "small"}


def test_the_migration_can_be_undone_and_redone_without_losing_a_size(migrator):
    window = WindowFactory()
    Delivery.objects.create(merchant=window.merchant, window=window, order_ref="L", recipient_name="Camille",
                            address_line1="12 Rue de Rivoli", address_city="Paris", address_postcode="75004",
                            lat=48.8556, lng=2.3600, size="large", parcels=4, weight_kg=40)

    migrator.migrate(BEFORE_SIZE)
    old = migrator.loader.project_state(BEFORE_SIZE).apps.get_model("scheduling", "Delivery")
    assert list(old.objects.values_list("order_ref", "parcels", "weight_kg")) == [("L", 4, 40)]

    migrator.loader.build_graph()
    migrator.migrate(WITH_SIZE)
    # Only the size's column: later migrations (the drop choice) add columns this state does not have yet.
    assert Delivery.objects.values_list("size", flat=True).get(order_ref="L") == "large"
