"""The customer's reschedule link, the picker's iframe and the demo checkout."""

import datetime as dt

import pytest
from django.urls import reverse

from demo.keys import demo_key
from merchants.models import ApiKey
from merchants.services import api_key_create
from scheduling.models import Delivery, Window
from scheduling.services import delivery_create_for_seed
from tests.factories import AllowedOriginFactory
from tests.scheduling.conftest import ADDRESS, NOW, TOMORROW


@pytest.fixture
def delivery(tomorrow_window, merchant):
    return delivery_create_for_seed(
        merchant=merchant, window=tomorrow_window, order_ref="ORD-7", recipient_name="Camille",
        address_line1="12 Rue de Rivoli", address_city="Paris", address_postcode="75004", language="en", **ADDRESS,
    )


def page(client, delivery, **params):
    return client.get(reverse("scheduling:reschedule", args=[delivery.tracking_token]), params)


def test_the_reschedule_page_offers_only_feasible_other_windows(client, delivery, windows):
    full = windows.get(date=TOMORROW + dt.timedelta(days=1), label="standard")
    Window.objects.filter(pk=full.pk).update(booked=full.capacity)
    response = page(client, delivery)
    assert response.status_code == 200
    offered = {o.window.pk for o in response.context["offers"]}
    assert offered
    assert delivery.window_id not in offered
    assert full.pk not in offered
    assert all(o.available for o in response.context["offers"])
    assert b"Change your delivery" in response.content


def test_the_customer_moves_the_delivery_and_updates_instructions_in_one_step(client, delivery, windows):
    target = windows.get(date=TOMORROW + dt.timedelta(days=2), label="evening")
    old_window_id = delivery.window_id
    response = client.post(reverse("scheduling:reschedule", args=[delivery.tracking_token]), {
        "window_id": target.pk, "access_notes": "Code 4521, 3rd floor", "drop_choice": "neighbour",
        "neighbour_name": "M. Martin", "neighbour_door": "12",
    })
    assert response.status_code == 302
    delivery.refresh_from_db()
    assert delivery.window_id == target.pk
    assert (delivery.access_notes, delivery.drop_choice, delivery.neighbour_name, delivery.neighbour_door) == (
        "Code 4521, 3rd floor", "neighbour", "M. Martin", "12")
    assert Window.objects.get(pk=target.pk).booked == 1
    assert Window.objects.get(pk=old_window_id).booked == 0
    done = client.get(response["Location"])
    assert b"Your delivery has been updated" in done.content


def test_after_a_failed_attempt_the_customer_can_still_pick_a_new_window(client, delivery, windows):
    from dispatch.models import Job

    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.ATTEMPTED)
    Job.objects.filter(pk=delivery.job_id).update(status=Job.Status.FAILED)
    failed_job_id = delivery.job_id
    target = windows.get(date=TOMORROW + dt.timedelta(days=2), label="evening")

    response = client.post(reverse("scheduling:reschedule", args=[delivery.tracking_token]), {"window_id": target.pk})

    assert response.status_code == 302
    delivery.refresh_from_db()
    assert (delivery.window_id, delivery.status) == (target.pk, Delivery.Status.SCHEDULED)
    assert delivery.job_id != failed_job_id
    assert Job.objects.get(pk=failed_job_id).status == Job.Status.FAILED


def test_a_safe_place_is_not_offered_when_the_window_does_not_allow_it(client, delivery):
    delivery.window.template.safe_drop_allowed = False
    delivery.window.template.save()
    response = page(client, delivery)
    assert b'value="safe_place"' not in response.content
    assert b'value="neighbour"' in response.content
    refused = client.post(reverse("scheduling:reschedule", args=[delivery.tracking_token]),
                          {"drop_choice": "safe_place", "safe_place": "behind the side gate"})
    assert b"This shop does not allow leaving the parcel in a safe place." in refused.content
    delivery.refresh_from_db()
    assert delivery.drop_choice == "door"


def test_a_neighbour_without_a_name_is_refused_on_the_page_and_the_window_stays(client, delivery, windows):
    target = windows.get(date=TOMORROW + dt.timedelta(days=2), label="evening")
    old_window_id = delivery.window_id
    response = client.post(reverse("scheduling:reschedule", args=[delivery.tracking_token]),
                           {"window_id": target.pk, "drop_choice": "neighbour", "neighbour_door": "12"})
    assert b"Give your neighbour&#x27;s name." in response.content
    delivery.refresh_from_db()
    assert (delivery.window_id, delivery.drop_choice) == (old_window_id, "door")


