"""The tracking page's forms in Chromium: what a customer types is saved, and the page says so.

The suite's other tests post without a browser, which hid that Chromium sent `Origin: null` (the page's
referrer policy) and Django's CSRF check refused every form with a 403.
"""

import datetime as dt

import pytest

from scheduling.models import Delivery
from scheduling.services import delivery_create_for_seed, windows_materialize
from tests.browser import BROWSER_MARKS
from tests.factories import (
    PARIS,
    DepotFactory,
    ShiftFactory,
    VehicleFactory,
    WindowTemplateFactory,
    ZoneFactory,
    local,
)
from tracking.models import Rating

pytestmark = [*BROWSER_MARKS, pytest.mark.django_db(transaction=True)]

# Monday 2026-06-01 09:00 in Paris: tomorrow's delivery can still be changed online.
NOW = dt.datetime(2026, 6, 1, 9, 0, tzinfo=PARIS)
TOMORROW = NOW.date() + dt.timedelta(days=1)
ADDRESS = {"lat": 48.8556, "lng": 2.3600, "address_city": "Paris", "address_postcode": "75004"}


@pytest.fixture
def shop(merchant, clock_at):
    """Fresh Basket delivers in central Paris with two vans all week, mornings and evenings."""
    clock_at(NOW)
    depot = DepotFactory(lat=48.85, lng=2.37)
    zone = ZoneFactory(depot=depot)
    for _ in range(2):
        vehicle = VehicleFactory(depot=depot)
        for offset in range(7):
            day = TOMORROW + dt.timedelta(days=offset)
            ShiftFactory(vehicle=vehicle, depot=depot, date=day, starts_at=local(day, 8), ends_at=local(day, 20))
    WindowTemplateFactory(merchant=merchant, zone=zone, label="standard", start_time=dt.time(10),
                          end_time=dt.time(12), cutoff_days_before=1, cutoff_time=dt.time(22), max_stops=10)
    WindowTemplateFactory(merchant=merchant, zone=zone, label="evening", start_time=dt.time(18),
                          end_time=dt.time(20), cutoff_days_before=0, cutoff_time=dt.time(12), max_stops=10)
    windows_materialize(merchant=merchant, start=NOW.date(), days=8)
    return merchant


@pytest.fixture
def delivery(shop) -> Delivery:
    """Camille's order for tomorrow morning, booked before the browser starts (booking publishes from this thread)."""
    window = shop.windows.filter(date=TOMORROW, template__label="standard").get()
    return delivery_create_for_seed(merchant=shop, window=window, order_ref="ORD-1", recipient_name="Camille",
                                    address_line1="12 Rue de Rivoli", language="en", **ADDRESS)


@pytest.fixture
def page(chromium, live_server):
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="en-GB")
    page = context.new_page()
    posts: list[dict] = []
    page.on("request", lambda request: posts.append(request.all_headers()) if request.method == "POST" else None)
    page.posts = posts
    yield page
    context.close()


def _open(page, live_server, delivery: Delivery) -> None:
    page.goto(f"{live_server.url}/t/{delivery.tracking_token}/?lang=en")


def test_the_customer_saves_delivery_instructions(delivery, page, live_server):
    from playwright.sync_api import expect

    _open(page, live_server, delivery)

    page.get_by_label("Notes for the driver").fill("Code 4521B, 3rd floor")
    # Only the chosen option asks for its details.
    expect(page.get_by_label("Neighbour's name")).to_be_hidden()
    page.get_by_label("Leave it with a neighbour").check()
    page.get_by_label("Neighbour's name").fill("M. Martin")
    page.get_by_label("Their house number or flat").fill("12")
    page.get_by_role("button", name="Save instructions").click()

    expect(page.get_by_role("status")).to_have_text("Your delivery instructions are saved.")
    # The door code went to the driver; whoever holds the link does not see it again.
    assert Delivery.objects.get(pk=delivery.pk).access_notes == "Code 4521B, 3rd floor"
    assert "4521B" not in page.content()
    expect(page.get_by_label("Notes for the driver")).to_have_value("")
    expect(page.get_by_text("Your notes for the driver are saved.")).to_be_visible()
    expect(page.get_by_label("Leave it with a neighbour")).to_be_checked()
    expect(page.get_by_label("Neighbour's name")).to_have_value("M. Martin")
    saved = Delivery.objects.get(pk=delivery.pk)
    assert (saved.drop_choice, saved.neighbour_name, saved.neighbour_door) == ("neighbour", "M. Martin", "12")
    # The form passed Django's origin check as itself, not as the anonymous `null` origin.
    assert page.posts[-1]["origin"] == live_server.url

    # Changing only the drop choice keeps the notes the field no longer shows; the box removes them.
    page.get_by_label("Hand it to me at the door").check()
    page.get_by_role("button", name="Save instructions").click()
    expect(page.get_by_role("status")).to_have_text("Your delivery instructions are saved.")
    saved = Delivery.objects.get(pk=delivery.pk)
    assert saved.access_notes == "Code 4521B, 3rd floor" and saved.drop_choice == "door" and not saved.neighbour_name
    page.get_by_label("Remove my saved notes").check()
    page.get_by_role("button", name="Save instructions").click()
    expect(page.get_by_role("status")).to_have_text("Your delivery instructions are saved.")
    assert Delivery.objects.get(pk=delivery.pk).access_notes == ""
    expect(page.get_by_label("Remove my saved notes")).to_have_count(0)


