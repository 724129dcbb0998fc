"""The KPIs of days that are over are stored once and read back: the page shows the very figures it computes,
today stays live, and a late change to a stored day is counted again."""

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from care.kpi_days import kpi_days_refresh
from care.kpi_report import KPI_KEYS
from care.models import KpiDay, KpiStoredDay
from scheduling.models import Delivery
from tests.care.conftest import NOW, TODAY
from tests.care.test_kpis import YESTERDAY, _page_tables, _two_zones
from tests.factories import local
from tracking.services import event_record

pytestmark = pytest.mark.django_db

TWO_DAYS_LATER = NOW + dt.timedelta(days=2)
PERIOD = f"start={YESTERDAY}&end={TODAY}"


def _tables(client, filters: str) -> dict[str, list[list[str]]]:
    response = client.get(f"/care/kpis/?{filters}")
    assert response.status_code == 200
    return _page_tables(response.content.decode())


def _every_filter(a, b) -> list[str]:
    merchant = a.deliveries[0].merchant.slug
    return [PERIOD, f"{PERIOD}&zone={a.zone.code}", f"{PERIOD}&zone={b.zone.code}", f"{PERIOD}&merchant={merchant}",
            f"start={TODAY}&end={TODAY}"]


def test_stored_days_show_the_figures_computed_from_the_journeys_for_every_filter(console, frozen_now):
    a, b = _two_zones()
    frozen_now(TWO_DAYS_LATER)  # yesterday and today are both over
    computed = {filters: _tables(console, filters) for filters in _every_filter(a, b)}

    stored = kpi_days_refresh(now=TWO_DAYS_LATER)

    assert stored >= 2 and set(KpiStoredDay.objects.values_list("day", flat=True)) >= {YESTERDAY, TODAY}
    assert KpiDay.objects.filter(day=TODAY, zone=a.zone, closed=3, first_attempt=1, on_time=2, reattempts=1).exists()
    for filters, tables in computed.items():
        assert _tables(console, filters) == tables, filters
    # The hand-computed figures of tests/care/test_kpis.py, read back from the stored rows.
    tables = computed[PERIOD]
    assert tables["eta"][-1] == ["All days", "3", "6.7", "66.7"]
    assert tables["cost"][-1] == ["All days", "8", "3.5", "12.08"]
    assert tables["dwell"][1:] == [[a.zone.name, "2", "5.0"], [b.zone.name, "1", "10.0"]]
    assert tables["wismo"][-1] == ["All days", "2", "1", "8", "37.5"]


def test_a_stored_period_is_read_from_its_rows_not_from_the_journeys_and_each_csv_equals_the_page(console, frozen_now):
    a, _b = _two_zones()
    frozen_now(TWO_DAYS_LATER)
    kpi_days_refresh(now=TWO_DAYS_LATER)

    with CaptureQueriesContext(connection) as captured:
        tables = _tables(console, PERIOD)

    read = " ".join(query["sql"] for query in captured.captured_queries)
    assert "tracking_etasnapshot" not in read and "tracking_event" not in read and "dispatch_stop" not in read
    assert tables["first-attempt"][-1] == ["All days", "4", "2", "50.0"]
    for key, rows in tables.items():
        response = console.get(f"/care/kpis.csv?kpi={key}&{PERIOD}")
        assert list(csv.reader(io.StringIO(response.content.decode()))) == rows, key
    assert set(tables) == set(KPI_KEYS)


def test_today_is_computed_beside_the_stored_days(console, frozen_now):
    _two_zones()

    kpi_days_refresh(now=NOW)

    assert list(KpiStoredDay.objects.values_list("day", flat=True)) == [YESTERDAY]
    tables = _tables(console, PERIOD)
    assert tables["eta"][1:] == [[str(YESTERDAY), "1", "4.0", "100.0"], [str(TODAY), "2", "8.0", "50.0"],
                                 ["All days", "3", "6.7", "66.7"]]
    assert tables["first-attempt"][1:] == [[str(YESTERDAY), "1", "1", "100.0"], [str(TODAY), "3", "1", "33.3"],
                                           ["All days", "4", "2", "50.0"]]


def test_a_milestone_recorded_late_on_a_stored_day_counts_at_once(console, frozen_now,
                                                                  django_capture_on_commit_callbacks):
    _a, b = _two_zones()
    kpi_days_refresh(now=NOW)
    assert _tables(console, PERIOD)["first-attempt"][1] == [str(YESTERDAY), "1", "1", "100.0"]

    # Yesterday's second parcel: the carrier's "attempted" arrives only now.
    Delivery.objects.filter(pk=b.deliveries[1].pk).update(status="attempted")
    with django_capture_on_commit_callbacks(execute=True):
        event_record(delivery=b.deliveries[1], milestone="attempted", reason="nobody_home", source="carrier",
                     recorded_at=local(YESTERDAY, 9, 30), client_id="late-attempt")

    assert not KpiStoredDay.objects.filter(day=YESTERDAY).exists()
    assert _tables(console, PERIOD)["first-attempt"][1] == [str(YESTERDAY), "2", "1", "50.0"]
    kpi_days_refresh(now=NOW)
    assert KpiStoredDay.objects.filter(day=YESTERDAY).exists()
    assert _tables(console, PERIOD)["first-attempt"][1] == [str(YESTERDAY), "2", "1", "50.0"]


def test_a_refresh_stores_the_settling_days_again_and_keeps_older_ones(console, frozen_now, settings):
    settings.KPI_SETTLE_DAYS = 2  # two days before "now" (today and the day after), not yesterday
    a, b = _two_zones()
    frozen_now(TWO_DAYS_LATER)
    kpi_days_refresh(now=TWO_DAYS_LATER)
    # Changes nobody announced (a bulk fix in the database) to a parcel of today and one of yesterday.
    Delivery.objects.filter(pk__in=[a.deliveries[0].pk, b.deliveries[0].pk]).update(status="returned")

    kpi_days_refresh(now=TWO_DAYS_LATER)

    assert _tables(console, PERIOD)["first-attempt"][1:3] == [[str(YESTERDAY), "1", "1", "100.0"],
                                                               [str(TODAY), "3", "0", "0.0"]]
    KpiStoredDay.objects.filter(day=YESTERDAY).delete()
    assert _tables(console, PERIOD)["first-attempt"][1] == [str(YESTERDAY), "1", "0", "0.0"]