def test_the_page_closes_before_the_window_starts(client, delivery, frozen_now, settings):
    settings.RESCHEDULE_CLOSES_MINUTES = 120
    frozen_now(delivery.window.starts_at - dt.timedelta(minutes=119))
    response = page(client, delivery)
    assert response.context["closed"] is True
    assert b"can no longer be changed online" in response.content
    response = client.post(reverse("scheduling:reschedule", args=[delivery.tracking_token]), {"access_notes": "x"})
    delivery.refresh_from_db()
    assert delivery.access_notes == ""


def test_the_page_speaks_french(client, delivery):
    response = page(client, delivery, lang="fr")
    assert b"Modifier votre livraison" in response.content


def test_an_unknown_token_shows_the_expired_page_with_a_404(client, db):
    response = client.get("/t/not-a-real-token/reschedule/")
    assert response.status_code == 404
    assert b"This link has expired" in response.content


def test_an_expired_token_looks_the_same_as_an_unknown_one(client, delivery):
    Delivery.objects.filter(pk=delivery.pk).update(tracking_expires_at=NOW - dt.timedelta(days=1))
    response = page(client, delivery)
    assert response.status_code == 404
    assert b"This link has expired" in response.content


def test_the_iframe_may_be_framed_only_by_the_merchants_origins(client, merchant, publishable_key):
    AllowedOriginFactory(merchant=merchant, origin="https://shop.example.com")
    response = client.get("/embed/windows/", {"key": publishable_key, **ADDRESS})
    assert response.status_code == 200
    assert "frame-ancestors 'self' https://shop.example.com;" in response["Content-Security-Policy"] + ";"
    assert "X-Frame-Options" not in response
    assert b"<delivery-window-picker" in response.content


def test_the_rest_of_the_site_refuses_to_be_framed(client, db):
    response = client.get("/t/unknown/reschedule/")
    assert response["X-Frame-Options"] == "DENY"


def test_the_iframe_with_an_unknown_key_says_it_is_not_configured(client, db):
    response = client.get("/embed/windows/", {"key": "pk_unknown"})
    assert response.status_code == 401


def test_the_demo_checkout_embeds_the_picker_with_the_demo_key(client, merchant, windows):
    api_key_create(merchant=merchant, kind=ApiKey.Kind.PUBLISHABLE, raw_key=demo_key(kind="publishable", slug=merchant.slug))
    response = client.get(reverse("demo:checkout"), {"merchant": merchant.slug})
    assert response.status_code == 200
    assert demo_key(kind="publishable", slug=merchant.slug).encode() in response.content
    assert b"/static/scheduling/picker.js" in response.content


def test_the_demo_checkout_books_server_side_with_the_demo_secret_key(client, merchant, windows, tomorrow_window):
    api_key_create(merchant=merchant, kind=ApiKey.Kind.SECRET, raw_key=demo_key(kind="secret", slug=merchant.slug))
    form = {"merchant": merchant.slug, "idempotency_key": "demo-1", "name": "Camille", "phone": "+33612345678",
            "email": "", "line1": "12 Rue de Rivoli", "city": "Paris", "postcode": "75004", **ADDRESS}
    from scheduling.services import hold_create

    hold = hold_create(merchant=merchant, window=tomorrow_window, **ADDRESS)
    response = client.post(reverse("demo:checkout-book"), form | {"hold_id": str(hold.pk)})
    assert response.status_code == 302, response.content
    delivery = Delivery.objects.get()
    assert delivery.window_id == tomorrow_window.pk
    assert delivery.tracking_token in response["Location"]
    again = client.post(reverse("demo:checkout-book"), form | {"hold_id": str(hold.pk)})
    assert again.status_code == 302 and Delivery.objects.count() == 1
    confirmation = client.get(response["Location"])
    assert f"/t/{delivery.tracking_token}/".encode() in confirmation.content


def test_the_demo_checkout_shows_field_errors(client, merchant, windows, tomorrow_window):
    api_key_create(merchant=merchant, kind=ApiKey.Kind.SECRET, raw_key=demo_key(kind="secret", slug=merchant.slug))
    response = client.post(reverse("demo:checkout-book"), {
        "merchant": merchant.slug, "idempotency_key": "demo-2", "name": "C", "phone": "12", "line1": "x",
        "city": "Paris", "postcode": "75004", **ADDRESS})
    assert response.status_code == 400
    assert "This is not a phone number we can text: check the digits (e.g. 06 12 34 56 78)." in response.content.decode()
    assert b"E.164" not in response.content


