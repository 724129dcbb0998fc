"""The API answers what its OpenAPI schema says, on every operation the schema lists.

Schemathesis reads /api/schema/ from the app in-process (WSGI) and makes each operation a test, so a
route added later is covered as soon as it is in the schema. Each sends a bounded, deterministic set of
generated requests, valid and invalid, authenticated as the schema says: a seeded merchant's secret key
(its publishable key on the routes a shop's page calls), a driver's device key, a carrier's secret. Every
answer must not be a server error, must have a status code, a content type and a body the schema lists
for it. Nothing in the schema is left out: it holds only the /api/v1/ routes, all plain HTTP (the
tracking websocket and the pages are not in it).

Some generated values are drawn from the seeded world (a window's id, a delivery's id, an address in the
zone), so the runs reach success answers as well as refusals; the successes that need a whole valid body
(a booking, a move, a batch of GPS points) are also sent as written below and checked the same way.
"""

import datetime as dt
import uuid

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from dispatch.disruptions import disruption_feed_create
from dispatch.models import Vehicle, Zone
from merchants.models import ApiKey
from merchants.services import api_key_create
from portal.wsgi import application
from tests.factories import DeliveryFactory, JobFactory, MerchantFactory, WindowFactory, WindowTemplateFactory
from tests.scheduling.conftest import ADDRESS, NOW, add_shifts, booking_body
from tests.tracking.factories import build_route, device_key_for
from tracking.services import carrier_create

SECRET_KEY = "sk_test_conformance_0123456789abcdef"
PUBLISHABLE_KEY = "pk_test_conformance_0123456789abcdef"
DEVICE_KEY = "dk_test_conformance_0123456789abcdef"
CARRIER_CODE, CARRIER_SECRET = "swiftpost", "cs_test_conformance_0123456789abcdef"
FEED_KEY = "fk_test_conformance_0123456789abcdef"
ZONE_CODE = "conformance-zone"

# The headers each security scheme of the schema is met with.
CREDENTIALS = {
    "secretKey": {"Authorization": f"Bearer {SECRET_KEY}"},
    "publishableKey": {"X-Api-Key": PUBLISHABLE_KEY},
    "driverDeviceKey": {"Authorization": f"Bearer {DEVICE_KEY}"},
    "carrierSecret": {"X-Carrier-Secret": CARRIER_SECRET},
    "disruptionFeedKey": {"Authorization": f"Bearer {FEED_KEY}"},
    # A signed-in staff session: every operation that takes one also takes a key, which the runs send.
    "cookieAuth": {},
}

# Seeded with these ids so generated requests can name them (the schema is read before any test runs).
WINDOW_IDS = [970001, 970002]
DELIVERY_IDS = ["5e1f0c4a-7a2b-4c1d-9e8f-000000000001", "5e1f0c4a-7a2b-4c1d-9e8f-000000000002"]
VEHICLE_CODE = "conformance-van"

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]

SEEDED = 0.8  # how often a value bound below is drawn from the seeded world rather than generated

CONFIG = SchemathesisConfig.from_dict({
    "seed": 20260601,
    "generation": {"max-examples": 10, "deterministic": True, "database": "none"},
    "dictionaries": {
        "windows": {"values": WINDOW_IDS},
        "deliveries": {"values": DELIVERY_IDS},
        "carriers": {"values": [CARRIER_CODE]},
        "vehicles": {"values": [VEHICLE_CODE]},
        "lats": {"values": [ADDRESS["lat"]]},
        "lngs": {"values": [ADDRESS["lng"]]},
        "postcodes": {"values": ["75004"]},
        "phones": {"values": ["+33612345678"]},
    },
    "parameters": {
        "path.delivery_id": {"dictionary": "deliveries", "probability": SEEDED},
        "path.code": {"dictionary": "carriers", "probability": SEEDED},
        "query.postcode": {"dictionary": "postcodes", "probability": SEEDED},
        "query.lat": {"dictionary": "lats", "probability": SEEDED},
        "query.lng": {"dictionary": "lngs", "probability": SEEDED},
        "body.window_id": {"dictionary": "windows", "probability": SEEDED},
        "body.lat": {"dictionary": "lats", "probability": SEEDED},
        "body.lng": {"dictionary": "lngs", "probability": SEEDED},
        "body.address.lat": {"dictionary": "lats", "probability": SEEDED},
        "body.address.lng": {"dictionary": "lngs", "probability": SEEDED},
        "body.recipient.phone": {"dictionary": "phones", "probability": SEEDED},
        "body.points[*].vehicle": {"dictionary": "vehicles", "probability": SEEDED},
    },
})

# Read from the app when this module is collected: this schemathesis release's fixture-based loader does
# not run under pytest 9.2, and the schema view needs no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/", application, config=CONFIG)


@schema.auth(refresh_interval=None)
class SeededCredentials:
    """Routes a shop's page calls get the publishable key, as browsers send it; others the scheme they name."""

    def get(self, case, context):
        schemes = [name for requirement in case.operation.definition.raw.get("security", []) for name in requirement]
        if "publishableKey" in schemes:
            return CREDENTIALS["publishableKey"]
        return CREDENTIALS[schemes[0]] if schemes else {}

    def set(self, case, data, context):
        case.headers = {**(case.headers or {}), **data}


