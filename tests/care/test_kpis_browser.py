"""A manager filters the KPI page by zone in Chromium and downloads a KPI's CSV, on desktop and phone widths."""

import csv
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.browser import BROWSER_MARKS
from tests.care.conftest import TODAY, make_agent
from tests.care.test_kpis import YESTERDAY, _two_zones

pytestmark = BROWSER_MARKS


def _signed_in_page(chromium, live_server, user, viewport):
    client = Client()
    client.force_login(user)
    context = chromium.new_context(viewport=viewport, accept_downloads=True)
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                          "url": live_server.url}])
    return context, context.new_page()


@pytest.mark.django_db(transaction=True)
def test_a_manager_filters_by_zone_and_downloads_the_csv_the_page_shows(live_server, chromium, frozen_now, screenshots):
    zone_a, _zone_b = _two_zones()
    manager = make_agent("maya", "Maya", "Laurent")
    shots = screenshots
    context, page = _signed_in_page(chromium, live_server, manager, {"width": 1280, "height": 800})

    page.goto(f"{live_server.url}/care/kpis/?start={YESTERDAY}&end={TODAY}")
    assert page.locator("#kpi-eta .care-value").inner_text().startswith("6.7")
    page.screenshot(path=str(shots / "kpis_1280_all_zones.png"), full_page=True)

    page.select_option("#id_zone", label=zone_a.zone.name)
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(f"**zone={zone_a.zone.code}**")
    assert page.locator("#kpi-eta .care-value").inner_text().startswith("8.0")
    assert page.locator("#id_zone").input_value() == zone_a.zone.code
    page.locator("#kpi-dwell summary").click()
    shown = [[cell.text_content() for cell in row.locator("th, td").all()]
             for row in page.locator('[data-kpi-table="dwell"] tr').all()]
    assert shown == [["zone", "stops", "mean_dwell_min"], [zone_a.zone.name, "2", "5.0"]]

    with page.expect_download() as download_info:
        page.locator("#kpi-dwell").get_by_role("link", name="CSV").click()
    download = download_info.value
    assert download.suggested_filename == f"kpi-dwell-{YESTERDAY}-{TODAY}.csv"
    assert list(csv.reader(io.StringIO(Path(download.path()).read_text()))) == shown
    page.screenshot(path=str(shots / "kpis_1280_zone.png"), full_page=True)
    context.close()

    context, phone = _signed_in_page(chromium, live_server, manager, {"width": 390, "height": 844})
    phone.goto(f"{live_server.url}/care/kpis/?start={YESTERDAY}&end={TODAY}&zone={zone_a.zone.code}")
    # Nothing wider than the phone: the charts scale to the column, the tables scroll inside their box.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    phone.screenshot(path=str(shots / "kpis_390_zone.png"), full_page=True)
    context.close()
