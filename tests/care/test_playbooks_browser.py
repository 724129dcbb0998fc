"""The queue a morning's playbooks fill, in Chromium on a desktop and a phone: teams, timers, escalation."""

import pytest
from django.conf import settings
from django.test import Client

from care.models import JourneyException, PlaybookRule
from care.playbooks.checks import playbooks_sweep
from dispatch.services import vehicle_position_record
from dispatch.transitions import stop_mark_arrived
from tests.browser import BROWSER_MARKS
from tests.care.conftest import TODAY, make_agent
from tests.factories import MerchantFactory, local
from tests.tracking.factories import build_route
from tracking.services import event_record

pytestmark = BROWSER_MARKS


@pytest.fixture
def morning(transactional_db):
    """Built before Chromium starts: what the journey publishes after commit may not run inside its event loop.

    08:00 the van leaves with three of four parcels; 08:20 nobody home at the first; 08:25 it stops at the second
    and stays; its GPS falls silent after 08:20. The sweeps at 08:45 and 09:06 open and escalate what they see."""
    shop = MerchantFactory(slug="fresh-basket", name="Fresh Basket")
    # No re-plan here: Celery runs it at once, on the wall clock, long after this June morning, and it would
    # drop the stops the other rules watch.
    PlaybookRule.objects.create(merchant=shop, code="no_scan_out", threshold_minutes=30, team="dispatch",
                                sla_minutes=30, notify_customer=True, request_replan=False)
    PlaybookRule.objects.create(merchant=shop, code="dwell_spike", threshold_minutes=15, team="dispatch",
                                sla_minutes=20, request_replan=False)
    route = build_route(day=TODAY, window_hours=(8, 12), merchant=shop)
    for index, delivery in enumerate(route.deliveries[:3]):
        event_record(delivery=delivery, milestone="scanned_out", source="driver", recorded_at=local(TODAY, 8, 0),
                     client_id=f"out-{index}")
    event_record(delivery=route.deliveries[0], milestone="attempted", source="driver", reason="nobody_home",
                 recorded_at=local(TODAY, 8, 20), client_id="try-0")
    vehicle_position_record(vehicle_id=route.vehicle.pk, lat=48.865, lng=2.35, at=local(TODAY, 8, 20))
    stop_mark_arrived(job_id=route.stops[1].job_id, at=local(TODAY, 8, 25))
    playbooks_sweep(now=local(TODAY, 8, 45))
    playbooks_sweep(now=local(TODAY, 9, 6))
    return route


@pytest.mark.django_db(transaction=True)
def test_an_agent_escalates_from_a_queue_the_playbooks_filled(live_server, morning, chromium, frozen_now, screenshots):
    agent = make_agent("alice", "Alice", "Moreau")
    route = morning
    frozen_now(local(TODAY, 9, 6))
    client = Client()
    client.force_login(agent)
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
              "url": live_server.url}

    desktop = chromium.new_context(viewport={"width": 1280, "height": 800})
    desktop.add_cookies([cookie])
    page = desktop.new_page()
    page.goto(f"{live_server.url}/care/exceptions/")
    rows = page.locator("table.care-queue tbody tr")
    assert rows.count() == 4
    text = page.inner_text("table.care-queue")
    for code in ("failed_attempt", "no_scan_out", "dwell_spike", "gps_silent"):
        assert code in text
    # Dwell (20 min) and GPS (15 min) ran out of time at 08:45 + SLA: both are the operations manager's now.
    assert page.locator(".care-escalated").count() == 2
    page.screenshot(path=str(screenshots / "playbooks_queue_desktop.png"), full_page=True)

    failed = rows.filter(has_text="failed_attempt")
    failed.get_by_text("Escalate…").click()
    failed.get_by_label("Why the Care leads must take it").fill("Customer called twice about the missed delivery")
    failed.get_by_role("button", name="Escalate", exact=True).click()
    page.wait_for_selector(".care-message-success")
    assert "Escalated to the Care leads." in page.inner_text(".care-messages")
    escalated = JourneyException.objects.get(rule="failed_attempt", delivery=route.deliveries[0])
    assert (escalated.team, escalated.escalation_level) == ("care_leads", 1)

    page.get_by_role("link", name="Care leads").click()
    # Count on the team's page, not on the queue it replaces: mid-navigation the table has no rows at all.
    page.wait_for_url("**team=care_leads**")
    assert page.locator("table.care-queue tbody tr").count() == 1
    desktop.close()

    phone = chromium.new_context(viewport={"width": 390, "height": 844})
    phone.add_cookies([cookie])
    page = phone.new_page()
    page.goto(f"{live_server.url}/care/exceptions/")
    # A phone reads each exception as a card, not a table wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(screenshots / "playbooks_queue_phone.png"), full_page=True)
    phone.close()