def test_the_demo_checkout_reads_a_phone_as_people_write_it(client, merchant, windows, tomorrow_window):
    from scheduling.services import hold_create

    api_key_create(merchant=merchant, kind=ApiKey.Kind.SECRET, raw_key=demo_key(kind="secret", slug=merchant.slug))
    hold = hold_create(merchant=merchant, window=tomorrow_window, **ADDRESS)
    response = client.post(reverse("demo:checkout-book"), {
        "merchant": merchant.slug, "idempotency_key": "demo-3", "name": "Camille", "phone": "06 12 34 56 78",
        "line1": "12 Rue de Rivoli", "city": "Paris", "postcode": "75004", "hold_id": str(hold.pk), **ADDRESS})
    assert response.status_code == 302, response.content
    assert Delivery.objects.get().recipient_phone == "+33612345678"


def test_the_demo_checkout_delivers_to_a_real_street_of_the_merchants_area(merchant, delivery):
    from dispatch.zones import zone_for_point
    from scheduling.windows import merchant_sample_address

    address = merchant_sample_address(merchant=merchant)

    assert address["line1"] == "12 Rue de Rivoli"
    assert zone_for_point(lat=address["lat"], lng=address["lng"]) == delivery.window.zone


def test_the_reschedule_page_shows_each_windows_price_and_the_difference_from_the_current_one(client, delivery, windows):
    # The delivery sits in tomorrow's standard window at €3.90; the evening windows cost €4.90.
    evening = windows.get(date=TOMORROW + dt.timedelta(days=1), label="evening")
    standard = windows.get(date=TOMORROW + dt.timedelta(days=1), label="standard")
    html = page(client, delivery).content.decode()

    def option(window):
        start = html.index(f'data-window-id="{window.pk}"')
        return html[start:html.index("</label>", start)]

    assert "€4.90" in option(evening) and "+€1.00" in option(evening)
    assert "€3.90" in option(standard) and "no change" in option(standard)
    assert 'id="current-price">€3.90<' in html


def test_a_cheaper_window_shows_a_negative_difference_in_french(client, delivery, windows):
    cheaper = windows.get(date=TOMORROW + dt.timedelta(days=2), label="standard")
    Window.objects.filter(pk=cheaper.pk).update(price_amount="2.90")
    html = page(client, delivery, lang="fr").content.decode()
    start = html.index(f'data-window-id="{cheaper.pk}"')
    option = html[start:html.index("</label>", start)]
    assert "2,90\u00a0€" in option and "\u22121,00\u00a0€" in option


def test_the_page_a_link_opens_shows_neither_the_door_code_nor_the_house_number_nor_the_order(client, delivery):
    Delivery.objects.filter(pk=delivery.pk).update(access_notes="Digicode 4821B, 3rd floor")

    html = page(client, delivery).content.decode()

    assert "4821B" not in html and "ORD-7" not in html and "12 Rue de Rivoli" not in html
    assert "Rue de Rivoli, 75004 Paris" in html  # which address is meant, without the door
    assert "Your notes for the driver are saved." in html


def test_an_empty_notes_field_keeps_the_saved_notes_and_the_box_removes_them(client, delivery):
    Delivery.objects.filter(pk=delivery.pk).update(access_notes="Digicode 4821B")
    url = reverse("scheduling:reschedule", args=[delivery.tracking_token])

    client.post(url, {"access_notes": "", "drop_choice": "neighbour", "neighbour_name": "M. Martin",
                      "neighbour_door": "12"})
    delivery.refresh_from_db()
    assert delivery.access_notes == "Digicode 4821B" and delivery.drop_choice == "neighbour"

    client.post(url, {"access_notes": "", "access_notes_clear": "on"})
    delivery.refresh_from_db()
    assert delivery.access_notes == ""


@pytest.mark.parametrize(("line", "street"), [
    ("12 Rue de Rivoli", "Rue de Rivoli"), ("12 bis, rue de la Paix", "rue de la Paix"),
    ("7B avenue Foch", "avenue Foch"), ("Place du Tertre", "Place du Tertre"), ("221", "221"),
])
def test_the_street_without_its_number(line, street):
    from scheduling.labels import street_without_number

    assert street_without_number(line) == street


def test_the_saved_notes_hint_speaks_french(client, delivery):
    Delivery.objects.filter(pk=delivery.pk).update(access_notes="Digicode 4821B")

    html = page(client, delivery, lang="fr").content.decode()

    assert "Vos notes pour le livreur sont enregistrées." in html and "Supprimer mes notes enregistrées" in html
