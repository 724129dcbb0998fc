"""Finding an order from whatever the caller has: a reference, a phone number, an email, a tracking link."""

import pytest

from tests.factories import DeliveryFactory, MerchantFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def camille():
    merchant = MerchantFactory(slug="fresh-basket", name="Fresh Basket")
    return DeliveryFactory(window__template__merchant=merchant, order_ref="FB-20931", recipient_name="Camille Durand",
                           recipient_phone="+33612345678", recipient_email="camille@example.com")


@pytest.fixture
def someone_else():
    return DeliveryFactory(order_ref="OT-77", recipient_name="Jules Verne", recipient_phone="+33698765432",
                           recipient_email="jules@example.com")


def test_an_order_reference_finds_the_delivery_whatever_the_case(console, camille, someone_else):
    response = console.get("/care/", {"q": "fb-20931"})
    body = response.content.decode()
    assert response.status_code == 200
    assert "FB-20931" in body and "Fresh Basket" in body
    assert "Camille D." in body
    assert "Durand" not in body  # the list shows a first name and an initial only
    assert "OT-77" not in body
    assert f"/care/deliveries/{camille.pk}/" in body


def test_a_phone_number_read_out_the_french_way_finds_the_delivery(console, camille, someone_else):
    body = console.get("/care/", {"q": "06 12 34 56 78"}).content.decode()
    assert "FB-20931" in body
    assert "OT-77" not in body
    assert "+33612345678" in body  # the agent sees which number was looked for


def test_an_international_phone_number_finds_the_delivery_too(console, camille):
    assert "FB-20931" in console.get("/care/", {"q": "+33 6 12 34 56 78"}).content.decode()


def test_a_uk_number_read_out_the_british_way_finds_a_uk_merchants_delivery(console, camille, someone_else):
    merchant = MerchantFactory(slug="tea-and-crumpets", name="Tea and Crumpets", country="GB",
                               time_zone="Europe/London")
    DeliveryFactory(window__template__merchant=merchant, order_ref="TC-1066", recipient_name="Oliver Twist",
                    recipient_phone="+447700900123")
    body = console.get("/care/", {"q": "07700 900123"}).content.decode()
    assert "TC-1066" in body
    assert "FB-20931" not in body and "OT-77" not in body
    assert "+447700900123" in body


def test_a_french_number_is_still_read_as_french_beside_a_uk_merchant(console, camille):
    MerchantFactory(slug="tea-and-crumpets", name="Tea and Crumpets", country="GB", time_zone="Europe/London")
    body = console.get("/care/", {"q": "06 12 34 56 78"}).content.decode()
    assert "FB-20931" in body
    assert "+33612345678" in body and "+44612345678" not in body


def test_a_uk_number_without_a_uk_merchant_is_not_read_as_british(console, camille):
    DeliveryFactory(order_ref="TC-1066", recipient_phone="+447700900123")
    body = console.get("/care/", {"q": "07700 900123"}).content.decode()
    assert "TC-1066" not in body


def test_an_email_finds_the_delivery(console, camille, someone_else):
    body = console.get("/care/", {"q": "Camille@Example.com"}).content.decode()
    assert "FB-20931" in body and "OT-77" not in body


def test_a_pasted_tracking_link_finds_the_delivery(console, camille, someone_else):
    link = f"https://track.example.com/t/{camille.tracking_token}/?lang=fr"
    body = console.get("/care/", {"q": link}).content.decode()
    assert "FB-20931" in body and "OT-77" not in body


def test_a_bare_tracking_token_finds_the_delivery(console, camille, someone_else):
    body = console.get("/care/", {"q": camille.tracking_token}).content.decode()
    assert "FB-20931" in body and "OT-77" not in body


def test_an_unknown_search_says_nothing_matches(console, camille):
    response = console.get("/care/", {"q": "NOPE-404"})
    assert response.status_code == 200
    assert "No order matches" in response.content.decode()


def test_an_empty_search_asks_for_something_to_look_for(console, camille):
    response = console.get("/care/", {"q": "   "})
    assert response.status_code == 200
    assert "Type an order reference" in response.content.decode()


def test_a_huge_or_odd_search_is_answered_not_a_500(console, camille):
    assert console.get("/care/", {"q": "x" * 5000}).status_code == 200
    assert console.get("/care/", {"q": "+++"}).status_code == 200
    assert console.get("/care/", {"q": "/t/"}).status_code == 200


def test_a_signed_in_user_without_a_care_role_is_refused_with_the_reason(client, outsider, camille):
    client.force_login(outsider)
    for url in ("/care/", f"/care/deliveries/{camille.pk}/", "/care/exceptions/"):
        response = client.get(url)
        assert response.status_code == 403
        assert "Your role does not include the care console." in response.content.decode()
        assert camille.recipient_name not in response.content.decode()


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, camille):
    response = client.get("/care/", {"q": "FB-20931"})
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
