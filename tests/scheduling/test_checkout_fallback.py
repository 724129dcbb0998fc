"""The demo checkout with JavaScript off: the page lists the windows itself and books the one chosen."""

import pytest
from django.urls import reverse

from demo.keys import demo_key
from merchants.models import ApiKey
from merchants.services import api_key_create
from scheduling.models import Delivery, Window
from tests.scheduling.conftest import ADDRESS, TOMORROW


@pytest.fixture
def demo_keys(merchant):
    for kind in ("publishable", "secret"):
        api_key_create(merchant=merchant, kind=ApiKey.Kind(kind), raw_key=demo_key(kind=kind, slug=merchant.slug))


def form(merchant, **fields):
    return {"merchant": merchant.slug, "idempotency_key": "nojs-1", "name": "Camille", "phone": "+33612345678",
            "line1": "12 Rue de Rivoli", "city": "Paris", "postcode": "75004", "hold_id": "", **ADDRESS, **fields}


def noscript(html: str) -> str:
    return html[html.index("<noscript>"):html.index("</noscript>")]


def test_without_javascript_the_checkout_lists_open_windows_as_choices_of_the_booking_form(client, merchant, windows,
                                                                                          tomorrow_window, demo_keys):
    html = client.get(reverse("demo:checkout"), {"merchant": merchant.slug, "lang": "en"}).content.decode()
    fallback = noscript(html)
    assert f'name="window_id" value="{tomorrow_window.pk}" form="checkout-form"' in fallback
    assert 'id="checkout-form"' in html
    assert "Order by 22:00 the day before" in fallback and "€3.90" in fallback


def test_a_full_window_is_not_offered_without_javascript_either(client, merchant, windows, tomorrow_window, demo_keys):
    Window.objects.filter(pk=tomorrow_window.pk).update(booked=tomorrow_window.capacity)
    html = client.get(reverse("demo:checkout"), {"merchant": merchant.slug}).content.decode()
    assert f'value="{tomorrow_window.pk}"' not in noscript(html)


def test_the_chosen_window_is_booked_from_the_form_alone(client, merchant, windows, tomorrow_window, demo_keys):
    response = client.post(reverse("demo:checkout-book"), form(merchant, window_id=str(tomorrow_window.pk)))
    assert response.status_code == 302, response.content.decode()
    delivery = Delivery.objects.get()
    assert delivery.window_id == tomorrow_window.pk
    assert Window.objects.get(pk=tomorrow_window.pk).booked == 1
    confirmation = client.get(response["Location"]).content.decode()
    assert 'id="booked-price">€3.90<' in confirmation


def test_booking_without_choosing_a_window_says_so_plainly(client, merchant, windows, demo_keys):
    response = client.post(reverse("demo:checkout-book"), form(merchant))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose a delivery window." in html
    assert "window_id" not in html.replace('name="window_id"', "")
    assert "Give a window_id or a hold_id" not in html
    assert not Delivery.objects.exists()


def test_the_choice_survives_an_error_on_another_field(client, merchant, windows, tomorrow_window, demo_keys):
    response = client.post(reverse("demo:checkout-book"),
                           form(merchant, window_id=str(tomorrow_window.pk), phone="12", lang="fr"))
    assert response.status_code == 400
    fallback = noscript(response.content.decode())
    assert f'value="{tomorrow_window.pk}" form="checkout-form" checked' in fallback
    assert TOMORROW.strftime("%-d") in fallback
    assert "Commandez avant 22:00 la veille" in fallback


def test_a_missing_window_and_a_bad_phone_are_both_said_at_once(client, merchant, windows, demo_keys):
    response = client.post(reverse("demo:checkout-book"), form(merchant, phone="12"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose a delivery window." in html
    assert "This is not a phone number we can text" in html
