"""Every surface anyone can reach answers 429 with Retry-After once a client spends its budget, and only then."""

import logging
import socket

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from core.client_address import client_ip
from core.env import parse_rate
from core.throttle import throttle_hit
from merchants.models import ApiKey
from merchants.services import api_key_create
from tests.factories import AllowedOriginFactory, DriverFactory
from tests.tracking.factories import device_key_for
from tracking.services import carrier_create

pytestmark = pytest.mark.django_db

SHOP = "https://shop.example.com"
CARRIER_SECRET = "carrier-shared-secret-0123456789"


@pytest.fixture
def budget(settings, monkeypatch):
    """Lower one scope's budget to `requests` a minute for the test, with the throttle's clock standing still
    mid-window, so that no window ends between the test's requests."""
    monkeypatch.setattr("core.throttle.wall_seconds", lambda: 6030.0)

    def lower(scope: str, requests: int = 2, seconds: int = 60):
        settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, scope: (requests, seconds)}

    return lower


def secret_client(merchant) -> APIClient:
    _, raw = api_key_create(merchant=merchant, kind=ApiKey.Kind.SECRET)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def shopper(publishable_key: str, address: str = "203.0.113.7") -> APIClient:
    client = APIClient(REMOTE_ADDR=address)
    client.credentials(HTTP_X_API_KEY=publishable_key, HTTP_ORIGIN=SHOP)
    return client


def driver_phone(merchant) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {device_key_for(DriverFactory(), 'dk_test_throttled_phone')}")
    return client


def carrier_system(merchant) -> APIClient:
    carrier_create(code="swiftpost", name="SwiftPost", format="swiftpost", raw_secret=CARRIER_SECRET)
    client = APIClient()
    client.credentials(HTTP_X_CARRIER_SECRET=CARRIER_SECRET)
    return client


def shop_browser(merchant) -> APIClient:
    AllowedOriginFactory(merchant=merchant, origin=SHOP)
    _, raw = api_key_create(merchant=merchant, kind=ApiKey.Kind.PUBLISHABLE)
    return shopper(raw)


def anonymous(method: str, path: str, data: dict | None = None):
    """A client nobody knows (one address) calling `path`, as many times as the test likes."""
    return lambda merchant: lambda: getattr(APIClient(), method)(path, data or {})


def with_credential(make_client, method: str, path: str):
    """A client holding one credential (made once) calling `path`."""

    def prepare(merchant):
        client = make_client(merchant)
        return lambda: getattr(client, method)(path, {}, format="json")

    return prepare


# (surface, scope, how a client calls it, whether it answers JSON). A request counts whatever it is answered,
# so an unknown tracking link counts like a real one: guessing links spends the same budget.
SURFACES = [
    ("tracking page", "tracking_page", anonymous("get", "/t/no-such-link/"), False),
    ("tracking status.json", "tracking_status", anonymous("get", "/t/no-such-link/status.json"), True),
    ("tracking instructions", "tracking_page", anonymous("post", "/t/no-such-link/instructions/"), False),
    ("tracking rating", "tracking_page", anonymous("post", "/t/no-such-link/rating/"), False),
    ("reschedule link", "reschedule", anonymous("get", "/t/no-such-link/reschedule/"), False),
    ("embedded picker", "embed", anonymous("get", "/embed/windows/", {"key": "pk_unknown"}), False),
    ("embed check", "embed", anonymous("get", "/embed/check/", {"key": "pk_unknown"}), True),
    ("holds from a browser", "api_browser", with_credential(shop_browser, "post", "/api/v1/holds/"), True),
    ("API with a secret key", "api_secret_key", with_credential(secret_client, "get", "/api/v1/merchant/"), True),
    ("API without a key", "api_anonymous", anonymous("get", "/api/v1/ping/"), True),
    ("Twilio inbound SMS", "inbound_webhooks", anonymous("post", "/notifications/twilio/inbound/"), True),
    ("Twilio status report", "inbound_webhooks", anonymous("post", "/notifications/twilio/status/"), True),
    ("carrier events", "api_carrier", with_credential(carrier_system, "post", "/api/v1/carriers/swiftpost/events/"),
     True),
    ("driver pings", "api_driver", with_credential(driver_phone, "post", "/api/v1/pings/"), True),
    ("driver scans", "api_driver", with_credential(driver_phone, "post", "/api/v1/scans/"), True),
    ("site sign-in", "login", anonymous("post", "/accounts/login/", {"username": "x", "password": "y"}), False),
    ("admin sign-in", "login", anonymous("post", "/admin/login/", {"username": "x", "password": "y"}), False),
]


