import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from dispatch.models import Plan, Vehicle
from dispatch.services import plan_day
from tests.dispatch.conftest import PLAN_DAY
from tests.factories import local, platform_staff

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispatcher(db):
    return platform_staff("dispatcher", "dispatcher")


@pytest.fixture
def shopper(db):
    return get_user_model().objects.create_user("shopper", "s@example.com", "pw")


@pytest.fixture
def planned_day(depot, jobs, clock_at):
    """The plan day is today, 10:00 in Paris, and it has a plan."""
    clock_at(local(PLAN_DAY, 10))
    return plan_day(depot=depot, date=PLAN_DAY)


def console_url(depot, day=PLAN_DAY) -> str:
    return f"{reverse('dispatch:console')}?depot={depot.pk}&date={day.isoformat()}"


def test_the_dispatcher_sees_the_days_routes_and_figures(client, dispatcher, depot, fleet, planned_day):
    client.force_login(dispatcher)

    response = client.get(console_url(depot))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Paris North" in page
    assert f"v{planned_day.version}" in page
    assert f"{round(planned_day.distance_m / 1000, 1)} km" in page
    for route in planned_day.routes.all():
        assert f'data-vehicle="{route.vehicle.code}"' in page
    assert 'data-figure="on-time">100 %' in page
    assert "Re-plan now" in page
    assert "Mark lost" in page


def test_the_console_opens_on_the_first_depot_and_today(client, dispatcher, depot, fleet, planned_day):
    client.force_login(dispatcher)

    response = client.get(reverse("dispatch:console"))

    assert response.status_code == 200
    assert response.context["depot"] == depot
    assert response.context["date"] == PLAN_DAY
    assert response.context["plan"] == planned_day


def test_a_day_without_a_plan_offers_to_plan_it(client, dispatcher, depot, jobs, clock_at):
    clock_at(local(PLAN_DAY, 7))
    client.force_login(dispatcher)

    page = client.get(console_url(depot)).content.decode()

    assert "No plan for" in page
    assert "Plan this day" in page


def test_someone_without_a_dispatch_role_is_refused_with_the_reason(client, shopper, depot):
    client.force_login(shopper)

    response = client.get(console_url(depot))

    assert response.status_code == 403
    assert "Your role does not include the dispatch console." in response.content.decode()


def test_an_anonymous_visitor_cannot_read_the_map_data(client, depot):
    response = client.get(reverse("dispatch:console-data"), {"depot": depot.pk, "date": PLAN_DAY})

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_the_map_data_lists_each_route_in_order(client, dispatcher, depot, planned_day):
    client.force_login(dispatcher)

    data = client.get(reverse("dispatch:console-data"), {"depot": depot.pk, "date": PLAN_DAY}).json()

    assert data["plan"]["version"] == planned_day.version
    assert data["depot"]["lat"] == depot.lat
    for route in data["routes"]:
        assert [s["sequence"] for s in route["stops"]] == list(range(1, len(route["stops"]) + 1))
        assert route["colour"].startswith("#")
    assert sum(len(r["stops"]) for r in data["routes"]) == 12


def test_a_bad_depot_in_the_map_query_is_a_400(client, dispatcher, depot):
    client.force_login(dispatcher)

    response = client.get(reverse("dispatch:console-data"), {"depot": "nope", "date": "2026-13-45"})

    assert response.status_code == 400
    assert set(response.json()["error"]["fields"]) == {"depot", "date"}


# Real transactions: the re-plan task runs when the view's write commits, before the redirect, as in production.
@pytest.mark.django_db(transaction=True)
def test_re_plan_now_makes_a_new_version_and_shows_its_diff(client, dispatcher, depot, planned_day, tasks_in_process):
    client.force_login(dispatcher)

    response = client.post(reverse("dispatch:replan"), {"depot": depot.pk, "date": PLAN_DAY.isoformat()}, follow=True)

    active = Plan.objects.get(depot=depot, date=PLAN_DAY, status=Plan.Status.ACTIVE)
    assert active.version == planned_day.version + 1
    page = response.content.decode()
    assert f"plan version {active.version} is live" in page
    assert f"Changes since v{planned_day.version}" in page


@pytest.mark.django_db(transaction=True)
def test_mark_lost_replans_without_that_vehicle(client, dispatcher, depot, fleet, planned_day, tasks_in_process):
    client.force_login(dispatcher)
    van = max(planned_day.routes.all(), key=lambda r: r.stops.count()).vehicle

    response = client.post(reverse("dispatch:vehicle-lost", args=[van.pk]), follow=True)

    van.refresh_from_db()
    assert van.status == Vehicle.Status.LOST
    active = Plan.objects.get(depot=depot, date=PLAN_DAY, status=Plan.Status.ACTIVE)
    assert active.version == planned_day.version + 1
    assert not active.routes.filter(vehicle=van, stops__isnull=False).exists()
    page = response.content.decode()
    assert f"{van.code} marked lost: plan version {active.version} is live" in page


def test_mark_lost_needs_a_post(client, dispatcher, fleet):
    client.force_login(dispatcher)

    response = client.get(reverse("dispatch:vehicle-lost", args=[fleet[0].pk]))

    assert response.status_code == 405
    fleet[0].refresh_from_db()
    assert fleet[0].status == Vehicle.Status.AVAILABLE
