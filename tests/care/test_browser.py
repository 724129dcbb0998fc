"""The queue and a journey in Chromium at 1440×900, screenshotted for review."""

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client

from dispatch.models import Plan, Route
from scheduling.models import Delivery
from tests.browser import BROWSER_MARKS
from tests.care.conftest import TODAY, TOMORROW, make_agent
from tests.care.factories import EtaSnapshotFactory, EventFactory, JourneyExceptionFactory
from tests.factories import MerchantFactory, ShiftFactory, WindowFactory, WindowTemplateFactory, local
from tests.tracking.factories import build_route
from tracking.models import Event

pytestmark = BROWSER_MARKS


@pytest.fixture
def browser_context(chromium):
    context = chromium.new_context(viewport={"width": 1440, "height": 900})
    yield context
    context.close()


def _morning(agent, teammate):
    """Mid-morning in Paris: one van on its round, a late stop, a missed customer, a carrier code nobody knows."""
    merchant = MerchantFactory(slug="fresh-basket", name="Fresh Basket")
    route = build_route(day=TODAY, window_hours=(8, 12), merchant=merchant)
    template = route.window.template
    WindowTemplateFactory(merchant=template.merchant, zone=route.zone, label="evening", start_time=dt.time(18),
                          end_time=dt.time(20))
    for day in (TOMORROW, TOMORROW + dt.timedelta(days=1)):
        WindowFactory(template=template, date=day)
        ShiftFactory(vehicle=route.vehicle, driver=route.driver, depot=route.depot, date=day,
                     starts_at=local(day, 8), ends_at=local(day, 20))
    missed, late, other = route.deliveries[1], route.deliveries[2], route.deliveries[3]
    for delivery in route.deliveries:
        EventFactory(delivery=delivery, milestone="scheduled", recorded_at=local(TODAY, 6, 0))
        EventFactory(delivery=delivery, milestone="scanned_out", source=Event.Source.DRIVER,
                     recorded_at=local(TODAY, 8, 5))
    EventFactory(delivery=late, milestone="out_for_delivery", source=Event.Source.CARRIER,
                 reason="", note="SwiftPost OFD", recorded_at=local(TODAY, 8, 6))
    EventFactory(delivery=missed, milestone="arrived", source=Event.Source.GEOFENCE, recorded_at=local(TODAY, 9, 52))
    EventFactory(delivery=missed, milestone="attempted", source=Event.Source.DRIVER, reason="nobody_home",
                 recorded_at=local(TODAY, 9, 58))
    for minutes, eta in ((0, (10, 12)), (60, (10, 31)), (125, (10, 48))):
        at = local(TODAY, 8, 0) + dt.timedelta(minutes=minutes)
        eta_at = local(TODAY, *eta)
        EtaSnapshotFactory(delivery=late, stop=route.stops[2], computed_at=at, eta=eta_at,
                           band_start=eta_at - dt.timedelta(minutes=10), band_end=eta_at + dt.timedelta(minutes=14),
                           stops_away=1)
    # The first stop is done: delivered at 08:17, 2 min after an ETA published at 07:30.
    done = route.stops[0]
    done.actual_arrival, done.actual_departure, done.status = local(TODAY, 8, 14), local(TODAY, 8, 19), "done"
    done.save()
    Delivery.objects.filter(pk=route.deliveries[0].pk).update(status="delivered")
    Delivery.objects.filter(pk=missed.pk).update(status="attempted")
    EventFactory(delivery=route.deliveries[0], milestone="delivered", source=Event.Source.DRIVER,
                 recorded_at=local(TODAY, 8, 17))
    EtaSnapshotFactory(delivery=route.deliveries[0], stop=done, computed_at=local(TODAY, 7, 30),
                       eta=local(TODAY, 8, 12), band_start=local(TODAY, 8, 2), band_end=local(TODAY, 8, 25))
    Plan.objects.filter(pk=route.plan.pk).update(distance_m=38_400, duration_s=4 * 3600)
    Route.objects.filter(pk=route.route.pk).update(distance_m=38_400, duration_s=4 * 3600)
    now = local(TODAY, 10, 20)
    JourneyExceptionFactory(delivery=late, code="window_at_risk", message="ETA 10:48 leaves 12 min of slack",
                            opened_at=now - dt.timedelta(minutes=35), due_at=now - dt.timedelta(minutes=5))
    JourneyExceptionFactory(delivery=missed, code="failed_attempt", message="Delivery attempted: nobody_home.",
                            opened_at=local(TODAY, 9, 58), due_at=local(TODAY, 11, 58))
    JourneyExceptionFactory(delivery=other, code="unknown_carrier_code", message="SwiftPost code X42 is not mapped",
                            state="assigned", owner=teammate, opened_at=now - dt.timedelta(hours=1),
                            due_at=now + dt.timedelta(minutes=12))
    JourneyExceptionFactory(delivery=route.deliveries[0], code="customer_contact",
                            message="Customer asks where the parcel was left", state="assigned",
                            owner=agent, opened_at=now - dt.timedelta(minutes=8), due_at=now + dt.timedelta(minutes=52))
    return route, late, now


@pytest.mark.django_db(transaction=True)
def test_the_queue_and_a_journey_look_right_in_a_desktop_browser(live_server, browser_context, frozen_now, screenshots):
    agent, teammate = make_agent("alice", "Alice", "Moreau"), make_agent("bruno", "Bruno", "Petit")
    route, late, now = _morning(agent, teammate)
    frozen_now(now)
    client = Client()
    client.force_login(agent)
    browser_context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                                  "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                                  "url": live_server.url}])
    page = browser_context.new_page()

    page.goto(f"{live_server.url}/care/exceptions/")
    rows = page.locator("table.care-queue tbody tr")
    assert rows.count() == 4
    assert "overdue by 5 min" in rows.nth(0).inner_text()
    assert rows.nth(0).locator(".badge-bad").count() == 1
    page.screenshot(path=str(screenshots / "care_queue.png"), full_page=True)

    assert "failed_attempt" in rows.nth(3).inner_text()
    rows.nth(3).get_by_role("button", name="Take it").click()
    page.wait_for_selector(".care-message-success")
    assert "You own this exception now." in page.inner_text(".care-messages")

    page.goto(f"{live_server.url}/care/?q={late.order_ref}")
    page.get_by_role("link", name=late.order_ref).click()
    page.wait_for_selector("#care-order")
    assert "Left the depot" in page.inner_text(".care-events")
    assert page.locator("#id_window_id option").count() >= 1
    page.screenshot(path=str(screenshots / "care_journey.png"), full_page=True)

    page.goto(f"{live_server.url}/care/")
    page.screenshot(path=str(screenshots / "care_home.png"), full_page=True)