@pytest.mark.parametrize(("surface", "scope", "call", "answers_json"), SURFACES, ids=[s[0] for s in SURFACES])
def test_each_public_surface_answers_429_with_retry_after_once_the_budget_is_spent(
        merchant, budget, surface, scope, call, answers_json):
    budget(scope, requests=2)
    call = call(merchant)

    within = [call().status_code for _ in range(2)]
    refused = call()

    assert 429 not in within
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"  # the window runs from 6000 to 6060 s
    if answers_json:
        error = refused.json()["error"]
        assert error["code"] == "rate_limited"
        assert error["retry_after"] == 30 and error["message"]
    else:
        assert refused["Content-Type"].startswith("text/html")
        assert "Too many" in refused.content.decode()


def test_a_real_customer_reading_their_page_is_not_limited(merchant):
    answers = [APIClient().get("/t/no-such-link/").status_code for _ in range(30)]

    assert set(answers) == {404}


def test_300_rapid_requests_from_one_client_are_limited_at_the_default_budgets(monkeypatch):
    # Inside one counting window whatever the machine's speed (a slow run crossed a minute and started afresh).
    monkeypatch.setattr("core.throttle.wall_seconds", lambda: 1_800_000_030.0)
    answers = [APIClient().get("/t/no-such-link/status.json").status_code for _ in range(300)]

    assert answers[0] == 404 and answers[-1] == 429


def test_another_address_keeps_its_own_budget(budget):
    budget("tracking_page", requests=1)
    neighbour, stranger = APIClient(REMOTE_ADDR="198.51.100.1"), APIClient(REMOTE_ADDR="198.51.100.2")

    assert neighbour.get("/t/no-such-link/").status_code == 404
    assert neighbour.get("/t/no-such-link/").status_code == 429
    assert stranger.get("/t/no-such-link/").status_code == 404


def test_each_secret_key_has_its_own_budget(merchant, outsider_merchant, budget):
    budget("api_secret_key", requests=1)
    ours, theirs = secret_client(merchant), secret_client(outsider_merchant)

    assert ours.get("/api/v1/merchant/").status_code == 200
    assert ours.get("/api/v1/merchant/").status_code == 429
    assert theirs.get("/api/v1/merchant/").status_code == 200


def test_one_shopper_spending_their_budget_leaves_the_other_shoppers_of_the_shop_alone(merchant, budget):
    budget("api_browser", requests=1)
    AllowedOriginFactory(merchant=merchant, origin=SHOP)
    _, key = api_key_create(merchant=merchant, kind=ApiKey.Kind.PUBLISHABLE)

    assert shopper(key, "203.0.113.7").get("/api/v1/merchant/").status_code == 200
    assert shopper(key, "203.0.113.7").get("/api/v1/merchant/").status_code == 429
    assert shopper(key, "203.0.113.8").get("/api/v1/merchant/").status_code == 200


def test_all_the_shoppers_of_a_publishable_key_together_have_the_keys_budget(merchant, budget):
    budget("api_publishable_key", requests=2)
    AllowedOriginFactory(merchant=merchant, origin=SHOP)
    _, key = api_key_create(merchant=merchant, kind=ApiKey.Kind.PUBLISHABLE)

    answers = [shopper(key, f"203.0.113.{n}").get("/api/v1/merchant/").status_code for n in range(1, 4)]

    assert answers == [200, 200, 429]


