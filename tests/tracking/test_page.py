import datetime as dt

import pytest
from django.urls import reverse

from scheduling.models import Delivery
from tests.factories import DeliveryFactory, local
from tests.tracking.factories import build_route
from tracking.models import Event, Rating
from tracking.services import event_record, scan_record

pytestmark = pytest.mark.django_db

# What must never reach a stranger holding the link, nor the websocket frames.
def secrets_of(world, delivery):
    others = [d for d in world.deliveries if d.pk != delivery.pk]
    return [
        delivery.recipient_phone, delivery.recipient_email, delivery.address_line1, world.driver.last_name,
        *([delivery.access_notes] if delivery.access_notes else []),
        world.driver.phone, *[d.address_line1 for d in others], *[d.recipient_name for d in others],
        *[str(d.lat) for d in others], *[d.tracking_token for d in others],
    ]


@pytest.fixture
def world(monkeypatch):
    world = build_route()
    moment = [local(world.day, 8, 30)]
    monkeypatch.setattr("core.clock.now", lambda: moment[0])
    world.clock = moment
    scan_record(driver=world.driver, kind="scanned_out", client_id="out", recorded_at=local(world.day, 8, 0),
                now=local(world.day, 8, 30))
    return world


def test_the_page_shows_the_brand_the_window_and_the_live_eta(client, world):
    delivery = world.deliveries[2]
    delivery.merchant.brand_name = "Fresh Basket"
    delivery.merchant.primary_colour = "#2e7d32"
    delivery.merchant.save()

    response = client.get(reverse("tracking:page", args=[delivery.tracking_token]) + "?lang=en")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Fresh Basket" in html and "#2e7d32" in html
    assert "08:00–12:00" in html
    assert "Estimated arrival" in html and "2 stops before yours" in html
    assert "Amélie" in html
    # Out for delivery and on time: no move offered; the link waits, hidden, for an estimate past the window.
    assert html.count(f"/t/{delivery.tracking_token}/reschedule/") == 1
    assert '<p data-field="timing_reschedule" hidden>' in html
    assert response["Referrer-Policy"] == "same-origin"


def test_the_page_and_its_json_leak_nothing_private(client, world):
    delivery = world.deliveries[0]
    # A door code is for the driver: the link's holder (a forwarded SMS, a shared screen) never sees it.
    Delivery.objects.filter(pk=delivery.pk).update(access_notes="Digicode 4821B")
    delivery.access_notes = "Digicode 4821B"
    page = client.get(reverse("tracking:page", args=[delivery.tracking_token])).content.decode()
    status = client.get(reverse("tracking:status", args=[delivery.tracking_token])).content.decode()

    for secret in secrets_of(world, delivery):
        assert secret not in page, secret
        assert secret not in status, secret


def test_an_unknown_and_an_expired_link_look_the_same(client, world):
    expired = world.deliveries[1]
    expired.tracking_expires_at = world.clock[0] - dt.timedelta(minutes=1)
    expired.save()

    unknown = client.get("/t/" + "x" * 43 + "/")
    gone = client.get(reverse("tracking:page", args=[expired.tracking_token]))

    assert unknown.status_code == gone.status_code == 404
    assert unknown.content == gone.content
    assert client.get(f"/t/{expired.tracking_token}/status.json").status_code == 404


def test_the_page_speaks_french(client, world):
    delivery = world.deliveries[2]

    html = client.get(reverse("tracking:page", args=[delivery.tracking_token]) + "?lang=fr").content.decode()

    assert "Arrivée estimée" in html and "En cours de livraison" in html
    assert ">Aller au contenu</a>" in html and "Skip to content" not in html


def test_once_the_van_has_left_a_stale_instructions_form_is_refused_with_a_message(client, world):
    delivery = world.deliveries[3]  # the world's van was scanned out at 8:00

    response = client.post(reverse("tracking:instructions", args=[delivery.tracking_token]),
                           {"access_notes": "Code 4512, 3rd floor", "drop_choice": "neighbour",
                            "neighbour_name": "M. Martin", "neighbour_door": "12", "lang": "en"})

    assert response.status_code == 409
    html = response.content.decode()
    assert "Your parcel is already on its way: its delivery instructions can no longer be changed." in html
    assert 'name="drop_choice"' not in html
    delivery.refresh_from_db()
    assert (delivery.access_notes, delivery.drop_choice) == ("", "door")


def test_after_delivery_the_page_shows_the_proof_and_takes_one_rating(client, world):
    delivery = world.deliveries[0]
    scan_record(driver=world.driver, kind="delivered", client_id="d0", job_id=delivery.job_id,
                recorded_at=local(world.day, 8, 20), recipient_name="Camille", now=local(world.day, 8, 30))
    page = reverse("tracking:page", args=[delivery.tracking_token])

    html = client.get(page + "?lang=en").content.decode()
    client.post(reverse("tracking:rating", args=[delivery.tracking_token]), {"stars": "5", "comment": "Great"})
    again = client.post(reverse("tracking:rating", args=[delivery.tracking_token]), {"stars": "1"})

    assert "Received by Camille at 08:20." in html and "How did we do?" in html
    assert Rating.objects.get(delivery=delivery).stars == 5
    assert "already_rated" in again["Location"]
    assert "Delivery instructions" not in client.get(page).content.decode()


def test_a_delivery_not_yet_out_offers_the_reschedule_link(client, db):
    delivery = DeliveryFactory(status="scheduled")
    event_record(delivery=delivery, milestone="scheduled", source=Event.Source.SYSTEM,
                 recorded_at=delivery.created_at, client_id="s1")

    html = client.get(reverse("tracking:page", args=[delivery.tracking_token])).content.decode()

    assert f"/t/{delivery.tracking_token}/reschedule/" in html
    assert "Estimated arrival" in html  # the label is in the page (hidden) for live updates
    assert 'data-field="eta-block" aria-live="polite" hidden' in html


def test_the_reschedule_link_keeps_the_language_the_customer_chose_on_the_page(client, db):
    delivery = DeliveryFactory(status="scheduled", language="fr")
    event_record(delivery=delivery, milestone="scheduled", source=Event.Source.SYSTEM,
                 recorded_at=delivery.created_at, client_id="s1")

    html = client.get(reverse("tracking:page", args=[delivery.tracking_token]) + "?lang=en").content.decode()
    link = f"/t/{delivery.tracking_token}/reschedule/?lang=en"
    reschedule = client.get(link).content.decode()

    assert link in html
    assert "Choose another window" in reschedule or "Confirm changes" in reschedule
    assert "Confirmer les modifications" not in reschedule
