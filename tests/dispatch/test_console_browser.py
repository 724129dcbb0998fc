
import pytest
from django.conf import settings
from django.test import Client

from dispatch.models import Plan, Vehicle
from dispatch.services import plan_day
from tests.browser import BROWSER_MARKS
from tests.dispatch.conftest import PLAN_DAY, make_jobs
from tests.factories import ShiftFactory, VehicleFactory, local, platform_staff

pytestmark = BROWSER_MARKS


@pytest.fixture
def browser_page(chromium):
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    yield context
    context.close()


@pytest.mark.django_db(transaction=True)
def test_the_dispatcher_watches_the_plan_and_replans_around_a_lost_van(live_server, browser_page, depot, zone, clock_at,
                                                                          tasks_in_process, screenshots):
    vans = []
    for n in range(1, 6):
        van = VehicleFactory(code=f"van-{n}", name=f"Van {n}", depot=depot, capacity_parcels=40, capacity_weight_kg=500)
        ShiftFactory(vehicle=van, depot=depot, date=PLAN_DAY, starts_at=local(PLAN_DAY, 8), ends_at=local(PLAN_DAY, 20),
                     driver__first_name=["Amel", "Bruno", "Chloé", "Diego", "Emma"][n - 1])
        vans.append(van)
    make_jobs(zone, 45)
    clock_at(local(PLAN_DAY, 9, 30))
    plan = plan_day(depot=depot, date=PLAN_DAY, time_limit_s=2)
    staff = platform_staff("dispatcher", "dispatcher")
    client = Client()
    client.force_login(staff)
    browser_page.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                               "url": live_server.url}])
    page = browser_page.new_page()

    page.goto(f"{live_server.url}/dispatch/?depot={depot.pk}&date={PLAN_DAY.isoformat()}")
    page.wait_for_selector("#dc-map[data-ready=true]", timeout=15_000)

    routes = plan.routes.filter(stops__isnull=False).distinct().count()
    # One polyline per route and one circle per stop are drawn even though no map tile can load here.
    assert page.locator("#dc-map path.leaflet-interactive").count() >= routes + 45
    assert page.locator(".dc-row").count() == plan.routes.count()
    assert page.locator("[data-figure=distance]").inner_text() == f"{round(plan.distance_m / 1000, 1)} km"
    page.screenshot(path=str(screenshots / "dispatch_console.png"))

    busiest = max(plan.routes.all(), key=lambda r: r.stops.count()).vehicle
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator(f".dc-row[data-vehicle='{busiest.code}'] button", has_text="Mark lost").click()
    page.wait_for_selector(".dc-message-success", timeout=30_000)
    page.wait_for_selector("#dc-map[data-ready=true]", timeout=15_000)

    assert f"{busiest.code} marked lost: plan version 2 is live" in page.locator(".dc-messages").inner_text()
    assert "Changes since v1" in page.locator(".dc-diff").inner_text()
    assert Vehicle.objects.get(pk=busiest.pk).status == Vehicle.Status.LOST
    active = Plan.objects.get(depot=depot, date=PLAN_DAY, status=Plan.Status.ACTIVE)
    assert active.version == 2 and not active.routes.filter(vehicle=busiest, stops__isnull=False).exists()
    page.screenshot(path=str(screenshots / "dispatch_console_after_lost.png"), full_page=True)
