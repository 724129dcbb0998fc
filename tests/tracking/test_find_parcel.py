"""Find my parcel: a merchant's branded page where the order number and a postcode or email open the tracking page.

Whatever is wrong (an unknown number, a wrong postcode, an expired link) gets one answer, and a client gets
ten tries a minute, so nobody can walk through the references."""

import datetime as dt
import re

import pytest
from django.urls import reverse

from tests.factories import DeliveryFactory, MerchantFactory, WindowFactory, WindowTemplateFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def shop(clock_at):
    clock_at(NOW)
    return MerchantFactory(slug="fresh-basket", brand_name="Fresh Basket", primary_colour="#2e7d32",
                           languages=["en", "fr"])


@pytest.fixture
def parcel(shop):
    """Jade's order ORD-1042, to SW1A 1AA, booked with her email address."""
    window = WindowFactory(template=WindowTemplateFactory(merchant=shop))
    return DeliveryFactory(window=window, merchant=shop, order_ref="ORD-1042", address_postcode="SW1A 1AA",
                           recipient_email="Jade.Martin@Example.com", recipient_name="Jade Martin")


def _find(client, slug="fresh-basket", lang="en", **fields):
    return client.post(f"/find/{slug}/?lang={lang}", fields)


def _without_per_response_tokens(body: bytes) -> str:
    """The page as a reader sees it: the CSRF token and the CSP nonce change on every response."""
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body.decode())
    return re.sub(r'nonce="[^"]+"', "", text)


def test_the_page_wears_the_shops_brand(client, shop):
    response = client.get(reverse("tracking:find", args=["fresh-basket"]) + "?lang=en")

    html = response.content.decode()
    assert response.status_code == 200
    assert "Fresh Basket" in html and "--brand: #2e7d32" in html
    assert "Find your parcel" in html and "Order number" in html
    assert response["Referrer-Policy"] == "same-origin"


def test_the_order_number_and_postcode_lead_to_the_tracking_page_whatever_the_case_and_spaces(client, parcel):
    response = _find(client, reference=" ord-1042 ", contact="sw1a1aa")

    assert response.status_code == 303
    assert response["Location"] == f"/t/{parcel.tracking_token}/?lang=en"
    assert response["Cache-Control"] == "no-store"


def test_the_order_number_and_email_lead_to_the_tracking_page(client, parcel):
    response = _find(client, reference="ORD-1042", contact="  jade.martin@example.COM ")

    assert response.status_code == 303
    assert client.get(response["Location"]).status_code == 200


def test_a_wrong_postcode_and_an_unknown_order_number_get_the_same_answer(client, parcel):
    wrong_pair = _find(client, reference="ORD-1042", contact="SW1A 2AA")
    unknown = _find(client, reference="ORD-9999", contact="SW1A 2AA")
    wrong_email = _find(client, reference="ORD-1042", contact="someone@example.com")

    assert wrong_pair.status_code == unknown.status_code == wrong_email.status_code == 404
    assert "We could not find a delivery with these details." in wrong_pair.content.decode()
    # The same page, but for the number it echoes back into the form.
    assert _without_per_response_tokens(wrong_pair.content) == \
        _without_per_response_tokens(unknown.content).replace("ORD-9999", "ORD-1042")
    assert parcel.tracking_token not in wrong_pair.content.decode()


def test_another_shops_order_and_an_expired_link_are_not_found(client, parcel):
    MerchantFactory(slug="other-shop")
    elsewhere = _find(client, slug="other-shop", reference="ORD-1042", contact="SW1A 1AA")
    parcel.tracking_expires_at = NOW - dt.timedelta(minutes=1)
    parcel.save()
    expired = _find(client, reference="ORD-1042", contact="SW1A 1AA")

    assert elsewhere.status_code == expired.status_code == 404
    assert "We could not find a delivery with these details." in expired.content.decode()


def test_empty_fields_are_asked_for_again(client, shop):
    response = _find(client, reference="ORD-1042", contact="   ")

    assert response.status_code == 400
    assert "This field is required." in response.content.decode()


def test_an_unknown_shop_is_a_404(client, db):
    assert client.get("/find/no-such-shop/").status_code == 404
    assert _find(client, slug="no-such-shop", reference="ORD-1", contact="75004").status_code == 404


def test_the_page_speaks_french(client, parcel):
    page = client.get("/find/fresh-basket/?lang=fr").content.decode()
    missing = _find(client, lang="fr", reference="ORD-1", contact="75004")
    found = _find(client, lang="fr", reference="ORD-1042", contact="SW1A 1AA")

    assert "Retrouver votre colis" in page and "Numéro de commande" in page
    assert "Nous n’avons trouvé aucune livraison" in missing.content.decode()
    assert found["Location"].endswith("?lang=fr")
    assert "Cette page n’existe pas" in client.get("/find/no-such-shop/?lang=fr").content.decode()


def test_a_client_trying_reference_after_reference_is_told_to_wait(client, parcel, monkeypatch):
    monkeypatch.setattr("core.throttle.wall_seconds", lambda: 6030.0)  # inside one counting window
    for n in range(10):
        assert _find(client, reference=f"ORD-{n}", contact="SW1A 1AA").status_code == 404

    refused = _find(client, reference="ORD-1042", contact="SW1A 1AA")

    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == 30
    assert "Too many requests in a short time. Please try again in 30 seconds." in refused.content.decode()
    # Another address is a client of its own.
    assert client.post("/find/fresh-basket/", {"reference": "ORD-1042", "contact": "SW1A 1AA"},
                       REMOTE_ADDR="203.0.113.9").status_code == 303
