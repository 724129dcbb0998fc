"""The tracking page passes axe-core's WCAG 2.1 AA rules in Chromium, in every state a customer meets it.

axe-core (vendored under tests/vendor/axe-core, MPL-2.0) runs inside the rendered page. Serious and critical
violations fail the test: contrast, names of controls, landmarks, language, list and form structure.
"""

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from demo import proof_images
from tests.browser import BROWSER_MARKS
from tests.factories import local
from tests.tracking.factories import build_route
from tracking.models import EtaSnapshot
from tracking.services import scan_record

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent.parent / "vendor" / "axe-core" / "axe.min.js"
SIZES = {"phone": (390, 844), "desktop": (1280, 800)}


@pytest.fixture
def day(clock_at, settings):
    """One van's morning: the first parcel delivered late with proof, the second missed, the third running late,
    the fourth still to come. The map draws its own streets (no tile server in tests)."""
    settings.MAP_TILE_URL = ""
    world = build_route()
    scheduled = build_route(day=world.day + dt.timedelta(days=1)).deliveries[0]
    moment = clock_at(local(world.day, 12, 30))
    scan_record(driver=world.driver, kind="scanned_out", client_id="out", recorded_at=local(world.day, 10, 30),
                now=moment)
    first, second, third = world.deliveries[:3]
    scan_record(driver=world.driver, kind="delivered", client_id="d0", job_id=first.job_id, recipient_name="Jade Moreau",
                photo=SimpleUploadedFile("p.png", proof_images.doorstep_photo(1), "image/png"),
                signature=SimpleUploadedFile("s.png", proof_images.signature(1), "image/png"),
                recorded_at=local(world.day, 12, 16), now=moment)
    scan_record(driver=world.driver, kind="attempted", client_id="a1", job_id=second.job_id, reason="nobody_home",
                recorded_at=local(world.day, 12, 25), now=moment)
    world.vehicle.last_lat, world.vehicle.last_lng, world.vehicle.last_seen_at = 48.8690, 2.3580, moment
    world.vehicle.save()
    eta = local(world.day, 12, 50)
    EtaSnapshot.objects.create(delivery=third, stop=world.stops[2], computed_at=moment + dt.timedelta(seconds=1),
                               eta=eta, band_start=eta - dt.timedelta(minutes=5),
                               band_end=eta + dt.timedelta(minutes=8), stops_away=0)
    return {"delivered late": first, "missed": second, "running late": third, "scheduled": scheduled}


def serious_violations(page) -> list[str]:
    page.evaluate(AXE.read_text())
    result = page.evaluate(
        "axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']}})")
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in result["violations"] if v["impact"] in ("serious", "critical")
    ]


def test_every_state_of_the_tracking_page_passes_axe_in_english_and_french(day, chromium, live_server, screenshots):
    found = {}
    for size, (width, height) in SIZES.items():
        # axe is injected by the test: the page's own policy rightly refuses scripts it did not send.
        context = chromium.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
        page = context.new_page()
        for state, delivery in day.items():
            for language in ("en", "fr"):
                page.goto(f"{live_server.url}/t/{delivery.tracking_token}/?lang={language}")
                page.wait_for_load_state("networkidle")
                page.screenshot(path=screenshots / f"a11y-{state.replace(' ', '-')}-{size}-{language}.png",
                                full_page=True)
                problems = serious_violations(page)
                for problem in problems:
                    found.setdefault(problem, []).append(f"{state}, {size}, {language}")
        context.close()

    assert found == {}, "\n".join(f"{problem}: {where}" for problem, where in found.items())


def test_the_states_show_what_the_customer_needs(day, chromium, live_server):
    """The same four pages, read as a customer: each says what happened and what comes next."""
    page = chromium.new_page(viewport={"width": 390, "height": 844})

    def text(state, language="en"):
        page.goto(f"{live_server.url}/t/{day[state].tracking_token}/?lang={language}")
        page.wait_for_load_state("networkidle")
        return page.inner_text("main")

    late = text("running late")
    assert "Running late" in late and "12:50" in late and "You are the next stop" in late
    assert page.locator("#trk-map svg").is_visible()
    delivered = text("delivered late")
    assert "Sorry we were late" in delivered and "Received by Jade at 12:16." in delivered
    assert page.locator("img.trk-proof").count() == 2 or page.locator(".trk-proof img").count() == 2
    assert "Désolés de vous avoir manqué" in text("missed", "fr")
    scheduled = text("scheduled")
    assert "How should the driver deliver it?" in scheduled and "Add to calendar" in scheduled
    page.close()


def test_find_my_parcel_passes_axe_with_and_without_an_error(day, chromium, live_server):
    merchant = day["scheduled"].merchant
    context = chromium.new_context(viewport={"width": 390, "height": 844}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{live_server.url}/find/{merchant.slug}/?lang=fr")
    assert serious_violations(page) == []

    page.get_by_label("Numéro de commande").fill("NOPE-1")
    page.locator("form.trk-find input[type=text]").nth(1).fill("75004")
    page.locator("form.trk-find button").click()
    page.wait_for_load_state("networkidle")

    assert page.get_by_role("alert").is_visible()
    assert serious_violations(page) == []
    context.close()
