"""Recipients' phones as people write them: read in the merchant's country, stored as E.164."""

import pytest
from django.core.exceptions import ValidationError

from scheduling.models import Delivery
from tests.factories import MerchantFactory
from tests.scheduling.conftest import booking_body

PLAIN_REFUSAL = "This is not a phone number we can text: check the digits (e.g. 06 12 34 56 78)."


def book_with_phone(api, window, phone, key="phone-1"):
    body = booking_body(window.pk)
    body["recipient"] = body["recipient"] | {"phone": phone}
    return api.post("/api/v1/deliveries/", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def test_a_french_number_written_the_french_way_is_stored_as_e164(api, tomorrow_window):
    response = book_with_phone(api, tomorrow_window, "06 12 34 56 78")
    assert response.status_code == 201, response.content
    assert Delivery.objects.get(pk=response.json()["id"]).recipient_phone == "+33612345678"


def test_an_international_number_is_kept_whatever_the_merchants_country(api, tomorrow_window):
    response = book_with_phone(api, tomorrow_window, "+44 7400 123456")
    assert response.status_code == 201, response.content
    assert Delivery.objects.get(pk=response.json()["id"]).recipient_phone == "+447400123456"


def test_a_national_number_reads_in_the_merchants_own_country(api, merchant, tomorrow_window):
    merchant.country = "GB"
    merchant.save(update_fields=["country"])
    response = book_with_phone(api, tomorrow_window, "07400 123456")
    assert response.status_code == 201, response.content
    assert Delivery.objects.get(pk=response.json()["id"]).recipient_phone == "+447400123456"


@pytest.mark.parametrize("phone", ["12", "06 12 34", "not a phone"])
def test_a_number_we_cannot_text_is_a_400_in_plain_words(api, tomorrow_window, phone):
    response = book_with_phone(api, tomorrow_window, phone)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["fields"]["recipient.phone"] == [PLAIN_REFUSAL]
    assert "E.164" not in response.content.decode()
    assert Delivery.objects.count() == 0


def test_a_merchants_country_must_be_a_two_letter_code(db):
    merchant = MerchantFactory(slug="somewhere")
    assert merchant.country == "FR"
    for wrong in ("fr", "FRA", "XX", ""):
        merchant.country = wrong
        with pytest.raises(ValidationError) as refused:
            merchant.full_clean()
        assert "country" in refused.value.message_dict
