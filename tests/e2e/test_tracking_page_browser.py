"""A customer in Chromium on the production topology: the tracking page's forms submit and say so."""

import pytest

from tests.browser import BROWSER_MARKS
from tests.e2e.shoppers import seed_day

pytestmark = BROWSER_MARKS


def deliveries_on(stack, day, count: int) -> list[str]:
    rows = stack.sql("SELECT tracking_token FROM scheduling_delivery d JOIN scheduling_window w ON w.id = d.window_id "
                     "JOIN merchants_merchant m ON m.id = d.merchant_id WHERE m.slug = 'fresh-basket' "
                     "AND w.date = %s AND d.status IN ('booked', 'scheduled') ORDER BY d.created_at LIMIT %s",
                     day, count)
    return [token for token, in rows]


@pytest.fixture
def page(chromium, healthy_stack):
    # localhost, not 127.0.0.1: production cookies are Secure, which browsers allow over plain HTTP on localhost only.
    context = chromium.new_context(viewport={"width": 390, "height": 844}, locale="en-GB",
                                   base_url=healthy_stack.base_url(0, host="localhost"))
    page = context.new_page()
    yield page
    context.close()


def test_the_customer_saves_instructions_rates_and_reschedules_in_chromium(healthy_stack, page, screenshots):
    from playwright.sync_api import expect

    stack = healthy_stack
    to_instruct, to_rate, to_move = deliveries_on(stack, seed_day(stack, 2), 3)

    page.goto(f"/t/{to_instruct}/?lang=en")
    page.get_by_label("Notes for the driver").fill("Code 4521B, 3rd floor")
    page.get_by_role("button", name="Save instructions").click()
    expect(page.get_by_role("status")).to_have_text("Your delivery instructions are saved.")
    # Saved for the driver, and not shown back to whoever holds the link.
    expect(page.get_by_text("Your notes for the driver are saved.")).to_be_visible()
    expect(page.get_by_label("Notes for the driver")).to_have_value("")
    assert stack.sql("SELECT access_notes FROM scheduling_delivery WHERE tracking_token = %s",
                     to_instruct)[0][0] == "Code 4521B, 3rd floor"

    stack.sql("UPDATE scheduling_delivery SET status = 'delivered' WHERE tracking_token = %s", to_rate)
    page.goto(f"/t/{to_rate}/?lang=en")
    page.locator("label[for=star5]").click()
    page.get_by_role("button", name="Send rating").click()
    expect(page.get_by_role("status")).to_have_text("Thank you for your rating.")

    page.goto(f"/t/{to_move}/?lang=en")
    page.get_by_role("link", name="Choose another delivery time").click()
    page.wait_for_url(f"**/t/{to_move}/reschedule/**")
    page.screenshot(path=str(screenshots / "e2e-reschedule.png"), full_page=True)
    before = stack.sql("SELECT window_id FROM scheduling_delivery WHERE tracking_token = %s", to_move)[0][0]
    page.locator(f"input[name=window_id]:not([value='']):not([value='{before}'])").first.check()
    page.get_by_role("button", name="Confirm changes").click()
    expect(page.get_by_role("status")).to_have_text("Done. Your delivery has been updated.")
    after = stack.sql("SELECT window_id FROM scheduling_delivery WHERE tracking_token = %s", to_move)[0][0]
    assert after != before
