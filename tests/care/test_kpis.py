"""KPIs from stored rows only: "—" where nothing is stored, exact figures on a hand-made day."""

import datetime as dt
from decimal import Decimal

import pytest

from care import kpis as care_kpis
from dispatch.models import Plan
from tests.care.conftest import NOW, TODAY
from tests.care.factories import EtaSnapshotFactory, EventFactory, ProofFactory
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
