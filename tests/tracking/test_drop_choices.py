"""The customer's drop choice on the tracking page: saved, read by the driver on the stop, audited, and locked
once the van has left."""

import pytest
from auditlog.models import LogEntry
from django.urls import reverse

from core.audit import MASK
from merchants.models import Merchant
from scheduling.models import Delivery
from tests.factories import local
from tests.tracking.factories import build_route
from tracking.services import scan_record

pytestmark = pytest.mark.django_db

SIDE_GATE = {"drop_choice": "safe_place", "safe_place": "behind the side gate", "lang": "en"}
MARTIN = {"drop_choice": "neighbour", "neighbour_name": "M. Martin", "neighbour_door": "12", "lang": "en"}


@pytest.fixture
def world(clock_at):
    """Amélie's van is loaded for a morning round; at 7:00 it has not left the depot."""
    world = build_route()
    clock_at(local(world.day, 7))
    return world


def choose(client, delivery, form):
    return client.post(reverse("tracking:instructions", args=[delivery.tracking_token]), form)


def stop_of(driver_api, delivery) -> dict:
    route = driver_api.get("/api/v1/driver/route/")
    assert route.status_code == 200, route.content
    return next(s for s in route.json()["stops"] if s["delivery"] and s["delivery"]["id"] == str(delivery.pk))


def test_the_page_offers_a_safe_place_and_says_the_driver_takes_a_photo(client, world):
    html = client.get(reverse("tracking:page", args=[world.deliveries[0].tracking_token]) + "?lang=en").content.decode()

    assert 'value="door" checked' in html
    assert "Leave it in a safe place" in html
    assert "The driver will take a photo of where they leave it." in html


def test_a_safe_place_the_customer_describes_is_on_the_drivers_stop(client, world, driver_api):
    delivery = world.deliveries[1]

    response = choose(client, delivery, SIDE_GATE)

    assert response.status_code == 302
    assert "Your delivery instructions are saved." in client.get(response["Location"]).content.decode()
    drop = stop_of(driver_api, delivery)["delivery"]["drop"]
    assert drop["instruction"] == "Safe place: behind the side gate"
    assert drop["photo_required"] is True


def test_a_neighbour_the_customer_names_is_on_the_drivers_stop(client, world, driver_api):
    delivery = world.deliveries[2]

    choose(client, delivery, MARTIN)

    stop = stop_of(driver_api, delivery)
    assert stop["delivery"]["drop"]["instruction"] == "Neighbour: M. Martin, no. 12"
    assert stop["delivery"]["drop"]["photo_required"] is False
    others = [s for s in driver_api.get("/api/v1/driver/route/").json()["stops"] if s["job"] != stop["job"]]
    assert all(s["delivery"]["drop"]["instruction"] == "At the door" for s in others)


def test_a_neighbour_without_a_name_is_refused_and_the_page_says_what_is_missing(client, world):
    delivery = world.deliveries[0]

    response = choose(client, delivery, {**MARTIN, "neighbour_name": " "})

    assert response.status_code == 400
    html = response.content.decode()
    assert "To leave it with a neighbour, give their name and house number or flat." in html
    assert "Give your neighbour&#x27;s name." in html
    assert 'value="neighbour" checked' in html  # the choice stays as posted, ready to complete
    delivery.refresh_from_db()
    assert delivery.drop_choice == "door"


def test_a_safe_place_is_refused_where_the_merchant_forbids_it(client, world):
    delivery = world.deliveries[0]
    Merchant.objects.filter(pk=delivery.merchant_id).update(safe_drop_allowed=False)

    page = client.get(reverse("tracking:page", args=[delivery.tracking_token]) + "?lang=en").content.decode()
    response = choose(client, delivery, SIDE_GATE)

    assert 'value="safe_place"' not in page
    assert response.status_code == 400
    assert "This shop does not allow leaving the parcel in a safe place." in response.content.decode()
    delivery.refresh_from_db()
    assert (delivery.drop_choice, delivery.safe_place) == ("door", "")


def test_once_the_van_has_left_the_page_shows_the_choice_without_a_form(client, world, driver_api):
    delivery = world.deliveries[1]
    choose(client, delivery, SIDE_GATE)
    stale_form = {**MARTIN}
    scan_record(driver=world.driver, kind="scanned_out", client_id="out", recorded_at=local(world.day, 7, 30),
                now=local(world.day, 7, 30))

    html = client.get(reverse("tracking:page", args=[delivery.tracking_token]) + "?lang=en").content.decode()
    refused = choose(client, delivery, stale_form)

    assert 'name="drop_choice"' not in html
    assert "Your parcel is on its way: these instructions can no longer be changed." in html
    assert "Your driver will leave it in your safe place: behind the side gate, and take a photo." in html
    assert refused.status_code == 409
    assert "Your parcel is already on its way" in refused.content.decode()
    assert stop_of(driver_api, delivery)["delivery"]["drop"]["instruction"] == "Safe place: behind the side gate"


def test_the_choice_is_audited_as_the_customers_with_the_neighbour_hidden(client, world):
    delivery = world.deliveries[3]

    choose(client, delivery, MARTIN)

    entry = LogEntry.objects.filter(object_pk=str(delivery.pk),
                                    additional_data__event="delivery.instructions_changed").get()
    assert entry.additional_data["actor"] == "customer (tracking link)"
    assert entry.additional_data["actor_kind"] == "customer"
    assert entry.changes_dict["drop_choice"] == ["door", "neighbour"]
    assert entry.changes_dict["neighbour_name"] == ["", MASK]
    assert "Martin" not in str(LogEntry.objects.filter(pk=entry.pk).values_list("changes", flat=True).get())


def test_the_page_speaks_french_about_the_choice(client, world):
    html = client.get(reverse("tracking:page", args=[world.deliveries[0].tracking_token]) + "?lang=fr").content.decode()

    assert "Laisser chez un voisin" in html
    assert "Ajouter au calendrier" in html


def test_a_driver_with_no_shift_today_gets_no_route(world, driver_api):
    world.shift.delete()

    response = driver_api.get("/api/v1/driver/route/")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "vehicle_not_assigned"


def test_the_route_needs_a_device_key(client, world):
    assert client.get("/api/v1/driver/route/").status_code == 401


def test_the_stops_come_in_sequence_with_what_the_driver_needs_at_the_door(world, driver_api):
    Delivery.objects.filter(pk=world.deliveries[0].pk).update(access_notes="Digicode 4821B")

    body = driver_api.get("/api/v1/driver/route/").json()

    assert body["vehicle"] == world.vehicle.code
    assert [s["sequence"] for s in body["stops"]] == [1, 2, 3, 4]
    first = body["stops"][0]["delivery"]
    assert first["access_notes"] == "Digicode 4821B"
    assert first["address"]["line1"] == "10 Rue Secrète"
