"""Windows materialised from templates: local wall-clock times, cut-offs across DST, blackout days."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from scheduling.models import BlackoutDate, Window
from scheduling.services import windows_materialize
from tests.factories import WindowTemplateFactory

UTC = dt.UTC


@pytest.fixture
def next_day_template(merchant, zone):
    return WindowTemplateFactory(merchant=merchant, zone=zone, start_time=dt.time(10), end_time=dt.time(12),
                                 cutoff_days_before=1, cutoff_time=dt.time(22), max_stops=10)


@pytest.fixture
def same_day_template(merchant, zone):
    return WindowTemplateFactory(merchant=merchant, zone=zone, label="evening", start_time=dt.time(18),
                                 end_time=dt.time(20), cutoff_days_before=0, cutoff_time=dt.time(10), max_stops=8)


def test_windows_on_the_spring_forward_sunday_have_the_right_utc_instants_and_cutoffs(merchant, next_day_template,
                                                                                      same_day_template):
    windows_materialize(merchant=merchant, start=dt.date(2026, 3, 28), days=3)
    sunday = Window.objects.get(template=next_day_template, date=dt.date(2026, 3, 29))
    # 10:00 CEST (UTC+2) on the day the clocks go forward; booked by 22:00 CET (UTC+1) the day before.
    assert sunday.starts_at == dt.datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    assert sunday.ends_at == dt.datetime(2026, 3, 29, 10, 0, tzinfo=UTC)
    assert sunday.cutoff_at == dt.datetime(2026, 3, 28, 21, 0, tzinfo=UTC)
    evening = Window.objects.get(template=same_day_template, date=dt.date(2026, 3, 29))
    assert evening.starts_at == dt.datetime(2026, 3, 29, 16, 0, tzinfo=UTC)
    assert evening.cutoff_at == dt.datetime(2026, 3, 29, 8, 0, tzinfo=UTC)
    saturday = Window.objects.get(template=next_day_template, date=dt.date(2026, 3, 28))
    assert saturday.starts_at == dt.datetime(2026, 3, 28, 9, 0, tzinfo=UTC)


def test_windows_on_the_fall_back_sunday_have_the_right_utc_instants_and_cutoffs(merchant, next_day_template):
    windows_materialize(merchant=merchant, start=dt.date(2026, 10, 24), days=3)
    sunday = Window.objects.get(template=next_day_template, date=dt.date(2026, 10, 25))
    # 10:00 CET (UTC+1) after the clocks went back; the cut-off, 22:00 the day before, is still CEST (UTC+2).
    assert sunday.starts_at == dt.datetime(2026, 10, 25, 9, 0, tzinfo=UTC)
    assert sunday.cutoff_at == dt.datetime(2026, 10, 24, 20, 0, tzinfo=UTC)
    monday = Window.objects.get(template=next_day_template, date=dt.date(2026, 10, 26))
    assert monday.cutoff_at == dt.datetime(2026, 10, 25, 21, 0, tzinfo=UTC)


def test_the_api_shows_times_with_the_merchants_offset_on_each_side_of_dst(merchant, next_day_template):
    from scheduling.serializers import window_payload

    windows_materialize(merchant=merchant, start=dt.date(2026, 10, 24), days=2)
    saturday, sunday = Window.objects.filter(template=next_day_template).order_by("starts_at")
    assert window_payload(saturday)["start"] == "2026-10-24T10:00:00+02:00"
    assert window_payload(sunday)["start"] == "2026-10-25T10:00:00+01:00"


def test_materialising_twice_creates_nothing_new_and_keeps_the_books(merchant, next_day_template):
    assert windows_materialize(merchant=merchant, start=dt.date(2026, 6, 1), days=7) == 7
    Window.objects.filter(template=next_day_template).update(booked=3)
    assert windows_materialize(merchant=merchant, start=dt.date(2026, 6, 1), days=7) == 0
    assert set(Window.objects.values_list("booked", flat=True)) == {3}


def test_blackout_days_and_weekdays_not_offered_get_no_window(merchant, zone):
    template = WindowTemplateFactory(merchant=merchant, zone=zone, weekdays=[1, 2, 3, 4, 5], max_stops=5)
    BlackoutDate.objects.create(merchant=merchant, date=dt.date(2026, 6, 3), reason="Strike")
    windows_materialize(merchant=merchant, start=dt.date(2026, 6, 1), days=7)  # Monday to Sunday
    dates = list(Window.objects.filter(template=template).values_list("date", flat=True).order_by("date"))
    assert dates == [dt.date(2026, 6, 1), dt.date(2026, 6, 2), dt.date(2026, 6, 4), dt.date(2026, 6, 5)]


def test_a_template_without_a_merchant_cap_gets_a_capacity_from_the_zones_fleet(merchant, zone):
    from tests.scheduling.conftest import add_shifts

    add_shifts(zone.depot, [dt.date(2026, 6, 1)], vehicles=3)
    template = WindowTemplateFactory(merchant=merchant, zone=zone, max_stops=None)
    windows_materialize(merchant=merchant, start=dt.date(2026, 6, 1), days=1)
    # Three vehicles over a two-hour window.
    assert Window.objects.get(template=template).capacity == 3 * 2 * 6


def test_a_merchant_in_another_time_zone_gets_its_own_wall_clock(zone):
    from tests.factories import MerchantFactory

    montreal = MerchantFactory(slug="montreal-shop", time_zone="America/Montreal")
    template = WindowTemplateFactory(merchant=montreal, zone=zone, max_stops=5)
    windows_materialize(merchant=montreal, start=dt.date(2026, 6, 1), days=1)
    window = Window.objects.get(template=template)
    assert window.starts_at.astimezone(ZoneInfo("America/Montreal")).hour == 10
