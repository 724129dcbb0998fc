"""KPIs from stored rows only: "—" where nothing is stored, exact figures on a hand-made day."""

import csv
import datetime as dt
import html
import io
import re
from decimal import Decimal

import pytest

from care import kpis as care_kpis
from care.contacts import care_search_record
from care.kpi_report import KPI_KEYS
from care.models import CareSearch
from dispatch.models import Plan, Route
from notifications.models import InboundSms
from scheduling.models import Delivery
from tests.care.conftest import NOW, TODAY
from tests.care.factories import EtaSnapshotFactory, EventFactory, JourneyExceptionFactory, ProofFactory
from tests.factories import DeliveryFactory, WindowFactory, WindowTemplateFactory, local
from tests.tracking.factories import build_route

pytestmark = pytest.mark.django_db

YESTERDAY = TODAY - dt.timedelta(days=1)


def test_with_no_data_every_kpi_is_a_dash_with_a_hint(console, frozen_now):
    body = console.get("/care/").content.decode()
    assert body.count('<dd class="care-value">—</dd>') == 12  # six figures, two periods
    assert "No delivery closed in this period yet." in body
    assert "No active plan in this period." in body
    assert "%" not in body.split("How we are doing")[1].split("Dwell")[0]
    for period in care_kpis.kpis(now=NOW):
        assert period.first_attempt_rate is None and period.otif is None and period.eta_mae_minutes is None
        assert period.km_per_stop is None and period.cost_per_stop is None and period.dwell_by_zone == []


def _closed(window, status, *, delivered=None, attempted=None):
    delivery = DeliveryFactory(window=window, status=status)
    if attempted is not None:
        EventFactory(delivery=delivery, milestone="attempted", reason="nobody_home", recorded_at=attempted)
    if delivered is not None:
        EventFactory(delivery=delivery, milestone="delivered", recorded_at=delivered)
    return delivery


def test_first_attempt_rate_and_otif_on_a_hand_made_day(console, frozen_now):
    template = WindowTemplateFactory(start_time=dt.time(10), end_time=dt.time(12))
    today = WindowFactory(template=template, date=TODAY)
    yesterday = WindowFactory(template=template, date=YESTERDAY)
    # Today, six closed deliveries (10:00–12:00 promised) and one still open:
    _closed(today, "delivered", delivered=local(TODAY, 10, 30))                        # first attempt, on time
    _closed(today, "delivered", delivered=local(TODAY, 12, 40))                        # first attempt, late
    _closed(today, "delivered", delivered=local(TODAY, 11, 0), attempted=local(TODAY, 10, 15))  # second go, on time
    _closed(today, "attempted", attempted=local(TODAY, 10, 50))                        # not delivered
    _closed(today, "returned", attempted=local(TODAY, 11, 10))                         # not delivered
    late_proof_only = _closed(today, "delivered")                                      # first attempt; proof at 12:05
    ProofFactory(delivery=late_proof_only, captured_at=local(TODAY, 12, 5))
    _closed(today, "out_for_delivery")                                                 # not closed: not counted
    # Yesterday, one more: first attempt, on time (counts in the week only).
    _closed(yesterday, "delivered", delivered=local(YESTERDAY, 11, 45))

    today_kpis, week = care_kpis.kpis(now=NOW)

    assert today_kpis.closed == 6
    assert today_kpis.first_attempt_rate == pytest.approx(3 / 6)
    assert today_kpis.otif == pytest.approx(2 / 6)
    assert week.closed == 7
    assert week.first_attempt_rate == pytest.approx(4 / 7)
    assert week.otif == pytest.approx(3 / 7)
    body = console.get("/care/").content.decode()
    today_card = body.split('aria-label="Today"')[1].split('aria-label="Last 7 days"')[0]
    assert '<dd class="care-value">50 <small>%</small></dd>' in today_card
    assert '<dd class="care-value">33 <small>%</small></dd>' in today_card
    assert "of 6 closed deliveries" in today_card


