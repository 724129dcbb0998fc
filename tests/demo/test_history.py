"""The demo city's past fortnight: every KPI and every exception rule has something real to show."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from care.kpi_report import kpi_report
from care.kpis import KpiScope
from care.models import JourneyException
from demo.city import PARIS
from demo.history import OTHER_EXCEPTIONS
from dispatch.models import Plan
from scheduling.models import Delivery


@pytest.mark.django_db
def test_the_seeded_fortnight_gives_every_kpi_a_figure_and_a_second_seed_adds_nothing():
    call_command("seed_demo", stdout=StringIO(), days=1, scale=0.4, no_plan=True, history_days=14)
    deliveries, plans = Delivery.objects.count(), Plan.objects.count()
    call_command("seed_demo", stdout=StringIO(), days=1, scale=0.4, no_plan=True, history_days=14)
    today = timezone.localdate(timezone=PARIS)

    sections = kpi_report(scope=KpiScope(first=today - dt.timedelta(days=14), last=today - dt.timedelta(days=1),
                                         tz=PARIS), fleet_figures=True)

    assert (Delivery.objects.count(), Plan.objects.count()) == (deliveries, plans)
    assert Plan.objects.filter(trigger="history").values("date").distinct().count() == 14
    assert [s.key for s in sections if s.headline is None] == []
    # Every chart has a line or bars to draw: no "Nothing recorded" placeholder anywhere.
    assert not [s.key for s in sections for chart in s.charts if "Nothing recorded" in chart]
    codes = set(JourneyException.objects.values_list("code", flat=True))
    assert {"failed_attempt", "window_at_risk", *(code for code, *_ in OTHER_EXCEPTIONS)} <= codes
    assert Delivery.objects.filter(status="attempted", window__date__lt=today).exists()
