"""The disruptions API: a weather or traffic feed with its key, or a platform dispatcher, slows a zone."""

import datetime as dt
from unittest import mock

import pytest
from rest_framework.test import APIClient

from dispatch import tasks
from dispatch.disruptions import disruption_feed_create
from dispatch.models import Disruption, ReplanRequest
from dispatch.services import plan_day
from tests.dispatch.conftest import PLAN_DAY
from tests.factories import DepotFactory, ZoneFactory, local, platform_staff

pytestmark = pytest.mark.django_db

URL = "/api/v1/disruptions/"


@pytest.fixture(autouse=True)
def _no_broker():
    with mock.patch.object(tasks.replan_depot_day, "apply_async"):
        yield


@pytest.fixture
def morning(clock_at):
    return clock_at(local(PLAN_DAY, 7))


@pytest.fixture
def feed(depot):
    return disruption_feed_create(code="meteo", name="Météo feed", depot=depot, raw_key="fk_test_meteo")[0]


def as_feed(key="fk_test_meteo") -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def body(zone_row, **fields):
    return {"zone": zone_row.code, "starts_at": local(PLAN_DAY, 13).isoformat(), "ends_at": local(PLAN_DAY, 19).isoformat(),
            "slowdown_percent": 40, "reason": "Snow", "external_id": "evt-1", **fields}


def test_a_feed_slows_a_zone_of_its_depot_and_the_planned_day_replans(depot, zone, jobs, feed, morning):
    plan_day(depot=depot, date=PLAN_DAY)

    response = as_feed().post(URL, body(zone), format="json")

    assert response.status_code == 201, response.json()
    answer = response.json()
    assert (answer["zone"], answer["depot"], answer["speed_factor"], answer["slowdown_percent"]) == (
        zone.code, depot.code, 1.4, 40)
    assert (answer["source"], answer["external_id"]) == ("feed", "evt-1")
    disruption = Disruption.objects.get()
    assert disruption.feed == feed
    assert ReplanRequest.objects.get().triggers == ["disruption"]


def test_a_feed_sending_the_same_event_again_updates_it(zone, feed, morning):
    as_feed().post(URL, body(zone), format="json")

    response = as_feed().post(URL, body(zone, slowdown_percent=80, ends_at=local(PLAN_DAY, 21).isoformat()),
                              format="json")

    assert response.status_code == 200
    disruption = Disruption.objects.get()
    assert (disruption.speed_factor, disruption.ends_at) == (1.8, local(PLAN_DAY, 21))


def test_a_feed_changes_and_ends_its_disruption(zone, feed, morning, clock_at):
    created = as_feed().post(URL, body(zone, starts_at=local(PLAN_DAY, 6).isoformat()), format="json").json()

    changed = as_feed().patch(f"{URL}{created['id']}/", {"speed_factor": 1.2}, format="json")
    clock_at(local(PLAN_DAY, 8))
    ended = as_feed().post(f"{URL}{created['id']}/end/")
    again = as_feed().post(f"{URL}{created['id']}/end/")

    assert (changed.status_code, changed.json()["speed_factor"]) == (200, 1.2)
    assert (ended.status_code, ended.json()) == (200, {"outcome": "ended"})
    assert Disruption.objects.get().ends_at == local(PLAN_DAY, 8)
    assert (again.status_code, again.json()["error"]["code"]) == (409, "disruption_over")


@pytest.mark.parametrize(("fields", "code", "field"), [
    ({"ends_at": local(PLAN_DAY, 12).isoformat()}, "invalid_period", "ends_at"),
    ({"slowdown_percent": 0}, "invalid_speed_factor", "speed_factor"),
    ({"slowdown_percent": None, "speed_factor": 12}, "invalid_speed_factor", "speed_factor"),
    ({"slowdown_percent": None}, "invalid_request", "speed_factor"),
    ({"speed_factor": 1.5}, "invalid_request", "speed_factor"),
    ({"starts_at": "tomorrow"}, "invalid_request", "starts_at"),
    ({"zone": "atlantis"}, "zone_not_found", "zone"),
])
def test_bad_input_is_a_400_that_names_the_field(zone, feed, morning, fields, code, field):
    data = {k: v for k, v in {**body(zone), **fields}.items() if v is not None}

    response = as_feed().post(URL, data, format="json")

    assert response.status_code == 400
    error = response.json()["error"]
    assert (error["code"], list(error["fields"])) == (code, [field])
    assert not Disruption.objects.exists()