@pytest.fixture
def in_process_requests():
    """Requests served in the test's own transaction, as Django's test client serves them.

    The WSGI handler closes "old" connections when a request starts and ends; in a test that would close
    the transaction holding the seeded world.
    """
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def seeded_world(db, clock_at, in_process_requests):
    """A merchant with its keys, its windows tomorrow and the day after (two deliveries booked in the first),
    a driver on today's route with a device key, and a carrier with its secret."""
    clock_at(NOW)
    merchant = MerchantFactory(slug="fresh-basket", name="Fresh Basket")
    api_key_create(merchant=merchant, kind=ApiKey.Kind.SECRET, raw_key=SECRET_KEY)
    api_key_create(merchant=merchant, kind=ApiKey.Kind.PUBLISHABLE, raw_key=PUBLISHABLE_KEY)
    route = build_route(day=NOW.date(), merchant=merchant)
    device_key_for(route.driver, DEVICE_KEY)
    Vehicle.objects.filter(pk=route.vehicle.pk).update(code=VEHICLE_CODE)
    carrier_create(code=CARRIER_CODE, name="SwiftPost", format="swiftpost", raw_secret=CARRIER_SECRET)
    disruption_feed_create(code="conformance-feed", name="Weather", raw_key=FEED_KEY)
    Zone.objects.filter(pk=route.zone.pk).update(code=ZONE_CODE)

    days = [NOW.date() + dt.timedelta(days=n) for n in (1, 2)]
    add_shifts(route.depot, days)
    template = WindowTemplateFactory(merchant=merchant, zone=route.zone, start_time=dt.time(10),
                                     end_time=dt.time(12), max_stops=10)
    windows = [WindowFactory(id=window_id, template=template, date=day, capacity=10)
               for window_id, day in zip(WINDOW_IDS, days, strict=True)]
    for delivery_id in DELIVERY_IDS:
        window = windows[0]
        job = JobFactory(zone=route.zone, depot=route.depot, date=window.date, lat=ADDRESS["lat"],
                         lng=ADDRESS["lng"], window_start=window.starts_at, window_end=window.ends_at)
        DeliveryFactory(id=uuid.UUID(delivery_id), window=window, merchant=merchant, job=job, status="scheduled",
                        lat=ADDRESS["lat"], lng=ADDRESS["lng"])
        window.booked += 1
        window.save(update_fields=["booked"])
    return merchant


@schema.parametrize()
@settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_the_api_answers_what_its_schema_says(case, seeded_world):
    case.call_and_validate(checks=CHECKS)


def authenticated(case):
    SeededCredentials().set(case, SeededCredentials().get(case, None), None)
    return case


@pytest.mark.parametrize(("method", "path", "request_parts", "status"), [
    ("POST", "/api/v1/deliveries/", {"body": booking_body(WINDOW_IDS[1], order_ref="ORD-CONFORMANCE"),
                                     "headers": {"Idempotency-Key": "order-conformance"}}, 201),
    ("POST", "/api/v1/deliveries/{delivery_id}/reschedule/",
     {"path_parameters": {"delivery_id": DELIVERY_IDS[0]}, "body": {"window_id": WINDOW_IDS[1]}}, 200),
    ("PUT", "/api/v1/deliveries/{delivery_id}/carrier/",
     {"path_parameters": {"delivery_id": DELIVERY_IDS[1]}, "body": {"carrier": CARRIER_CODE, "tracking_number": "SP1"}},
     200),
    ("POST", "/api/v1/pings/", {"body": {"points": [{
        "client_id": "p-1", "vehicle": VEHICLE_CODE, **ADDRESS, "speed": 8.2, "heading": 90, "accuracy": 6,
        "recorded_at": NOW.isoformat()}]}}, 200),
    ("POST", "/api/v1/disruptions/", {"body": {
        "zone": ZONE_CODE, "starts_at": (NOW + dt.timedelta(hours=1)).isoformat(),
        "ends_at": (NOW + dt.timedelta(hours=5)).isoformat(), "slowdown_percent": 30, "reason": "Snow"}}, 201),
])
def test_a_success_that_needs_a_whole_valid_request_answers_what_the_schema_says(
        seeded_world, method, path, request_parts, status):
    case = authenticated(schema[path][method].Case(media_type="application/json", **request_parts))

    response = case.call_and_validate(checks=CHECKS)

    assert response.status_code == status, response.text


def test_every_security_scheme_of_the_schema_has_seeded_credentials():
    assert set(schema.raw_schema["components"]["securitySchemes"]) <= set(CREDENTIALS)


def test_the_run_fails_on_an_answer_the_schema_does_not_list(seeded_world, monkeypatch):
    from rest_framework.response import Response

    monkeypatch.setattr("scheduling.api.DeliveryDetailApi.get", lambda self, request, delivery_id: Response(status=418))
    case = authenticated(schema["/api/v1/deliveries/{delivery_id}/"]["GET"].Case(
        path_parameters={"delivery_id": DELIVERY_IDS[0]}))

    with pytest.raises(FailureGroup, match="Undocumented status code"):
        case.call_and_validate(checks=CHECKS)