def test_a_budget_refills_when_its_window_ends(settings):
    settings.THROTTLE_RATES = {**settings.THROTTLE_RATES, "tracking_page": (2, 60)}
    spend = [throttle_hit(scope="tracking_page", identity="198.51.100.9", now=6000.0 + s) for s in (0, 10, 15)]

    assert [verdict.allowed for verdict in spend] == [True, True, False]
    assert spend[-1].retry_after == 45  # the window runs from 6000 to 6060
    assert throttle_hit(scope="tracking_page", identity="198.51.100.9", now=6060.0).allowed


def test_a_refused_client_is_served_again_once_retry_after_has_passed(budget, monkeypatch):
    budget("tracking_page", requests=1)
    client = APIClient()
    client.get("/t/no-such-link/")
    refused = client.get("/t/no-such-link/")
    assert refused.status_code == 429

    monkeypatch.setattr("core.throttle.wall_seconds", lambda: 6030.0 + int(refused["Retry-After"]))

    assert client.get("/t/no-such-link/").status_code == 404


def test_the_page_speaks_the_customers_language(budget):
    budget("tracking_page", requests=1)
    APIClient().get("/t/no-such-link/", {"lang": "fr"})

    refused = APIClient().get("/t/no-such-link/", {"lang": "fr"})

    assert refused.status_code == 429
    assert "Trop de requêtes" in refused.content.decode()
    assert '<a class="btn btn-secondary" href="/t/no-such-link/?lang=fr">Réessayer</a>' in refused.content.decode()


def test_turned_off_nothing_is_limited(settings, budget):
    budget("tracking_page", requests=1)
    settings.THROTTLE_ENABLED = False

    assert {APIClient().get("/t/no-such-link/").status_code for _ in range(3)} == {404}


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("backend", ["portal.cache.OutageTolerantRedisCache",
                                     "django.core.cache.backends.redis.RedisCache"])
def test_with_the_cache_down_requests_go_through_and_a_warning_is_logged(
        settings, budget, merchant, caplog, backend):
    budget("tracking_page", requests=1)
    budget("api_secret_key", requests=1)
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
                                   "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2}}}
    api = secret_client(merchant)

    with caplog.at_level(logging.WARNING, logger="core.throttle"):
        pages = [APIClient().get("/t/no-such-link/").status_code for _ in range(3)]
        calls = [api.get("/api/v1/merchant/").status_code for _ in range(3)]

    assert pages == [404] * 3
    assert calls == [200] * 3
    assert "cache is unreachable" in caplog.text


def test_without_trusted_proxies_a_forwarded_address_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="198.51.100.66")

    assert client_ip(request) == "192.0.2.10"


def test_behind_one_proxy_the_address_it_saw_is_the_client_whatever_the_client_wrote(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    forged = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.66, 203.0.113.5")

    assert client_ip(forged) == "203.0.113.5"


def test_a_request_that_went_round_the_proxies_is_judged_by_its_own_address(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.10", HTTP_X_FORWARDED_FOR="203.0.113.5")

    assert client_ip(request) == "192.0.2.10"


@pytest.mark.parametrize(("raw", "rate"), [("120/min", (120, 60)), ("10/30s", (10, 30)), ("5000/day", (5000, 86400)),
                                           ("3/2h", (3, 7200))])
def test_a_rate_reads_as_requests_per_period(raw, rate):
    assert parse_rate("THROTTLE_RATE_X", raw) == rate


@pytest.mark.parametrize("raw", ["120", "0/min", "ten/min", "5/fortnight", "5/-1min"])
def test_a_rate_that_cannot_be_read_stops_the_process(raw):
    with pytest.raises(ImproperlyConfigured, match="THROTTLE_RATE_X"):
        parse_rate("THROTTLE_RATE_X", raw)


def test_the_schema_documents_429_with_retry_after_on_limited_operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    holds = schema["paths"]["/api/v1/holds/"]["post"]["responses"]["429"]
    windows = schema["paths"]["/api/v1/windows/"]["get"]["responses"]["429"]

    assert "hold_limit" in holds["description"] and "rate_limited" in holds["description"]
    assert "rate_limited" in windows["description"]
    assert "Retry-After" in holds["headers"] and "Retry-After" in windows["headers"]

