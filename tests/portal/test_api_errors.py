"""Every error under /api/ is JSON `{"error": {"code", "message"}}`, wherever it is met; the site keeps its pages."""

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def error_of(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    error = response.json()["error"]
    assert error["code"] and error["message"]
    return error


def test_an_unknown_api_route_is_a_json_404_that_points_at_the_docs(api):
    error = error_of(api.get("/api/v1/parcels/"), 404)

    assert error["code"] == "route_not_found"
    assert "/api/v1/parcels/" in error["message"] and "/api/docs/" in error["message"]


@pytest.mark.parametrize("debug", [True, False])
def test_an_unknown_api_route_is_json_whether_debug_is_on_or_not(settings, debug):
    settings.DEBUG = debug
    # A server posting without a CSRF token, as API clients do.
    client = Client(enforce_csrf_checks=True)

    error = error_of(client.post("/api/v2/deliveries/", {"order_ref": "1"}), 404)

    assert error["code"] == "route_not_found"


def test_a_route_missing_its_final_slash_says_so_rather_than_redirecting(api):
    response = api.post("/api/v1/deliveries", {}, format="json")

    error = error_of(response, 404)
    assert "every API path ends with a slash, as /api/v1/deliveries/ does" in error["message"]


def test_an_unknown_route_outside_the_api_keeps_the_sites_page(client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_method_the_route_does_not_take_is_a_json_405_naming_it(api):
    response = api.delete("/api/v1/holds/")

    error = error_of(response, 405)
    assert error["code"] == "method_not_allowed" and "DELETE" in error["message"]
    assert "POST" in response["Allow"]


def test_a_body_that_is_not_json_is_a_json_415(api):
    response = api.post("/api/v1/deliveries/", "order_ref=1", content_type="text/plain", HTTP_IDEMPOTENCY_KEY="k")

    error = error_of(response, 415)
    assert error["code"] == "unsupported_media_type" and "text/plain" in error["message"]


def test_json_that_does_not_parse_is_a_400_that_says_where(api):
    response = api.post("/api/v1/deliveries/", '{"order_ref": ', content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY="k")

    error = error_of(response, 400)
    assert error["code"] == "malformed_request" and "JSON parse error" in error["message"]


def test_json_that_is_not_an_object_is_a_400_with_a_message(api):
    error = error_of(api.post("/api/v1/holds/", "[]", content_type="application/json"), 400)

    assert error["code"] == "invalid_request" and "Expected a dictionary" in error["message"]


def test_asking_for_anything_but_json_is_a_json_406(api):
    error = error_of(api.get("/api/v1/deliveries/", HTTP_ACCEPT="text/html"), 406)

    assert error["code"] == "not_acceptable" and "application/json" in error["message"]


def test_a_host_the_server_does_not_answer_for_is_a_json_400(client):
    error = error_of(client.get("/api/v1/ping/", HTTP_HOST="evil.example"), 400)

    assert error["code"] == "bad_request" and "host" in error["message"]


def test_a_failure_in_an_api_view_is_a_json_500(api, monkeypatch):
    def crash(self, request):
        raise RuntimeError("boom")

    monkeypatch.setattr("scheduling.api.PingApi.get", crash)
    api.raise_request_exception = False

    error = error_of(api.get("/api/v1/ping/"), 500)

    assert error["code"] == "server_error" and "boom" not in error["message"]


def test_a_failure_in_a_page_keeps_the_sites_500_page(client, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("portal.views.home_links", crash)
    client.raise_request_exception = False

    response = client.get("/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