def test_eta_accuracy_dwell_and_cost_per_stop_from_the_active_plan(console, frozen_now):
    route = build_route(day=TODAY)
    first, second = route.stops[0], route.stops[1]
    first.actual_arrival, first.actual_departure = local(TODAY, 8, 20), local(TODAY, 8, 24)
    second.actual_arrival, second.actual_departure = local(TODAY, 8, 40), local(TODAY, 8, 46)
    first.save()
    second.save()
    # First stop: the ETA 45 min before said 08:26 (6 min off, inside its band); the one 10 min before is too late
    # to count.
    EtaSnapshotFactory(delivery=route.deliveries[0], computed_at=local(TODAY, 7, 35), eta=local(TODAY, 8, 26),
                       band_start=local(TODAY, 8, 15), band_end=local(TODAY, 8, 35))
    EtaSnapshotFactory(delivery=route.deliveries[0], computed_at=local(TODAY, 8, 10), eta=local(TODAY, 8, 20),
                       band_start=local(TODAY, 8, 18), band_end=local(TODAY, 8, 22))
    # Second stop: 10 min early, outside a ±5 min band.
    EtaSnapshotFactory(delivery=route.deliveries[1], computed_at=local(TODAY, 7, 50), eta=local(TODAY, 8, 30),
                       band_start=local(TODAY, 8, 25), band_end=local(TODAY, 8, 35))
    # 20 km, 2 h on a van at 0.45/km and 28/h: 9 + 56 = 65 for 4 stops.
    Plan.objects.filter(pk=route.plan.pk).update(distance_m=20_000, duration_s=7200)
    route.route.distance_m, route.route.duration_s = 20_000, 7200
    route.route.save()
    # A superseded plan's stops do not count.
    old = Plan.objects.create(depot=route.depot, date=TODAY, version=99, status=Plan.Status.SUPERSEDED,
                              distance_m=999_000)

    today_kpis = care_kpis.kpis(now=NOW)[0]

    assert today_kpis.eta_samples == 2
    assert today_kpis.eta_mae_minutes == pytest.approx(8.0)
    assert today_kpis.eta_in_band_share == pytest.approx(0.5)
    assert today_kpis.km_per_stop == pytest.approx(5.0)
    assert today_kpis.cost_per_stop == Decimal("16.25")
    assert [(z.zone, z.mean_seconds, z.stops) for z in today_kpis.dwell_by_zone] == [(route.zone.name, 300.0, 2)]
    body = console.get("/care/").content.decode()
    assert "8.0 <small>min</small>" in body and "50 % inside the band" in body
    assert "5 min 00 s" in body and "16.25 <small>EUR</small>" in body
    assert old.pk


def test_a_merchants_staff_see_their_own_deliveries_figures_and_no_fleet_costs(frozen_now, client):
    from merchants.models import StaffMembership
    from tests.care.conftest import make_agent
    from tests.factories import MerchantFactory

    theirs, ours = MerchantFactory(slug="other-shop"), MerchantFactory(slug="our-shop")
    template = WindowTemplateFactory(merchant=ours, start_time=dt.time(10), end_time=dt.time(12))
    window = WindowFactory(template=template, date=TODAY)
    other_window = WindowFactory(template=WindowTemplateFactory(merchant=theirs), date=TODAY)
    for _ in range(3):
        _closed(other_window, "attempted", attempted=local(TODAY, 10, 50))
    _closed(window, "delivered", delivered=local(TODAY, 10, 30))

    today_kpis, _week = care_kpis.kpis(now=NOW, merchant_ids={ours.pk})
    everyone, _ = care_kpis.kpis(now=NOW)

    assert (today_kpis.closed, today_kpis.first_attempt_rate, today_kpis.otif) == (1, 1.0, 1.0)
    assert everyone.closed == 4 and everyone.fleet_figures and not today_kpis.fleet_figures
    agent = make_agent("carla")
    StaffMembership.objects.create(user=agent, merchant=ours, role=StaffMembership.Role.CARE)
    agent.platform_role.delete()
    client.force_login(agent)
    today_card = client.get("/care/").content.decode().split('aria-label="Today"')[1]
    assert "of 1 closed delivery" in today_card and "A fleet figure, shown to the platform's staff." in today_card


# --- The KPI page: filters, charts and CSV on a small fixed data set -------------------------------------

def _stop(stop, arrival, departure):
    stop.actual_arrival, stop.actual_departure = arrival, departure
    stop.save()


