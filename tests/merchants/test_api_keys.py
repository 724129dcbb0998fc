import hashlib

from django.utils import timezone
from rest_framework.test import APIClient

from merchants.models import ApiKey
from merchants.services import api_key_create, api_key_revoke
from tests.factories import AllowedOriginFactory


def test_a_secret_key_is_stored_only_as_a_digest(merchant):
    key, raw = api_key_create(merchant=merchant, kind=ApiKey.Kind.SECRET)

    stored = ApiKey.objects.get(pk=key.pk)
    assert raw.startswith("sk_") and len(raw) > 40
    assert stored.digest == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in {value for value in vars(stored).values() if isinstance(value, str)}
    assert stored.prefix == raw[:12]


def test_the_merchant_sees_its_own_brand_with_its_secret_key(api, merchant):
    response = api.get("/api/v1/merchant/")

    assert response.status_code == 200
    assert response.json()["slug"] == merchant.slug
    assert response.json()["primary_colour"] == merchant.primary_colour


def test_a_revoked_key_is_refused_with_401(merchant):
    key, raw = api_key_create(merchant=merchant, kind=ApiKey.Kind.SECRET)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/merchant/").status_code == 200

    api_key_revoke(key=key)

    response = client.get("/api/v1/merchant/")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "invalid_api_key"


def test_an_unknown_key_is_refused_with_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer sk_not_a_real_key")

    response = client.get("/api/v1/merchant/")

    assert response.status_code == 401
    assert "revoked" in response.json()["error"]["message"]


def test_a_request_without_any_key_is_told_how_to_authenticate(db):
    response = APIClient().get("/api/v1/merchant/")

    assert response.status_code == 401
    assert "X-Api-Key" in response.json()["error"]["message"]


def test_a_secret_key_cannot_be_used_as_a_publishable_key(merchant, secret_key):
    response = APIClient().get("/api/v1/merchant/", HTTP_X_API_KEY=secret_key)

    assert response.status_code == 401


def test_a_publishable_key_works_only_from_a_registered_origin(merchant, publishable_key):
    AllowedOriginFactory(merchant=merchant, origin="https://shop.example.com")
    client = APIClient()

    allowed = client.get("/api/v1/merchant/", HTTP_X_API_KEY=publishable_key, HTTP_ORIGIN="https://shop.example.com")
    refused = client.get("/api/v1/merchant/", HTTP_X_API_KEY=publishable_key, HTTP_ORIGIN="https://evil.example.net")

    assert allowed.status_code == 200
    assert refused.status_code == 403
    assert "evil.example.net" in refused.json()["error"]["message"]


def test_using_a_key_records_when_it_was_last_used(merchant, secret_key, api):
    api.get("/api/v1/merchant/")

    key = ApiKey.objects.get(merchant=merchant, kind=ApiKey.Kind.SECRET)
    assert key.last_used_at is not None
    assert (timezone.now() - key.last_used_at).total_seconds() < 60
