"""When the database cannot serve (down, pool exhausted, deadlock), clients get 503 and Retry-After, never a 500."""

import pytest
from django.db import OperationalError
from django.test import RequestFactory

from portal.views import server_error

POOL_EXHAUSTED = OperationalError("couldn't get a connection after 10.00 sec")


@pytest.fixture
def pool_exhausted(monkeypatch):
    def fail(**kwargs):
        raise POOL_EXHAUSTED

    monkeypatch.setattr("scheduling.api.delivery_create_idempotent", fail)


def test_a_booking_that_cannot_get_a_connection_answers_503_with_retry_after(api, pool_exhausted):
    client = api
    client.raise_request_exception = False

    response = client.post("/api/v1/deliveries/", {}, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "service_unavailable"
    assert "Retry" in response.json()["error"]["message"]


def test_a_page_whose_database_is_down_answers_503_in_plain_words(client, db, monkeypatch):
    def fail(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr("portal.views.home_links", fail)
    client.raise_request_exception = False

    response = client.get("/")

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response["Content-Type"].startswith("text/plain")


def test_a_database_outage_met_in_a_middleware_is_a_503_too():
    request = RequestFactory().get("/api/v1/deliveries/")
    try:
        raise OperationalError("the database system is shutting down")
    except OperationalError:
        response = server_error(request)

    assert response.status_code == 503
    assert response["Retry-After"] == "5"


def test_any_other_error_still_answers_500(db):
    request = RequestFactory().get("/")
    try:
        raise ValueError("a bug")
    except ValueError:
        response = server_error(request)

    assert response.status_code == 500