def _two_zones():
    """Zone A today and zone B yesterday, each with one van's route of four deliveries (window 08:00–12:00).

    Zone A: stops 1 and 2 arrive at 08:20 and 08:40 (dwell 4 and 6 min), ETAs 6 min off (inside the band) and
    10 min off (outside); 20 km and 2 h (65.00 for 4 stops). Delivery 1 delivered 08:22; delivery 2 missed at
    08:45; delivery 3 missed at 08:50 then delivered 11:00. Zone B: stop 1 at 09:00–09:10, ETA 4 min off,
    inside; 8 km and 1 h (31.60 for 4 stops); delivery 1 delivered 09:05.
    """
    a = build_route(day=TODAY)
    b = build_route(day=YESTERDAY)
    _stop(a.stops[0], local(TODAY, 8, 20), local(TODAY, 8, 24))
    _stop(a.stops[1], local(TODAY, 8, 40), local(TODAY, 8, 46))
    _stop(b.stops[0], local(YESTERDAY, 9, 0), local(YESTERDAY, 9, 10))
    EtaSnapshotFactory(delivery=a.deliveries[0], computed_at=local(TODAY, 7, 35), eta=local(TODAY, 8, 26),
                       band_start=local(TODAY, 8, 15), band_end=local(TODAY, 8, 35))
    EtaSnapshotFactory(delivery=a.deliveries[1], computed_at=local(TODAY, 7, 50), eta=local(TODAY, 8, 30),
                       band_start=local(TODAY, 8, 25), band_end=local(TODAY, 8, 35))
    EtaSnapshotFactory(delivery=b.deliveries[0], computed_at=local(YESTERDAY, 8, 0), eta=local(YESTERDAY, 9, 4),
                       band_start=local(YESTERDAY, 8, 55), band_end=local(YESTERDAY, 9, 10))
    for route, metres, seconds in ((a, 20_000, 7200), (b, 8_000, 3600)):
        Plan.objects.filter(pk=route.plan.pk).update(distance_m=metres, duration_s=seconds)
        Route.objects.filter(pk=route.route.pk).update(distance_m=metres, duration_s=seconds)
    for delivery, status in ((a.deliveries[0], "delivered"), (a.deliveries[1], "attempted"),
                             (a.deliveries[2], "delivered"), (b.deliveries[0], "delivered")):
        Delivery.objects.filter(pk=delivery.pk).update(status=status)
    EventFactory(delivery=a.deliveries[0], milestone="delivered", recorded_at=local(TODAY, 8, 22))
    EventFactory(delivery=a.deliveries[1], milestone="attempted", reason="nobody_home", recorded_at=local(TODAY, 8, 45))
    EventFactory(delivery=a.deliveries[2], milestone="attempted", reason="nobody_home", recorded_at=local(TODAY, 8, 50))
    EventFactory(delivery=a.deliveries[2], milestone="delivered", recorded_at=local(TODAY, 11, 0))
    EventFactory(delivery=b.deliveries[0], milestone="delivered", recorded_at=local(YESTERDAY, 9, 5))
    # Contacts: a search that found zone A's missed delivery today, one that found zone B's yesterday; a text
    # asking where the parcel is (counted) and a STOP (not), both today from zone A's missed customer.
    care_search_record(kind="phone", delivery_ids=[str(a.deliveries[1].pk)], agent=None, now=local(TODAY, 9, 0))
    care_search_record(kind="reference", delivery_ids=[str(b.deliveries[0].pk)], agent=None,
                       now=local(YESTERDAY, 10, 0))
    care_search_record(kind="empty", delivery_ids=[], agent=None, now=local(TODAY, 9, 1))  # not a contact
    for sid, body in (("SM1", "Where is my parcel??"), ("SM2", "STOP")):
        sms = InboundSms.objects.create(provider_id=sid, from_number=a.deliveries[1].recipient_phone, to_number="+1",
                                        body=body)
        InboundSms.objects.filter(pk=sms.pk).update(received_at=local(TODAY, 9, 30))
    # Exceptions: zone A's failed attempt resolved in 30 min, a late ETA still open; zone B's in 60 min.
    JourneyExceptionFactory(delivery=a.deliveries[1], code="failed_attempt", opened_at=local(TODAY, 8, 45),
                            state="resolved", resolved_at=local(TODAY, 9, 15))
    JourneyExceptionFactory(delivery=a.deliveries[3], code="window_at_risk", opened_at=local(TODAY, 10, 0))
    JourneyExceptionFactory(delivery=b.deliveries[0], code="failed_attempt", opened_at=local(YESTERDAY, 9, 0),
                            state="resolved", resolved_at=local(YESTERDAY, 10, 0))
    return a, b


def _page_tables(body: str) -> dict[str, list[list[str]]]:
    tables = {}
    for key, table in re.findall(r'data-kpi-table="([\w-]+)">(.*?)</table>', body, re.S):
        tables[key] = [[html.unescape(c) for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
                       for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)]
    return tables


def test_the_kpi_page_shows_hand_computed_figures_for_every_zone(console, frozen_now):
    a, b = _two_zones()

    body = console.get(f"/care/kpis/?start={YESTERDAY}&end={TODAY}").content.decode()
    tables = _page_tables(body)

    assert tables["eta"][1:] == [[str(YESTERDAY), "1", "4.0", "100.0"], [str(TODAY), "2", "8.0", "50.0"],
                                 ["All days", "3", "6.7", "66.7"]]
    assert tables["first-attempt"][1:] == [[str(YESTERDAY), "1", "1", "100.0"], [str(TODAY), "3", "1", "33.3"],
                                           ["All days", "4", "2", "50.0"]]
    assert tables["otif"][-1] == ["All days", "4", "3", "75.0"]
    assert tables["reattempts"][-1] == ["All days", "4", "1", "25.0"]
    assert tables["dwell"][1:] == [[a.zone.name, "2", "5.0"], [b.zone.name, "1", "10.0"]]
    assert tables["cost"][1:] == [[str(YESTERDAY), "4", "2.0", "7.90"], [str(TODAY), "4", "5.0", "16.25"],
                                  ["All days", "8", "3.5", "12.08"]]
    assert tables["wismo"][1:] == [[str(YESTERDAY), "1", "0", "4", "25.0"], [str(TODAY), "1", "1", "4", "50.0"],
                                   ["All days", "2", "1", "8", "37.5"]]
    assert tables["exceptions"][1:] == [["failed_attempt", "2", "2", "45.0"], ["window_at_risk", "1", "0", ""],
                                        ["All rules", "3", "2", "45.0"]]
    assert body.count('<svg class="chart"') == 11 and body.count("<title id=") == 11