def test_the_customer_chooses_a_neighbour_forgets_the_flat_and_is_told_before_it_is_saved(delivery, page,
                                                                                           live_server):
    from playwright.sync_api import expect

    _open(page, live_server, delivery)

    page.get_by_label("Leave it with a neighbour").check()
    page.get_by_label("Neighbour's name").fill("M. Martin")
    page.get_by_role("button", name="Save instructions").click()

    expect(page.get_by_role("alert")).to_have_text(
        "To leave it with a neighbour, give their name and house number or flat.")
    expect(page.get_by_text("Give your neighbour's house number or flat.")).to_be_visible()
    expect(page.get_by_label("Neighbour's name")).to_have_value("M. Martin")  # what was typed is still there
    page.get_by_label("Their house number or flat").fill("12")
    page.get_by_role("button", name="Save instructions").click()

    expect(page.get_by_role("status")).to_have_text("Your delivery instructions are saved.")
    expect(page.get_by_label("Leave it with a neighbour")).to_be_checked()
    saved = Delivery.objects.get(pk=delivery.pk)
    assert (saved.drop_choice, saved.neighbour_name, saved.neighbour_door) == ("neighbour", "M. Martin", "12")


def test_the_customer_rates_a_delivered_parcel(delivery, page, live_server):
    from playwright.sync_api import expect

    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.DELIVERED)
    _open(page, live_server, delivery)

    page.locator("label[for=star4]").click()
    page.get_by_label("Comment (optional)").fill("Right on time.")
    page.get_by_role("button", name="Send rating").click()

    expect(page.get_by_role("status")).to_have_text("Thank you for your rating.")
    expect(page.get_by_text("You rated this delivery 4/5. Thank you!")).to_be_visible()
    assert Rating.objects.get(delivery=delivery).comment == "Right on time."
    assert page.posts[-1]["origin"] == live_server.url


def test_the_stars_follow_the_arrow_keys_the_way_they_are_drawn(delivery, page, live_server):
    """Stars were laid out right to left: ArrowRight from the first star chose the fifth's neighbour backwards."""
    from playwright.sync_api import expect

    Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.DELIVERED)
    _open(page, live_server, delivery)

    page.locator("#star1").focus()
    page.keyboard.press("Space")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")

    expect(page.locator("#star3")).to_be_checked()
    first, third = (page.locator(f"label[for=star{n}]").bounding_box()["x"] for n in (1, 3))
    assert first < third  # one star is left of three, as read
    # Stars up to the chosen one light up; the others stay grey.
    lit = page.locator(".trk-stars label").evaluate_all("labels => labels.map(l => getComputedStyle(l).color)")
    assert lit[0] == lit[1] == lit[2] != lit[3] == lit[4]
    page.get_by_role("button", name="Send rating").click()
    expect(page.get_by_text("You rated this delivery 3/5. Thank you!")).to_be_visible()


def test_the_customer_follows_the_link_and_moves_the_delivery_to_the_evening(delivery, page, live_server):
    from playwright.sync_api import expect

    evening = delivery.merchant.windows.filter(date=TOMORROW, template__label="evening").get()
    _open(page, live_server, delivery)

    page.get_by_role("link", name="Choose another delivery time").click()
    page.locator(f"input[name=window_id][value='{evening.pk}']").check()
    page.get_by_role("button", name="Confirm changes").click()

    expect(page.get_by_role("status")).to_have_text("Done. Your delivery has been updated.")
    expect(page.locator(".current-window")).to_contain_text("18:00–20:00")
    delivery.refresh_from_db()
    assert delivery.window_id == evening.pk


def test_the_tracking_link_never_reaches_another_site_as_a_referrer(delivery, page, live_server):
    # 127.0.0.1 is another origin than the live server's localhost: a stand-in for a tile or image host.
    elsewhere = live_server.url.replace("localhost", "127.0.0.1") + "/healthz"
    _open(page, live_server, delivery)

    with page.expect_request(elsewhere) as request:
        page.evaluate("url => { const img = new Image(); img.src = url; document.body.append(img); }", elsewhere)

    headers = request.value.all_headers()
    assert not headers.get("referer")
    assert delivery.tracking_token not in str(headers)
