"""In Chromium: a dispatcher slows a zone from the console, is told what to fix, then sees the re-plan and the
windows it puts at risk."""

import pytest
from django.conf import settings
from django.test import Client

from dispatch.models import Disruption, Plan
from dispatch.services import plan_day
from tests.browser import BROWSER_MARKS
from tests.dispatch.conftest import PLAN_DAY, make_jobs
from tests.factories import ShiftFactory, VehicleFactory, local, platform_staff

pytestmark = BROWSER_MARKS


@pytest.mark.django_db(transaction=True)
def test_the_dispatcher_slows_a_zone_and_sees_the_windows_it_puts_at_risk(live_server, chromium, depot, zone,
                                                                           clock_at, tasks_in_process, screenshots):
    for n in range(1, 3):
        van = VehicleFactory(code=f"van-{n}", name=f"Van {n}", depot=depot, capacity_parcels=40, capacity_weight_kg=500)
        ShiftFactory(vehicle=van, depot=depot, date=PLAN_DAY, starts_at=local(PLAN_DAY, 8), ends_at=local(PLAN_DAY, 20))
    # An hour's window holds five stops a van on a free road; four times slower, it does not.
    make_jobs(zone, 40, windows=((10, 11), (11, 12), (12, 13), (13, 14)))
    clock_at(local(PLAN_DAY, 9, 30))
    plan_day(depot=depot, date=PLAN_DAY, time_limit_s=2)
    client = Client()
    client.force_login(platform_staff("dispatcher", "dispatcher"))
    context = chromium.new_context(viewport={"width": 1280, "height": 800})
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                          "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": live_server.url}])
    page = context.new_page()
    page.goto(f"{live_server.url}/dispatch/?depot={depot.pk}&date={PLAN_DAY.isoformat()}")
    assert "No zone of this depot is slowed on this day." in page.locator(".dc-disruptions").inner_text()

    page.get_by_text("Slow a zone…").click()
    page.get_by_label("Zone").select_option(str(zone.pk))
    page.get_by_label("From").fill(f"{PLAN_DAY}T10:00")
    page.get_by_label("Until").fill(f"{PLAN_DAY}T09:00")
    page.get_by_label("Slower by (%)").fill("300")
    page.get_by_label("Reason").fill("Snow")
    page.get_by_role("button", name="Slow the zone").click()

    # Refused with the reason next to the field, the form still open and filled.
    assert page.locator(".dc-field-error .dc-field-message").inner_text() == "The end must be after the start."
    assert page.get_by_label("Reason").input_value() == "Snow"
    assert not Disruption.objects.exists()

    page.get_by_label("Until").fill(f"{PLAN_DAY}T18:00")
    page.get_by_role("button", name="Slow the zone").click()
    page.wait_for_selector(".dc-message-success")

    assert "Paris centre is 300 % slower until Tue 10 Mar 18:00" in page.locator(".dc-messages").inner_text()
    active = Plan.objects.get(depot=depot, date=PLAN_DAY, status=Plan.Status.ACTIVE)
    assert active.version == 2 and active.trigger.startswith("disruption")
    panel = page.locator(".dc-disruptions")
    assert "Snow" in panel.inner_text() and "+300 %" in panel.inner_text()
    assert page.locator(".dc-risk-table tbody tr").count() >= 1  # snow makes some windows late on the new plan
    page.locator(".dc-disruptions").scroll_into_view_if_needed()
    page.screenshot(path=str(screenshots / "dispatch_disruptions.png"), full_page=True)

    phone = chromium.new_context(viewport={"width": 390, "height": 844})
    phone.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                        "value": client.cookies[settings.SESSION_COOKIE_NAME].value, "url": live_server.url}])
    small = phone.new_page()
    small.goto(f"{live_server.url}/dispatch/?depot={depot.pk}&date={PLAN_DAY.isoformat()}")
    small.get_by_text("Slow a zone…").click()
    small.locator(".dc-disruptions").screenshot(path=str(screenshots / "dispatch_disruptions_phone.png"))
    phone.close()
    context.close()
