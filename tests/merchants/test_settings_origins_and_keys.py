"""The embed origins and API keys tabs: origins as browsers send them, and secret keys shown once."""

import pytest
from django.urls import reverse

from merchants.errors import MerchantError, MerchantErrorCode
from merchants.models import AllowedOrigin, ApiKey, StaffMembership
from merchants.services import (
    allowed_origin_add,
    api_key_authenticate,
    api_key_create,
    merchant_origin_allowed,
)
from tests.merchants.conftest import signed_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def origins_url(merchant):
    return reverse("merchants:settings-origins", args=[merchant.slug])


@pytest.fixture
def keys_url(merchant):
    return reverse("merchants:settings-keys", args=[merchant.slug])


@pytest.mark.parametrize(("typed", "stored"), [
    ("https://Shop.Example.com/", "https://shop.example.com"),
    ("  HTTPS://SHOP.EXAMPLE.COM  ", "https://shop.example.com"),
    ("https://shop.example.com:443", "https://shop.example.com"),
    ("http://localhost:8000/", "http://localhost:8000"),
])
def test_an_origin_is_stored_as_browsers_send_it(as_owner, origins_url, merchant, typed, stored):
    response = as_owner.post(origins_url, {"origin": typed})

    assert response.status_code == 302
    assert list(AllowedOrigin.objects.filter(merchant=merchant).values_list("origin", flat=True)) == [stored]
    assert merchant_origin_allowed(merchant=merchant, origin=stored)


def test_the_same_origin_twice_is_refused_with_a_message(as_owner, origins_url, merchant):
    as_owner.post(origins_url, {"origin": "https://shop.example.com"})

    response = as_owner.post(origins_url, {"origin": "https://SHOP.example.com/"})

    assert response.status_code == 400
    assert response.context["form"].errors["origin"] == ["https://shop.example.com is already allowed."]
    assert AllowedOrigin.objects.filter(merchant=merchant).count() == 1


@pytest.mark.parametrize("typed", ["shop.example.com", "https://shop.example.com/checkout", "ftp://shop.example.com",
                                   "https://shop example.com", ""])
def test_something_that_is_not_an_origin_is_refused(as_owner, origins_url, merchant, typed):
    response = as_owner.post(origins_url, {"origin": typed})

    assert response.status_code == 400
    assert response.context["form"].errors["origin"]
    assert not AllowedOrigin.objects.filter(merchant=merchant).exists()


def test_the_service_says_which_rule_refused(merchant):
    allowed_origin_add(merchant=merchant, origin="https://shop.example.com")

    with pytest.raises(MerchantError) as duplicate:
        allowed_origin_add(merchant=merchant, origin="https://shop.example.com/")
    with pytest.raises(MerchantError) as invalid:
        allowed_origin_add(merchant=merchant, origin="https://shop.example.com/path")

    assert duplicate.value.code == MerchantErrorCode.ORIGIN_DUPLICATE
    assert invalid.value.code == MerchantErrorCode.ORIGIN_INVALID


def test_the_same_origin_may_belong_to_two_merchants(merchant, outsider_merchant):
    allowed_origin_add(merchant=merchant, origin="https://marketplace.example")
    allowed_origin_add(merchant=outsider_merchant, origin="https://marketplace.example")

    assert AllowedOrigin.objects.filter(origin="https://marketplace.example").count() == 2


def test_a_removed_origin_is_no_longer_allowed(as_owner, merchant):
    origin = allowed_origin_add(merchant=merchant, origin="https://shop.example.com")

    response = as_owner.post(reverse("merchants:settings-origin-remove", args=[merchant.slug, origin.pk]))

    assert response.status_code == 302
    assert not merchant_origin_allowed(merchant=merchant, origin="https://shop.example.com")


def test_a_new_secret_key_is_shown_once_and_works(as_owner, keys_url, merchant):
    response = as_owner.post(keys_url, {"kind": "secret", "name": "Checkout server"})
    assert response.status_code == 302

    page = as_owner.get(keys_url)
    raw = page.context["new_key"]["raw"]
    assert raw.startswith("sk_") and raw in page.content.decode()
    key = api_key_authenticate(raw_key=raw, kind=ApiKey.Kind.SECRET)
    assert key is not None and key.merchant == merchant and key.name == "Checkout server"

    again = as_owner.get(keys_url).content.decode()
    assert raw not in again
    assert key.prefix in again


def test_publishable_keys_are_listed_in_full(as_owner, keys_url, merchant):
    _, raw = api_key_create(merchant=merchant, kind=ApiKey.Kind.PUBLISHABLE, name="Checkout page")
    _, secret = api_key_create(merchant=merchant, kind=ApiKey.Kind.SECRET, name="Server")

    page = as_owner.get(keys_url).content.decode()

    assert raw in page
    assert secret not in page and secret[:12] in page


def test_a_key_needs_a_name_and_a_known_kind(as_owner, keys_url, merchant):
    response = as_owner.post(keys_url, {"kind": "admin", "name": ""})

    assert response.status_code == 400
    assert set(response.context["form"].errors) == {"kind", "name"}
    assert not ApiKey.objects.filter(merchant=merchant).exists()


def test_revoking_asks_first_then_the_key_stops_authenticating(as_owner, merchant, keys_url):
    key, raw = api_key_create(merchant=merchant, kind=ApiKey.Kind.SECRET, name="Server")
    revoke_url = reverse("merchants:settings-key-revoke", args=[merchant.slug, key.pk])

    confirm = as_owner.get(revoke_url)
    assert confirm.status_code == 200 and "Calls with this key are refused from now on" in confirm.content.decode()
    assert api_key_authenticate(raw_key=raw, kind=ApiKey.Kind.SECRET) is not None

    assert as_owner.post(revoke_url)["Location"] == keys_url
    assert api_key_authenticate(raw_key=raw, kind=ApiKey.Kind.SECRET) is None
    assert as_owner.get(revoke_url).status_code == 404  # nothing left to revoke


def test_rolling_replaces_the_key_and_shows_the_new_one_once(as_owner, merchant, keys_url):
    key, raw = api_key_create(merchant=merchant, kind=ApiKey.Kind.SECRET, name="Server")
    roll_url = reverse("merchants:settings-key-roll", args=[merchant.slug, key.pk])
    assert "stops working at once" in as_owner.get(roll_url).content.decode()

    as_owner.post(roll_url)

    page = as_owner.get(keys_url)
    new_raw = page.context["new_key"]["raw"]
    assert api_key_authenticate(raw_key=raw, kind=ApiKey.Kind.SECRET) is None
    new_key = api_key_authenticate(raw_key=new_raw, kind=ApiKey.Kind.SECRET)
    assert new_key.name == "Server" and new_key.merchant == merchant
    assert new_raw not in as_owner.get(keys_url).content.decode()


def test_a_new_key_waiting_in_the_session_is_shown_only_on_its_merchants_page(
        merchant, outsider_merchant, owner, keys_url):
    StaffMembership.objects.create(user=owner, merchant=outsider_merchant, role=StaffMembership.Role.OWNER)
    client = signed_in(owner)
    client.post(keys_url, {"kind": "secret", "name": "Server"})

    other = client.get(reverse("merchants:settings-keys", args=[outsider_merchant.slug]))

    assert other.context["new_key"] is None
    assert client.get(keys_url).context["new_key"]["raw"].startswith("sk_")