def test_without_a_key_the_api_answers_401_and_with_a_wrong_one_too(zone, feed, morning):
    assert APIClient().post(URL, body(zone), format="json").status_code == 401
    wrong = as_feed("fk_not_a_key").post(URL, body(zone), format="json")
    merchant_key = as_feed("sk_live_abc").post(URL, body(zone), format="json")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (401, "invalid_api_key")
    assert merchant_key.status_code == 401
    assert not Disruption.objects.exists()


def test_a_feed_may_not_slow_another_depots_zone_nor_touch_another_feeds_disruption(zone, feed, morning):
    lyon = ZoneFactory(depot=DepotFactory(name="Lyon"))
    disruption_feed_create(code="traffic", name="Traffic", raw_key="fk_test_traffic")
    theirs = as_feed("fk_test_traffic").post(URL, body(zone, external_id="t-1"), format="json").json()

    elsewhere = as_feed().post(URL, body(lyon), format="json")
    meddling = as_feed().post(f"{URL}{theirs['id']}/end/")

    assert (elsewhere.status_code, elsewhere.json()["error"]["code"]) == (403, "zone_not_in_depot")
    assert (meddling.status_code, meddling.json()["error"]["code"]) == (404, "disruption_not_found")


def test_a_platform_dispatcher_uses_the_api_with_a_session_and_a_care_agent_may_not(zone, morning):
    dispatcher, agent = platform_staff("dispatcher", "dispatcher"), platform_staff("agent", "care")
    client = APIClient()
    client.force_authenticate(dispatcher)
    created = client.post(URL, body(zone, external_id=""), format="json")
    client.force_authenticate(agent)
    refused = client.post(URL, body(zone, external_id=""), format="json")

    assert created.status_code == 201
    assert Disruption.objects.get().created_by == dispatcher
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "permission_denied")


def test_an_inactive_feed_is_refused(zone, feed, morning):
    feed.active = False
    feed.save()

    assert as_feed().post(URL, body(zone), format="json").status_code == 401


def test_the_schema_documents_the_disruptions_api_and_its_feed_key(client):
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/json").json()

    create = schema["paths"]["/api/v1/disruptions/"]["post"]
    assert create["operationId"] == "disruptions_create"
    assert {"disruptionFeedKey": []} in create["security"]
    assert {"201", "400", "401", "403"} <= set(create["responses"])
    assert "/api/v1/disruptions/{disruption_id}/end/" in schema["paths"]
    assert schema["components"]["securitySchemes"]["disruptionFeedKey"]["scheme"] == "bearer"


def test_the_window_is_the_feeds_own_time_zone_offset(zone, feed, morning):
    response = as_feed().post(URL, body(zone, starts_at="2026-03-10T12:00:00Z", ends_at="2026-03-10T18:00:00Z"),
                              format="json")

    assert response.status_code == 201
    assert Disruption.objects.get().starts_at == dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC)


def test_the_command_creates_a_feed_and_prints_the_key_it_then_uses(zone, morning):
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("disruption_feed_create", "meteo-paris", "--depot", zone.depot.code, stdout=out)
    key = out.getvalue().rsplit(" ", 1)[-1].strip()

    assert key.startswith("fk_")
    assert as_feed(key).post(URL, body(zone), format="json").status_code == 201
    assert Disruption.objects.get().feed.code == "meteo-paris"


def test_a_feed_lists_its_own_disruptions_not_yet_over(zone, feed, morning, clock_at):
    other = ZoneFactory(depot=zone.depot, code="paris-east")
    as_feed().post(URL, body(zone), format="json")
    as_feed().post(URL, body(other, external_id="evt-2", starts_at=local(PLAN_DAY, 8).isoformat(),
                             ends_at=local(PLAN_DAY, 9).isoformat()), format="json")
    disruption_feed_create(code="traffic", name="Traffic", raw_key="fk_test_traffic")
    as_feed("fk_test_traffic").post(URL, body(zone, external_id="t-1"), format="json")
    clock_at(local(PLAN_DAY, 10))  # the one in paris-east is over

    mine = as_feed().get(URL).json()["results"]
    in_zone = as_feed().get(URL, {"zone": "paris-east"}).json()["results"]

    assert [(d["zone"], d["external_id"]) for d in mine] == [(zone.code, "evt-1")]
    assert in_zone == []
