"""What operators read: request ids on responses and log lines (web, task, socket), /metrics, the probes."""

import json
import logging
import re

import pytest
from asgiref.sync import sync_to_async
from celery import shared_task
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from core.log_context import log_bound
from portal.asgi import application
from portal.celery import app
from tests.log_privacy import LineCapture, personal_data_in
from tests.scheduling.conftest import booking_body

METRICS_TOKEN = "scrape-" + "t" * 24


@pytest.fixture
def log_lines():
    """Every log line written during the test, as production writes it (one JSON object each)."""
    capture = LineCapture()
    root, consumer = logging.getLogger(), logging.getLogger("tracking.consumers")
    root.addHandler(capture)
    consumer.setLevel(logging.DEBUG)  # the socket's line per relayed event
    yield capture.lines
    root.removeHandler(capture)
    consumer.setLevel(logging.NOTSET)


def parsed(lines):
    return [json.loads(line) for line in lines]


def scrape(client, token=METRICS_TOKEN):
    return client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")


def sample(text: str, name: str, **labels) -> float:
    """The value of one series in a Prometheus text answer (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if match and match[1] == name and ",".join(sorted((match[2] or "").split(","))) == wanted:
            return float(match[3])
    return 0.0


# --- Request ids ----------------------------------------------------------------------------------------------


def test_a_response_answers_the_request_id_the_client_sent(client, db):
    response = client.get("/healthz/live", HTTP_X_REQUEST_ID="checkout-7f3a9c21")

    assert response["X-Request-ID"] == "checkout-7f3a9c21"


def test_a_request_without_an_id_gets_a_fresh_one_each_time(client, db):
    first, second = client.get("/healthz/live"), client.get("/healthz/live")

    assert re.fullmatch(r"[0-9a-f]{32}", first["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


@pytest.mark.parametrize("sent", ['abc def" ghi', "short", "x" * 200, "évènement-12345"])
def test_an_id_that_does_not_read_as_one_is_replaced_not_echoed(client, db, sent):
    response = client.get("/healthz/live", HTTP_X_REQUEST_ID=sent)

    assert response["X-Request-ID"] != sent
    assert re.fullmatch(r"[0-9a-f]{32}", response["X-Request-ID"])


def test_a_booking_s_lines_and_the_tasks_it_runs_carry_its_request_id_merchant_and_delivery(
        transactional_db, api, tomorrow_window, merchant, log_lines, settings):
    # Committed for real and run in-process (as on the embedded defaults, with Redis too), so the work after
    # commit (the confirmation SMS's task) runs inside the request; tests/e2e follows it into a worker.
    settings.CELERY_TASK_ALWAYS_EAGER = True
    response = api.post("/api/v1/deliveries/", booking_body(tomorrow_window.pk), format="json",
                        HTTP_IDEMPOTENCY_KEY="order-1", HTTP_X_REQUEST_ID="shop-req-0001")

    assert response.status_code == 201, response.content
    assert response["X-Request-ID"] == "shop-req-0001"
    lines = parsed(log_lines)
    access = [line for line in lines if line["logger"] == "portal.requests"]
    assert access == [{**access[0], "message": "POST api/v1/deliveries/ 201 in " + access[0]["message"].split(" in ")[1]}]
    assert access[0]["request_id"] == "shop-req-0001"
    assert access[0]["merchant"] == merchant.slug
    assert access[0]["delivery"] == response.json()["id"]
    assert (access[0]["route"], access[0]["status"]) == ("api/v1/deliveries/", 201)
    # The tasks the booking enqueued ran (in-process here): their lines name them and the request.
    tasks = [line for line in lines if line.get("task")]
    assert tasks, lines
    assert {line["request_id"] for line in tasks} == {"shop-req-0001"}
    assert not personal_data_in(log_lines, ["Camille Durand", "12 Rue de Rivoli"])


@shared_task(name="tests.portal.log_probe")
def log_probe(delivery_id: str) -> None:
    logging.getLogger("tests.portal").info("probe ran")


def test_a_task_published_during_a_request_carries_its_id_to_the_worker(db, monkeypatch, log_lines):
    # Published, not run in place: the app's own setting, which it read once from Django's when first used.
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    with app.connection_for_write("memory://") as connection:
        # The queue is there before the task is sent: a producer that believes it declared it already (another
        # test's connection) would otherwise send to an exchange with nothing bound.
        queue = connection.SimpleQueue(app.conf.task_default_queue)
        with log_bound(request_id="web-req-00042"):
            log_probe.apply_async(kwargs={"delivery_id": "d-1"}, connection=connection)
        message = queue.get(timeout=2)
    message.ack()

    assert message.headers["request_id"] == "web-req-00042"
    # The worker runs the task from that message: its lines carry the id, the task's name and the delivery.
    log_probe.apply(kwargs={"delivery_id": "d-1"}, headers={"request_id": message.headers["request_id"]})
    probe = next(line for line in parsed(log_lines) if line["message"] == "probe ran")
    assert (probe["request_id"], probe["task"], probe["delivery"]) == ("web-req-00042", "tests.portal.log_probe", "d-1")


def test_text_lines_for_a_person_at_a_terminal_show_the_same_fields(client, db, settings):
    from portal.log_format import TextLineFormatter

    record = logging.LogRecord("scheduling.services", logging.INFO, __file__, 1, "booked", (), None)
    record.request_id, record.merchant, record.delivery, record.task = "req-12345678", "fresh-basket", "", ""

    assert TextLineFormatter().format(record).endswith(
        "INFO scheduling.services [request_id=req-12345678 merchant=fresh-basket] booked")


# --- The socket --------------------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_the_socket_logs_what_it_relays_under_the_publishing_request_s_id(log_lines, settings):
    from tests.tracking.factories import build_route
    from tracking.services import eta_publish

    settings.METRICS_TOKEN = METRICS_TOKEN
    world = await sync_to_async(build_route)()
    delivery = world.deliveries[0]
    socket = WebsocketCommunicator(application, f"/ws/t/{delivery.tracking_token}/",
                                   headers=[(b"origin", b"http://testserver"), (b"host", b"testserver"),
                                            (b"x-request-id", b"page-socket-0001")])
    try:
        assert (await socket.connect())[0]
        opened = await sync_to_async(lambda: sample(scrape(Client()).text, "portal_websockets_open"))()

        def publish():
            with log_bound(request_id="driver-ping-0007"):
                eta_publish(delivery_id=delivery.pk, payload={"kind": "eta", "eta_label": "10:42"})

        await sync_to_async(publish)()
        assert await socket.receive_json_from(timeout=2) == {"kind": "eta", "eta_label": "10:42"}
        await socket.disconnect()
        closed = await sync_to_async(lambda: sample(scrape(Client()).text, "portal_websockets_open"))()
    finally:
        await sync_to_async(connections.close_all)()

    lines = [line for line in parsed(log_lines) if line["logger"] == "tracking.consumers"]
    assert {"message": "tracking socket open", "request_id": "page-socket-0001",
            "delivery": str(delivery.pk)}.items() <= next(line for line in lines if "open" in line["message"]).items()
    relay = next(line for line in lines if line["message"] == "relaying eta.update")
    assert (relay["request_id"], relay["delivery"]) == ("driver-ping-0007", str(delivery.pk))
    assert opened - closed == 1


# --- Metrics -----------------------------------------------------------------------------------------------------


def test_metrics_are_closed_when_no_token_is_set(client, db, settings):
    settings.METRICS_TOKEN = ""

    response = scrape(client, token="")

    assert response.status_code == 403
    assert "METRICS_TOKEN" in response.json()["error"]["message"]


@pytest.mark.parametrize("authorization", ["", "Bearer wrong-token-0000000000", f"Basic {METRICS_TOKEN}"])
def test_metrics_refuse_a_scraper_without_the_token(client, db, settings, authorization):
    settings.METRICS_TOKEN = METRICS_TOKEN

    response = client.get("/metrics", HTTP_AUTHORIZATION=authorization)

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="metrics"'
    assert "portal_" not in response.content.decode()


def test_metrics_count_bookings_refusals_by_reason_and_requests_by_route(api, tomorrow_window, client, settings):
    settings.METRICS_TOKEN = METRICS_TOKEN
    before = scrape(client).content.decode()

    booked = api.post("/api/v1/deliveries/", booking_body(tomorrow_window.pk), format="json",
                      HTTP_IDEMPOTENCY_KEY="order-1")
    refused = api.post("/api/v1/deliveries/", booking_body(999999, order_ref="ORD-2"), format="json",
                       HTTP_IDEMPOTENCY_KEY="order-2")
    after = scrape(client)

    assert (booked.status_code, refused.status_code) == (201, 400), refused.content
    assert after.status_code == 200
    assert after["Content-Type"].startswith("text/plain; version=")
    text = after.content.decode()
    reason = refused.json()["error"]["code"]
    assert sample(text, "portal_bookings_total") - sample(before, "portal_bookings_total") == 1
    assert sample(text, "portal_booking_refusals_total", reason=reason) - sample(
        before, "portal_booking_refusals_total", reason=reason) == 1
    route = {"route": "api/v1/deliveries/", "method": "POST"}
    assert sample(text, "portal_http_responses_total", status="201", **route) - sample(
        before, "portal_http_responses_total", status="201", **route) == 1
    assert sample(text, "portal_http_request_duration_seconds_count", **route) - sample(
        before, "portal_http_request_duration_seconds_count", **route) == 2


def test_metrics_name_every_series_operators_watch(client, db, settings):
    settings.METRICS_TOKEN = METRICS_TOKEN

    text = scrape(client).content.decode()

    for family in ("portal_http_request_duration_seconds", "portal_http_responses_total", "portal_bookings_total",
                   "portal_booking_refusals_total", "portal_holds_taken_total", "portal_holds_expired_total",
                   "portal_replans_total", "portal_replan_solve_seconds", "portal_replan_lateness_seconds",
                   "portal_eta_error_seconds", "portal_messages_total", "portal_celery_tasks_total",
                   "portal_websockets_open"):
        assert f"# TYPE {family} " in text, family


def test_a_re_plan_counts_its_solve_time_and_lateness(client, settings, tomorrow_window, depot, api):
    from dispatch.services import plan_replan
    from tests.scheduling.conftest import TOMORROW

    settings.METRICS_TOKEN = METRICS_TOKEN
    before = scrape(client).content.decode()
    api.post("/api/v1/deliveries/", booking_body(tomorrow_window.pk), format="json", HTTP_IDEMPOTENCY_KEY="order-1")

    plan_replan(depot=depot, date=TOMORROW, trigger="test")

    text = scrape(client).content.decode()
    assert sample(text, "portal_replans_total", outcome="new") - sample(before, "portal_replans_total", outcome="new") >= 1
    assert sample(text, "portal_replan_solve_seconds_count") > sample(before, "portal_replan_solve_seconds_count")
    assert sample(text, "portal_replan_lateness_seconds_count") > sample(before, "portal_replan_lateness_seconds_count")


def test_an_arrival_measures_the_eta_shown_before_it(client, db, settings):
    import datetime as dt

    from tests.tracking.factories import build_route
    from tracking.models import EtaSnapshot
    from tracking.services.journey import eta_error_observe

    settings.METRICS_TOKEN = METRICS_TOKEN
    world = build_route()
    delivery = world.deliveries[0]
    arrived = dt.datetime(2026, 6, 2, 11, 0, tzinfo=dt.UTC)
    # Shown 40 minutes before: 11:05, 5 minutes late. Shown 15 minutes before: 10:59, a minute early.
    for minutes, eta in ((40, arrived + dt.timedelta(minutes=5)), (15, arrived - dt.timedelta(minutes=1))):
        EtaSnapshot.objects.create(delivery=delivery, computed_at=arrived - dt.timedelta(minutes=minutes), eta=eta,
                                   band_start=eta, band_end=eta)
    before = scrape(client).content.decode()

    eta_error_observe(delivery_id=delivery.pk, arrived_at=arrived)

    text = scrape(client).content.decode()

    def added(name, **labels):
        return sample(text, name, **labels) - sample(before, name, **labels)

    assert added("portal_eta_error_seconds_sum", horizon="30m") == 300
    assert added("portal_eta_error_seconds_sum", horizon="10m") == 60
    assert added("portal_eta_error_seconds_count", horizon="60m") == 0  # nothing was shown an hour before


# --- Probes ------------------------------------------------------------------------------------------------------


def test_liveness_answers_while_the_database_is_down_and_readiness_does_not(client, db, monkeypatch):
    from django.db.utils import OperationalError

    class UnreachableDatabase:
        vendor = "postgresql"

        def cursor(self):
            raise OperationalError("connection refused")

        def close(self):
            pass

    monkeypatch.setattr("portal.health.connection", UnreachableDatabase())

    live, ready, legacy = client.get("/healthz/live"), client.get("/healthz/ready"), client.get("/healthz")

    assert (live.status_code, live.json()) == (200, {"status": "ok"})
    assert ready.status_code == 503 and ready.json()["failing"] == ["database"]
    assert legacy.status_code == 503 and legacy.json() == ready.json()


# --- The privacy check itself ------------------------------------------------------------------------------------


@pytest.mark.parametrize("line", [
    '{"message": "SMS to +33612345678 queued"}',
    '{"message": "SMS to +33 6 12 34 56 78 queued"}',
    '{"message": "mail for camille.durand@example.com"}',
    '{"message": "booked for Camille Durand"}',
    '{"message": "12 Rue de Rivoli is outside the zone"}',
])
def test_the_log_privacy_check_finds_a_customer_in_a_line(line):
    assert personal_data_in([line], known=["Camille Durand", "12 Rue de Rivoli"])


def test_the_log_privacy_check_lets_identifiers_through():
    line = ('{"message": "POST api/v1/deliveries/ 201 in 12 ms", "request_id": "0f3c9a", "merchant": "fresh-basket", '
            '"delivery": "4f1e7f0e-3d55-4bb5-9c2e-0c6b1c1d9f00", "duration_ms": 12.5, "route": "t/<str:token>/"}')
    assert personal_data_in([line], known=["Camille Durand"]) == []


def test_the_home_page_is_labelled_by_its_pattern_and_only_an_unresolved_path_is_unmatched(rf):
    from django.urls import resolve

    from portal.observability import route_of

    home = rf.get("/")
    home.resolver_match = resolve("/")
    lost = rf.get("/no-such-page/")

    assert route_of(home) == "/"
    assert route_of(lost) == "(unmatched)"