def test_a_zone_filter_keeps_only_that_zones_figures_and_each_csv_equals_the_page(console, frozen_now):
    a, _b = _two_zones()
    filters = f"start={YESTERDAY}&end={TODAY}&zone={a.zone.code}"

    body = console.get(f"/care/kpis/?{filters}").content.decode()
    tables = _page_tables(body)

    assert tables["eta"][1:] == [[str(TODAY), "2", "8.0", "50.0"], ["All days", "2", "8.0", "50.0"]]
    assert tables["dwell"][1:] == [[a.zone.name, "2", "5.0"]]
    assert tables["cost"][1:] == [[str(TODAY), "4", "5.0", "16.25"], ["All days", "4", "5.0", "16.25"]]
    assert tables["wismo"][1:] == [[str(TODAY), "1", "1", "4", "50.0"], ["All days", "1", "1", "4", "50.0"]]
    assert tables["exceptions"][1:] == [["failed_attempt", "1", "1", "30.0"], ["window_at_risk", "1", "0", ""],
                                        ["All rules", "2", "1", "30.0"]]
    assert set(tables) == set(KPI_KEYS)
    for key, rows in tables.items():
        response = console.get(f"/care/kpis.csv?kpi={key}&{filters}")
        assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
        assert list(csv.reader(io.StringIO(response.content.decode()))) == rows, key
        assert f'href="/care/kpis.csv?kpi={key}&amp;start={YESTERDAY}&amp;end={TODAY}&amp;merchant=&amp;zone={a.zone.code}"' in body


def test_bad_filters_answer_400_with_what_to_fix(console, frozen_now):
    backwards = console.get(f"/care/kpis/?start={TODAY}&end={YESTERDAY}")
    assert backwards.status_code == 400 and "swap the dates" in backwards.content.decode()
    too_long = console.get(f"/care/kpis/?start={TODAY - dt.timedelta(days=200)}&end={TODAY}")
    assert too_long.status_code == 400 and "at most 92 days" in too_long.content.decode()
    assert console.get("/care/kpis/?zone=atlantis").status_code == 400
    assert "Enter a valid date" in console.get("/care/kpis/?start=yesterday").content.decode()
    no_kpi = console.get("/care/kpis.csv")
    assert no_kpi.status_code == 400 and "kpi= one of eta" in no_kpi.content.decode()
    assert console.get("/care/kpis.csv?kpi=eta&zone=atlantis").status_code == 400


def test_a_merchants_staff_see_only_their_merchant_and_no_fleet_cost(frozen_now, client):
    from merchants.models import StaffMembership
    from tests.care.conftest import make_agent
    from tests.factories import MerchantFactory

    ours = MerchantFactory(slug="our-shop", name="Our shop")
    a = build_route(day=TODAY, merchant=ours)
    other = build_route(day=TODAY)
    for route in (a, other):
        Delivery.objects.filter(pk=route.deliveries[0].pk).update(status="delivered")
        EventFactory(delivery=route.deliveries[0], milestone="delivered", recorded_at=local(TODAY, 8, 30))
    Delivery.objects.filter(pk=other.deliveries[1].pk).update(status="attempted")
    agent = make_agent("carla")
    StaffMembership.objects.create(user=agent, merchant=ours, role=StaffMembership.Role.CARE)
    agent.platform_role.delete()
    client.force_login(agent)

    body = client.get("/care/kpis/").content.decode()

    assert _page_tables(body)["first-attempt"][-1] == ["All days", "1", "1", "100.0"]
    assert "A fleet figure, shown to the platform's staff." in html.unescape(body) and 'data-kpi-table="cost"' not in body
    assert other.deliveries[0].merchant.name not in body
    assert client.get("/care/kpis.csv?kpi=cost").status_code == 403
    assert client.get(f"/care/kpis/?merchant={other.deliveries[0].merchant.slug}").status_code == 400


def test_a_search_in_the_console_counts_as_a_contact(console, frozen_now):
    route = build_route(day=TODAY)
    console.get(f"/care/?q={route.deliveries[0].order_ref}")
    console.get("/care/?q=")

    assert list(CareSearch.objects.values_list("kind", "delivery_id")) == [("reference", route.deliveries[0].pk)]
